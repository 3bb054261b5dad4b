"""Server time of the customer 360 panel (`crm_app.cx_sales.profile.get_profile`), printed (never asserted).

Run with the bench's python on a dev site (never a production site: it writes a benchmark customer):
	CRM_APP_SITE=demo-pl.localhost ~/frappe-bench/env/bin/python benchmarks/profile360.py
	CRM_APP_SITE=demo-pl.localhost ~/frappe-bench/env/bin/python benchmarks/profile360.py --cleanup

The first run creates, and commits, the CX Customer named MARKER below with `--interactions` (10,000)
entries spread over every channel: emails filed on it, emails filed on its issues or on someone else's
lead and only linked to it, calls, meetings (half private to Administrator), notes, tasks (half assigned to
someone else), issues and deals that carry a campaign, and two contacts (and an address where the site has
an Address Template, which Frappe's form needs to show one); on a site with ERPNext (`--erpnext N`)
also N each of quotations, sales orders, sales invoices and payments of its ERPNext customer (bare header
rows written in SQL, marked by their title: they are not accounting documents). Moments spread over three
years, three entries to a second, so that entries tie across and within sources. Rows are written in
bulk, without controllers; the desk's tallies are reconciled after. Later runs reuse the customer.
`--cleanup` deletes everything the script wrote (found through the customer and the marker) and exits.

It then times the method through Frappe's request handler, as Administrator and as a restricted sales
user who is the customer's account manager (PROFILE_USER, created; Restrict Sales Users is turned on for
the run and restored): the first page (everything the panel shows) and a later page (`--depth` entries
down the timeline, keyset, so no slower): "cleared" right after the Redis cache is cleared, "cold" after
a clear and the form's own load (a browser opens the form, which rebuilds what the form needs, before it
asks for the panel), "warm" the median of `--repeat` calls. Goal (issue 10): first paint under 300 ms
server time. `--count` walks the whole timeline per user (no entry twice); `--explain` prints the plan of
every query one first page and one later page run.
"""

import argparse
import os
import statistics
import time
from datetime import timedelta
from pathlib import Path

import frappe
from frappe.utils import now_datetime
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

MARKER = "Profile360 Benchmark (remove with --cleanup)"
PROFILE_USER = "profile360.sales@example.com"
OTHER_USER = "profile360.other@example.com"
METHOD = "crm_app.cx_sales.profile.get_profile"
# Share of the interactions per channel.
MIX = {
	"email": 0.25,
	"email_link": 0.05,
	"call": 0.25,
	"meeting": 0.10,
	"note": 0.15,
	"task": 0.10,
	"issue": 0.09,
	"campaign": 0.01,
}


# -- the data --------------------------------------------------------------------------------------------


def ensure_user(email: str, role: str) -> str:
	if not frappe.db.exists("User", email):
		user = frappe.get_doc(
			{"doctype": "User", "email": email, "first_name": email.split("@")[0], "send_welcome_email": 0}
		)
		user.append("roles", {"role": role})
		user.insert(ignore_permissions=True)
	return email


def benchmark_customer() -> str | None:
	return frappe.db.get_value("CX Customer", {"customer_name": MARKER})


