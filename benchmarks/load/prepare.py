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
		print(json.dumps({"users": users, "sizes": sizes}))
	finally:
		frappe.destroy()


if __name__ == "__main__":
	main()
