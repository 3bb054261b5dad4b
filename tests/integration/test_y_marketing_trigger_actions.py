"""Triggers that act (issue 11, item 5), continued: a failed action retried without redoing what succeeded,
the Retry Failed button, bell notifications as Frappe would send them, and with ERPNext a customer's own
Pricing Rule and a left shopping cart.

Every run here is `commit=False` and each test rolls back (CXTestCase): nothing is left on the site. The
ERPNext tests skip on a site without ERPNext, the checks that refuse them there run instead.
"""

import json
import unittest

import frappe
from frappe.utils import add_days, add_to_date, getdate, now_datetime, nowdate

from crm_app.core.marketing.triggers import MAX_ATTEMPTS
from crm_app.cx_marketing import triggers
from crm_app.exceptions import TriggerActionError, TriggerNeedsERPNextError

from .factories import CXTestCase, make_user
from .test_y_marketing_triggers import notifications as notified
from .test_y_marketing_triggers import spender

ON_ERPNEXT = "erpnext" in frappe.get_installed_apps()
needs_erpnext = unittest.skipUnless(ON_ERPNEXT, "ERPNext is not installed on this site")
MANAGER = "trigact.manager@example.com"
MARKETER = "trigact.marketer@example.com"
SELLER = "trigact.seller@example.com"
QUIET = "trigact.quiet@example.com"
CART_ITEM = "CX-TRIGGER-CART-ITEM"


def make_trigger(name="Action test", trigger_on="CX Customer", filters=None, actions=None, **values):
	return frappe.get_doc(
		{
			"doctype": "CX Trigger",
			"trigger_name": name,
			"trigger_on": trigger_on,
			"filters_json": json.dumps(filters if filters is not None else []),
			"actions": actions or [{"action_type": "Notify", "notify_user": MANAGER}],
			**values,
		}
	).insert()


def customer(name: str, value: float = 0, manager: str | None = None) -> str:
	return spender(name, value, manager)


def log_rows(trigger: str) -> list[dict]:
	return frappe.get_all(
		"CX Trigger Log",
		{"cx_trigger": trigger},
		["reference_name", "status", "attempts", "actions_done", "result", "error"],
		order_by="name",
	)


def run(trigger) -> dict:
	return triggers.run_trigger(trigger.name, commit=False)


class ActionCase(CXTestCase):
	def setUp(self):
		super().setUp()
		make_user(MANAGER, "Sales Manager")
		make_user(MARKETER, "Marketing User")
		make_user(SELLER, "Sales User")
		make_user(QUIET, "Sales Manager")


