"""After a load run: every write that got a 2xx is there exactly once, no lead was converted twice, the
desk's tallies and the written scores agree with a recompute. Run with the bench's python (run.py does):
	check.py SITE WRITTEN_JSON"""

import json
import os
import sys

import frappe
from frappe.query_builder.functions import Count


def invoice_problems(invoices: list) -> list[str]:
	"""Each acknowledged invoice is there once, submitted, on its deal; the deals' invoiced amounts equal
	a recompute from their submitted documents."""
	if not invoices:
		return []
	from crm_app.integrations.erpnext.books import deal_documents

	problems = []
	for name, deal in invoices:
		found = frappe.db.get_value("Sales Invoice", name, ["docstatus", "cx_opportunity"])
		if found != (1, deal):
			problems.append(f"invoice {name}: expected submitted on {deal}, found {found}")
	for deal in {deal for _name, deal in invoices}:
		kept = frappe.db.get_value("CX Opportunity", deal, "invoiced_amount")
		if round(kept or 0, 2) != round(deal_documents(deal).invoiced or 0, 2):
			problems.append(f"deal {deal}: invoiced {kept}, recomputed {deal_documents(deal).invoiced}")
	return problems


def main() -> int:
	site, written_path = sys.argv[1], sys.argv[2]
	written = json.load(open(written_path))
	os.chdir(os.path.join(os.environ.get("CRM_APP_BENCH", os.path.expanduser("~/frappe-bench")), "sites"))
	frappe.init(site=site, sites_path=".")
	frappe.connect()
	problems = []
	try:
		for name, email in written["leads"]:
			found = frappe.get_all("CX Lead", {"email": email}, pluck="name")
			if found != [name]:
				problems.append(f"lead {name} <{email}>: found {found}")
		for summary in written["calls"]:
			if frappe.db.count("CX Call Log", {"summary": summary}) != 1:
				problems.append(f"call '{summary}' is not there exactly once")
		for lead, customer in written["conversions"]:
			if frappe.db.get_value("CX Lead", lead, "customer") != customer:
				problems.append(f"lead {lead}: converted to {customer}, but the lead says otherwise")
		customer = frappe.qb.DocType("CX Customer")
		twice = (
			frappe.qb.from_(customer)
			.select(customer.lead)
			.where(customer.lead.isnotnull())
			.groupby(customer.lead)
			.having(Count("*") > 1)
			.run(pluck=True)
		)
		problems += [f"lead {lead} has more than one customer" for lead in twice]
		from crm_app.core.insights import tally as core
		from crm_app.cx_insights import figures

		for tally in core.TALLIES:
			fixes = core.corrections(tally, figures.grouped_table(tally), figures.kept_rows(tally))
			if fixes:
				problems.append(f"tally {tally.name}: {len(fixes)} rows differ from the table")
		problems += invoice_problems(written.get("invoices") or [])
		from crm_app.scoring import score_lead

		touched = {name for name, _email in written["leads"]}
		for name in list(touched)[:300]:
			doc = frappe.get_doc("CX Lead", name)
			if doc.lead_score != score_lead(doc).total:
				problems.append(f"lead {name}: score {doc.lead_score}, recomputed {score_lead(doc).total}")
		print(
			f"data check: {len(written['leads'])} leads, {len(written['calls'])} calls, "
			f"{len(written['conversions'])} conversions, {len(written.get('invoices') or [])} invoices, "
			f"{len(written['refusals'])} clear refusals; "
			f"{len(problems)} problems"
		)
		for problem in problems[:50]:
			print("  ", problem)
		return 1 if problems else 0
	finally:
		frappe.destroy()


if __name__ == "__main__":
	raise SystemExit(main())
