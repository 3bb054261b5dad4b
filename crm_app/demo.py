"""Demo data: a few hundred of each record for trying the desk, or up to millions of leads for benchmarks.

Idempotent: demo leads have fixed names (CX-LEAD-DEMO-0000001 ...), so a second run only tops up.
Leads go in with bulk inserts; customers, contacts and opportunities come from real lead conversions so
that they are consistent with everything the app validates.
"""

import random
import time

import frappe
from frappe import _
from frappe.utils import add_days, now_datetime, nowdate

from crm_app.core.demo import GENDERS, LEAD_FIELDS, DemoMasters, lead_rows
from crm_app.exceptions import DemoDataRefusedError

DEMO_USERS = tuple(f"demo.sales{i}@example.com" for i in range(1, 6))
DEMO_CAMPAIGNS = ("Spring Webinar", "Trade Fair Berlin", "Newsletter Q3", "Partner Referral", "Search Ads")
CHUNK = 20_000


def create_demo_data(leads: int = 300, records: int = 100, force: bool = False, quiet: bool = False) -> dict:
	"""Fill the site with `leads` demo leads and about `records` customers, opportunities and issues."""
	if not (frappe.conf.developer_mode or force):
		frappe.throw(
			_("Demo data is only added to a site in developer mode. Use --force to add it anyway."),
			DemoDataRefusedError,
		)
	say = (lambda *_a: None) if quiet else print
	masters = ensure_masters()
	started = time.perf_counter()
	inserted = insert_leads(leads, masters, say)
	say(f"leads: {inserted} inserted in {time.perf_counter() - started:.1f}s")
	converted = convert_leads(min(records, leads))
	issues = create_issues(records)
	frappe.db.commit()
	return {"leads_inserted": inserted, "customers_created": converted, "issues_created": issues}


def ensure_masters() -> DemoMasters:
	for email in DEMO_USERS:
		if not frappe.db.exists("User", email):
			first = email.split("@")[0].replace(".", " ").title()
			user = frappe.get_doc(
				{"doctype": "User", "email": email, "first_name": first, "send_welcome_email": 0}
			)
			user.append("roles", {"role": "Sales User"})
			user.insert(ignore_permissions=True)
	for gender in GENDERS:  # the setup wizard creates these; a bare site may not have them yet
		if not frappe.db.exists("Gender", gender):
			frappe.get_doc({"doctype": "Gender", "gender": gender}).insert(ignore_permissions=True)
	for campaign in DEMO_CAMPAIGNS:
		if not frappe.db.exists("CX Campaign", campaign):
			frappe.get_doc(
				{"doctype": "CX Campaign", "campaign_name": campaign, "status": "Active", "budget": 5000}
			).insert(ignore_permissions=True)
	for territory in ("Europe", "Asia", "Americas", "Middle East"):
		if not frappe.db.exists("CX Territory", territory):
			frappe.get_doc(
				{
					"doctype": "CX Territory",
					"territory_name": territory,
					"parent_cx_territory": "All Territories",
				}
			).insert(ignore_permissions=True)
	countries = dict(
		frappe.get_all(
			"Country",
			filters={"code": ("in", ["gb", "de", "in", "us", "fr", "ae"])},
			fields=["code", "name"],
			as_list=True,
		)
	)
	return DemoMasters(
		owners=DEMO_USERS,
		sources=frappe.get_all("CX Lead Source", pluck="name"),
		territories=["Europe", "Asia", "Americas", "Middle East"],
		industries=frappe.get_all("CX Industry", pluck="name"),
		campaigns=DEMO_CAMPAIGNS,
		countries={code.upper(): name for code, name in countries.items()},
	)


def insert_leads(target: int, masters: DemoMasters, say) -> int:
	existing = frappe.db.count("CX Lead", {"name": ("like", "CX-LEAD-DEMO-%")})
	if existing >= target:
		return 0
	now = now_datetime()
	start = existing + 1
	while start <= target:
		count = min(CHUNK, target - start + 1)
		rows = lead_rows(start, count, masters, now=now)
		frappe.db.bulk_insert("CX Lead", LEAD_FIELDS, rows, ignore_duplicates=True, chunk_size=CHUNK)
		frappe.db.commit()
		start += count
		if target > CHUNK:
			say(f"  {start - 1:,} / {target:,} leads")
	return target - existing


def convert_leads(target: int) -> int:
	"""Convert demo leads until `target` of them have a customer; each also gets an opportunity."""
	from crm_app.cx_sales.doctype.cx_lead.conversion import convert_lead

	done = frappe.db.count("CX Lead", {"name": ("like", "CX-LEAD-DEMO-%"), "customer": ("is", "set")})
	candidates = frappe.get_all(
		"CX Lead",
		filters={"name": ("like", "CX-LEAD-DEMO-%"), "customer": ("is", "not set"), "status": "Qualified"},
		order_by="name asc",
		limit=max(target - done, 0),
		pluck="name",
	)
	stages = frappe.get_all("CX Sales Stage", order_by="stage_order asc", pluck="name")
	reasons = frappe.get_all("CX Lost Reason", pluck="name")
	for name in candidates:
		rng = random.Random(name)
		result = convert_lead(
			name,
			create_opportunity=True,
			opportunity_amount=rng.randrange(1_000, 80_000, 250),
			sales_stage=rng.choice(stages),
		)
		opportunity = frappe.get_doc("CX Opportunity", result["opportunity"])
		opportunity.expected_close_date = add_days(nowdate(), rng.randint(-30, 120))
		roll = rng.random()
		if roll < 0.2:
			opportunity.status = "Won"
		elif roll < 0.35:
			opportunity.status, opportunity.lost_reason = "Lost", rng.choice(reasons)
		opportunity.save()
	return len(candidates)


def create_issues(target: int) -> int:
	existing = frappe.db.count("CX Issue")
	customers = frappe.get_all("CX Customer", fields=["name", "primary_contact"], limit=500)
	if existing >= target or not customers:
		return 0
	subjects = (
		"Cannot log in",
		"Invoice amount looks wrong",
		"How do I export my data?",
		"Delivery delayed",
		"Feature request: dark mode",
	)
	for index in range(existing, target):
		rng = random.Random(index)
		customer = rng.choice(customers)
		issue = frappe.get_doc(
			{
				"doctype": "CX Issue",
				"subject": rng.choice(subjects),
				"customer": customer.name,
				"contact": customer.primary_contact,
				"priority": rng.choice(["Low", "Medium", "High", "Urgent"]),
				"channel": rng.choice(["Email", "Phone", "Web", "Chat"]),
				"issue_type": rng.choice(["Question", "Problem", "Billing"]),
			}
		).insert()
		if rng.random() < 0.5:
			issue.status = rng.choice(["Replied", "Resolved", "Closed"])
			issue.save()
	return target - existing