class TestRetry(ActionCase):
	def notify_and_task(self, customer_name: str):
		return make_trigger(
			filters=[["CX Customer", "customer_name", "=", customer_name]],
			actions=[
				{"action_type": "Notify", "notify_user": MANAGER},
				{"action_type": "Create Task", "assign_to": "Record Owner", "task_description": "Call them"},
			],
		)

	def test_a_failed_action_is_retried_and_what_succeeded_is_not_done_again(self):
		orphan = customer("Retry Orphan Ltd")  # no account manager: the task fails
		trigger = self.notify_and_task("Retry Orphan Ltd")

		self.assertEqual(run(trigger), {"fired": 1, "done": 0, "failed": 1})
		[row] = log_rows(trigger.name)
		self.assertEqual((row.status, row.attempts), ("Failed", 1))
		self.assertIn("no owner", row.error)

		# The next evaluation tries the task again, and only the task.
		self.assertEqual(run(trigger), {"fired": 0, "done": 0, "failed": 1})
		self.assertEqual(log_rows(trigger.name)[0].attempts, 2)
		self.assertEqual(notified(MANAGER, trigger.name), [orphan])

		frappe.db.set_value("CX Customer", orphan, "account_manager", SELLER)
		self.assertEqual(run(trigger), {"fired": 0, "done": 1, "failed": 0})
		[row] = log_rows(trigger.name)
		self.assertEqual((row.status, row.attempts, row.error), ("Done", 3, None))
		self.assertEqual(notified(MANAGER, trigger.name), [orphan])
		self.assertEqual(frappe.db.count("ToDo", {"reference_name": orphan, "allocated_to": SELLER}), 1)
		# Done is done: a later run does nothing for it.
		self.assertEqual(run(trigger), {"fired": 0, "done": 0, "failed": 0})

	def test_retries_stop_at_the_limit_and_the_button_tries_again(self):
		orphan = customer("Retry Limit Ltd")
		trigger = self.notify_and_task("Retry Limit Ltd")
		for _ in range(MAX_ATTEMPTS):
			run(trigger)
		self.assertEqual(run(trigger), {"fired": 0, "done": 0, "failed": 0})  # left alone
		[row] = log_rows(trigger.name)
		self.assertEqual((row.status, row.attempts), ("Failed", MAX_ATTEMPTS))

		frappe.db.set_value("CX Customer", orphan, "account_manager", SELLER)
		frappe.set_user(MARKETER)
		self.assertEqual(triggers.retry_failed(trigger.name), {"queued": True, "retrying": 1})
		frappe.set_user("Administrator")
		self.assertEqual(log_rows(trigger.name)[0].status, "Pending")
		self.assertEqual(run(trigger), {"fired": 0, "done": 1, "failed": 0})
		self.assertEqual(log_rows(trigger.name)[0].attempts, MAX_ATTEMPTS + 1)
		self.assertEqual(notified(MANAGER, trigger.name), [orphan])

	def test_retry_failed_needs_write_on_the_trigger_and_a_post(self):
		trigger = make_trigger()
		frappe.set_user(SELLER)
		with self.assertRaises(frappe.PermissionError):
			triggers.retry_failed(trigger.name)
		frappe.set_user("Administrator")
		self.assertEqual(frappe.allowed_http_methods_for_whitelisted_func[triggers.retry_failed], ["POST"])
		trigger.db_set("enabled", 0)
		with self.assertRaises(TriggerActionError):
			triggers.retry_failed(trigger.name)

	def test_earlier_notes_stay_on_a_retried_row(self):
		orphan = customer("Retry Notes Ltd")
		trigger = self.notify_and_task("Retry Notes Ltd")
		run(trigger)
		self.assertEqual(log_rows(trigger.name)[0].status, "Failed")
		# Notify and tasks note nothing on success: an earlier attempt's note is written by hand.
		frappe.db.set_value("CX Trigger Log", {"cx_trigger": trigger.name}, "result", "Earlier note")
		frappe.db.set_value("CX Customer", orphan, "account_manager", SELLER)
		run(trigger)
		[row] = log_rows(trigger.name)
		self.assertEqual((row.status, row.result), ("Done", "Earlier note"))


class TestNotificationsAsFrappeSendsThem(ActionCase):
	def test_users_who_turned_notifications_off_or_are_disabled_are_not_notified(self):
		rich = customer("Bell Rich Ltd", 9000)
		frappe.db.set_value("Notification Settings", QUIET, "enabled", 0)
		gone = make_user("trigact.gone@example.com", "Sales Manager")
		frappe.db.set_value("User", gone, "enabled", 0)
		frappe.db.set_value("Notification Settings", MANAGER, "seen", 1)
		trigger = make_trigger(
			filters=[["CX Customer", "customer_name", "=", "Bell Rich Ltd"]],
			actions=[{"action_type": "Notify", "notify_role": "Sales Manager"}],
		)
		self.assertEqual(run(trigger)["done"], 1)
		self.assertEqual(notified(MANAGER, trigger.name), [rich])
		self.assertEqual(notified(QUIET, trigger.name), [])
		self.assertEqual(notified(gone, trigger.name), [])
		# The bell shows something new, as Notification Log's after_insert would set it.
		self.assertEqual(frappe.db.get_value("Notification Settings", MANAGER, "seen"), 0)


class TestWithoutERPNext(ActionCase):
	def setUp(self):
		if ON_ERPNEXT:
			self.skipTest("ERPNext is installed on this site")
		super().setUp()

	def test_pricing_rules_and_carts_are_refused(self):
		with self.assertRaises(TriggerNeedsERPNextError):
			make_trigger(actions=[{"action_type": "Apply Pricing Rule", "pricing_rule": "PRLE-0001"}])
		with self.assertRaises(TriggerNeedsERPNextError):
			make_trigger(cart_left_hours=24)
		with self.assertRaises(TriggerNeedsERPNextError):
			triggers.count_matching_now("CX Customer", "[]", 24)


