"""ERPNext integration: customers, deal -> quotation -> order -> invoice -> payment, links by hand and in
bulk, the backfill of existing customers, stock on deal lines.

Runs on the ERPNext site (after completing ERPNext's setup wizard there, as ERPNext's own tests do); on a
plain Frappe site only the checks that the app stays whole without ERPNext run. Named to run after the
modules that expect an ERPNext site without a company.
"""

import unittest

import frappe
from frappe.utils import add_days, flt, nowdate

from crm_app.core.books.deal_books import WON_WHEN_INVOICED, WON_WHEN_ORDERED_OR_INVOICED
from crm_app.exceptions import DealDocumentError, DealLinkError, MissingExchangeRateError
from tests.integration.factories import CXTestCase, make_customer, make_lead, make_user

ON_ERPNEXT = "erpnext" in frappe.get_installed_apps()
needs_erpnext = unittest.skipUnless(ON_ERPNEXT, "ERPNext is not installed on this site")
COMPANY = "Wind Power LLC"
STOCK_ITEM, SERVICE_ITEM = "CX-TEST-STOCK", "CX-TEST-SERVICE"


def setUpModule():
	if not ON_ERPNEXT:
		return
	from erpnext.setup.utils import before_tests

	if not frappe.db.get_single_value("System Settings", "country"):
		# Where Frappe's part of the wizard counts as done, ERPNext's part reads these from System Settings.
		frappe.db.set_single_value(
			"System Settings",
			{"country": "United States", "currency": "USD", "time_zone": "America/New_York"},
		)
	before_tests()  # ERPNext's own test setup: the setup wizard (company, chart, price lists), once
	for code, is_stock in ((STOCK_ITEM, 1), (SERVICE_ITEM, 0)):
		if not frappe.db.exists("Item", code):
			frappe.get_doc(
				{
					"doctype": "Item",
					"item_code": code,
					"item_name": f"{code} name",
					"description": f"{code} description",
					"item_group": "All Item Groups",
					"stock_uom": "Nos",
					"is_stock_item": is_stock,
					"standard_rate": 100,  # creates the Standard Selling price
				}
			).insert()
	for code in (STOCK_ITEM, SERVICE_ITEM):  # ERPNext's before_tests deletes every Item Price
		if not frappe.db.exists("Item Price", {"item_code": code, "price_list": "Standard Selling"}):
			frappe.get_doc(
				{
					"doctype": "Item Price",
					"item_code": code,
					"price_list": "Standard Selling",
					"price_list_rate": 100,
				}
			).insert()
	if not frappe.db.exists("Bin", {"item_code": STOCK_ITEM}):
		receipt = frappe.get_doc(
			{
				"doctype": "Stock Entry",
				"stock_entry_type": "Material Receipt",
				"company": COMPANY,
				"items": [
					{
						"item_code": STOCK_ITEM,
						"qty": 5,
						"t_warehouse": frappe.db.get_value("Warehouse", {"company": COMPANY, "is_group": 0}),
						"basic_rate": 50,
					}
				],
			}
		)
		receipt.insert()
		receipt.submit()
	settings = frappe.get_single("CX Settings")
	settings.erpnext_company = COMPANY
	settings.selling_price_list = "Standard Selling"
	settings.save()
	frappe.db.commit()


def make_deal(customer: str | None = None, lines=((STOCK_ITEM, 2, 120),), **values):
	customer = customer or make_customer(customer_name=f"Books {frappe.generate_hash(length=6)}").name
	return frappe.get_doc(
		{
			"doctype": "CX Opportunity",
			"title": "Books deal",
			"customer": customer,
			"currency": "USD",
			"items": [
				{"item_type": "Item", "item": code, "qty": qty, "rate": rate} for code, qty, rate in lines
			],
			**values,
		}
	).insert()


def submit(doc):
	doc.insert()
	doc.submit()
	return doc


def deal_figures(name: str) -> dict:
	return frappe.db.get_value(
		"CX Opportunity",
		name,
		["status", "quoted_amount", "ordered_amount", "invoiced_amount", "paid_amount", "outstanding_amount"],
		as_dict=True,
	)


def invoice_for(customer: str, amount: float, **values):
	"""A submitted invoice made in ERPNext, outside any deal."""
	return submit(
		frappe.get_doc(
			{
				"doctype": "Sales Invoice",
				"customer": customer,
				"company": COMPANY,
				"currency": "USD",
				"due_date": nowdate(),
				"items": [{"item_code": SERVICE_ITEM, "qty": 1, "rate": amount}],
				**values,
			}
		)
	)