def create(total: int, erpnext: int) -> str:
	ensure_user(PROFILE_USER, "Sales User")
	ensure_user(OTHER_USER, "Sales User")
	customer = frappe.get_doc(
		{"doctype": "CX Customer", "customer_name": MARKER, "account_manager": PROFILE_USER}
	).insert(ignore_permissions=True)
	add_contacts(customer.name)
	counts = {kind: int(total * share) for kind, share in MIX.items()}
	counts["call"] += total - sum(counts.values())
	now = now_datetime().replace(microsecond=0)
	span = timedelta(days=3 * 365)
	serial = iter(range(10**9))

	def moments(count: int):
		# Three entries to a second, walking back over three years: ties within and across sources.
		step = span / max(count, 1)
		return [now - step * (i - i % 3) for i in range(count)]

	def std(name, moment, owner="Administrator"):
		return {
			"name": name,
			"creation": moment,
			"modified": moment,
			"owner": owner,
			"modified_by": owner,
			"docstatus": 0,
			"idx": 0,
		}

	def insert(doctype, rows):
		if rows:
			fields = list(rows[0])
			frappe.db.bulk_insert(
				doctype, fields, [[row[f] for f in fields] for row in rows], chunk_size=2000
			)

	cx = ("CX Customer", customer.name)
	issues = [
		{
			**std(f"P360-ISS-{next(serial):07}", m),
			"subject": f"Issue {i}",
			"customer": customer.name,
			"status": ("Open", "Replied", "Resolved", "Closed")[i % 4],
			"priority": ("Low", "Medium", "High")[i % 3],
			"opened_on": m,
			"naming_series": "CX-ISS-.YYYY.-",
		}
		for i, m in enumerate(moments(counts["issue"]))
	]
	insert("CX Issue", issues)
	foreign_lead = frappe.get_doc(
		{"doctype": "CX Lead", "first_name": "Profile360", "last_name": MARKER, "lead_owner": OTHER_USER}
	).insert(ignore_permissions=True)
	comms, links = [], []
	for kind in ("email", "email_link"):
		for i, m in enumerate(moments(counts[kind])):
			name = f"p360c{next(serial):09}"
			if kind == "email":
				reference = cx
			elif i % 5 == 0:  # filed on someone else's lead: hidden from the restricted user
				reference = ("CX Lead", foreign_lead.name)
			else:
				reference = ("CX Issue", issues[i % len(issues)]["name"])
			comms.append(
				{
					**std(name, m),
					"subject": f"{MARKER} mail {i}",
					"communication_type": "Communication",
					"communication_medium": "Email",
					"sent_or_received": ("Sent", "Received")[i % 2],
					"sender": "someone@example.com",
					"communication_date": m,
					"reference_doctype": reference[0],
					"reference_name": reference[1],
					"status": "Linked",
				}
			)
			if kind == "email_link":
				links.append(
					{
						**std(f"p360l{next(serial):09}", m),
						"parent": name,
						"parenttype": "Communication",
						"parentfield": "timeline_links",
						"link_doctype": cx[0],
						"link_name": cx[1],
						"communication_date": m,
					}
				)
	insert("Communication", comms)
	insert("Communication Link", links)
	insert(
		"CX Call Log",
		[
			{
				**std(f"P360-CALL-{next(serial):07}", m, PROFILE_USER),
				"reference_doctype": cx[0],
				"reference_name": cx[1],
				"direction": ("Outgoing", "Incoming")[i % 2],
				"outcome": "Connected",
				"call_start": m,
				"duration": 60 * (i % 20),
				"caller": PROFILE_USER,
				"summary": f"Call {i}",
				"naming_series": "CX-CALL-.YYYY.-",
			}
			for i, m in enumerate(moments(counts["call"]))
		],
	)
	events, participants = [], []
	for i, m in enumerate(moments(counts["meeting"])):
		name = f"P360-EV-{next(serial):07}"
		owner = PROFILE_USER if i % 2 else "Administrator"  # Administrator's private meetings stay hidden
		events.append(
			{
				**std(name, m, owner),
				"subject": f"Meeting {i}",
				"starts_on": m,
				"ends_on": m + timedelta(hours=1),
				"event_type": "Private",
				"event_category": "Meeting",
				"status": "Completed",
			}
		)
		participants.append(
			{
				**std(f"p360p{next(serial):09}", m, owner),
				"parent": name,
				"parenttype": "Event",
				"parentfield": "event_participants",
				"reference_doctype": cx[0],
				"reference_docname": cx[1],
			}
		)
	insert("Event", events)
	insert("Event Participants", participants)
	insert(
		"Comment",
		[
			{
				**std(f"p360n{next(serial):09}", m, PROFILE_USER),
				"comment_type": "Comment",
				"reference_doctype": cx[0],
				"reference_name": cx[1],
				"content": f"<p>Note {i}</p>",
				"comment_email": PROFILE_USER,
				"comment_by": "Profile360 Sales",
			}
			for i, m in enumerate(moments(counts["note"]))
		],
	)
	insert(
		"ToDo",
		[
			{
				**std(f"p360t{next(serial):09}", m),
				"status": ("Open", "Closed")[i % 2],
				"priority": "Medium",
				"allocated_to": PROFILE_USER if i % 2 else OTHER_USER,
				"assigned_by": "Administrator",
				"reference_type": cx[0],
				"reference_name": cx[1],
				"description": f"Task {i}",
				"date": m.date(),
			}
			for i, m in enumerate(moments(counts["task"]))
		],
	)
	campaign = "Profile360"  # its own, removed with the rest
	if not frappe.db.exists("CX Campaign", campaign):
		frappe.get_doc({"doctype": "CX Campaign", "campaign_name": campaign, "status": "Active"}).insert(
			ignore_permissions=True
		)
	from crm_app.money import reporting_currency

	deals = []
	for i, m in enumerate(moments(counts["campaign"])):
		deals.append(
			{
				**std(f"P360-OPP-{next(serial):07}", m, PROFILE_USER),
				"title": f"{MARKER} deal {i}",
				"customer": customer.name,
				"party_name": MARKER,
				"campaign": campaign,
				"status": "Open" if i % 2 else "Lost",
				"sales_stage": "Qualification",
				"opportunity_owner": PROFILE_USER,
				"currency": reporting_currency(),
				"amount": 1000 + i,
				"naming_series": "CX-OPP-.YYYY.-",
			}
		)
	insert("CX Opportunity", deals)
	if erpnext and "erpnext" in frappe.get_installed_apps():
		insert_erpnext_documents(customer.name, erpnext, moments, std, insert, serial)
	from crm_app.cx_insights.figures import reconcile

	reconcile(["CX Issue", "CX Opportunity", "CX Lead"], commit=False)
	frappe.db.commit()
	return customer.name