@needs_erpnext
class TestPricingRule(ActionCase):
	def template(self, selling: int = 1) -> str:
		return (
			frappe.get_doc(
				{
					"doctype": "Pricing Rule",
					"title": "Trigger loyalty price",
					"apply_on": "Transaction",
					"selling": selling,
					"buying": 0 if selling else 1,
					"rate_or_discount": "Discount Percentage",
					"discount_percentage": 7,
					"company": frappe.get_all("Company", pluck="name", limit=1)[0],
					"disable": 1,  # a template applies to no one itself
				}
			)
			.insert()
			.name
		)

	def test_a_big_spender_gets_their_own_pricing_rule_once(self):
		template = self.template()
		rich = customer("Pricing Rich Ltd", 9_999_999)
		customer("Pricing Poor Ltd", 10)
		trigger = make_trigger(
			filters=[["CX Customer", "lifetime_value", ">", 9_999_998]],
			actions=[
				{"action_type": "Apply Pricing Rule", "pricing_rule": template, "coupon_valid_days": 30}
			],
		)
		self.assertEqual(run(trigger), {"fired": 1, "done": 1, "failed": 0})

		twin = frappe.db.get_value("CX Customer", rich, "erpnext_customer")
		given = frappe.get_all(
			"Pricing Rule",
			{"name": ("!=", template), "title": ("like", "Trigger loyalty price%")},
			[
				"name",
				"applicable_for",
				"customer",
				"valid_from",
				"valid_upto",
				"disable",
				"discount_percentage",
			],
		)
		self.assertEqual(len(given), 1)
		rule = given[0]
		self.assertEqual((rule.applicable_for, rule.customer, rule.disable), ("Customer", twin, 0))
		self.assertEqual(rule.discount_percentage, 7)
		self.assertEqual(rule.valid_from, getdate(nowdate()))
		self.assertEqual(rule.valid_upto, getdate(add_days(nowdate(), 30)))
		self.assertIn(rule.name, log_rows(trigger.name)[0].result)
		self.assertTrue(frappe.db.get_value("Pricing Rule", template, "disable"))  # the template untouched

		# A rerun does nothing; a new condition fires again for the record, and finds the rule it gave.
		self.assertEqual(run(trigger), {"fired": 0, "done": 0, "failed": 0})
		trigger.filters_json = json.dumps([["CX Customer", "lifetime_value", ">", 9_999_000]])
		trigger.save()
		self.assertEqual(run(trigger), {"fired": 1, "done": 1, "failed": 0})
		self.assertEqual(frappe.db.count("Pricing Rule", {"customer": twin}), 1)
		self.assertIn("given before", log_rows(trigger.name)[-1].result)

	def test_a_deal_gives_its_customer_the_price(self):
		from .factories import make_opportunity

		template = self.template()
		deal = make_opportunity(title="Pricing deal")
		trigger = make_trigger(
			trigger_on="CX Opportunity",
			filters=[["CX Opportunity", "title", "=", "Pricing deal"]],
			actions=[{"action_type": "Apply Pricing Rule", "pricing_rule": template}],
		)
		self.assertEqual(run(trigger)["done"], 1)
		twin = frappe.db.get_value("CX Customer", deal.customer, "erpnext_customer")
		self.assertEqual(frappe.db.count("Pricing Rule", {"customer": twin, "applicable_for": "Customer"}), 1)

	def test_only_who_may_make_pricing_rules_sets_one_up(self):
		template = self.template()
		pricing = [{"action_type": "Apply Pricing Rule", "pricing_rule": template}]
		frappe.set_user(MARKETER)  # Marketing User: may edit triggers, not make pricing rules
		with self.assertRaises(frappe.PermissionError):
			make_trigger(actions=pricing)
		frappe.set_user(MANAGER)  # Sales Manager: may make pricing rules (ERPNext's permissions)
		trigger = make_trigger(actions=pricing)
		# What the manager set up stays when a marketer edits the rest of the trigger.
		frappe.set_user(MARKETER)
		trigger = frappe.get_doc("CX Trigger", trigger.name)
		trigger.description = "Edited by marketing"
		trigger.save()
		# ...but not who gets the price, nor for how long
		trigger.filters_json = json.dumps([["CX Customer", "customer_name", "like", "%"]])
		with self.assertRaises(frappe.PermissionError):
			trigger.save()
		trigger.reload()
		trigger.actions[0].coupon_valid_days = 365
		with self.assertRaises(frappe.PermissionError):
			trigger.save()

	def test_what_cannot_give_a_price_is_refused(self):
		with self.assertRaises(TriggerNeedsERPNextError):
			make_trigger(actions=[{"action_type": "Apply Pricing Rule", "pricing_rule": "no-such-rule"}])
		with self.assertRaises(TriggerNeedsERPNextError):
			make_trigger(actions=[{"action_type": "Apply Pricing Rule", "pricing_rule": self.template(0)}])
		with self.assertRaises(TriggerActionError):
			make_trigger(
				trigger_on="CX Lead",
				actions=[{"action_type": "Apply Pricing Rule", "pricing_rule": self.template()}],
			)