@needs_erpnext
class TestDealToInvoice(CXTestCase):
	def test_whole_flow_moves_amounts_and_status(self):
		from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry
		from erpnext.selling.doctype.quotation.quotation import make_sales_order
		from erpnext.selling.doctype.sales_order.sales_order import make_sales_invoice

		from crm_app.cx_sales.doctype.cx_lead.conversion import convert_lead
		from crm_app.integrations.erpnext.deals import make_quotation

		lead = make_lead(
			first_name="Books", last_name="Flow", company_name="Flow Works", email_id="flow@example.com"
		)
		result = convert_lead(lead.name)
		cx_customer = frappe.get_doc("CX Customer", result["customer"])
		erp_customer = cx_customer.erpnext_customer
		self.assertTrue(erp_customer, "the lead's customer has its ERPNext Customer")
		self.assertEqual(frappe.db.get_value("Customer", erp_customer, "cx_customer"), cx_customer.name)
		contact = frappe.get_doc("Contact", cx_customer.primary_contact)
		self.assertIn(
			("Customer", erp_customer), {(link.link_doctype, link.link_name) for link in contact.links}
		)

		deal = make_deal(cx_customer.name)
		quotation = submit(make_quotation(deal.name))
		self.assertEqual(quotation.party_name, erp_customer)
		self.assertEqual(quotation.cx_opportunity, deal.name)
		self.assertEqual(
			[(row.item_code, row.qty, row.rate) for row in quotation.items], [(STOCK_ITEM, 2, 120)]
		)
		self.assertEqual(deal_figures(deal.name).quoted_amount, 240)
		self.assertEqual(deal_figures(deal.name).status, "Open")

		order = make_sales_order(quotation.name)
		order.delivery_date = add_days(nowdate(), 7)
		submit(order)
		self.assertEqual(order.cx_opportunity, deal.name, "ERPNext's mapping carries the deal forward")
		figures = deal_figures(deal.name)
		self.assertEqual((figures.ordered_amount, figures.status), (240, "Won"))

		invoice = make_sales_invoice(order.name)
		invoice.update_stock = 0
		submit(invoice)
		figures = deal_figures(deal.name)
		self.assertEqual(
			(figures.invoiced_amount, figures.outstanding_amount, figures.paid_amount), (240, 240, 0)
		)

		payment = get_payment_entry("Sales Invoice", invoice.name)
		payment.reference_no, payment.reference_date = "CX-1", nowdate()
		submit(payment)
		self.assertEqual(payment.cx_opportunity, deal.name)
		figures = deal_figures(deal.name)
		self.assertEqual((figures.paid_amount, figures.outstanding_amount), (240, 0))

		payment.cancel()
		invoice.reload()
		invoice.cancel()
		figures = deal_figures(deal.name)
		self.assertEqual((figures.invoiced_amount, figures.paid_amount, figures.status), (0, 0, "Won"))

		amended = frappe.copy_doc(invoice)
		amended.docstatus, amended.amended_from = 0, invoice.name
		submit(amended)
		self.assertEqual(deal_figures(deal.name).invoiced_amount, 240)

		from erpnext.accounts.doctype.sales_invoice.sales_invoice import make_sales_return

		credit_note = make_sales_return(amended.name)
		credit_note.items[0].qty = -1
		submit(credit_note)
		self.assertEqual(credit_note.cx_opportunity, deal.name)
		figures = deal_figures(deal.name)
		self.assertEqual((figures.invoiced_amount, figures.outstanding_amount), (120, 120))
		self.assertEqual(
			frappe.db.get_value("CX Customer", cx_customer.name, "lifetime_value"),
			120,
			"the customer follows",
		)

	def test_won_by_books_reopens_when_its_documents_are_cancelled(self):
		from crm_app.integrations.erpnext.deals import make_sales_order

		deal = make_deal()
		order = make_sales_order(deal.name)
		submit(order)
		self.assertEqual(deal_figures(deal.name).status, "Won")
		order.cancel()
		self.assertEqual(deal_figures(deal.name).status, "Open")

	def test_a_status_set_by_a_person_is_left_alone(self):
		from crm_app.integrations.erpnext.deals import make_sales_order

		deal = make_deal()
		order = submit(make_sales_order(deal.name))
		deal.reload()
		deal.reopen()
		deal.mark_won()  # the person confirms the win themselves
		order.cancel()
		self.assertEqual(deal_figures(deal.name).status, "Won")

	def test_only_invoices_win_when_set_so(self):
		from crm_app.integrations.erpnext.deals import make_sales_invoice, make_sales_order

		frappe.db.set_single_value("CX Settings", "mark_won_when", WON_WHEN_INVOICED)
		frappe.clear_document_cache("CX Settings", "CX Settings")
		try:
			deal = make_deal(lines=((SERVICE_ITEM, 1, 300),))
			submit(make_sales_order(deal.name))
			self.assertEqual(deal_figures(deal.name).status, "Open")
			submit(make_sales_invoice(deal.name))
			self.assertEqual(deal_figures(deal.name).status, "Won")
		finally:
			frappe.db.set_single_value("CX Settings", "mark_won_when", WON_WHEN_ORDERED_OR_INVOICED)
			frappe.clear_document_cache("CX Settings", "CX Settings")

	def test_lost_quotation_loses_the_deal(self):
		from crm_app.integrations.erpnext.deals import make_quotation

		deal = make_deal()
		quotation = submit(make_quotation(deal.name))
		if not frappe.db.exists("Quotation Lost Reason", "Price"):
			frappe.get_doc({"doctype": "Quotation Lost Reason", "order_lost_reason": "Price"}).insert()
		quotation.declare_enquiry_lost([{"lost_reason": "Price"}], [])
		figures = deal_figures(deal.name)
		self.assertEqual((figures.status, figures.quoted_amount), ("Lost", 0))

	def test_two_deals_of_one_customer_each_keep_their_documents(self):
		from erpnext.selling.doctype.quotation.quotation import make_sales_order

		from crm_app.integrations.erpnext.deals import make_quotation

		first = make_deal()
		second = make_deal(first.customer, lines=((SERVICE_ITEM, 3, 50),))
		quotations = [submit(make_quotation(deal.name)) for deal in (first, second)]
		for quotation, deal, amount in zip(quotations, (first, second), (240, 150), strict=True):
			order = make_sales_order(quotation.name)
			order.delivery_date = add_days(nowdate(), 7)
			submit(order)
			self.assertEqual(order.cx_opportunity, deal.name)
			self.assertEqual(deal_figures(deal.name).ordered_amount, amount)

	def test_deal_that_cannot_be_sold_is_refused_before_anything_is_written(self):
		from crm_app.integrations.erpnext.deals import make_quotation

		quotations = frappe.db.count("Quotation")
		self.assertRaises(DealDocumentError, make_quotation, make_deal(lines=()).name)
		deal = make_deal(lines=((SERVICE_ITEM, 1, 10),))
		frappe.db.set_value("Item", SERVICE_ITEM, "disabled", 1)
		frappe.clear_document_cache("Item", SERVICE_ITEM)
		try:
			self.assertRaises(DealDocumentError, make_quotation, deal.name)
		finally:
			frappe.db.set_value("Item", SERVICE_ITEM, "disabled", 0)
			frappe.clear_document_cache("Item", SERVICE_ITEM)
		self.assertEqual(frappe.db.count("Quotation"), quotations)

	def test_price_list_in_a_currency_without_exchange_rate_is_refused(self):
		from crm_app.integrations.erpnext.deals import make_quotation

		if not frappe.db.exists("Price List", "CX Test CHF"):
			frappe.get_doc(
				{"doctype": "Price List", "price_list_name": "CX Test CHF", "currency": "CHF", "selling": 1}
			).insert()
		deal = make_deal()
		frappe.db.set_single_value("CX Settings", "selling_price_list", "CX Test CHF")
		frappe.clear_document_cache("CX Settings", "CX Settings")
		try:
			self.assertRaises(MissingExchangeRateError, make_quotation, deal.name)
		finally:
			frappe.db.set_single_value("CX Settings", "selling_price_list", "Standard Selling")
			frappe.clear_document_cache("CX Settings", "CX Settings")

	def test_deal_currency_converts_at_the_deals_own_rate(self):
		from crm_app.integrations.erpnext.deals import make_quotation

		deal = make_deal(currency="CHF", exchange_rate=1.25)
		quotation = submit(make_quotation(deal.name))
		self.assertEqual((quotation.currency, quotation.conversion_rate), ("CHF", 1.25))
		self.assertEqual(deal_figures(deal.name).quoted_amount, 300, "2 x 120 CHF at 1.25, in USD")


