"""Predictive lead conversion on a real site: a retrain on decided leads, a rescore of open leads, the
settings written back, not enough history, activity after a decision, permissions."""

import json
from unittest.mock import patch

import frappe
from frappe.utils import add_days, now_datetime

from crm_app.cx_insights import conversion
from tests.integration.factories import CXTestCase, make_call_log, make_lead, make_user

SETTINGS = "CX Insights Settings"
SALES = "conv.sales@example.com"
LEAD_COLUMNS = ("name", "first_name", "lead_name", "status", "source", "customer", "converted_on", "creation")


def seed(rows: list[tuple]) -> None:
	"""Leads written in one statement, as the bulk loads do (the test's rollback takes them away)."""
	now = now_datetime()
	frappe.db.bulk_insert(
		"CX Lead",
		[*LEAD_COLUMNS, "modified", "owner", "modified_by", "docstatus", "idx"],
		[(*row, now, "Administrator", "Administrator", 0, 0) for row in rows],
	)


def lead_row(index: int, status: str, source: str, converted: bool = False) -> tuple:
	created = add_days(now_datetime(), -60)
	return (
		f"CX-LEAD-CONVTEST-{index:05d}",
		"Conv",
		f"Conv {index}",
		status,
		source,
		"CONVTEST-CUSTOMER" if converted else None,
		add_days(created, 10) if converted else None,
		created,
	)


