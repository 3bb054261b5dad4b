import frappe

from crm_app.exceptions import InvalidDateRangeError, LostReasonRequiredError, MissingPartyError

from .factories import CXTestCase, count, make_opportunity


class TestOpportunity(CXTestCase):
	def test_probability_follows_stage_unless_edited(self):
		opp = make_opportunity(sales_stage="Prospecting", amount=1000)
		self.assertEqual((opp.probability, opp.weighted_amount), (10, 100))
		opp.sales_stage = "Proposal"
		opp.save()
		self.assertEqual(opp.probability, 60)
		opp.probability = 75
		opp.save()
		opp.sales_stage = "Negotiation"
		opp.save()
		self.assertEqual(opp.probability, 75)

	def test_items_drive_the_amount(self):
		frappe.get_doc(
			{"doctype": "CX Product", "product_code": "ENG-1", "product_name": "Engine", "standard_rate": 100}
		).insert()
		# A CX Product line is valid with or without ERPNext (an ERPNext site defaults to its Item).
		opp = make_opportunity(items=[{"item_type": "CX Product", "item": "ENG-1", "qty": 3}])
		self.assertEqual((opp.items[0].rate, opp.amount), (100, 300))

	def test_won_and_lost(self):
		opp = make_opportunity()
		opp.mark_won()
		self.assertEqual((opp.status, opp.probability), ("Won", 100))
		self.assertTrue(opp.closed_on)
		opp.reopen()
		opp.mark_lost("No budget", "Frozen until next year")
		self.assertEqual((opp.status, opp.probability, opp.lost_reason), ("Lost", 0, "No budget"))

	def test_lost_without_reason_is_refused(self):
		opp = make_opportunity()
		opp.status = "Lost"
		with self.assertRaises(LostReasonRequiredError):
			opp.save()
		self.assertEqual(frappe.db.get_value("CX Opportunity", opp.name, "status"), "Open")

	def test_negative_amount_is_refused(self):
		before = count("CX Opportunity")
		with self.assertRaises(frappe.NonNegativeError):
			make_opportunity(amount=-5)
		self.assertEqual(count("CX Opportunity"), before)

	def test_party_is_required(self):
		with self.assertRaises(MissingPartyError):
			frappe.get_doc({"doctype": "CX Opportunity", "title": "Nobody's"}).insert()


class TestIssue(CXTestCase):
	def test_status_changes_stamp_times(self):
		issue = frappe.get_doc({"doctype": "CX Issue", "subject": "Engine stalls"}).insert()
		self.assertTrue(issue.opened_on)
		issue.status = "Replied"
		issue.save()
		self.assertTrue(issue.first_responded_on)
		issue.status = "Closed"
		issue.save()
		self.assertTrue(issue.resolved_on and issue.closed_on)
		issue.status = "Open"
		issue.save()
		self.assertFalse(issue.resolved_on or issue.closed_on)


class TestCampaign(CXTestCase):
	def test_end_before_start_is_refused(self):
		with self.assertRaises(InvalidDateRangeError):
			frappe.get_doc(
				{
					"doctype": "CX Campaign",
					"campaign_name": "Backwards",
					"start_date": "2026-05-02",
					"end_date": "2026-05-01",
				}
			).insert()

	def test_negative_budget_is_refused(self):
		with self.assertRaises(frappe.NonNegativeError):
			frappe.get_doc({"doctype": "CX Campaign", "campaign_name": "Negative", "budget": -1}).insert()