@needs_erpnext
class TestLinkingInvoices(CXTestCase):
	def erp_customer(self, name: str | None = None) -> tuple[str, str]:
		cx = make_customer(customer_name=name or f"Linked {frappe.generate_hash(length=6)}")
		return cx.name, cx.erpnext_customer

	def test_an_existing_invoice_is_linked_by_hand(self):
		cx, erp = self.erp_customer()
		deal = make_deal(cx)
		invoice = invoice_for(erp, 500)
		self.assertEqual(deal_figures(deal.name).invoiced_amount, 0)
		invoice.cx_opportunity = deal.name
		invoice.save()
		self.assertEqual(deal_figures(deal.name).invoiced_amount, 500)
		invoice.cx_opportunity = None
		invoice.save()
		self.assertEqual(deal_figures(deal.name).invoiced_amount, 0, "unlinking takes it back")

	def test_another_customers_deal_is_refused(self):
		cx, _erp = self.erp_customer()
		_other_cx, other_erp = self.erp_customer()
		deal = make_deal(cx)
		invoice = invoice_for(other_erp, 500)
		invoice.cx_opportunity = deal.name
		self.assertRaises(DealLinkError, invoice.save)

	def test_a_restricted_user_cannot_link_a_deal_they_cannot_see(self):
		cx, erp = self.erp_customer()
		deal = make_deal(cx, opportunity_owner="Administrator")
		invoice = invoice_for(erp, 500)
		user = make_user("books.sales@example.com", "Sales User", "Accounts User")
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)
		frappe.clear_document_cache("CX Settings", "CX Settings")
		frappe.set_user(user)
		try:
			invoice.reload()
			invoice.cx_opportunity = deal.name
			self.assertRaises(DealLinkError, invoice.save)
		finally:
			frappe.set_user("Administrator")
			frappe.db.set_single_value("CX Settings", "restrict_sales_users", 0)
			frappe.clear_document_cache("CX Settings", "CX Settings")

	def test_bulk_link_is_all_or_nothing(self):
		from crm_app.integrations.erpnext.deals import link_documents

		cx, erp = self.erp_customer()
		_other_cx, other_erp = self.erp_customer()
		deal = make_deal(cx)
		mine, mine_too, foreign = invoice_for(erp, 100), invoice_for(erp, 200), invoice_for(other_erp, 300)
		link_documents([["Sales Invoice", mine.name, deal.name], ["Sales Invoice", mine_too.name, deal.name]])
		self.assertEqual(deal_figures(deal.name).invoiced_amount, 300)
		frappe.db.savepoint("bulk")
		with self.assertRaises(DealLinkError):
			link_documents([["Sales Invoice", foreign.name, deal.name]])
		frappe.db.rollback(save_point="bulk")
		self.assertFalse(frappe.db.get_value("Sales Invoice", foreign.name, "cx_opportunity"))

	def test_invoice_totals_and_ledger_are_untouched_by_the_link(self):
		cx, erp = self.erp_customer()
		deal = make_deal(cx)
		invoice = invoice_for(erp, 750)
		gl = frappe.get_all(
			"GL Entry", {"voucher_no": invoice.name}, ["account", "debit", "credit"], order_by="account"
		)
		invoice.cx_opportunity = deal.name
		invoice.save()
		self.assertEqual(
			frappe.get_all(
				"GL Entry", {"voucher_no": invoice.name}, ["account", "debit", "credit"], order_by="account"
			),
			gl,
		)
		self.assertEqual(flt(frappe.db.get_value("Sales Invoice", invoice.name, "grand_total")), 750)


