"""Scoring, assignment, the duplicate-owner warning, activity rollups, reminders, stage history, targets."""

from unittest.mock import patch

import frappe
from frappe.utils import add_days, add_months, add_to_date, get_first_day, getdate, now_datetime, nowdate

from crm_app.activities import schedule_meeting
from crm_app.exceptions import (
	ClosedPeriodError,
	DuplicateTargetError,
	InvalidDateRangeError,
	InvalidPeriodError,
	ScoringCriterionError,
	TargetOwnerMissingError,
)
from crm_app.ownership import other_owners
from crm_app.reminders import send_reminders
from crm_app.scoring import prepare_score_table, rescore_all_leads

from .factories import CXTestCase, count, make_lead, make_opportunity, make_user

SETTINGS = "CX Scoring Settings"


def set_criteria(*rows, hot=50, warm=20):
	settings = frappe.get_single(SETTINGS)
	settings.hot_threshold, settings.warm_threshold = hot, warm
	settings.set("criteria", [])
	for row in rows:
		settings.append("criteria", row)
	with patch("crm_app.scoring.enqueue_rescore") as enqueue:
		settings.save()
	return enqueue


def log_call(lead, **values):
	return frappe.get_doc(
		{"doctype": "CX Call Log", "reference_doctype": "CX Lead", "reference_name": lead, **values}
	).insert()


class TestScoring(CXTestCase):
	def setUp(self):
		super().setUp()
		set_criteria(
			{
				"criterion_type": "Field",
				"fieldname": "industry",
				"operator": "equals",
				"value": "Manufacturing",
				"points": 20,
			},
			{"criterion_type": "Field", "fieldname": "email", "operator": "is set", "points": 10},
			{
				"criterion_type": "Activity",
				"activity": "Call",
				"within_days": 30,
				"min_count": 1,
				"points": 25,
			},
			{"criterion_type": "No Contact", "within_days": 30, "points": -10},
		)

	def test_score_and_band_on_save(self):
		lead = make_lead(industry="Manufacturing", email="ada@example.com")
		self.assertEqual((lead.lead_score, lead.score_band), (30, "Warm"))
		lead.email = None
		lead.save()
		self.assertEqual((lead.lead_score, lead.score_band), (20, "Warm"))

	def test_breakdown_explains_the_score(self):
		lead = make_lead(industry="Manufacturing")
		frappe.db.set_value("CX Lead", lead.name, "creation", add_days(now_datetime(), -45))
		lead = frappe.get_doc("CX Lead", lead.name)
		lead.run_method("onload")
		self.assertEqual(
			lead.get_onload()["score_breakdown"],
			[
				{"points": 20, "label": "Industry is Manufacturing"},
				{"points": -10, "label": "no contact for 30 days"},
			],
		)

	def test_a_logged_call_rescores_the_lead(self):
		lead = make_lead(industry="Manufacturing")
		log_call(lead.name)
		self.assertEqual(frappe.db.get_value("CX Lead", lead.name, "lead_score"), 45)

	def test_unchanged_rules_do_not_enqueue(self):
		settings = frappe.get_single(SETTINGS)
		with patch("crm_app.scoring.enqueue_rescore") as enqueue:
			settings.save()
		enqueue.assert_not_called()

	def test_bad_criteria_are_refused_and_nothing_saved(self):
		before = frappe.get_single(SETTINGS).criteria
		bad_rows = [
			{
				"criterion_type": "Field",
				"fieldname": "shoe_size",
				"operator": "equals",
				"value": "9",
				"points": 5,
			},
			{
				"criterion_type": "Field",
				"fieldname": "lead_score",
				"operator": "equals",
				"value": "9",
				"points": 5,
			},
			{
				"criterion_type": "Field",
				"fieldname": "lead_name",
				"operator": "greater than",
				"value": "3",
				"points": 5,
			},
			{
				"criterion_type": "Field",
				"fieldname": "converted_on",
				"operator": "equals",
				"value": "x",
				"points": 5,
			},
		]
		numeric = {
			"criterion_type": "Field",
			"fieldname": "email_opt_out",
			"operator": "greater than",
			"value": "many",
			"points": 5,
		}
		for row in [*bad_rows[:3], numeric]:
			with self.assertRaises(ScoringCriterionError):
				set_criteria(row)
		self.assertEqual(len(frappe.get_single(SETTINGS).criteria), len(before))


