"""Every script report of the app applies User Permissions the way `frappe.get_list` does.

A sales user limited by a User Permission to one territory must see in each report exactly what an
Administrator sees on the same site with the other territories' records removed: no hidden row, and no
hidden amount inside a total. The reports are found by walking the app's modules, so a new report is
covered without anyone remembering.
"""

import frappe
from frappe.desk.query_report import run

from crm_app.install import app_modules

from .factories import make_user
from .test_reports import NORTH, Q1, SOUTH, ReportData

LIMITED = "nora.north@example.com"
SHOWN = ("result", "chart", "report_summary", "message")


def script_reports() -> list[str]:
	return frappe.get_all(
		"Report",
		filters={"module": ("in", app_modules()), "report_type": "Script Report"},
		pluck="name",
		order_by="name",
	)


def shown(name: str, filters: dict) -> dict:
	result = run(name, filters=filters, ignore_prepared_report=True)
	return {key: result.get(key) for key in SHOWN}


class TestReportsApplyUserPermissions(ReportData):
	def setUp(self):
		super().setUp()
		make_user(LIMITED, "Sales User")
		frappe.get_doc(
			{"doctype": "User Permission", "user": LIMITED, "allow": "CX Territory", "for_value": NORTH}
		).insert()

	def remove_south(self):
		"""Delete every record of the South territory, with the activities logged on them."""
		for doctype in ("CX Lead", "CX Opportunity"):
			south = frappe.get_all(doctype, filters={"territory": SOUTH}, pluck="name")
			frappe.db.delete("CX Call Log", {"reference_doctype": doctype, "reference_name": ("in", south)})
			frappe.db.delete(doctype, {"name": ("in", south)})
		frappe.db.delete("CX Sales Target", {"territory": SOUTH})

	def test_a_territory_limited_user_sees_only_their_territory_in_every_report(self):
		reports = script_reports()
		self.assertGreaterEqual(len(reports), 5)
		frappe.set_user(LIMITED)
		limited = {name: shown(name, Q1) for name in reports}
		frappe.set_user("Administrator")
		self.remove_south()
		for name in reports:
			with self.subTest(report=name):
				self.assertEqual(limited[name], shown(name, Q1))

	def test_the_limited_user_sees_other_territories_in_no_report_row(self):
		frappe.set_user(LIMITED)
		hidden = set(frappe.get_all("CX Lead", {"territory": SOUTH}, pluck="name", ignore_permissions=True))
		hidden |= set(
			frappe.get_all("CX Opportunity", {"territory": SOUTH}, pluck="name", ignore_permissions=True)
		)
		rows = run("CX Stale Pipeline", filters=Q1, ignore_prepared_report=True)["result"]
		self.assertTrue(rows)
		self.assertFalse({row.get("record") for row in rows} & hidden)
