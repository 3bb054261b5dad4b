"""The smaller holes: each one a behaviour a user or an attacker could run into."""

from contextlib import contextmanager
from unittest.mock import patch

import frappe
from frappe.utils import add_days, now_datetime, nowdate

from .factories import CXTestCase, make_call_log, make_campaign, make_lead, make_opportunity, make_user
from .test_rescoring_races import other_connection
from .test_sales_automation import set_criteria

GERMAN = {
	"no contact for {0} days": "kein Kontakt seit {0} Tagen",
	"Follow-up overdue since {1}: {0}": "Nachfassen überfällig seit {1}: {0}",
}


@contextmanager
def german_translations():
	"""Frappe's translation lookup with a few German strings the app will ship (issue 12)."""
	from frappe import translate

	original = translate.get_all_translations

	def lookup(lang):
		return GERMAN if lang == "de" else original(lang)

	with patch.object(translate, "get_all_translations", side_effect=lookup):
		yield


class TestLanguages(CXTestCase):
	def test_score_breakdown_is_in_the_readers_language(self):
		from crm_app import scoring

		set_criteria({"criterion_type": "No Contact", "within_days": 30, "points": -10})
		lead = make_lead(first_name="Quiet")
		frappe.db.set_value("CX Lead", lead.name, "creation", add_days(now_datetime(), -45))
		lead = frappe.get_doc("CX Lead", lead.name)
		with german_translations():
			frappe.local.lang = "en"
			self.assertEqual(scoring.breakdown(lead)[0]["label"], "no contact for 30 days")
			frappe.local.lang = "de"
			try:
				self.assertEqual(scoring.breakdown(lead)[0]["label"], "kein Kontakt seit 30 Tagen")
			finally:
				frappe.local.lang = "en"

	def test_reminders_are_in_the_recipients_language(self):
		from crm_app.reminders import send_reminders

		frappe.db.delete("CX Reminder Log")
		user = make_user("german.rep@example.com", "Sales User")
		frappe.db.set_value("User", user, "language", "de")
		lead = make_lead(first_name="Late", lead_owner=user)
		frappe.db.set_value(
			"CX Lead",
			lead.name,
			{"next_follow_up": add_days(nowdate(), -2), "last_contacted_on": now_datetime()},
		)
		with german_translations():
			send_reminders(commit=False)
		subjects = frappe.get_all("Notification Log", {"for_user": user}, pluck="subject")
		self.assertTrue(subjects)
		self.assertTrue(all(s.startswith("Nachfassen") for s in subjects), subjects)


class TestActivityHooks(CXTestCase):
	def test_an_email_refreshes_its_record_once(self):
		lead = make_lead(first_name="Mail")
		with patch("crm_app.activities.refresh_rollups") as refresh:
			frappe.get_doc(
				{
					"doctype": "Communication",
					"communication_type": "Communication",
					"communication_medium": "Email",
					"sent_or_received": "Sent",
					"subject": "Hello",
					"reference_doctype": "CX Lead",
					"reference_name": lead.name,
				}
			).insert(ignore_permissions=True)
		self.assertEqual(refresh.call_count, 1)

	def test_scheduling_a_meeting_needs_write_access(self):
		from crm_app.activities import schedule_meeting

		lead = make_lead(first_name="Support", last_name="Reader")
		reader = make_user("reader.support@example.com", "Support Team")
		frappe.set_user(reader)
		self.assertTrue(frappe.has_permission("CX Lead", "read", lead.name))
		with self.assertRaises(frappe.PermissionError):
			schedule_meeting("CX Lead", lead.name, "Demo", str(add_days(now_datetime(), 1)))


class TestRepPerformanceEmails(CXTestCase):
	def test_emails_count_for_the_user_who_sent_them_whatever_the_address(self):
		from frappe.desk.query_report import run

		rep = make_user("alias.rep@example.com", "Sales User")
		lead = make_lead(first_name="Mailed", lead_owner=rep)
		email = frappe.get_doc(
			{
				"doctype": "Communication",
				"communication_type": "Communication",
				"communication_medium": "Email",
				"sent_or_received": "Sent",
				"sender": "sales-team@company.test",  # a shared mailbox, not the rep's own address
				"subject": "Offer",
				"reference_doctype": "CX Lead",
				"reference_name": lead.name,
			}
		)
		frappe.set_user(rep)
		email.insert(ignore_permissions=True)
		frappe.set_user("Administrator")
		result = run(
			"CX Rep Performance",
			filters={"from_date": add_days(nowdate(), -1), "to_date": nowdate()},
			ignore_prepared_report=True,
		)
		emails = {row["owner"]: row["emails"] for row in result["result"] if row.get("owner")}
		self.assertEqual(emails.get(rep), 1)
		self.assertNotIn("sales-team@company.test", emails)


