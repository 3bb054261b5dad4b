"""A sales floor against a Frappe site served as in production (gunicorn, RQ workers, scheduler).

Started by run.py, which passes the users (API keys) in CRM_LOAD_USERS and collects what was written
(CRM_LOAD_OUT) for the data check. Restricted sales users and managers list leads with filters, search
links, open forms, create leads, log calls, move deals between stages, convert leads and run a sales
report; accountants invoice deals (ERPNext sites). A clear refusal of a conflicting action (a lead someone converted a moment ago, a deal someone
just moved) is a correct answer, counted apart from errors."""

import itertools
import json
import os
import random
import string
import uuid

import requests
from locust import HttpUser, between, constant, events, task

CONFIG = json.load(open(os.environ["CRM_LOAD_USERS"]))
SITE = os.environ["CRM_LOAD_SITE"]
PAUSE = tuple(float(x) for x in os.environ.get("CRM_LOAD_PAUSE", "3,10").split(","))
SALES_FLOOR = itertools.cycle([u for u in CONFIG["users"] if u["kind"] in ("sales", "manager")])
ACCOUNTANTS = itertools.cycle([u for u in CONFIG["users"] if u["kind"] == "accounts"])
INVOICES = CONFIG.get("invoices")
STAGES = ("Prospecting", "Qualification", "Needs Analysis", "Proposal", "Negotiation")
OPEN_STATUSES = ("New", "Contacted", "Qualified")
EXPECTED_REFUSALS = ("AlreadyConvertedError", "ChangedMeanwhileError", "LeadNotConvertibleError")
WRITTEN: dict[str, list] = {"leads": [], "calls": [], "conversions": [], "refusals": [], "invoices": []}


@events.test_stop.add_listener
def write_out(**_kwargs):
	with open(os.environ["CRM_LOAD_OUT"], "w") as file:
		json.dump(WRITTEN, file)


def sign_in(user: HttpUser, account: dict) -> None:
	user.client.headers.update(
		{
			"Authorization": f"token {account['key']}:{account['secret']}",
			"Accept": "application/json",
			"X-Frappe-Site-Name": SITE,
		}
	)