class TestBulkRescore(CXTestCase):
	def setUp(self):
		prepare_score_table()  # DDL must come before this test's first write
		super().setUp()

	def test_rule_change_enqueues_and_bulk_rescore_updates_every_lead(self):
		leads = [
			make_lead(first_name=f"L{i}", industry="Retail" if i % 2 else "Manufacturing") for i in range(6)
		]
		enqueue = set_criteria(
			{
				"criterion_type": "Field",
				"fieldname": "industry",
				"operator": "in",
				"value": "Retail",
				"points": 60,
			}
		)
		enqueue.assert_called_once()
		rescore_all_leads(batch_size=2, commit=False)
		stored = {
			row.name: (row.lead_score, row.score_band)
			for row in frappe.get_all(
				"CX Lead",
				filters={"name": ("in", [lead.name for lead in leads])},
				fields=["name", "lead_score", "score_band"],
			)
		}
		for i, lead in enumerate(leads):
			self.assertEqual(stored[lead.name], (60, "Hot") if i % 2 else (0, "Cold"))


class TestAssignmentAndOwnership(CXTestCase):
	def tearDown(self):
		super().tearDown()
		# Rules and their doctype map are cached; the rollback does not reach the cache.
		for name in frappe.get_all("Assignment Rule", filters={"document_type": "CX Lead"}, pluck="name"):
			frappe.get_doc("Assignment Rule", name).clear_cache()

	def test_round_robin_rule_assigns_new_leads(self):
		users = [make_user(f"rr{i}@example.com", "Sales User") for i in range(2)]
		rule = frappe.get_doc("Assignment Rule", "CX New Leads - Round Robin")
		rule.set("users", [{"user": u} for u in users])
		rule.disabled = 0
		rule.save()
		first, second = make_lead(first_name="One"), make_lead(first_name="Two")
		assigned = {
			lead.name: frappe.get_all(
				"ToDo",
				filters={"reference_type": "CX Lead", "reference_name": lead.name},
				pluck="allocated_to",
			)
			for lead in (first, second)
		}
		self.assertEqual(sorted(user for users in assigned.values() for user in users), sorted(users))

	def test_hot_lead_rule_condition_uses_the_score(self):
		user = make_user("hot@example.com", "Sales User")
		set_criteria(
			{
				"criterion_type": "Field",
				"fieldname": "source",
				"operator": "equals",
				"value": "Referral",
				"points": 80,
			}
		)
		rule = frappe.get_doc("Assignment Rule", "CX Hot Leads - Load Balancing")
		rule.set("users", [{"user": user}])
		rule.disabled = 0
		rule.save()
		hot, cold = (
			make_lead(first_name="Hot", source="Referral"),
			make_lead(first_name="Cold", source="Website"),
		)
		self.assertTrue(frappe.db.exists("ToDo", {"reference_name": hot.name, "allocated_to": user}))
		self.assertFalse(frappe.db.exists("ToDo", {"reference_name": cold.name, "allocated_to": user}))

	def test_warns_when_another_user_owns_the_email_phone_or_organisation(self):
		other = make_user("owner@example.com", "Sales User")
		theirs = make_lead(
			email="ceo@acme.test", mobile_no="+4915112345678", organization_name="Acme", lead_owner=other
		)
		frappe.clear_messages()
		mine = make_lead(first_name="Dup", email="ceo@acme.test")
		self.assertIn(theirs.name, str(frappe.message_log))
		for values in ({"mobile_no": "+49 151 12345678"}, {"organization_name": "Acme"}):
			probe = frappe.new_doc("CX Lead", first_name="Probe", **values)
			probe.validate()
			self.assertEqual(
				[
					m["name"]
					for m in other_owners(
						probe,
						**{
							"email": None,
							"phones": (probe.mobile_no,),
							"organization": probe.organization_name,
						},
					)
				],
				[theirs.name],
			)
		self.assertNotIn(mine.name, [m["name"] for m in other_owners(theirs, email="ceo@acme.test")])

	def test_no_warning_for_own_records(self):
		make_lead(email="me@acme.test")
		frappe.clear_messages()
		make_lead(first_name="Again", email="me@acme.test")
		self.assertNotIn("Already Being Worked", str(frappe.message_log))

	def test_opportunity_warns_about_another_owners_open_deal(self):
		other = make_user("rival@example.com", "Sales User")
		first = make_opportunity(opportunity_owner=other)
		frappe.clear_messages()
		make_opportunity(customer=first.customer, title="Second")
		self.assertIn(first.name, str(frappe.message_log))


