"""SLA policies on a real site: the clock through a weekend, a holiday, a pause and a policy time zone
other than the system's; escalation once; policies refused when their calendar makes no sense."""

from datetime import datetime
from zoneinfo import ZoneInfo

import frappe
from frappe.utils import get_system_timezone

from crm_app.core.service import sla as clock
from crm_app.cx_support import sla
from crm_app.exceptions import InvalidSLAPolicyError

from .factories import CXTestCase, make_user

WORKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
HOUR = 3600


def kyiv(*args) -> datetime:
	"""A Kyiv wall-clock instant as the site stores datetimes (naive, in the system time zone)."""
	return clock.to_naive(datetime(*args, tzinfo=ZoneInfo("Europe/Kyiv")), get_system_timezone())


def make_policy(**values):
	doc = {
		"doctype": "CX SLA Policy",
		"policy_name": f"test_sla_{frappe.generate_hash(length=6)}",
		"time_zone": "Europe/Kyiv",
		"default_policy": 1,
		"targets": [{"priority": "Medium", "first_response_time": 2 * HOUR, "resolution_time": 8 * HOUR}],
		"working_hours": [
			{"weekday": day, "start_time": "09:00:00", "end_time": "17:00:00"} for day in WORKDAYS
		],
	}
	doc.update(values)
	return frappe.get_doc(doc).insert()


def open_issue(opened_on: datetime, **values):
	"""An issue opened at `opened_on` (history written as the site would have written it then)."""
	issue = frappe.get_doc(
		{"doctype": "CX Issue", "subject": "Printer on fire", "priority": "Medium", **values}
	)
	issue.insert()
	frappe.db.set_value("CX Issue", issue.name, "opened_on", opened_on, update_modified=False)
	frappe.db.set_value("CX Issue Status Log", issue.status_log[0].name, "changed_on", opened_on)
	return issue.name


def change_status(name: str, status: str, at: datetime) -> None:
	frappe.db.set_value("CX Issue", name, "status", status, update_modified=False)
	doc = frappe.get_doc("CX Issue", name)
	row = doc.append("status_log", {"status": status, "changed_on": at, "changed_by": "Administrator"})
	row.db_insert()


def clock_at(name: str, now: datetime):
	sla.escalate_issue(name, now)
	return frappe.get_doc("CX Issue", name)


class TestSLAClock(CXTestCase):
	def setUp(self):
		super().setUp()
		frappe.db.delete("CX SLA Policy")

	def test_the_policy_zone_is_not_the_system_zone(self):
		# The cases below are only meaningful if the two zones differ; Kyiv is never a test site's zone.
		self.assertNotEqual(get_system_timezone(), "Europe/Kyiv")

	def test_a_weekend_passes_without_counting(self):
		make_policy()
		name = open_issue(kyiv(2026, 12, 4, 16, 0))  # Friday 16:00 in Kyiv
		issue = clock_at(name, kyiv(2026, 12, 4, 16, 30))
		self.assertEqual(issue.response_by, kyiv(2026, 12, 7, 10, 0))  # 1 h on Friday, 1 h on Monday
		self.assertEqual(issue.resolution_by, kyiv(2026, 12, 7, 16, 0))
		self.assertEqual((issue.sla_status, issue.response_status), ("On Track", "On Track"))

	def test_a_holiday_passes_without_counting(self):
		make_policy(holidays=[{"holiday_date": "2026-12-07", "description": "Test holiday"}])
		name = open_issue(kyiv(2026, 12, 4, 16, 0))
		issue = clock_at(name, kyiv(2026, 12, 4, 16, 30))
		self.assertEqual(issue.response_by, kyiv(2026, 12, 8, 10, 0))  # Monday is a holiday

	def test_split_shifts_and_a_pause(self):
		make_policy(
			working_hours=[
				row
				for day in WORKDAYS
				for row in (
					{"weekday": day, "start_time": "09:00:00", "end_time": "13:00:00"},
					{"weekday": day, "start_time": "14:00:00", "end_time": "18:00:00"},
				)
			]
		)
		name = open_issue(kyiv(2026, 12, 7, 9, 0))  # Monday 09:00
		change_status(name, "On Hold", kyiv(2026, 12, 7, 10, 0))
		issue = clock_at(name, kyiv(2026, 12, 7, 11, 0))
		self.assertEqual(issue.sla_status, "Paused")
		self.assertIsNone(issue.resolution_by)  # not fixed while the clock stands
		change_status(name, "Open", kyiv(2026, 12, 7, 12, 0))
		issue = clock_at(name, kyiv(2026, 12, 7, 12, 30))
		# 1 h before the pause; after it 12-13 and 14-18 (5 h), then Tuesday 09:00-11:00 (2 h)
		self.assertEqual(issue.resolution_by, kyiv(2026, 12, 8, 11, 0))
		self.assertEqual(issue.response_by, kyiv(2026, 12, 7, 13, 0))  # 09-10 and 12-13

	def test_resolution_fulfils_the_clock(self):
		make_policy()
		name = open_issue(kyiv(2026, 12, 7, 9, 0))
		frappe.db.set_value("CX Issue", name, "first_responded_on", kyiv(2026, 12, 7, 9, 30))
		change_status(name, "Resolved", kyiv(2026, 12, 7, 15, 0))
		issue = clock_at(name, kyiv(2026, 12, 9, 9, 0))
		self.assertEqual(
			(issue.response_status, issue.resolution_status, issue.sla_status), ("Met", "Met", "Met")
		)
		self.assertIsNone(issue.sla_next_check_on)

	def test_the_most_specific_policy_wins(self):
		make_policy(policy_name="test_sla_default")
		specific = make_policy(
			policy_name="test_sla_urgent",
			default_policy=0,
			targets=[{"priority": "Urgent", "first_response_time": HOUR, "resolution_time": 4 * HOUR}],
		)
		issue = frappe.get_doc({"doctype": "CX Issue", "subject": "Down", "priority": "Urgent"}).insert()
		self.assertEqual(issue.sla_policy, specific.name)
		issue = frappe.get_doc({"doctype": "CX Issue", "subject": "Slow", "priority": "Medium"}).insert()
		self.assertEqual(issue.sla_policy, "test_sla_default")