def add_contacts(customer: str) -> None:
	"""Two contacts and an address (deleted with the customer, their only link)."""
	link = [{"link_doctype": "CX Customer", "link_name": customer}]
	for first, last, mail, primary in (
		("Olena", "Benchmark", "olena", 1),
		("Marek", "Benchmark", "marek", 0),
	):
		frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": first,
				"last_name": last,
				"designation": "Buyer" if primary else "Engineer",
				"is_primary_contact": primary,
				"email_ids": [{"email_id": f"{mail}.profile360@example.com", "is_primary": 1}],
				"links": link,
			}
		).insert(ignore_permissions=True)
	if not frappe.db.exists("Address Template", {"is_default": 1}):
		return  # Frappe's customer form cannot show an address without one
	frappe.get_doc(
		{
			"doctype": "Address",
			"address_title": "Head Office",
			"address_type": "Billing",
			"address_line1": "ul. Benchmarkowa 1",
			"city": "Kraków",
			"pincode": "30-001",
			"country": frappe.db.get_value("Country", {"name": "Poland"})
			or frappe.db.get_value("Country", {}),
			"is_primary_address": 1,
			"links": link,
		}
	).insert(ignore_permissions=True)


def insert_erpnext_documents(customer: str, count: int, moments, std, insert, serial) -> None:
	"""Bare submitted headers (no lines, no ledger): enough for the panel's queries, nothing more."""
	from crm_app.integrations.erpnext.customers import ensure_erpnext_customer

	cx_customer = frappe.get_doc("CX Customer", customer)
	party = ensure_erpnext_customer(cx_customer)
	company = frappe.db.get_value("Company", {}) or ""
	currency = frappe.db.get_value("Company", company, "default_currency") or "USD"
	for doctype, party_field, date_field, extra in (
		("Quotation", "party_name", "transaction_date", {"quotation_to": "Customer", "status": "Open"}),
		("Sales Order", "customer", "transaction_date", {"status": "To Deliver and Bill"}),
		("Sales Invoice", "customer", "posting_date", {"status": "Paid"}),
		(
			"Payment Entry",
			"party",
			"posting_date",
			{"party_type": "Customer", "payment_type": "Receive", "status": "Submitted"},
		),
	):
		amount = "paid_amount" if doctype == "Payment Entry" else "grand_total"
		currency_field = "paid_from_account_currency" if doctype == "Payment Entry" else "currency"
		insert(
			doctype,
			[
				{
					**std(f"P360-{doctype[:2].upper()}-{next(serial):07}", m),
					"docstatus": 1,
					"title": MARKER,
					"company": company,
					party_field: party,
					date_field: m.date(),
					amount: 100.0 + i,
					currency_field: currency,
					**extra,
				}
				for i, m in enumerate(moments(count))
			],
		)


