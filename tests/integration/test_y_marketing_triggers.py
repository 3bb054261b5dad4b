"""Triggers that act (issue 11, item 5): fired once per record and condition, logged, with their actions."""
# Named test_y_*: trigger runs commit (resumable jobs commit each batch), so these run after the suites that
# count records, with the other committing tests (test_y_erpnext_books, test_y_resumable_jobs).

import json
import unittest
from unittest.mock import patch

import frappe

from crm_app.core.insights import loyalty as loyalty_core
from crm_app.cx_insights import loyalty
from crm_app.cx_marketing import triggers
from crm_app.exceptions import TriggerActionError, TriggerNeedsERPNextError

from .cleanup import RemovesLeftovers
from .factories import CXTestCase, make_customer, make_lead, make_opportunity, make_user

MANAGER = "trig.manager@example.com"
MARKETER = "trig.marketer@example.com"
SELLER = "trig.seller@example.com"
OTHER_SELLER = "trig.other@example.com"
THRESHOLD = [["CX Customer", "lifetime_value", ">", 5000]]


def make_trigger(name="Big spenders", trigger_on="CX Customer", filters=None, actions=None, **values):
	doc = frappe.get_doc(
		{
			"doctype": "CX Trigger",
			"trigger_name": name,
			"trigger_on": trigger_on,
			"filters_json": json.dumps(THRESHOLD if filters is None else filters),
			"actions": actions or [{"action_type": "Notify", "notify_user": MANAGER}],
			**values,
		}
	)
	return doc.insert()


def spender(name: str, value: float, manager: str | None = None):
	customer = make_customer(customer_name=name, account_manager=manager)
	frappe.db.set_value("CX Customer", customer.name, "lifetime_value", value)  # computed by the server
	return customer.name


def fired(trigger: str) -> list[dict]:
	return frappe.get_all(
		"CX Trigger Log",
		{"cx_trigger": trigger},
		["reference_name", "status", "error", "result", "condition_hash", "actions_done"],
		order_by="name",
	)


def notifications(user: str, trigger: str) -> list[str]:
	return frappe.get_all(
		"Notification Log", {"for_user": user, "subject": ("like", f"%{trigger}%")}, pluck="document_name"
	)


class TriggerCase(RemovesLeftovers, CXTestCase):
	def setUp(self):
		super().setUp()
		make_user(MANAGER, "Sales Manager")
		make_user(MARKETER, "Marketing User")
		make_user(SELLER, "Sales User")
		make_user(OTHER_SELLER, "Sales User")
		if not frappe.db.exists("Email Template", "Trigger Welcome"):
			frappe.get_doc(
				{
					"doctype": "Email Template",
					"name": "Trigger Welcome",
					"subject": "Hello {{ first_name }}",
					"response": "Dear {{ first_name }}, welcome.",
				}
			).insert()