@needs_erpnext
class TestCustomers(CXTestCase):
	def test_backfill_links_existing_customers_once(self):
		from crm_app.integrations.erpnext.customers import backfill_customers

		frappe.db.set_single_value("CX Settings", "create_cx_customers", 0)
		frappe.clear_document_cache("CX Settings", "CX Settings")
		tag = frappe.generate_hash(length=6)
		try:
			existing = make_customer(customer_name=f"Match {tag}", tax_id=f"PL-{tag}")
			frappe.db.set_value("CX Customer", existing.name, "erpnext_customer", None)
			names = []
			for index in range(5):
				customer = frappe.get_doc(
					{
						"doctype": "Customer",
						"customer_name": f"Backfill {tag} {index}",
						"customer_type": "Company",
						"tax_id": f"pl {tag}" if index == 0 else None,
					}
				).insert()
				names.append(customer.name)
			real_commit = frappe.db.commit
			frappe.db.commit = lambda: None  # the job commits per batch; the test rolls back
			try:
				first = backfill_customers(batch_size=2)
				second = backfill_customers(batch_size=2)
			finally:
				frappe.db.commit = real_commit
			self.assertGreaterEqual(first["created"], 4)
			self.assertEqual(second, {"matched": 0, "created": 0}, "a second run finds nothing to do")
			self.assertEqual(
				frappe.db.get_value("Customer", names[0], "cx_customer"), existing.name, "by tax id"
			)
			for name in names:
				cx = frappe.db.get_value("Customer", name, "cx_customer")
				self.assertEqual(frappe.db.get_value("CX Customer", cx, "erpnext_customer"), name)
			self.assertEqual(frappe.db.count("CX Customer", {"erpnext_customer": ("in", names)}), 5)
		finally:
			frappe.db.set_single_value("CX Settings", "create_cx_customers", 1)
			frappe.clear_document_cache("CX Settings", "CX Settings")

	def test_new_erpnext_customer_gets_its_crm_customer_with_shared_contact(self):
		customer = frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": f"New {frappe.generate_hash(length=6)}",
				"customer_type": "Individual",
			}
		).insert()
		cx = frappe.db.get_value("Customer", customer.name, "cx_customer")
		self.assertTrue(cx)
		self.assertEqual(frappe.db.get_value("CX Customer", cx, "customer_type"), "Individual")
		contact = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "Shared",
				"links": [{"link_doctype": "Customer", "link_name": customer.name}],
			}
		).insert()
		self.assertIn(("CX Customer", cx), {(link.link_doctype, link.link_name) for link in contact.links})
		self.assertEqual(
			frappe.db.count("Contact", {"first_name": "Shared", "name": contact.name}), 1, "not copied"
		)

	def test_purchase_history_on_the_customer(self):
		from crm_app.integrations.erpnext.history import purchase_history

		cx = make_customer(customer_name=f"History {frappe.generate_hash(length=6)}")
		invoice_for(cx.erpnext_customer, 400)
		history = purchase_history(cx.name)
		self.assertEqual(history["invoice_count"], 1)
		self.assertEqual(history["money"]["lifetime_value"], 400)
		self.assertEqual(history["items"][0]["item_code"], SERVICE_ITEM)
		self.assertEqual(frappe.db.get_value("CX Customer", cx.name, "lifetime_value"), 400)


