"""Users for the load test, with API keys, on a site with data; prints them as JSON for the locustfile.

Run with the bench's python (run.py does): sales users are restricted (Restrict Sales Users on), managers
are not. Each user gets a fresh API secret, so the load generator authenticates with `token key:secret`
as an integration would (no session cookies, no CSRF token)."""

import json
import os
import sys

import frappe
from frappe.utils.password import get_decrypted_password

SALES = [f"load.sales{i}@example.com" for i in range(1, 11)]
MANAGERS = [f"load.manager{i}@example.com" for i in range(1, 4)]
ACCOUNTANTS = [f"load.accounts{i}@example.com" for i in range(1, 3)]
INVOICE_ITEM = "CX-LOAD-SERVICE"


def ensure_user(email: str, roles: list[str]) -> dict:
	if not frappe.db.exists("User", email):
		user = frappe.get_doc(
			{"doctype": "User", "email": email, "first_name": email.split("@")[0], "send_welcome_email": 0}
		)
		for role in roles:
			user.append("roles", {"role": role})
		user.insert(ignore_permissions=True)
	user = frappe.get_doc("User", email)
	if not user.api_key:
		user.api_key = frappe.generate_hash(length=15)
	user.api_secret = frappe.generate_hash(length=15)
	user.save(ignore_permissions=True)
	return {"user": email, "key": user.api_key, "secret": get_decrypted_password("User", email, "api_secret")}


def give_leads(users: list[str], per_user: int) -> None:
	"""Each sales user owns some open leads and deals, as a sales floor does (the restriction shows
	them nothing else)."""
	lead, deal = frappe.qb.DocType("CX Lead"), frappe.qb.DocType("CX Opportunity")
	for index, user in enumerate(users):
		names = (
			frappe.qb.from_(lead)
			.select(lead.name)
			.where(lead.status.isin(["New", "Contacted", "Qualified"]))
			.orderby(lead.name)
			.limit(per_user)
			.offset(index * per_user)
			.run(pluck=True)
		)
		if names:
			frappe.qb.update(lead).set(lead.lead_owner, user).where(lead.name.isin(names)).run()
		deals = (
			frappe.qb.from_(deal)
			.select(deal.name)
			.where(deal.status == "Open")
			.orderby(deal.name)
			.limit(per_user // 10 or 1)
			.offset(index * (per_user // 10 or 1))
			.run(pluck=True)
		)
		if deals:
			frappe.qb.update(deal).set(deal.opportunity_owner, user).where(deal.name.isin(deals)).run()


def invoice_targets(limit: int = 2000) -> dict | None:
	"""Where ERPNext is installed: open deals whose customer has its ERPNext twin, a service item and the
	company, for accountants who invoice deals during the run."""
	if not frappe.db.exists("DocType", "Sales Invoice") or not frappe.db.get_single_value(
		"CX Settings", "erpnext_enabled"
	):
		return None
	if not frappe.db.exists("Item", INVOICE_ITEM):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": INVOICE_ITEM,
				"item_group": "All Item Groups",
				"stock_uom": "Nos",
				"is_stock_item": 0,
			}
		).insert(ignore_permissions=True)
	company = frappe.get_all("Company", pluck="name", limit=1)[0]
	currency = frappe.get_cached_value("Company", company, "default_currency")
	deal, customer = frappe.qb.DocType("CX Opportunity"), frappe.qb.DocType("CX Customer")
	rows = (
		frappe.qb.from_(deal)
		.join(customer)
		.on(customer.name == deal.customer)
		.select(deal.name, customer.erpnext_customer)
		.where((deal.status == "Open") & customer.erpnext_customer.isnotnull() & (deal.currency == currency))
		.orderby(deal.name, order=frappe.qb.desc)
		.limit(limit)
		.run()
	)
	return {"company": company, "currency": currency, "item": INVOICE_ITEM, "deals": [list(r) for r in rows]}


def main() -> None:
	site = sys.argv[1]
	os.chdir(os.path.join(os.environ.get("CRM_APP_BENCH", os.path.expanduser("~/frappe-bench")), "sites"))
	frappe.init(site=site, sites_path=".")
	frappe.connect()
	try:
		frappe.set_user("Administrator")
		users = [ensure_user(email, ["Sales User"]) | {"kind": "sales"} for email in SALES]
		users += [
			ensure_user(email, ["Sales Manager", "Sales User"]) | {"kind": "manager"} for email in MANAGERS
		]
		targets = invoice_targets()
		if targets:
			users += [ensure_user(email, ["Accounts User"]) | {"kind": "accounts"} for email in ACCOUNTANTS]
		give_leads(SALES, 2000)
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)
		from crm_app.cx_insights.figures import reconcile

		reconcile()  # owners moved in SQL above
		frappe.db.commit()
		sizes = {
			doctype: frappe.db.count(doctype) for doctype in ("CX Lead", "CX Customer", "CX Opportunity")
		}
		if frappe.db.exists("DocType", "Sales Invoice"):
			sizes["Sales Invoice"] = frappe.db.count("Sales Invoice")
		print(json.dumps({"users": users, "sizes": sizes, "invoices": targets}))
	finally:
		frappe.destroy()


if __name__ == "__main__":
	main()
