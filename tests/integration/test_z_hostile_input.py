"""Every whitelisted method of the app, called over HTTP with hostile arguments: never a server error.

The methods are found by walking `frappe.whitelisted` after importing every module of the app, so a new
method is covered the day it is written. Each is called through a real web server on the suite's site
(`frappe serve`), as Administrator and as a restricted sales user, with one argument at a time (and then
all of them) replaced by a wrong type, malformed JSON, an unknown name, an SQL fragment or an HTML
fragment. Any answer of 500 or above fails the test and is listed with what caused it.
"""

import importlib
import inspect
import json
import os
import pkgutil
import socket
import subprocess
import sys
import time

import frappe
import requests

import crm_app

from .conftest import BENCH, SITE
from .factories import CXTestCase, make_lead, make_opportunity, make_user

RESTRICTED = "hostile.sales@example.com"
PASSWORD = "Hostile-Test-Pass-42!"
HOSTILE = (
	"",
	"abc",
	"-1",
	"1e309",
	"{[",
	"[1, 2",
	'{"a": ',
	"null",
	"[]",
	'{"nested": {"deep": [1, {"x": null}]}}',
	'[["CX Opportunity", "name", "like", "%"]]',
	'{"name": ["in", "select name from `tabUser`"]}',
	"no-such-record-4711",
	"' OR '1'='1' -- ",
	"1; DROP TABLE `tabCX Lead`; --",
	"<img src=x onerror=alert(1)>",
	"<script>alert('x')</script>",
	"x" * 5000,
)


def app_whitelisted_methods() -> list:
	"""Every whitelisted function or document method defined in crm_app."""
	for module in pkgutil.walk_packages(crm_app.__path__, prefix="crm_app."):
		if ".patches." not in module.name:
			importlib.import_module(module.name)
	return sorted(
		{fn for fn in frappe.whitelisted if (fn.__module__ or "").startswith("crm_app.")},
		key=lambda fn: f"{fn.__module__}.{fn.__qualname__}",
	)


def doctype_of(fn) -> str | None:
	"""The doctype whose controller defines `fn`, for document methods (run through run_doc_method)."""
	if "." not in fn.__qualname__:
		return None
	folder = fn.__module__.rsplit(".", 1)[-1]
	doctypes = frappe.get_all("DocType", {"module": ("like", "CX %")}, pluck="name")
	return next(doctype for doctype in doctypes if frappe.scrub(doctype) == folder)


def free_port() -> int:
	with socket.socket() as sock:
		sock.bind(("127.0.0.1", 0))
		return sock.getsockname()[1]


class TestHostileInput(CXTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.port = free_port()
		env = {**os.environ, "CI": "1"}
		cls.server = subprocess.Popen(
			[
				sys.executable,
				"-m",
				"frappe.utils.bench_helper",
				"frappe",
				"--site",
				SITE,
				"serve",
				"--port",
				str(cls.port),
				"--noreload",
			],
			cwd=BENCH / "sites",
			env=env,
			stdout=subprocess.DEVNULL,
			stderr=subprocess.DEVNULL,
		)
		cls.base = f"http://127.0.0.1:{cls.port}"
		for _ in range(120):
			try:
				requests.get(f"{cls.base}/api/method/ping", timeout=2)
				break
			except requests.ConnectionError:
				time.sleep(0.5)
		else:
			raise RuntimeError("frappe serve did not start")

	@classmethod
	def tearDownClass(cls):
		cls.server.terminate()
		cls.server.wait(timeout=30)
		super().tearDownClass()

	def setUp(self):
		super().setUp()
		self.started = frappe.utils.now_datetime()
		make_user(RESTRICTED, "Sales User")
		from frappe.utils.password import update_password

		update_password(RESTRICTED, PASSWORD)
		update_password("Administrator", PASSWORD)
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)
		self.lead = make_lead(first_name="Hostile", last_name="Target")
		self.opportunity = make_opportunity()
		frappe.db.commit()  # the web server sees only what is committed

	def tearDown(self):
		"""Remove what this test and the calls it made committed, newest first."""
		frappe.db.rollback()
		frappe.set_user("Administrator")
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 0)
		for doctype in ("Event", "ToDo", "CX Opportunity", "CX Customer", "Contact", "CX Lead"):
			for name in frappe.get_all(doctype, {"creation": (">=", self.started)}, pluck="name"):
				frappe.delete_doc(doctype, name, force=True, ignore_permissions=True, ignore_on_trash=True)
		frappe.db.commit()
		super().tearDown()

	def session(self, user: str) -> requests.Session:
		session = requests.Session()
		response = session.post(f"{self.base}/api/method/login", data={"usr": user, "pwd": PASSWORD})
		self.assertEqual(response.status_code, 200, response.text[:500])
		session.headers["Accept"] = "application/json"
		return session

	def plausible(self, name: str):
		"""A well-formed value for a parameter, so that one bad argument at a time reaches the code."""
		return {
			"lead": self.lead.name,
			"reference_doctype": "CX Lead",
			"reference_name": self.lead.name,
			"doctype": "CX Lead",
			"txt": "Hos",
			"searchfield": "lead_name",
			"start": 0,
			"page_len": 10,
			"subject": "Call",
			"starts_on": "2031-01-01 10:00:00",
			"ends_on": "2031-01-01 11:00:00",
			"filters": "{}",
			"lost_reason": "Price too high",
			"doc": json.dumps({"document_type": "CX Lead", "function": "Count"}),
			"chart_name": "CX Leads by Source",
		}.get(name, "1")

	def call(self, session, fn, args: dict) -> requests.Response:
		doctype = doctype_of(fn)
		if doctype:
			name = {"CX Opportunity": self.opportunity.name, "CX Lead": self.lead.name}.get(doctype, doctype)
			data = {
				"dt": doctype,
				"dn": args.pop("__dn", name),
				"method": fn.__name__,
				"args": json.dumps(args),
			}
			return session.post(f"{self.base}/api/method/run_doc_method", data=data)
		return session.post(f"{self.base}/api/method/{fn.__module__}.{fn.__name__}", data=args)

	def test_no_whitelisted_method_answers_a_server_error(self):
		methods = app_whitelisted_methods()
		self.assertGreaterEqual(len(methods), 8)
		failures = []
		for user in ("Administrator", RESTRICTED):
			session = self.session(user)
			for fn in methods:
				params = [
					p
					for p in inspect.signature(fn).parameters.values()
					if p.name not in ("self", "kwargs") and p.kind is not p.VAR_KEYWORD
				]
				cases = [{p.name: self.plausible(p.name) for p in params}]
				for param in params:
					for value in HOSTILE:
						cases.append({**cases[0], param.name: value})
				for value in HOSTILE:
					cases.append({p.name: value for p in params})
					if doctype_of(fn):
						cases.append({**cases[0], "__dn": value})
				for args in cases:
					response = self.call(session, fn, dict(args))
					if response.status_code >= 500:
						failures.append(
							f"{user} {fn.__module__}.{fn.__qualname__}({args!r:.200}) -> "
							f"{response.status_code} {response.text[:300]!r}"
						)
		self.assertEqual(failures, [], "\n".join(failures[:40]))