class TestEscalation(CXTestCase):
	def setUp(self):
		super().setUp()
		frappe.db.delete("CX SLA Policy")
		issue = frappe.qb.DocType("CX Issue")
		frappe.qb.update(issue).set(issue.sla_next_check_on, None).run()  # other tests' issues: not due
		self.agent = make_user("test_sla_agent@example.com", "Support Team")
		self.lead_agent = make_user("test_sla_lead@example.com", "Support Team")

	def notifications(self, user: str, name: str) -> list[str]:
		return frappe.get_all(
			"Notification Log",
			filters={"for_user": user, "document_type": "CX Issue", "document_name": name, "type": "Alert"},
			pluck="subject",
		)

	def test_alerts_fire_once_and_a_breach_reassigns(self):
		make_policy(escalate_to=self.lead_agent)
		name = open_issue(kyiv(2026, 12, 7, 9, 0), agent=self.agent)
		self.assertEqual(sla.escalate_issue(name, kyiv(2026, 12, 7, 10, 0)), [])
		self.assertEqual(sla.escalate_issue(name, kyiv(2026, 12, 7, 10, 40)), ["response_at_risk"])
		self.assertEqual(sla.escalate_issue(name, kyiv(2026, 12, 7, 10, 50)), [])  # once
		self.assertEqual(len(self.notifications(self.agent, name)), 1)
		self.assertEqual(sla.escalate_issue(name, kyiv(2026, 12, 7, 11, 1)), ["response_breached"])
		self.assertEqual(sla.escalate_issue(name, kyiv(2026, 12, 7, 11, 2)), [])
		issue = frappe.get_doc("CX Issue", name)
		self.assertEqual((issue.sla_status, issue.agent), ("Breached", self.lead_agent))
		self.assertEqual(sla.assigned_users(name), [self.lead_agent])
		self.assertEqual(len(self.notifications(self.lead_agent, name)), 1)

	def test_an_issue_saved_while_the_job_ran_keeps_what_its_save_computed(self):
		make_policy()
		name = open_issue(kyiv(2026, 12, 7, 9, 0))
		sla.escalate_issue(name, kyiv(2026, 12, 7, 9, 0))
		issue = frappe.qb.DocType("CX Issue")
		rows = (
			frappe.qb.from_(issue)
			.select(*(issue[column] for column in sla.ESCALATION_COLUMNS))
			.where(issue.name == name)
			.run(as_dict=True)
		)
		frappe.db.set_value("CX Issue", name, "sla_status", "Met")  # a save after the job's read
		sla.escalate_batch(rows, kyiv(2026, 12, 7, 11, 30))
		self.assertEqual(frappe.db.get_value("CX Issue", name, "sla_status"), "Met")
		rows[0].modified = frappe.db.get_value("CX Issue", name, "modified")
		sla.escalate_batch(rows, kyiv(2026, 12, 7, 11, 30))
		self.assertEqual(frappe.db.get_value("CX Issue", name, "sla_status"), "Breached")

	def test_the_job_reads_only_issues_due(self):
		make_policy()
		due = open_issue(kyiv(2026, 12, 7, 9, 0))
		later = open_issue(kyiv(2026, 12, 14, 9, 0))
		for name in (due, later):
			sla.escalate_issue(name, kyiv(2026, 12, 7, 9, 0))
		self.assertEqual(sla.escalate_due_issues(kyiv(2026, 12, 7, 12, 0)), 1)
		self.assertEqual(frappe.db.get_value("CX Issue", due, "sla_status"), "Breached")
		self.assertEqual(frappe.db.get_value("CX Issue", later, "sla_status"), "On Track")
		self.assertEqual(sla.escalate_due_issues(kyiv(2026, 12, 7, 12, 5)), 0)  # nothing new is due

	def test_an_issue_answered_late_is_never_due_again(self):
		"""A target fulfilled after its due instant, before a run saw the breach, stays Breached and
		leaves the job's queue (it used to stay due and, 500 of them, stalled every run)."""
		make_policy()
		name = open_issue(kyiv(2026, 12, 7, 9, 0))
		frappe.db.set_value("CX Issue", name, "first_responded_on", kyiv(2026, 12, 7, 12, 0))
		self.assertEqual(sla.escalate_issue(name, kyiv(2026, 12, 7, 12, 5)), [])
		issue = frappe.get_doc("CX Issue", name)
		self.assertEqual(issue.response_status, "Breached")
		self.assertEqual(issue.sla_next_check_on, issue.resolution_at_risk_on)  # only resolution left

	def test_an_edited_policy_moves_the_deadlines_of_its_open_issues(self):
		policy = make_policy()
		name = open_issue(kyiv(2026, 12, 7, 9, 0))
		sla.escalate_issue(name, kyiv(2026, 12, 7, 9, 30))
		self.assertEqual(frappe.db.get_value("CX Issue", name, "response_by"), kyiv(2026, 12, 7, 11, 0))
		policy.reload()
		for row in policy.working_hours:
			row.start_time = "10:00:00"
		policy.save()
		self.assertEqual(sla.recompute_open_issues(policy.name), 1)
		self.assertEqual(frappe.db.get_value("CX Issue", name, "response_by"), kyiv(2026, 12, 7, 12, 0))