class TestFiringOnce(TriggerCase):
	def test_a_trigger_fires_once_per_record(self):
		rich = spender("Rich Ltd", 9000, SELLER)
		spender("Poor Ltd", 100, SELLER)
		trigger = make_trigger(
			actions=[
				{"action_type": "Notify", "notify_user": MANAGER},
				{
					"action_type": "Create Task",
					"assign_to": "Record Owner",
					"task_description": "Thank {{ doc.customer_name }}",
				},
			]
		)
		first = triggers.run_trigger(trigger.name, commit=False)
		second = triggers.run_trigger(trigger.name, commit=False)

		self.assertEqual(first, {"fired": 1, "done": 1, "failed": 0})
		self.assertEqual(second, {"fired": 0, "done": 0, "failed": 0})
		self.assertEqual([(row.reference_name, row.status) for row in fired(trigger.name)], [(rich, "Done")])
		self.assertEqual(notifications(MANAGER, trigger.name), [rich])
		todos = frappe.get_all(
			"ToDo", {"reference_type": "CX Customer", "reference_name": rich}, ["allocated_to", "description"]
		)
		self.assertEqual(len(todos), 1)
		self.assertEqual(todos[0].allocated_to, SELLER)
		self.assertIn("Thank Rich Ltd", todos[0].description)
		trigger.reload()
		self.assertEqual((trigger.last_run_fired, trigger.last_run_failed), (0, 0))

	def test_a_record_that_starts_matching_later_fires_on_the_next_run(self):
		trigger = make_trigger()
		triggers.run_trigger(trigger.name, commit=False)
		late = spender("Late Ltd", 7000)
		self.assertEqual(triggers.run_trigger(trigger.name, commit=False)["fired"], 1)
		self.assertEqual([row.reference_name for row in fired(trigger.name)], [late])

	def test_a_new_condition_fires_again_the_same_one_does_not(self):
		rich = spender("Rich Ltd", 9000)
		trigger = make_trigger()
		triggers.run_trigger(trigger.name, commit=False)

		# The same condition written differently is the same condition.
		trigger.filters_json = json.dumps([["CX Customer", "lifetime_value", ">", "5000.0"]])
		trigger.save()
		self.assertEqual(triggers.run_trigger(trigger.name, commit=False)["fired"], 0)

		trigger.filters_json = json.dumps([["CX Customer", "lifetime_value", ">", 8000]])
		trigger.save()
		self.assertEqual(triggers.run_trigger(trigger.name, commit=False)["fired"], 1)
		rows = fired(trigger.name)
		self.assertEqual([row.reference_name for row in rows], [rich, rich])
		self.assertEqual(len({row.condition_hash for row in rows}), 2)
		self.assertEqual(notifications(MANAGER, trigger.name), [rich, rich])

	def test_the_log_refuses_a_second_firing_whatever_writes_it(self):
		spender("Rich Ltd", 9000)
		trigger = make_trigger()
		triggers.run_trigger(trigger.name, commit=False)
		row = frappe.get_all("CX Trigger Log", {"cx_trigger": trigger.name}, ["*"])[0]
		copy = {
			key: row[key] for key in ("cx_trigger", "reference_doctype", "reference_name", "condition_hash")
		}
		with self.assertRaises(frappe.UniqueValidationError):
			frappe.get_doc({"doctype": "CX Trigger Log", **copy}).db_insert()

	def test_a_resumed_run_does_only_the_actions_left(self):
		rich = spender("Rich Ltd", 9000, SELLER)
		trigger = make_trigger(
			actions=[
				{"action_type": "Notify", "notify_user": MANAGER},
				{"action_type": "Create Task", "assign_to": "Record Owner"},
			]
		)
		notify_key = trigger.actions[0].name
		# A run killed after the notifications of its batch were committed, before the tasks.
		frappe.get_doc(
			{
				"doctype": "CX Trigger Log",
				"cx_trigger": trigger.name,
				"reference_doctype": "CX Customer",
				"reference_name": rich,
				"condition_hash": trigger.condition_hash,
				"status": "Pending",
				"actions_done": notify_key,
			}
		).db_insert()
		self.assertEqual(
			triggers.run_trigger(trigger.name, commit=False), {"fired": 0, "done": 1, "failed": 0}
		)
		self.assertEqual(notifications(MANAGER, trigger.name), [])
		self.assertEqual(frappe.db.count("ToDo", {"reference_name": rich, "allocated_to": SELLER}), 1)

	def test_a_disabled_trigger_does_not_fire(self):
		spender("Rich Ltd", 9000)
		trigger = make_trigger(enabled=0)
		self.assertEqual(triggers.run_trigger(trigger.name, commit=False)["fired"], 0)

	def test_the_scheduler_queues_the_enabled_triggers(self):
		on = make_trigger()
		off = make_trigger(name="Switched off", enabled=0)
		queued = triggers.evaluate_enabled_triggers()
		self.assertIn(on.name, queued)
		self.assertNotIn(off.name, queued)

	def test_a_condition_broken_since_it_was_saved_fails_the_run_and_says_why(self):
		spender("Rich Ltd", 9000)
		trigger = make_trigger()
		frappe.db.set_value(
			"CX Trigger", trigger.name, "filters_json", json.dumps([["CX Customer", "gone_field", "=", 1]])
		)
		self.assertEqual(triggers.run_trigger(trigger.name, commit=False)["fired"], 0)
		self.assertIn("gone_field", frappe.db.get_value("CX Trigger", trigger.name, "last_run_status"))
		self.assertEqual(fired(trigger.name), [])

	def test_deleting_a_trigger_deletes_its_log(self):
		spender("Rich Ltd", 9000)
		trigger = make_trigger()
		triggers.run_trigger(trigger.name, commit=False)
		trigger.delete()
		self.assertEqual(fired(trigger.name), [])