@needs_erpnext
class TestStockAndIssues(CXTestCase):
	def test_lines_show_stock_and_warn_when_short(self):
		frappe.message_log = []
		deal = make_deal(lines=((STOCK_ITEM, 9, 10),))
		self.assertEqual(deal.items[0].available_qty, 5)
		self.assertTrue(any("in stock" in str(message) for message in frappe.message_log))

	def test_item_details_take_unit_rate_and_description(self):
		from crm_app.integrations.erpnext.stock import item_details, item_stock

		details = item_details(STOCK_ITEM, "USD")
		self.assertEqual((details["uom"], details["rate"]), ("Nos", 100))
		self.assertEqual(details["description"], f"{STOCK_ITEM} description")
		self.assertEqual(sum(row["actual"] for row in item_stock([STOCK_ITEM])[STOCK_ITEM]), 5)

	def test_stock_levels_need_erpnexts_right_to_read_them(self):
		from crm_app.integrations.erpnext.stock import item_stock

		frappe.set_user(make_user("books.marketing.only@example.com", "Marketing User"))
		self.assertRaises(frappe.PermissionError, item_stock, [STOCK_ITEM])

	def test_issue_links_an_invoice_of_its_customer_only(self):
		from crm_app.exceptions import IssuePurchaseError

		cx = make_customer(customer_name=f"Issue {frappe.generate_hash(length=6)}")
		other = make_customer(customer_name=f"Other {frappe.generate_hash(length=6)}")
		invoice = invoice_for(other.erpnext_customer, 90)
		issue = frappe.get_doc(
			{"doctype": "CX Issue", "subject": "Broken", "customer": cx.name, "sales_invoice": invoice.name}
		)
		self.assertRaises(IssuePurchaseError, issue.insert)
		issue.customer = other.name
		issue.item = SERVICE_ITEM
		issue.insert()


