"""Record completeness (issue 10): computed by the server on every save, recomputed in bulk when the rules
change, rules checked against each record type's fields, and a report that counts only what its user may
read."""

from unittest.mock import patch

import frappe
from frappe.client import insert as client_insert
from frappe.client import save as client_save
from frappe.desk.form.load import getdoc
from frappe.desk.query_report import run

from crm_app.cx_data_quality import completeness
from crm_app.exceptions import CompletenessSettingsError

from .factories import CXTestCase, make_customer, make_lead, make_user

SETTINGS = "CX Data Quality Settings"
REPORT = "CX Incomplete Records"
ANN, BOB = "ann.complete@example.com", "bob.complete@example.com"
MANAGER = "meg.complete@example.com"
# Email 2, mobile or phone 1, organisation 1: a lead with only a name scores 0, with an email 50.
RULES = (
	("CX Lead", "email", "", 2),
	("CX Lead", "mobile_no", "phone", 1),
	("CX Lead", "organization_name", "", 1),
	("CX Customer", "website", "", 1),
	("CX Customer", "tax_id", "", 1),
	("Contact", "email_id", "", 1),
	("Contact", "company_name", "", 1),
)


def set_rules(rules=RULES, threshold: int = 60, recompute: bool = False):
	settings = frappe.get_single(SETTINGS)
	settings.completeness_threshold = threshold
	settings.set("completeness_rules", [])
	for record_type, fieldname, alternatives, weight in rules:
		settings.append(
			"completeness_rules",
			{
				"record_type": record_type,
				"fieldname": fieldname,
				"alternatives": alternatives,
				"weight": weight,
			},
		)
	settings.flags.skip_recompute = not recompute
	settings.save()
	return settings


def stored(doctype: str, name: str) -> float:
	return frappe.db.get_value(doctype, name, "completeness")


class CompletenessCase(CXTestCase):
	def setUp(self):
		super().setUp()
		completeness.prepare_scratch()  # DDL must come before this test's first write
		set_rules()

	def tearDown(self):
		super().tearDown()
		frappe.clear_document_cache(SETTINGS, SETTINGS)  # the rolled-back rules must not stay cached
		frappe.clear_cache(doctype="Contact")


class TestComputedOnSave(CompletenessCase):
	def test_a_lead_is_scored_on_insert_and_save(self):
		lead = make_lead(first_name="Only", last_name="Name")
		self.assertEqual(stored("CX Lead", lead.name), 0)
		lead.email = "only.name@example.com"
		lead.save()
		self.assertEqual(stored("CX Lead", lead.name), 50)
		lead.phone = "+48 22 123 45 67"  # mobile or phone: either will do
		lead.organization_name = "Name Sp. z o.o."
		lead.save()
		self.assertEqual(stored("CX Lead", lead.name), 100)

	def test_what_a_client_sends_is_ignored(self):
		make_user(MANAGER, "Sales Manager", "Sales User")
		frappe.set_user(MANAGER)
		inserted = client_insert({"doctype": "CX Lead", "first_name": "Forged", "completeness": 100})
		self.assertEqual(stored("CX Lead", inserted["name"]), 0)
		data = frappe.get_doc("CX Lead", inserted["name"]).as_dict(convert_dates_to_str=True)
		data.update(completeness=95, email="forged@example.com")
		client_save(data)
		self.assertEqual(stored("CX Lead", inserted["name"]), 50)

	def test_customers_and_contacts_are_scored_too(self):
		customer = make_customer(customer_name="Scored Customer", website="https://scored.example.com")
		self.assertEqual(stored("CX Customer", customer.name), 50)
		contact = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "Scored",
				"email_ids": [{"email_id": "scored.contact@example.com", "is_primary": 1}],
				"completeness": 100,
			}
		).insert()
		self.assertEqual(stored("Contact", contact.name), 50)  # email_id comes from the email rows

	def test_the_contact_field_is_a_read_only_custom_field_of_the_app(self):
		field = frappe.get_meta("Contact").get_field("completeness")
		self.assertTrue(field.read_only)
		self.assertEqual(
			frappe.db.get_value("Custom Field", {"dt": "Contact", "fieldname": "completeness"}, "module"),
			"CX Data Quality",
		)
		# Removed on uninstall (adding it again is left to the install: Frappe commits a schema sync).
		completeness.remove_contact_field()
		self.assertIsNone(frappe.get_meta("Contact").get_field("completeness"))

	def test_the_form_is_told_what_is_missing(self):
		lead = make_lead(first_name="Half", email="half@example.com")
		getdoc("CX Lead", lead.name)
		info = frappe.response.docs[0].get("__onload")["completeness"]
		self.assertEqual(info["percent"], 50)
		self.assertEqual(info["threshold"], 60)
		self.assertEqual(info["missing"], ["Mobile or Phone", "Organization"])

	def test_a_field_deleted_since_does_not_block_saving(self):
		settings = frappe.get_single(SETTINGS)
		settings.append(
			"completeness_rules", {"record_type": "CX Lead", "fieldname": "job_title", "weight": 4}
		)
		settings.flags.skip_recompute = True
		settings.save()
		frappe.db.set_value(
			"CX Completeness Rule", settings.completeness_rules[-1].name, "fieldname", "no_such_field"
		)
		frappe.clear_document_cache(SETTINGS, SETTINGS)
		lead = make_lead(first_name="Still", email="still@example.com")
		self.assertEqual(stored("CX Lead", lead.name), 50)