class TestReminderJob(CXTestCase):
	def setUp(self):
		super().setUp()
		frappe.db.delete("CX Reminder Log")

	def test_long_user_names_fit_the_reminder_key(self):
		from crm_app.reminders import send_reminders

		user = make_user(("a" * 90) + ".rep@a-very-long-company-domain.example.com", "Sales User")
		lead = make_lead(first_name="Long", lead_owner=user)
		frappe.db.set_value("CX Lead", lead.name, "next_follow_up", nowdate())
		self.assertEqual(send_reminders(commit=False), 1)
		self.assertEqual(send_reminders(commit=False), 0)

	def test_follow_up_reminders_are_capped_per_user(self):
		from crm_app.reminders import send_reminders

		frappe.db.set_single_value("CX Settings", {"max_stale_reminders": 3, "max_follow_up_reminders": 3})
		user = make_user("busy.rep@example.com", "Sales User")
		for i in range(5):
			lead = make_lead(first_name=f"Due{i}", lead_owner=user)
			frappe.db.set_value(
				"CX Lead", lead.name, {"next_follow_up": nowdate(), "last_contacted_on": now_datetime()}
			)
		send_reminders(commit=False)
		self.assertEqual(frappe.db.count("Notification Log", {"for_user": user}), 3)

	def test_reminders_run_in_the_long_queue(self):
		events = frappe.get_hooks("scheduler_events")
		self.assertIn("crm_app.reminders.send_reminders", events.get("daily_long", []))
		self.assertNotIn("crm_app.reminders.send_reminders", events.get("daily", []))


class TestOpportunityInput(CXTestCase):
	def test_probability_stays_between_0_and_100(self):
		from crm_app.exceptions import ProbabilityRangeError

		for probability in (-50, 500):
			with self.assertRaises(ProbabilityRangeError):
				make_opportunity(probability=probability)


class TestConversionOrder(CXTestCase):
	def test_a_refused_conversion_holds_no_lock(self):
		from crm_app.cx_sales.doctype.cx_lead.conversion import convert_lead

		lead = make_lead(first_name="Locked", lead_owner="Administrator")
		frappe.db.commit()
		outsider = make_user("outsider.support@example.com", "Support Team")
		frappe.db.commit()
		try:
			frappe.set_user(outsider)
			with self.assertRaises(frappe.PermissionError):
				convert_lead(lead.name)
			frappe.set_user("Administrator")
			other = other_connection()
			try:
				with other.cursor() as cursor:
					cursor.execute("set session innodb_lock_wait_timeout = 1")
					cursor.execute("select name from `tabCX Lead` where name = %s for update", (lead.name,))
			finally:
				other.close()
		finally:
			frappe.set_user("Administrator")
			frappe.db.rollback()
			frappe.delete_doc("CX Lead", lead.name, force=True)
			frappe.db.commit()


class TestCampaignRollups(CXTestCase):
	def test_counts_and_won_amount_are_computed(self):
		from crm_app.campaigns import refresh_campaign_rollups

		name = make_campaign("Rollup Campaign")
		for i in range(3):
			make_lead(first_name=f"Camp{i}", campaign=name)
		won = make_opportunity(campaign=name, amount=700)
		won.mark_won()
		make_opportunity(campaign=name, amount=50)
		refresh_campaign_rollups([name])
		campaign = frappe.get_doc("CX Campaign", name)
		self.assertEqual((campaign.leads_count, campaign.opportunities_count), (3, 2))
		self.assertAlmostEqual(campaign.won_amount, won.base_amount)

	def test_changes_queue_a_refresh_of_their_campaign(self):
		name = make_campaign("Queued Campaign")
		with patch("frappe.enqueue") as enqueue:
			make_lead(first_name="Queued", campaign=name)
		calls = [c for c in enqueue.call_args_list if c.args and "campaign" in str(c.args[0])]
		self.assertTrue(calls)
		self.assertTrue(calls[0].kwargs.get("deduplicate"))


class TestCustomerFieldsWithoutData(CXTestCase):
	def test_erpnext_figures_are_hidden_until_they_have_a_value(self):
		meta = frappe.get_meta("CX Customer")
		for fieldname in ("lifetime_value", "loyalty_points", "satisfaction_score"):
			self.assertEqual(meta.get_field(fieldname).depends_on, f"eval:doc.{fieldname}")


class TestCallLogFollowUpToDo(CXTestCase):
	def test_a_reader_cannot_hand_out_a_follow_up_on_the_record(self):
		lead = make_lead(first_name="Called")
		reader = make_user("stranger.support@example.com", "Support Team")
		frappe.set_user(reader)
		self.assertTrue(frappe.has_permission("CX Lead", "read", lead.name))
		with self.assertRaises(frappe.PermissionError):
			make_call_log(
				reference_doctype="CX Lead",
				reference_name=lead.name,
				caller="Administrator",
				follow_up_on=add_days(nowdate(), 1),
			)
		frappe.set_user("Administrator")
		self.assertFalse(frappe.db.exists("ToDo", {"reference_name": lead.name}))
