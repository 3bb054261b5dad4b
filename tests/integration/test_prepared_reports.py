"""The app's heavy reports are Frappe Prepared Reports (README, "Reports"): the desk gets a placeholder
and a background job computes the result as the user who asked for it, under that user's permissions; a
stored result is its owner's alone."""

from unittest.mock import patch

import frappe
from frappe.core.doctype.prepared_report.prepared_report import generate_report, make_prepared_report
from frappe.desk.query_report import run
from frappe.utils import add_days, today

from crm_app import prepared_reports

from .factories import CXTestCase, make_lead, make_user
from .test_report_permissions import script_reports

ANNA, BEN = "anna.prepared@example.com", "ben.prepared@example.com"
REPORT = "CX Rep Performance"
FILTERS = {"from_date": add_days(today(), -7), "to_date": today()}


class TestPreparedReports(CXTestCase):
	def setUp(self):
		super().setUp()
		for user in (ANNA, BEN):
			make_user(user, "Sales User")
			make_lead(first_name="Prepared", last_name=user.split(".")[0], lead_owner=user)
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)

	def prepare(self, user: str) -> str:
		"""What the desk's Generate New Report does, then what the long-queue job runs: Frappe enqueues it
		with the session user, the report's owner, so here it runs as that user too (without the job's
		status commit, so that the test rolls back)."""
		frappe.set_user(user)
		name = make_prepared_report(REPORT, filters=FILTERS)["name"]
		with patch("frappe.core.doctype.prepared_report.prepared_report.update_job_id"):
			generate_report(name)
		self.assertEqual(frappe.db.get_value("Prepared Report", name, "status"), "Completed")
		return name

	def test_every_app_report_is_prepared(self):
		for name in script_reports():
			with self.subTest(report=name):
				result = run(name, filters=FILTERS)
				self.assertTrue(result["prepared_report"])
				self.assertIsNone(result.get("result"))  # a placeholder, not the rows

	def test_a_restricted_users_result_holds_only_their_records(self):
		name = self.prepare(ANNA)
		result = run(REPORT, filters=FILTERS)
		self.assertEqual(result["doc"].name, name)
		self.assertEqual({row["owner"] for row in result["result"]}, {ANNA})
		named = prepared_reports.run(REPORT, filters={**FILTERS, "prepared_report_name": name})
		self.assertEqual({row["owner"] for row in named["result"]}, {ANNA})

	def test_another_user_cannot_read_the_result(self):
		name = self.prepare(ANNA)
		frappe.set_user(BEN)
		self.assertIsNone(run(REPORT, filters=FILTERS)["doc"])  # Ben has no result of his own
		with self.assertRaises(frappe.PermissionError):
			prepared_reports.run(REPORT, filters={**FILTERS, "prepared_report_name": name})
		with self.assertRaises(frappe.PermissionError):
			prepared_reports.run(REPORT, filters=FILTERS, user=ANNA)
		frappe.set_user("Administrator")
		frappe.get_doc("User", BEN).add_roles("Prepared Report User")  # Frappe's role reads every result
		frappe.set_user(BEN)
		self.assertFalse(frappe.has_permission("Prepared Report", "read", doc=name, user=BEN))
		self.assertNotIn(name, frappe.get_list("Prepared Report", pluck="name"))
		frappe.set_user(ANNA)
		self.assertTrue(prepared_reports.has_permission(frappe.get_doc("Prepared Report", name), "read"))


class TestPreparedReportLanguage(CXTestCase):
	def test_an_app_report_is_computed_in_the_language_of_the_user_who_asked(self):
		from crm_app.languages import PREPARED_REPORT_JOB, before_job

		make_user(ANNA, "Sales User")
		frappe.db.set_value("User", ANNA, "language", "uk")
		frappe.set_user(ANNA)
		name = make_prepared_report(REPORT, filters=FILTERS)["name"]
		frappe.local.lang = "en"  # as Frappe starts every job
		before_job(method=PREPARED_REPORT_JOB, kwargs={"prepared_report": name})
		self.assertEqual(frappe.local.lang, "uk")

		frappe.local.lang = "en"  # another app's report, or another job: left to Frappe
		frappe.db.set_value("Prepared Report", name, "report_name", "Todo", update_modified=False)
		before_job(method=PREPARED_REPORT_JOB, kwargs={"prepared_report": name})
		before_job(method="frappe.utils.data.now", kwargs={})
		self.assertEqual(frappe.local.lang, "en")