class TestRules(CompletenessCase):
	def assert_refused(self, rules, *words, threshold: int = 60):
		with self.assertRaises(CompletenessSettingsError) as error:
			set_rules(rules, threshold)
		for word in words:
			self.assertIn(word, str(error.exception))

	def test_a_field_the_record_type_lacks_is_refused_with_a_suggestion(self):
		self.assert_refused(
			(("CX Lead", "email", "", 1), ("CX Lead", "emial", "", 1)), "Row 2", "emial", "email"
		)

	def test_each_field_is_checked_against_its_own_record_type(self):
		# Contacts have email_id, leads do not.
		self.assert_refused((("CX Lead", "email_id", "", 1),), "CX Lead", "email_id")
		set_rules((("Contact", "email_id", "", 1),))

	def test_an_unknown_alternative_is_refused(self):
		self.assert_refused((("Contact", "email_id", "fax", 1),), "fax")

	def test_the_weight_must_be_above_zero(self):
		self.assert_refused((("CX Lead", "email", "", 0),), "weight")

	def test_layout_fields_and_the_score_itself_are_not_rule_fields(self):
		self.assert_refused((("CX Lead", "section_1", "", 1),), "section_1")
		self.assert_refused((("CX Lead", "completeness", "", 1),), "completeness")
		self.assert_refused((("CX Lead", "email_opt_out", "", 1),), "email_opt_out")

	def test_the_threshold_is_a_percentage(self):
		self.assert_refused(RULES, "1 and 100", threshold=101)

	def test_changing_the_rules_queues_one_recompute(self):
		with patch("crm_app.cx_data_quality.completeness.frappe.enqueue") as enqueue:
			set_rules(RULES[:2], recompute=True)
			set_rules(RULES[:2], threshold=70, recompute=True)  # the threshold changes no score
		self.assertEqual(enqueue.call_count, 1)
		kwargs = enqueue.call_args.kwargs
		self.assertEqual(
			(kwargs["queue"], kwargs["job_id"], kwargs["deduplicate"]),
			("long", "crm_app:recompute_completeness", True),
		)