class TestFailures(TriggerCase):
	def test_a_failing_action_fails_its_row_and_the_others_still_run(self):
		owned = spender("Owned Ltd", 9000, SELLER)
		orphan = spender("Orphan Ltd", 9500)  # no account manager: no one to give the task to
		trigger = make_trigger(
			actions=[
				{"action_type": "Create Task", "assign_to": "Record Owner"},
				{"action_type": "Notify", "notify_user": MANAGER},
			]
		)
		counts = triggers.run_trigger(trigger.name, commit=False)

		self.assertEqual(counts, {"fired": 2, "done": 1, "failed": 1})
		rows = {row.reference_name: row for row in fired(trigger.name)}
		self.assertEqual(rows[owned].status, "Done")
		self.assertEqual(rows[orphan].status, "Failed")
		self.assertIn("no owner", rows[orphan].error)
		# The failed row's other action ran, and the failure is not retried as a second firing.
		self.assertEqual(sorted(notifications(MANAGER, trigger.name)), sorted([owned, orphan]))
		self.assertEqual(triggers.run_trigger(trigger.name, commit=False)["fired"], 0)

	def test_a_task_is_not_given_to_someone_who_cannot_read_the_record(self):
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)
		rich = spender("Rich Ltd", 9000, SELLER)
		trigger = make_trigger(
			actions=[{"action_type": "Create Task", "assign_to": "User", "task_user": OTHER_SELLER}]
		)
		triggers.run_trigger(trigger.name, commit=False)
		self.assertEqual(fired(trigger.name)[0].status, "Failed")
		self.assertEqual(frappe.db.count("ToDo", {"reference_name": rich}), 0)


class TestNotifications(TriggerCase):
	def test_users_are_told_only_of_records_they_may_read(self):
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)
		mine = spender("Mine Ltd", 9000, SELLER)
		spender("Theirs Ltd", 9000, OTHER_SELLER)
		trigger = make_trigger(actions=[{"action_type": "Notify", "notify_role": "Sales User"}])
		triggers.run_trigger(trigger.name, commit=False)
		self.assertEqual(notifications(SELLER, trigger.name), [mine])

	def test_the_record_owner_is_told(self):
		mine = spender("Mine Ltd", 9000, SELLER)
		trigger = make_trigger(actions=[{"action_type": "Notify", "notify_record_owner": 1}])
		triggers.run_trigger(trigger.name, commit=False)
		self.assertEqual(notifications(SELLER, trigger.name), [mine])
		self.assertEqual(notifications(OTHER_SELLER, trigger.name), [])