class TestActivities(CXTestCase):
	def test_call_meeting_task_and_email_roll_up(self):
		lead = make_lead()
		call = log_call(
			lead.name, call_start=add_days(now_datetime(), -3), follow_up_on=add_days(nowdate(), 5)
		)
		values = frappe.db.get_value(
			"CX Lead", lead.name, ["first_contacted_on", "last_contacted_on", "next_follow_up"], as_dict=True
		)
		self.assertEqual(values.first_contacted_on, call.call_start)
		self.assertEqual(getdate(values.next_follow_up), getdate(add_days(nowdate(), 5)))
		self.assertEqual(frappe.db.get_value("ToDo", call.follow_up_todo, "allocated_to"), "Administrator")

		schedule_meeting(
			"CX Lead",
			lead.name,
			"Demo",
			str(add_to_date(now_datetime(), days=2)),
			str(add_to_date(now_datetime(), days=2, hours=1)),
		)
		self.assertEqual(
			getdate(frappe.db.get_value("CX Lead", lead.name, "next_follow_up")),
			getdate(add_days(nowdate(), 2)),
		)

		frappe.get_doc(
			{
				"doctype": "Communication",
				"communication_medium": "Email",
				"sent_or_received": "Sent",
				"subject": "Hello",
				"reference_doctype": "CX Lead",
				"reference_name": lead.name,
				"communication_date": add_days(now_datetime(), -1),
			}
		).insert(ignore_permissions=True)
		last = frappe.db.get_value("CX Lead", lead.name, "last_contacted_on")
		self.assertEqual(getdate(last), getdate(add_days(nowdate(), -1)))

		frappe.db.set_value("ToDo", call.follow_up_todo, "status", "Closed")
		frappe.get_doc("ToDo", call.follow_up_todo).save()
		self.assertEqual(
			getdate(frappe.db.get_value("CX Lead", lead.name, "next_follow_up")),
			getdate(add_days(nowdate(), 2)),
		)

	def test_meeting_appears_in_calendar_and_timeline(self):
		lead = make_lead()
		event = schedule_meeting("CX Lead", lead.name, "Kick-off", str(add_to_date(now_datetime(), hours=1)))
		self.assertTrue(
			frappe.db.exists("Communication Link", {"link_doctype": "CX Lead", "link_name": lead.name})
		)
		self.assertEqual(frappe.db.get_value("Event", event, "event_category"), "Meeting")

	def test_call_logs_show_on_the_timeline(self):
		from frappe.desk.form.load import get_additional_timeline_content

		lead = make_lead()
		log_call(lead.name, summary="Discussed pricing")
		content = get_additional_timeline_content("CX Lead", lead.name)
		self.assertEqual(len(content), 1)
		self.assertIn("Discussed pricing", content[0]["content"])

	def test_meeting_ending_before_it_starts_is_refused(self):
		lead = make_lead()
		events = count("Event")
		with self.assertRaises(InvalidDateRangeError):
			schedule_meeting(
				"CX Lead",
				lead.name,
				"Backwards",
				str(add_to_date(now_datetime(), hours=2)),
				str(add_to_date(now_datetime(), hours=1)),
			)
		self.assertEqual(count("Event"), events)