class SalesFloorUser(HttpUser):
	wait_time = between(*PAUSE) if PAUSE[1] > 0 else constant(0)
	weight = 12

	def on_start(self):
		sign_in(self, next(SALES_FLOOR))
		self.leads = self.names("CX Lead", [["status", "in", list(OPEN_STATUSES)]])
		self.deals = self.names("CX Opportunity", [["status", "=", "Open"]])

	def names(self, doctype, filters) -> list[str]:
		"""The records this person works, read before the clock starts (outside the figures)."""
		response = requests.post(
			f"{self.host}/api/method/frappe.desk.reportview.get",
			headers=dict(self.client.headers),
			data={
				"doctype": doctype,
				"fields": json.dumps(["name"]),
				"filters": json.dumps(filters),
				"page_length": 200,
			},
			timeout=120,
		)
		message = response.json().get("message") or {}
		return [row[0] for row in message.get("values", [])]

	def call(self, method: str, label: str, /, **data):
		"""A POST to a whitelisted method; an expected refusal is a success of its own kind."""
		with self.client.post(
			f"/api/method/{method}", data=data, name=label, catch_response=True
		) as response:
			if response.status_code == 417 and response.json().get("exc_type") in EXPECTED_REFUSALS:
				WRITTEN["refusals"].append([label, response.json().get("exc_type")])
				response.success()
			return response

	@task(6)
	def list_leads(self):
		filters = [["status", "=", random.choice(OPEN_STATUSES)]]
		if random.random() < 0.3:
			filters.append(["score_band", "=", random.choice(["Hot", "Warm", "Cold"])])
		self.client.post(
			"/api/method/frappe.desk.reportview.get",
			data={
				"doctype": "CX Lead",
				"fields": json.dumps(
					[
						"name",
						"lead_name",
						"status",
						"organization_name",
						"lead_score",
						"score_band",
						"modified",
					]
				),
				"filters": json.dumps(filters),
				"order_by": "`tabCX Lead`.`modified` desc",
				"start": 0,
				"page_length": 20,
			},
			name="list leads",
		)

	@task(4)
	def link_search(self):
		text = random.choice(["an", "ma", "el", "ad", "ko", "ni"]) + random.choice(string.ascii_lowercase)
		self.client.get(
			"/api/method/frappe.desk.search.search_link",
			params={"doctype": "CX Lead", "txt": text, "page_length": 10},
			name="link search",
		)

	@task(4)
	def open_form(self):
		if self.leads:
			self.client.get(
				"/api/method/frappe.desk.form.load.getdoc",
				params={"doctype": "CX Lead", "name": random.choice(self.leads)},
				name="open lead form",
			)

	@task(2)
	def create_lead(self):
		token = uuid.uuid4().hex[:12]
		email = f"load.{token}@example.com"
		response = self.client.post(
			"/api/resource/CX Lead",
			json={"first_name": "Load", "last_name": token, "email": email, "source": "Website"},
			name="create lead",
		)
		if response.status_code == 200:
			name = response.json()["data"]["name"]
			WRITTEN["leads"].append([name, email])
			self.leads.append(name)

	@task(2)
	def log_call(self):
		if not self.leads:
			return
		token = uuid.uuid4().hex[:12]
		response = self.client.post(
			"/api/resource/CX Call Log",
			json={
				"reference_doctype": "CX Lead",
				"reference_name": random.choice(self.leads),
				"direction": "Outgoing",
				"outcome": "Connected",
				"call_start": "2026-11-30 10:00:00",
				"summary": f"load {token}",
			},
			name="log call",
		)
		if response.status_code == 200:
			WRITTEN["calls"].append(f"load {token}")

	@task(2)
	def move_deal(self):
		if self.deals:
			self.call(
				"frappe.client.set_value",
				"move deal",
				doctype="CX Opportunity",
				name=random.choice(self.deals),
				fieldname="sales_stage",
				value=random.choice(STAGES),
			)

	@task(1)
	def convert_lead(self):
		if not self.leads:
			return
		lead = self.leads.pop(random.randrange(len(self.leads)))
		response = self.call(
			"crm_app.cx_sales.doctype.cx_lead.conversion.convert_lead", "convert lead", lead=lead
		)
		if response.status_code == 200:
			WRITTEN["conversions"].append([lead, response.json()["message"]["customer"]])

	@task(1)
	def sales_report(self):
		self.client.post(
			"/api/method/frappe.desk.query_report.run",
			data={
				"report_name": "CX Sales Funnel",
				"filters": json.dumps({"from_date": "2026-09-01", "to_date": "2026-11-30"}),
				"ignore_prepared_report": 1,
			},
			name="sales report",
		)


if INVOICES and INVOICES["deals"]:  # ERPNext sites

	class AccountantUser(HttpUser):
		"""Invoices deals in ERPNext: a submitted Sales Invoice linked to an open deal of its customer."""

		wait_time = between(*PAUSE) if PAUSE[1] > 0 else constant(0)
		weight = 1

		def on_start(self):
			sign_in(self, next(ACCOUNTANTS))

		@task
		def submit_invoice(self):
			deal, customer = random.choice(INVOICES["deals"])
			rate = random.randint(100, 5000)
			response = self.client.post(
				"/api/resource/Sales Invoice",
				json={
					"customer": customer,
					"company": INVOICES["company"],
					"currency": INVOICES["currency"],
					"cx_opportunity": deal,
					"items": [{"item_code": INVOICES["item"], "qty": 1, "rate": rate}],
					"docstatus": 1,
				},
				name="submit invoice",
			)
			if response.status_code == 200:
				WRITTEN["invoices"].append([response.json()["data"]["name"], deal])