class TestBadPolicies(CXTestCase):
	def test_overlapping_hours_are_refused(self):
		hours = [
			{"weekday": "Monday", "start_time": "09:00:00", "end_time": "13:00:00"},
			{"weekday": "Monday", "start_time": "12:00:00", "end_time": "18:00:00"},
		]
		with self.assertRaises(InvalidSLAPolicyError):
			make_policy(working_hours=hours)

	def test_hours_ending_before_they_start_are_refused(self):
		with self.assertRaises(InvalidSLAPolicyError):
			make_policy(
				working_hours=[{"weekday": "Monday", "start_time": "17:00:00", "end_time": "09:00:00"}]
			)

	def test_holidays_leaving_no_working_day_are_refused(self):
		today = frappe.utils.getdate()
		mondays = [
			frappe.utils.add_days(today, offset)
			for offset in range(0, 370)
			if frappe.utils.add_days(today, offset).weekday() == 0
		]
		with self.assertRaises(InvalidSLAPolicyError):
			make_policy(
				working_hours=[{"weekday": "Monday", "start_time": "09:00:00", "end_time": "17:00:00"}],
				holidays=[{"holiday_date": day} for day in mondays],
			)

	def test_a_resolution_shorter_than_the_response_is_refused(self):
		with self.assertRaises(InvalidSLAPolicyError):
			make_policy(
				targets=[{"priority": "Low", "first_response_time": 4 * HOUR, "resolution_time": HOUR}]
			)

	def test_an_unknown_time_zone_is_refused(self):
		with self.assertRaises(InvalidSLAPolicyError):
			make_policy(time_zone="Mars/Olympus_Mons")