class TestReminders(CXTestCase):
	def setUp(self):
		super().setUp()
		frappe.db.set_single_value(
			"CX Settings", {"stale_lead_days": 14, "stale_opportunity_days": 14, "max_stale_reminders": 25}
		)
		frappe.db.delete("CX Reminder Log")

	def test_due_overdue_past_close_and_stale_once_each(self):
		user = make_user("rem@example.com", "Sales User")
		due = make_lead(first_name="Due", lead_owner=user)
		overdue = make_lead(first_name="Late", lead_owner=user)
		stale = make_lead(first_name="Quiet", lead_owner=user)
		frappe.db.set_value(
			"CX Lead", due.name, {"next_follow_up": nowdate(), "last_contacted_on": now_datetime()}
		)
		frappe.db.set_value(
			"CX Lead",
			overdue.name,
			{"next_follow_up": add_days(nowdate(), -2), "last_contacted_on": now_datetime()},
		)
		frappe.db.set_value("CX Lead", stale.name, "creation", add_days(now_datetime(), -20))
		opp = make_opportunity(opportunity_owner=user, expected_close_date=add_days(nowdate(), -1))
		frappe.db.set_value("CX Opportunity", opp.name, "last_contacted_on", now_datetime())

		self.assertEqual(send_reminders(commit=False), 4)
		kinds = dict(
			frappe.get_all(
				"CX Reminder Log", filters={"user": user}, fields=["reference_name", "kind"], as_list=True
			)
		)
		self.assertEqual(
			kinds,
			{
				due.name: "Follow-up Due",
				overdue.name: "Follow-up Overdue",
				stale.name: "Stale Lead",
				opp.name: "Past Close Date",
			},
		)
		self.assertEqual(count("Notification Log", {"for_user": user}), 4)

		self.assertEqual(send_reminders(commit=False), 0)
		self.assertEqual(count("Notification Log", {"for_user": user}), 4)

		frappe.db.set_value("CX Lead", due.name, "next_follow_up", add_days(nowdate(), -1))
		self.assertEqual(send_reminders(commit=False), 1)


class TestPipelineHistoryAndTargets(CXTestCase):
	def test_stage_history_and_forecast_category(self):
		opp = make_opportunity()
		self.assertEqual([r.stage for r in opp.stage_history], ["Prospecting"])
		self.assertEqual(opp.forecast_category, "Pipeline")
		frappe.db.set_value("CX Sales Stage", "Negotiation", "forecast_category", "Commit")
		opp.sales_stage = "Negotiation"
		opp.save()
		self.assertEqual(opp.forecast_category, "Commit")
		self.assertEqual(
			[(r.stage, bool(r.left_on)) for r in opp.stage_history],
			[("Prospecting", True), ("Negotiation", False)],
		)
		opp.forecast_category = "Best Case"
		opp.save()
		self.assertEqual(opp.forecast_category, "Best Case")
		opp.mark_won()
		self.assertEqual(opp.forecast_category, "Closed")
		self.assertTrue(all(r.left_on for r in opp.stage_history))
		opp.reopen()
		self.assertEqual([r.stage for r in opp.stage_history], ["Prospecting", "Negotiation", "Negotiation"])
		self.assertEqual(opp.forecast_category, "Commit")

	def test_kanban_totals_per_stage(self):
		from crm_app.pipeline import kanban_totals

		make_opportunity(amount=100, title="A")
		make_opportunity(amount=250, title="B", sales_stage="Proposal")
		totals = kanban_totals({"title": ("in", ["A", "B"])})
		self.assertEqual(
			{k: (v["count"], v["amount"]) for k, v in totals.items()},
			{"Prospecting": (1, 100), "Proposal": (1, 250)},
		)

	def test_target_validation(self):
		user = make_user("target@example.com", "Sales User")
		start = get_first_day(nowdate())

		def target(**values):
			return frappe.get_doc(
				{
					"doctype": "CX Sales Target",
					"sales_person": user,
					"period_type": "Month",
					"period_start": start,
					"target_amount": 1000,
					**values,
				}
			)

		first = target().insert()
		self.assertEqual(getdate(first.period_end), frappe.utils.get_last_day(start))
		with self.assertRaises(DuplicateTargetError):
			target().insert()
		with self.assertRaises(InvalidPeriodError):
			target(period_start=add_days(start, 3)).insert()
		# ERPNext keeps a global default territory, which Frappe puts into every new "territory" link field.
		territory_default = frappe.db.get_default("territory")
		frappe.defaults.clear_default("territory", parent="__default")
		try:
			with self.assertRaises(TargetOwnerMissingError):
				target(sales_person=None).insert()
		finally:
			if territory_default:
				frappe.db.set_default("territory", territory_default)
		with self.assertRaises(ClosedPeriodError):
			target(period_start=add_months(start, -2)).insert()

		frappe.db.set_value(
			"CX Sales Target",
			first.name,
			{
				"period_start": add_months(start, -2),
				"period_end": frappe.utils.get_last_day(add_months(start, -2)),
			},
		)
		past = frappe.get_doc("CX Sales Target", first.name)
		past.target_amount = 5
		with self.assertRaises(ClosedPeriodError):
			past.save()
		self.assertEqual(frappe.db.get_value("CX Sales Target", first.name, "target_amount"), 1000)