def cleanup() -> None:
	customer = benchmark_customer()
	if customer:
		erpnext_customer = (
			frappe.db.get_value("CX Customer", customer, "erpnext_customer")
			if frappe.get_meta("CX Customer").has_field("erpnext_customer")
			else None
		)
		comms = frappe.get_all("Communication", {"subject": ("like", f"{MARKER} mail %")}, pluck="name")
		for chunk in range(0, len(comms), 2000):
			names = comms[chunk : chunk + 2000]
			frappe.db.delete("Communication Link", {"parent": ("in", names)})
			frappe.db.delete("Communication", {"name": ("in", names)})
		events = frappe.get_all(
			"Event Participants",
			{"reference_doctype": "CX Customer", "reference_docname": customer},
			pluck="parent",
		)
		for chunk in range(0, len(events), 2000):
			frappe.db.delete("Event", {"name": ("in", events[chunk : chunk + 2000])})
		frappe.db.delete(
			"Event Participants", {"reference_doctype": "CX Customer", "reference_docname": customer}
		)
		for doctype, field in (
			("Comment", "reference_name"),
			("ToDo", "reference_name"),
			("CX Call Log", "reference_name"),
		):
			frappe.db.delete(doctype, {field: customer})
		for doctype in ("Contact", "Address"):  # shared with the ERPNext twin: go before either customer
			linked = {"parenttype": doctype, "link_doctype": "CX Customer", "link_name": customer}
			for name in frappe.get_all("Dynamic Link", linked, pluck="parent"):
				frappe.delete_doc(doctype, name, force=True, ignore_permissions=True)
		frappe.db.delete("CX Issue", {"customer": customer})
		frappe.db.delete("CX Opportunity", {"customer": customer})
		if "erpnext" in frappe.get_installed_apps():
			for doctype in ("Quotation", "Sales Order", "Sales Invoice", "Payment Entry"):
				frappe.db.delete(doctype, {"title": MARKER})
			if erpnext_customer:
				frappe.delete_doc("Customer", erpnext_customer, force=True, ignore_permissions=True)
		frappe.delete_doc("CX Customer", customer, force=True, ignore_permissions=True)
	if frappe.db.exists("CX Campaign", "Profile360"):
		frappe.delete_doc("CX Campaign", "Profile360", force=True, ignore_permissions=True)
	for lead in frappe.get_all("CX Lead", {"last_name": MARKER}, pluck="name"):
		frappe.delete_doc("CX Lead", lead, force=True, ignore_permissions=True)
	for user in (PROFILE_USER, OTHER_USER):
		if frappe.db.exists("User", user):
			frappe.delete_doc("User", user, force=True, ignore_permissions=True)
	from crm_app.cx_insights.figures import reconcile

	reconcile(["CX Issue", "CX Opportunity", "CX Lead"], commit=False)
	frappe.db.commit()
	print(
		"removed the benchmark customer and everything written with it" if customer else "nothing to remove"
	)


# -- the timing --------------------------------------------------------------------------------------------


def call(**kwargs):
	"""What a desk GET runs: the whitelisted method through Frappe's handler, with the form dict."""
	frappe.local.form_dict = frappe._dict(kwargs)
	frappe.local.request = Request(EnvironBuilder(method="GET").get_environ())
	return frappe.handler.execute_cmd(METHOD)


def millis(fn) -> float:
	start = time.perf_counter()
	fn()
	return (time.perf_counter() - start) * 1000


def deep_cursor(customer: str, depth: int) -> tuple[str | None, int]:
	"""The cursor `depth` entries down the timeline, walked page by page as the panel would."""
	cursor, walked = None, 0
	while walked < depth:
		timeline = call(doctype="CX Customer", name=customer, before=cursor, limit=100)["timeline"]
		walked += len(timeline["entries"])
		cursor = timeline["next"]
		if not cursor:
			break
	return cursor, walked


def cold(fn, customer: str) -> tuple[float, float]:
	"""(ms right after Redis is cleared, ms after a clear and the form's own load): the browser opens the
	form (getdoc, which rebuilds what the form needs) before it asks for the panel."""
	from frappe.desk.form.load import getdoc

	frappe.clear_cache()
	bare = millis(fn)
	frappe.clear_cache()
	getdoc("CX Customer", customer)
	return bare, millis(fn)