class TestRecompute(CompletenessCase):
	def test_rules_changed_then_the_job_gives_every_record_its_new_score(self):
		leads = [
			make_lead(first_name="Bulk", last_name=str(i), email=f"bulk{i}@example.com") for i in range(5)
		]
		customer = make_customer(customer_name="Bulk Customer", tax_id="PL123")
		self.assertEqual({stored("CX Lead", lead.name) for lead in leads}, {50})
		# Now only the email counts for leads, and only the website for customers.
		set_rules((("CX Lead", "email", "", 1), ("CX Customer", "website", "", 1)))
		self.assertEqual(stored("CX Lead", leads[0].name), 50)  # nothing moves until the job runs
		with patch.object(frappe.db, "commit"):  # the job commits each batch; the test rolls back
			changed = completeness.recompute_all(batch_size=2, commit=False)
		self.assertGreaterEqual(changed, 6)
		self.assertEqual({stored("CX Lead", lead.name) for lead in leads}, {100})
		self.assertEqual(stored("CX Customer", customer.name), 0)
		settings = frappe.get_single(SETTINGS)
		self.assertTrue(settings.last_recomputed_on)
		self.assertGreaterEqual(settings.last_recompute_count, 6)
		self.assertFalse(frappe.db.exists("CX Job Checkpoint", "recompute_completeness"))

	def test_the_job_agrees_with_a_save(self):
		lead = make_lead(first_name="Agree", phone="+48 22 123 45 67")
		frappe.db.set_value("CX Lead", lead.name, "completeness", 0, update_modified=False)
		with patch.object(frappe.db, "commit"):
			completeness.recompute_all(commit=False)
		after_job = stored("CX Lead", lead.name)
		frappe.get_doc("CX Lead", lead.name).save()
		self.assertEqual(after_job, stored("CX Lead", lead.name))
		self.assertEqual(after_job, 25)


class TestIncompleteRecordsReport(CompletenessCase):
	def setUp(self):
		super().setUp()
		make_user(ANN, "Sales User")
		make_user(BOB, "Sales User")
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)
		self.ann = [
			make_lead(first_name="Ann", last_name="One", lead_owner=ANN),  # 0: all missing
			make_lead(first_name="Ann", last_name="Two", lead_owner=ANN, email="a2@example.com"),  # 50
			make_lead(  # 100
				first_name="Ann",
				last_name="Three",
				lead_owner=ANN,
				email="a3@example.com",
				mobile_no="+48 500 100 200",
				organization_name="Ann Co",
			),
		]
		self.bob = [make_lead(first_name="Bob", last_name=str(i), lead_owner=BOB) for i in range(2)]

	def tearDown(self):
		super().tearDown()
		frappe.clear_document_cache("CX Settings", "CX Settings")

	def report(self, **filters):
		return run(REPORT, filters={"record_type": "CX Lead", **filters}, ignore_prepared_report=True)

	def test_a_restricted_sales_user_sees_only_their_records(self):
		frappe.set_user(ANN)
		result = self.report()
		self.assertEqual([row["owner"] for row in result["result"]], [ANN])
		row = result["result"][0]
		self.assertEqual((row["records"], row["incomplete"], row["average"]), (3, 2, 50.0))
		self.assertEqual(row["most_missing"], "Mobile or Phone (2), Organization (2), Email (1)")
		self.assertIn("lead_owner=ann.complete%40example.com", row["incomplete_route"])
		self.assertIn("completeness=%5B%22%3C%22%2C+60%5D", row["incomplete_route"])
		summary = {item["label"]: item["value"] for item in result["report_summary"]}
		self.assertEqual((summary["Records"], summary["Incomplete"]), (3, 2))

	def test_a_manager_sees_every_owner_and_the_threshold_filter_applies(self):
		frappe.set_user("Administrator")
		rows = {row["owner"]: row for row in self.report(threshold=40)["result"]}
		self.assertEqual((rows[ANN]["incomplete"], rows[BOB]["incomplete"]), (1, 2))

	def test_bad_filters_are_refused(self):
		for filters in ({"record_type": "User"}, {"threshold": 500}):
			with self.assertRaises(frappe.ValidationError):
				self.report(**filters)

	def test_contacts_are_counted_by_their_creator(self):
		frappe.get_doc({"doctype": "Contact", "first_name": "Report", "company_name": "Co"}).insert()
		rows = {row["owner"]: row for row in self.report(record_type="Contact")["result"]}
		self.assertGreaterEqual(rows["Administrator"]["records"], 1)
