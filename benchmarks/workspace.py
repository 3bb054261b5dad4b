"""Server time of every widget of the app's workspaces, printed (never asserted).

Run with the bench's python on a site with crm_app and data (for example 1,000,000 CX Leads loaded by
`benchmarks/leads.py`):
	CRM_APP_SITE=bench-erp.localhost ~/frappe-bench/env/bin/python benchmarks/workspace.py

For each workspace of the app it loads the page (`get_desktop_page`), then calls each number card, chart
and shortcut count through the very whitelisted method and arguments the desk sends (overrides
included), as Administrator and as a restricted sales user (demo.sales1@example.com, when the site has
one). "cold" is the first call in this process after the Redis cache is cleared (the page first, as in a
browser, so its cold figure carries Frappe's rebuilding of the caches a cache clear dropped); "warm" is
the median of the next five (`--repeat`). The goal (issue 15): the whole workspace under 500 ms at 1,000,000 leads, no
widget over 100 ms. `--frappe` times Frappe's own methods instead, without the app's overrides.
"""

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable

import frappe
from frappe.utils import today
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

# (user, restricted): a manager sees every record; the sales user is measured with Restrict Sales Users
# on (turned on for the run and restored), so Frappe's own, permission-filtered path answers.
USERS = (("Administrator", False), ("demo.sales1@example.com", True))


def millis(fn: Callable) -> float:
	start = time.perf_counter()
	fn()
	return (time.perf_counter() - start) * 1000


FRAPPE_ONLY = False  # --frappe: Frappe's own methods, without the app's overrides
REPEAT = 5  # --repeat: warm calls per widget


def call(method: str, **kwargs):
	"""What a desk request runs: the override of `method`, if an app declares one, with the form dict."""
	if FRAPPE_ONLY:
		return frappe.get_attr(method)(**kwargs)
	frappe.local.form_dict = frappe._dict(kwargs)
	frappe.local.request = Request(EnvironBuilder(method="POST").get_environ())
	return frappe.handler.execute_cmd(method)


def dynamic_filters(doc) -> list:
	"""The desk evaluates the card's dynamic filters in the browser; the only one the app uses is today."""
	filters = json.loads(doc.filters_json or "[]")
	for row in json.loads(doc.dynamic_filters_json or "[]"):
		row[3] = today() if "get_today" in str(row[3]) else row[3]
		filters.append(row)
	return filters


def widgets(workspace: str) -> list[tuple[str, Callable]]:
	page = frappe.get_doc("Workspace", workspace)
	found = [("page", lambda: call("frappe.desk.desktop.get_desktop_page", page=json.dumps(page_arg(page))))]
	for link in page.number_cards:
		card = frappe.get_doc("Number Card", link.number_card_name)
		card_doc = {
			"document_type": card.document_type,
			"label": card.label,
			"function": card.function,
			"aggregate_function_based_on": card.aggregate_function_based_on,
			"filters_json": card.filters_json,
		}
		found.append(
			(
				f"card  {card.label}",
				lambda card=card, card_doc=card_doc: call(
					"frappe.desk.doctype.number_card.number_card.get_result",
					doc=json.dumps(card_doc),
					filters=json.dumps(dynamic_filters(card)),
				),
			)
		)
	for link in page.charts:
		chart = frappe.get_doc("Dashboard Chart", link.chart_name)
		found.append(
			(
				f"chart {chart.name}",
				lambda chart=chart: call(
					"frappe.desk.doctype.dashboard_chart.dashboard_chart.get",
					chart_name=chart.name,
					filters=chart.filters_json,
					refresh=1,
				),
			)
		)
	for shortcut in page.shortcuts:
		if shortcut.stats_filter and shortcut.type == "DocType":
			found.append(
				(
					f"count {shortcut.label}",
					lambda shortcut=shortcut: call(
						"frappe.client.get_count", doctype=shortcut.link_to, filters=shortcut.stats_filter
					),
				)
			)
	return found


def page_arg(page) -> dict:
	return {"name": page.name, "title": page.title, "public": page.public}


def warm_imports() -> None:
	"""A web worker imports the modules behind each method once in its life; do it before timing, so
	that the first widget does not carry Python imports that no later request pays."""
	import frappe.desk.desktop
	import frappe.desk.doctype.dashboard_chart.dashboard_chart
	import frappe.desk.doctype.number_card.number_card  # noqa: F401

	import crm_app.cx_insights.figures  # noqa: F401


def measure(workspace: str, user: str, restricted: bool) -> None:
	frappe.db.set_single_value("CX Settings", "restrict_sales_users", int(restricted))
	frappe.db.commit()
	frappe.set_user(user)
	frappe.clear_cache()
	rows, total_cold, total_warm = [], 0.0, 0.0
	for label, fn in widgets(workspace):
		cold = millis(fn)
		warm = statistics.median(millis(fn) for _ in range(REPEAT))
		frappe.db.rollback()  # Frappe's chart `get` writes last_synced_on; keep the site as it was
		rows.append((label, cold, warm))
		total_cold, total_warm = total_cold + cold, total_warm + warm
	print(f"\n{workspace} as {user}{' (restricted sales user)' if restricted else ''}")
	print(f"  {'widget':<58} {'cold ms':>9} {'warm ms':>9}")
	for label, cold, warm in rows:
		print(f"  {label:<58} {cold:>9.1f} {warm:>9.1f}")
	print(f"  {'total':<58} {total_cold:>9.1f} {total_warm:>9.1f}")
	widgets_only = [row for row in rows if row[0] != "page"]
	slowest = max(widgets_only, key=lambda row: row[1])
	print(
		f"  widgets without the page: {sum(row[1] for row in widgets_only):.1f} ms cold, "
		f"{sum(row[2] for row in widgets_only):.1f} ms warm; slowest cold: {slowest[0]} ({slowest[1]:.1f} ms)"
	)


def main() -> None:
	parser = argparse.ArgumentParser()
	parser.add_argument("--site", default=os.environ.get("CRM_APP_SITE"))
	parser.add_argument("--frappe", action="store_true", help="time Frappe's own methods instead")
	parser.add_argument("--repeat", type=int, default=5, help="warm calls per widget (median)")
	args = parser.parse_args()
	global FRAPPE_ONLY, REPEAT
	FRAPPE_ONLY, REPEAT = args.frappe, max(args.repeat, 1)
	os.chdir(os.path.join(os.environ.get("CRM_APP_BENCH", os.path.expanduser("~/frappe-bench")), "sites"))
	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	try:
		print(
			f"site {args.site}: {frappe.db.count('CX Lead'):,} leads, {frappe.db.count('CX Opportunity'):,} opportunities"
		)
		warm_imports()
		workspaces = frappe.get_all("Workspace", filters={"module": ["like", "CX %"]}, pluck="name")
		print("== " + ("Frappe's own methods" if FRAPPE_ONLY else "with crm_app's overrides"))
		was_restricted = frappe.db.get_single_value("CX Settings", "restrict_sales_users")
		try:
			for workspace in workspaces:
				for user, restricted in USERS:
					if frappe.db.exists("User", user):
						measure(workspace, user, restricted)
		finally:
			frappe.set_user("Administrator")
			frappe.db.set_single_value("CX Settings", "restrict_sales_users", was_restricted)
			frappe.db.commit()
	finally:
		frappe.destroy()


if __name__ == "__main__":
	main()