class TestWithoutERPNext(CXTestCase):
	@unittest.skipIf(ON_ERPNEXT, "only on a site without ERPNext")
	def test_the_app_stays_whole(self):
		from crm_app.integrations.erpnext.books import documents_of

		customer = make_customer(customer_name="No ERPNext here")
		self.assertFalse(
			frappe.db.exists("Custom Field", {"dt": "CX Customer", "fieldname": "erpnext_customer"})
		)
		self.assertIsNone(customer.get("erpnext_customer"))
		self.assertEqual(documents_of("anything"), {})


@needs_erpnext
class TestDealsAndInvoicesReport(CXTestCase):
	def test_deals_view_and_invoices_without_a_deal_with_suggestions(self):
		from crm_app.cx_sales.report.cx_deals_and_invoices.cx_deals_and_invoices import execute
		from crm_app.integrations.erpnext.deals import make_sales_invoice

		cx = make_customer(customer_name=f"Report {frappe.generate_hash(length=6)}")
		deal = make_deal(cx.name, lines=((SERVICE_ITEM, 2, 250),), expected_close_date=nowdate())
		submit(make_sales_invoice(deal.name))
		loose = invoice_for(cx.erpnext_customer, 480)

		_columns, rows, _message, _chart, _summary = execute({"view": "Deals", "customer": cx.name})
		self.assertEqual(
			[(row.opportunity, row.invoiced_amount, row.outstanding_amount) for row in rows],
			[(deal.name, 500, 500)],
		)
		_columns, rows, _message, _chart, _summary = execute(
			{"view": "Invoices Without Deal", "customer": cx.name}
		)
		self.assertEqual([row.sales_invoice for row in rows], [loose.name])
		self.assertEqual(rows[0].suggested_opportunity, deal.name)


@needs_erpnext
class TestRepair(CXTestCase):
	def test_recompute_puts_drifted_figures_right(self):
		from crm_app.integrations.erpnext.books import repair_books
		from crm_app.integrations.erpnext.deals import make_sales_invoice

		deal = make_deal(lines=((SERVICE_ITEM, 1, 300),))
		invoice = submit(make_sales_invoice(deal.name))
		frappe.db.set_value("CX Opportunity", deal.name, {"invoiced_amount": 999, "paid_amount": 5})
		cx = frappe.db.get_value("CX Opportunity", deal.name, "customer")
		frappe.db.set_value("CX Customer", cx, "lifetime_value", 1)
		real_commit = frappe.db.commit
		frappe.db.commit = lambda: None
		try:
			self.assertGreaterEqual(repair_books(), 1)
		finally:
			frappe.db.commit = real_commit
		figures = deal_figures(deal.name)
		self.assertEqual((figures.invoiced_amount, figures.paid_amount), (invoice.base_grand_total, 0))
		self.assertEqual(frappe.db.get_value("CX Customer", cx, "lifetime_value"), invoice.base_grand_total)

	def test_cancelling_an_invoice_whose_deal_was_deleted(self):
		from crm_app.integrations.erpnext.deals import make_sales_invoice

		deal = make_deal(lines=((SERVICE_ITEM, 1, 80),))
		invoice = submit(make_sales_invoice(deal.name))
		frappe.delete_doc("CX Opportunity", deal.name, force=True)  # a System Manager's forced delete
		invoice.reload()
		invoice.cancel()  # nothing to update, nothing refused
		self.assertEqual(frappe.db.get_value("Sales Invoice", invoice.name, "docstatus"), 2)

	def test_rep_performance_and_campaign_show_invoiced_revenue(self):
		from crm_app.campaigns import refresh_campaign_rollups
		from crm_app.cx_sales.report.cx_rep_performance.cx_rep_performance import execute
		from crm_app.integrations.erpnext.deals import make_sales_invoice
		from tests.integration.factories import make_campaign

		campaign = make_campaign(f"Books campaign {frappe.generate_hash(length=6)}")
		deal = make_deal(lines=((SERVICE_ITEM, 1, 700),), campaign=campaign)
		submit(make_sales_invoice(deal.name))
		columns, rows, *_rest = execute({"owner": "Administrator"})
		self.assertIn("invoiced_amount", [column["fieldname"] for column in columns])
		self.assertGreaterEqual(rows[0]["invoiced_amount"], 700)
		refresh_campaign_rollups([campaign])
		self.assertEqual(frappe.db.get_value("CX Campaign", campaign, "invoiced_amount"), 700)