class ConversionCase(CXTestCase):
	def setUp(self):
		super().setUp()
		# The model learns from every decided lead of the site: start from none (rolled back after).
		frappe.db.delete("CX Lead")
		frappe.db.set_single_value(
			SETTINGS, {"conversion_min_decided": 40, "conversion_min_per_class": 10}, update_modified=False
		)
		frappe.clear_document_cache(SETTINGS, SETTINGS)

	def planted_history(self) -> None:
		"""Referrals convert 4 times in 5, the web once in 5."""
		rows = []
		for index in range(100):
			referral = index % 2 == 0
			converted = (index % 10 < 8) if referral else (index % 10 == 1)
			source = "Referral" if referral else "Web"
			rows.append(lead_row(index, "Converted" if converted else "Lost", source, converted))
		rows.append(lead_row(900, "New", "Referral"))
		rows.append(lead_row(901, "Contacted", "Web"))
		seed(rows)

	def test_retrain_then_rescore_writes_the_model_and_the_open_leads(self):
		self.planted_history()
		result = conversion.retrain(commit=False, rescore=False)
		self.assertEqual(result.status, "Trained")
		saved = frappe.get_doc(SETTINGS)  # read from the database, typed
		self.assertEqual(saved.conversion_model_status, "Trained")
		self.assertEqual(saved.conversion_model_leads, 100)
		self.assertGreater(saved.conversion_model_auc, 0.7)
		self.assertEqual(saved.conversion_baseline_auc, 0.5)  # no scoring rule tells the leads apart
		self.assertIn("held-out", saved.conversion_model_note)
		self.assertTrue(saved.conversion_trained_on)
		self.assertEqual(json.loads(saved.conversion_model_json)["kind"], "logistic_regression")

		modified = frappe.db.get_value("CX Lead", "CX-LEAD-CONVTEST-00900", "modified")
		self.assertEqual(conversion.rescore_open_leads(batch_size=1, commit=False), 2)  # batches of one
		hot = frappe.db.get_value("CX Lead", "CX-LEAD-CONVTEST-00900", ["*"], as_dict=True)
		cold = frappe.db.get_value("CX Lead", "CX-LEAD-CONVTEST-00901", ["*"], as_dict=True)
		self.assertGreater(hot.conversion_probability, 60)
		self.assertLess(cold.conversion_probability, 40)
		self.assertEqual(hot.modified, modified)  # a prediction is not an edit
		self.assertTrue(hot.conversion_scored_on)
		factors = json.loads(hot.conversion_factors)
		self.assertLessEqual(len(factors), 5)
		self.assertEqual(factors[0]["factor"], "Source: Referral")
		self.assertGreater(factors[0]["effect"], 0)
		decided = frappe.db.get_value("CX Lead", "CX-LEAD-CONVTEST-00000", "conversion_probability")
		self.assertFalse(decided)  # decided leads are not scored

		frappe.set_user(make_user(SALES, "Sales User"))
		summary = conversion.model_summary()
		self.assertEqual(summary["status"], "Trained")
		self.assertEqual(summary["leads"], 100)

	def test_one_outcome_is_not_enough_history_and_clears_old_predictions(self):
		seed(
			[lead_row(index, "Converted", "Web", converted=True) for index in range(60)]
			+ [lead_row(900, "New", "Web")]
		)
		frappe.db.set_value(
			"CX Lead",
			"CX-LEAD-CONVTEST-00900",
			{
				"conversion_probability": 55,
				"conversion_factors": "[]",
				"conversion_scored_on": now_datetime(),
			},
			update_modified=False,
		)
		frappe.db.set_single_value(SETTINGS, "conversion_model_json", "{}", update_modified=False)
		result = conversion.retrain(commit=False, rescore=False)
		self.assertEqual(result.status, "Not Enough History")
		self.assertEqual(
			frappe.db.get_single_value(SETTINGS, "conversion_model_status"), "Not Enough History"
		)
		self.assertIn(
			"all 60 decided leads converted", frappe.db.get_single_value(SETTINGS, "conversion_model_note")
		)
		self.assertFalse(frappe.db.get_single_value(SETTINGS, "conversion_model_json"))
		self.assertEqual(conversion.rescore_open_leads(commit=False), 0)
		self.assertFalse(frappe.db.get_value("CX Lead", "CX-LEAD-CONVTEST-00900", "conversion_probability"))

	def test_too_few_decided_leads_say_how_many_are_needed(self):
		seed(
			[
				lead_row(index, "Lost" if index % 2 else "Converted", "Web", not index % 2)
				for index in range(20)
			]
		)
		result = conversion.retrain(commit=False, rescore=False)
		self.assertEqual(result.status, "Not Enough History")
		note = frappe.db.get_single_value(SETTINGS, "conversion_model_note")
		self.assertIn("20 decided leads (10 converted, 10 lost)", note)
		self.assertIn("at least 40", note)

	def test_an_unreadable_saved_model_is_retrained_not_used(self):
		frappe.db.set_single_value(SETTINGS, "conversion_model_json", '{"version": 1}', update_modified=False)
		with patch("frappe.enqueue") as enqueue:
			self.assertIsNone(conversion.load_model())
		self.assertEqual(frappe.db.get_single_value(SETTINGS, "conversion_model_status"), "Not Trained")
		self.assertEqual(enqueue.call_args.kwargs["job_id"], "crm_app:insights_conversion_retrain")

	def test_activity_after_the_decision_is_not_learnt_from(self):
		lead = make_lead()
		make_call_log(
			reference_doctype="CX Lead", reference_name=lead.name, call_start=add_days(now_datetime(), -5)
		)
		make_call_log(
			reference_doctype="CX Lead", reference_name=lead.name, call_start=add_days(now_datetime(), -1)
		)
		frappe.db.set_value(
			"CX Lead",
			lead.name,
			{"status": "Converted", "converted_on": add_days(now_datetime(), -3)},
			update_modified=False,
		)
		self.assertEqual(conversion.activity_counts([lead.name])[lead.name]["calls"], 2)
		self.assertEqual(conversion.activity_counts([lead.name], until_decision=True)[lead.name]["calls"], 1)

	def test_on_demand_runs_need_the_settings_write_permission(self):
		make_user(SALES, "Sales User")
		frappe.set_user(SALES)
		with self.assertRaises(frappe.PermissionError):
			conversion.retrain_now()
		with self.assertRaises(frappe.PermissionError):
			conversion.rescore_now()
		frappe.set_user("Administrator")
		with patch("frappe.enqueue") as enqueue:
			conversion.retrain_now()
			conversion.rescore_now()
		self.assertEqual(
			[call.kwargs["job_id"] for call in enqueue.call_args_list],
			["crm_app:insights_conversion_retrain", "crm_app:insights_conversion_rescore"],
		)
		self.assertEqual({call.kwargs["queue"] for call in enqueue.call_args_list}, {"long"})