class TestEmail(TriggerCase):
	def setUp(self):
		super().setUp()
		if not frappe.db.get_value("Email Account", {"default_outgoing": 1, "enable_outgoing": 1}):
			frappe.get_doc(
				{
					"doctype": "Email Account",
					"email_account_name": "test_trigger_mail",
					"email_id": "marketing@crm-app.example",
					"enable_incoming": 0,
					"enable_outgoing": 1,
					"default_outgoing": 1,
					"smtp_server": "smtp.crm-app.example",
					"password": "x",
				}
			).insert(ignore_permissions=True)

	def test_opted_out_addresses_are_skipped(self):
		make_lead(first_name="Willing", email="willing@example.com", city="Trigtown")
		make_lead(first_name="OptedOut", email="optout@example.com", city="Trigtown", email_opt_out=1)
		make_lead(first_name="Gone", email="gone@example.com", city="Trigtown")
		frappe.get_doc(
			{"doctype": "Email Unsubscribe", "email": "gone@example.com", "global_unsubscribe": 1}
		).insert(ignore_permissions=True)
		trigger = make_trigger(
			trigger_on="CX Lead",
			filters=[["CX Lead", "city", "=", "Trigtown"]],
			actions=[{"action_type": "Send Email Template", "email_template": "Trigger Welcome"}],
		)
		counts = triggers.run_trigger(trigger.name, commit=False)

		self.assertEqual(counts, {"fired": 3, "done": 3, "failed": 0}, fired(trigger.name))
		queued = frappe.get_all(
			"Email Queue Recipient",
			{"recipient": ("in", ["willing@example.com", "optout@example.com", "gone@example.com"])},
			pluck="recipient",
		)
		self.assertEqual(queued, ["willing@example.com"])
		message = frappe.get_all("Email Queue", {"reference_doctype": "CX Lead"}, pluck="message")
		self.assertTrue(any("Dear Willing" in (text or "") for text in message))
		results = sorted(row.result or "" for row in fired(trigger.name))
		self.assertEqual(sum("opted out" in result for result in results), 2)


class TestBadInput(TriggerCase):
	def assert_refused(self, error, **values):
		with self.assertRaises(error):
			make_trigger(**values)

	def test_a_condition_on_a_missing_field_or_of_the_wrong_type_is_refused(self):
		from crm_app.exceptions import InvalidSegmentRuleError

		self.assert_refused(InvalidSegmentRuleError, filters=[["CX Customer", "shoe_size", "=", 42]])
		self.assert_refused(InvalidSegmentRuleError, filters=[["CX Customer", "lifetime_value", ">", "lots"]])
		self.assert_refused(InvalidSegmentRuleError, filters="{[")

	def test_actions_that_cannot_run_are_refused(self):
		self.assert_refused(TriggerActionError, actions=[{"action_type": "Create Task"}])
		self.assert_refused(TriggerActionError, actions=[{"action_type": "Notify"}])
		self.assert_refused(
			TriggerActionError,
			trigger_on="CX Opportunity",
			filters=[],
			actions=[{"action_type": "Send Email Template", "email_template": "Trigger Welcome"}],
		)
		self.assert_refused(
			TriggerActionError,
			actions=[
				{"action_type": "Create Task", "assign_to": "Record Owner", "task_description": "{{ oops"}
			],
		)

	def test_the_record_type_is_fixed_once_saved(self):
		trigger = make_trigger()
		trigger.trigger_on = "CX Lead"
		trigger.filters_json = "[]"
		with self.assertRaises(frappe.CannotChangeConstantError):
			trigger.save()

	def test_a_coupon_without_erpnext_is_refused(self):
		if "erpnext" in frappe.get_installed_apps():
			self.skipTest("ERPNext is installed on this site")
		self.assert_refused(
			TriggerNeedsERPNextError,
			actions=[{"action_type": "Create Coupon Code", "pricing_rule": "PR-0001"}],
		)


class TestPermissions(TriggerCase):
	def test_who_may_edit_and_run(self):
		trigger = make_trigger()
		for user, allowed in ((MARKETER, True), (MANAGER, True), (SELLER, False)):
			frappe.set_user(user)
			try:
				self.assertEqual(frappe.has_permission("CX Trigger", "write", trigger.name), allowed, user)
				if allowed:
					self.assertEqual(triggers.run_now(trigger.name), {"queued": True})
				else:
					with self.assertRaises(frappe.PermissionError):
						triggers.run_now(trigger.name)
					with self.assertRaises(frappe.PermissionError):
						triggers.count_matching_now("CX Customer", json.dumps(THRESHOLD))
			finally:
				frappe.set_user("Administrator")

	def test_the_log_is_read_only(self):
		for user in (MARKETER, MANAGER):
			frappe.set_user(user)
			self.assertTrue(frappe.has_permission("CX Trigger Log", "read"))
			self.assertFalse(frappe.has_permission("CX Trigger Log", "write"))
			self.assertFalse(frappe.has_permission("CX Trigger Log", "create"))
		frappe.set_user(SELLER)
		self.assertFalse(frappe.has_permission("CX Trigger Log", "read"))

	def test_run_now_is_post_only(self):
		self.assertEqual(frappe.allowed_http_methods_for_whitelisted_func[triggers.run_now], ["POST"])

	def test_the_live_count(self):
		spender("Rich Ltd", 9000)
		spender("Poor Ltd", 10)
		self.assertEqual(triggers.count_matching_now("CX Customer", json.dumps(THRESHOLD)), 1)
		with self.assertRaises(TriggerActionError):
			triggers.count_matching_now("User", "[]")