@needs_erpnext
class TestLeftCart(ActionCase):
	def setUp(self):
		super().setUp()
		if not frappe.db.exists("Item", CART_ITEM):
			frappe.get_doc(
				{
					"doctype": "Item",
					"item_code": CART_ITEM,
					"item_name": "Trigger cart item",
					"item_group": "All Item Groups",
					"stock_uom": "Nos",
					"is_stock_item": 0,
				}
			).insert()

	def cart(self, cx_customer: str, hours_ago: float, order_type: str = "Shopping Cart") -> str:
		from crm_app.integrations.erpnext.triggers import erpnext_twin

		quotation = frappe.get_doc(
			{
				"doctype": "Quotation",
				"quotation_to": "Customer",
				"party_name": erpnext_twin(cx_customer),
				"order_type": order_type,
				"company": frappe.get_all("Company", pluck="name", limit=1)[0],
				"items": [{"item_code": CART_ITEM, "qty": 1, "rate": 10}],
			}
		).insert()
		table = frappe.qb.DocType("Quotation")
		frappe.qb.update(table).set(table.modified, add_to_date(now_datetime(), hours=-hours_ago)).where(
			table.name == quotation.name
		).run()
		return quotation.name

	def test_a_cart_left_for_the_hours_fires_once(self):
		left = customer("Cart Left Ltd")
		self.cart(left, 30)
		self.cart(customer("Cart Fresh Ltd"), 1)
		self.cart(customer("Cart Sales Quote Ltd"), 30, order_type="Sales")
		customer("Cart None Ltd")
		trigger = make_trigger(
			name="Left carts",
			filters=[["CX Customer", "customer_name", "like", "Cart %"]],
			cart_left_hours=24,
		)
		self.assertEqual(triggers.count_matching_now("CX Customer", trigger.filters_json, 24), 1)
		self.assertEqual(run(trigger), {"fired": 1, "done": 1, "failed": 0})
		self.assertEqual([row.reference_name for row in log_rows(trigger.name)], [left])
		self.assertEqual(run(trigger)["fired"], 0)

		# The hours are part of the condition: the same filters with another wait are a new condition.
		plain = frappe.get_doc("CX Trigger", trigger.name)
		plain.cart_left_hours = 0
		plain.save()
		self.assertNotEqual(plain.condition_hash, trigger.condition_hash)

	def test_a_submitted_quotation_is_no_cart(self):
		left = customer("Cart Ordered Ltd")
		name = self.cart(left, 30)
		frappe.db.set_value("Quotation", name, "docstatus", 1, update_modified=False)
		trigger = make_trigger(
			name="Left carts", filters=[["CX Customer", "name", "=", left]], cart_left_hours=24
		)
		self.assertEqual(run(trigger)["fired"], 0)

	def test_a_cart_condition_is_for_customers_with_a_sane_wait(self):
		with self.assertRaises(TriggerActionError):
			make_trigger(trigger_on="CX Lead", cart_left_hours=24)
		with self.assertRaises((TriggerActionError, frappe.ValidationError)):
			make_trigger(cart_left_hours=-5)