@needs_erpnext
class TestJournalPayments(CXTestCase):
	def test_a_payment_booked_by_journal_entry_counts_as_paid(self):
		from crm_app.integrations.erpnext.deals import make_sales_invoice

		deal = make_deal(lines=((SERVICE_ITEM, 1, 400),))
		invoice = submit(make_sales_invoice(deal.name))
		cash = frappe.get_cached_value("Company", COMPANY, "default_cash_account")
		journal = frappe.get_doc(
			{
				"doctype": "Journal Entry",
				"company": COMPANY,
				"posting_date": nowdate(),
				"accounts": [
					{"account": cash, "debit_in_account_currency": 150},
					{
						"account": invoice.debit_to,
						"party_type": "Customer",
						"party": invoice.customer,
						"credit_in_account_currency": 150,
						"reference_type": "Sales Invoice",
						"reference_name": invoice.name,
					},
				],
			}
		)
		submit(journal)
		figures = deal_figures(deal.name)
		self.assertEqual((figures.paid_amount, figures.outstanding_amount), (150, 250))
		journal.cancel()
		self.assertEqual(deal_figures(deal.name).paid_amount, 0)


@needs_erpnext
class TestBooksNeverBlockAccounting(CXTestCase):
	def test_a_payment_for_a_deal_lost_since_still_books(self):
		from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

		from crm_app.integrations.erpnext.deals import make_sales_invoice

		deal = make_deal(lines=((SERVICE_ITEM, 1, 90),))
		invoice = submit(make_sales_invoice(deal.name))
		deal.reload()
		deal.reopen()
		deal.mark_lost(lost_reason=frappe.get_all("CX Lost Reason", pluck="name", limit=1)[0])
		payment = get_payment_entry("Sales Invoice", invoice.name)
		payment.reference_no, payment.reference_date = "LOST-1", nowdate()
		submit(payment)
		self.assertEqual(payment.cx_opportunity, deal.name, "inherited, not refused")
		self.assertEqual(deal_figures(deal.name).status, "Lost", "a person's Lost stays")

	def test_a_missing_exchange_rate_leaves_the_figures_not_the_invoice(self):
		from crm_app.integrations.erpnext.deals import make_sales_invoice

		deal = make_deal(lines=((SERVICE_ITEM, 1, 60),))
		invoice = make_sales_invoice(deal.name)
		invoice.insert()
		frappe.db.set_single_value("CX Settings", "default_currency", "CHF")  # no USD -> CHF rate anywhere
		frappe.clear_document_cache("CX Settings", "CX Settings")
		try:
			invoice.submit()
		finally:
			frappe.db.set_single_value("CX Settings", "default_currency", None)
			frappe.clear_document_cache("CX Settings", "CX Settings")
		self.assertEqual(frappe.db.get_value("Sales Invoice", invoice.name, "docstatus"), 1)
		self.assertEqual(
			deal_figures(deal.name).invoiced_amount, 0, "waits for the next document or a repair"
		)
		self.assertTrue(frappe.db.exists("Error Log", {"method": "CRM figures not updated"}))

	def test_order_delivery_invoice_keeps_the_deal(self):
		from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note
		from erpnext.stock.doctype.delivery_note.delivery_note import make_sales_invoice

		from crm_app.integrations.erpnext.deals import make_sales_order

		deal = make_deal(lines=((SERVICE_ITEM, 2, 75),))
		order = submit(make_sales_order(deal.name))
		delivery = submit(make_delivery_note(order.name))
		self.assertEqual(delivery.cx_opportunity, deal.name)
		invoice = submit(make_sales_invoice(delivery.name))
		self.assertEqual(invoice.cx_opportunity, deal.name)
		self.assertEqual(deal_figures(deal.name).invoiced_amount, 150)

	def test_invoices_without_a_deal_need_the_right_to_read_invoices(self):
		from crm_app.cx_sales.report.cx_deals_and_invoices.cx_deals_and_invoices import execute

		frappe.set_user(make_user("books.marketing@example.com", "Sales Manager"))
		self.assertRaises(frappe.PermissionError, execute, {"view": "Invoices Without Deal"})