class TestSegmentsAndDeals(TriggerCase):
	def test_a_deal_adds_its_customer_to_the_segment(self):
		if not frappe.db.exists("DocType", "CX Segment"):
			self.skipTest("segments are not on this site")
		deal = make_opportunity(title="Big deal")
		segment = frappe.get_doc(
			{
				"doctype": "CX Segment",
				"segment_name": "Trigger buyers",
				"segment_of": "CX Customer",
				"match": "All",
			}
		).insert()
		leads = frappe.get_doc(
			{
				"doctype": "CX Segment",
				"segment_name": "Trigger leads",
				"segment_of": "CX Lead",
				"match": "All",
			}
		).insert()
		with self.assertRaises(TriggerActionError):
			make_trigger(
				name="Wrong segment",
				trigger_on="CX Opportunity",
				filters=[],
				actions=[{"action_type": "Add to Segment", "segment": leads.name}],
			)
		trigger = make_trigger(
			trigger_on="CX Opportunity",
			filters=[["CX Opportunity", "title", "=", "Big deal"]],
			actions=[{"action_type": "Add to Segment", "segment": segment.name}],
		)
		self.assertEqual(triggers.run_trigger(trigger.name, commit=False)["done"], 1)
		self.assertTrue(
			frappe.db.exists(
				"CX Segment Member",
				{"segment": segment.name, "member_doctype": "CX Customer", "member_name": deal.customer},
			)
		)


@unittest.skipIf("erpnext" in frappe.get_installed_apps(), "points from won deals: a site without ERPNext")
class TestLoyaltyTierTrigger(TriggerCase):
	"""Issue 13, item 4: a customer's move to a loyalty tier acts, through a trigger on the tier."""

	TIERS = loyalty_core.parse_tiers(
		[{"tier_name": "Silver", "min_points": 1000}, {"tier_name": "Gold", "min_points": 5000}]
	)

	def setUp(self):
		super().setUp()
		# the tiers of the test, without saving the settings (a committed notification would keep them)
		patcher = patch.object(loyalty, "loyalty_settings", return_value=(self.TIERS, {}, 1.0))
		patcher.start()
		self.addCleanup(patcher.stop)

	def won(self, customer: str, amount: float) -> None:
		deal = make_opportunity(customer=customer)
		frappe.db.set_value(
			"CX Opportunity",
			deal.name,
			{"status": "Won", "base_amount": amount, "amount": amount, "closed_on": frappe.utils.nowdate()},
		)

	def test_reaching_a_tier_acts_once_for_each_customer_who_reaches_it(self):
		climber = make_customer(customer_name="Tier Climber", account_manager=SELLER).name
		later = make_customer(customer_name="Tier Later", account_manager=SELLER).name
		self.won(climber, 6000)
		self.won(later, 1200)
		loyalty.refresh_loyalty(commit=False)
		trigger = make_trigger(
			"Reached Gold",
			filters=[["CX Customer", "loyalty_tier", "=", "Gold"]],
			actions=[
				{
					"action_type": "Create Task",
					"assign_to": "Record Owner",
					"task_description": "Thank {{ doc.customer_name }}: {{ doc.loyalty_tier }} now",
				}
			],
		)
		self.assertEqual(triggers.run_trigger(trigger.name, commit=False)["fired"], 1)
		self.assertEqual([row.reference_name for row in fired(trigger.name)], [climber])

		self.won(later, 4000)  # 5200 points: Gold on the next nightly refresh
		self.assertEqual(triggers.run_trigger(trigger.name, commit=False)["fired"], 0)
		loyalty.refresh_loyalty(commit=False)
		self.assertEqual(frappe.db.get_value("CX Customer", later, "loyalty_tier"), "Gold")
		self.assertEqual(
			triggers.run_trigger(trigger.name, commit=False), {"fired": 1, "done": 1, "failed": 0}
		)
		self.assertEqual(sorted(row.reference_name for row in fired(trigger.name)), sorted([climber, later]))
		tasks = frappe.get_all(
			"ToDo",
			{"reference_type": "CX Customer", "reference_name": later},
			["allocated_to", "description"],
		)
		self.assertEqual(
			[(task.allocated_to, "Thank Tier Later: Gold now" in task.description) for task in tasks],
			[(SELLER, True)],
		)