def measure(customer: str, user: str, repeat: int, depth: int) -> None:
	frappe.set_user(user)
	first_page = lambda: call(doctype="CX Customer", name=customer)  # noqa: E731
	bare_first, cold_first = cold(first_page, customer)
	warm_first = statistics.median(millis(first_page) for _ in range(repeat))
	first = first_page()
	cursor, walked = deep_cursor(customer, depth)
	later_page = lambda: call(doctype="CX Customer", name=customer, before=cursor)  # noqa: E731
	bare_later, cold_later = cold(later_page, customer)
	warm_later = statistics.median(millis(later_page) for _ in range(repeat))
	kinds = {}
	for entry in first["timeline"]["entries"]:
		kinds[entry["kind"]] = kinds.get(entry["kind"], 0) + 1
	print(f"\nas {user}")
	print(f"  {'':<40} {'cleared ms':>11} {'cold ms':>9} {'warm ms':>9}")
	print(f"  {'first page (the whole panel)':<40} {bare_first:>11.1f} {cold_first:>9.1f} {warm_first:>9.1f}")
	label = f"later page ({walked:,} entries down)"
	print(f"  {label:<40} {bare_later:>11.1f} {cold_later:>9.1f} {warm_later:>9.1f}")
	print(f"  first page: {len(first['timeline']['entries'])} entries {kinds}")


def count_timeline(customer: str, user: str) -> dict:
	"""Every entry the user sees, by kind, walking the whole timeline (no duplicates allowed)."""
	frappe.set_user(user)
	cursor, seen, kinds = None, set(), {}
	while True:
		timeline = call(doctype="CX Customer", name=customer, before=cursor, limit=100)["timeline"]
		for entry in timeline["entries"]:
			key = (entry["kind"], entry["name"], entry.get("via_name"))
			assert key not in seen, key
			seen.add(key)
			kinds[entry["kind"]] = kinds.get(entry["kind"], 0) + 1
		cursor = timeline["next"]
		if not cursor:
			return kinds


def explain(customer: str, user: str) -> None:
	"""The plan of every SELECT a first page and a later page run."""
	frappe.set_user(user)
	queries = []
	original = frappe.db.sql

	def recording(query, values=(), *args, **kwargs):
		text = str(query).strip()
		if text.lower().startswith("select") and "`tab" in text:
			queries.append(frappe.db.mogrify(query, values) if values else text)
		return original(query, values, *args, **kwargs)

	frappe.db.sql = recording
	try:
		first = call(doctype="CX Customer", name=customer)
		call(doctype="CX Customer", name=customer, before=first["timeline"]["next"])
	finally:
		frappe.db.sql = original
	print(f"\nplans as {user}:")
	for query in queries:
		if "tabSingles" in query or "tabDefaultValue" in query or "tabHas Role" in query:
			continue
		print("  " + " ".join(query.split())[:230])
		for row in frappe.db.sql(f"explain {query}", as_dict=True):
			print(
				f"      {row.table or '':<28} {row.type or '':<8} key={row.key or '-':<42} rows={row.rows} {row.Extra or ''}"
			)


def main() -> None:
	parser = argparse.ArgumentParser(
		description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
	)
	parser.add_argument("--site", default=os.environ.get("CRM_APP_SITE"))
	parser.add_argument("--interactions", type=int, default=10_000)
	parser.add_argument("--erpnext", type=int, default=250, help="documents of each ERPNext kind")
	parser.add_argument("--repeat", type=int, default=5)
	parser.add_argument("--depth", type=int, default=5000, help="how far down the later page is")
	parser.add_argument("--explain", action="store_true")
	parser.add_argument("--count", action="store_true", help="walk the whole timeline per user")
	parser.add_argument("--cleanup", action="store_true")
	args = parser.parse_args()
	os.chdir(Path(os.environ.get("CRM_APP_BENCH", Path.home() / "frappe-bench")) / "sites")
	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		if args.cleanup:
			cleanup()
			return
		customer = benchmark_customer()
		if not customer:
			start = time.perf_counter()
			customer = create(args.interactions, args.erpnext)
			print(
				f"created {customer} with {args.interactions:,} interactions in {time.perf_counter() - start:.1f} s"
			)
		print(f"site {args.site}: customer {customer}")
		import crm_app.cx_sales.profile  # a web worker imports it once in its life  # noqa: F401

		was_restricted = frappe.db.get_single_value("CX Settings", "restrict_sales_users")
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)
		frappe.db.commit()
		try:
			for user in ("Administrator", PROFILE_USER):
				measure(customer, user, max(args.repeat, 1), args.depth)
				if args.count:
					print(f"  whole timeline: {count_timeline(customer, user)}")
				if args.explain:
					explain(customer, user)
		finally:
			frappe.set_user("Administrator")
			frappe.db.set_single_value("CX Settings", "restrict_sales_users", was_restricted)
			frappe.db.commit()
	finally:
		frappe.destroy()


if __name__ == "__main__":
	main()