class TestCouponWithERPNext(TriggerCase):
	"""Runs where ERPNext is installed (its setup wizard done by its own test setup)."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		if "erpnext" not in frappe.get_installed_apps():
			raise unittest.SkipTest("ERPNext is not installed on this site")
		from erpnext.setup.utils import before_tests

		if not frappe.db.get_single_value("System Settings", "country"):
			frappe.db.set_single_value(
				"System Settings",
				{"country": "United States", "currency": "USD", "time_zone": "America/New_York"},
			)
		before_tests()

	def pricing_rule(self, coupon_based: int = 1) -> str:
		return (
			frappe.get_doc(
				{
					"doctype": "Pricing Rule",
					"title": f"Trigger reward {frappe.generate_hash(length=5)}",
					"apply_on": "Transaction",
					"selling": 1,
					"rate_or_discount": "Discount Percentage",
					"discount_percentage": 10,
					"company": frappe.get_all("Company", pluck="name", limit=1)[0],
					"coupon_code_based": coupon_based,
				}
			)
			.insert()
			.name
		)

	def test_a_big_spender_gets_a_one_use_coupon_for_their_erpnext_twin(self):
		rule = self.pricing_rule()
		rich = spender("Coupon Rich Ltd", 9_999_999)
		trigger = make_trigger(
			name="Coupon for big spenders",
			filters=[["CX Customer", "lifetime_value", ">", 9_999_998]],
			actions=[{"action_type": "Create Coupon Code", "pricing_rule": rule, "coupon_valid_days": 30}],
		)
		self.assertEqual(triggers.run_trigger(trigger.name, commit=False)["done"], 1)
		twin = frappe.db.get_value("CX Customer", rich, "erpnext_customer")
		coupons = frappe.get_all(
			"Coupon Code", {"pricing_rule": rule}, ["customer", "coupon_type", "maximum_use"]
		)
		self.assertEqual(
			[(c.customer, c.coupon_type, c.maximum_use) for c in coupons], [(twin, "Gift Card", 1)]
		)
		self.assertIn("Coupon Code", fired(trigger.name)[0].result)
		self.assertEqual(triggers.run_trigger(trigger.name, commit=False)["fired"], 0)

	def test_a_pricing_rule_that_is_not_coupon_based_is_refused(self):
		rule = self.pricing_rule(coupon_based=0)
		with self.assertRaises(TriggerNeedsERPNextError):
			make_trigger(actions=[{"action_type": "Create Coupon Code", "pricing_rule": rule}])


class TestTriggerAuthor(RemovesLeftovers, CXTestCase):
	def test_a_trigger_is_only_on_records_its_author_may_read(self):
		"""The log names every matching record: a marketer without access to issues cannot probe them."""
		user = make_user("trigger.author@example.com", "Marketing User")
		self.assertFalse(frappe.has_permission("CX Issue", "read", user=user))
		frappe.set_user(user)
		with self.assertRaises(frappe.PermissionError):
			make_trigger(
				"Resolved issues",
				trigger_on="CX Issue",
				filters=[["CX Issue", "status", "=", "Resolved"]],
				actions=[{"action_type": "Notify", "notify_record_owner": 1}],
			)
