"""From deal to invoice, and invoices back to their deal.

- A `CX Opportunity` with ERPNext items becomes a Quotation, Sales Order or Sales Invoice through ERPNext's
  `get_mapped_doc`; the new document carries `cx_opportunity`, which ERPNext's own mappings (Quotation ->
  Sales Order -> Sales Invoice, invoice -> credit note) copy forward. Several deals per customer work:
  the link is on each document, not on the customer.
- Any of those documents (and a Payment Entry) can be linked to a deal after the fact: only to a deal of
  the same customer that is not lost, and only by someone who may read that deal, unless the link came
  with the document it was made from.
"""

import frappe
from frappe import _
from frappe.model.mapper import get_mapped_doc
from frappe.utils import flt, getdate, nowdate

from crm_app.exceptions import (
	AlreadyLinkedError,
	DealDocumentError,
	DealLinkError,
	MissingExchangeRateError,
)
from crm_app.integrations.erpnext.common import default_company, integration_enabled, json_list
from crm_app.integrations.erpnext.customers import ensure_erpnext_customer
from crm_app.integrations.erpnext.fields import DEAL_FIELD, PARTY_FIELD
from crm_app.integrations.erpnext.stock import price_list_for
from crm_app.money import exchange_rate

DEAL, LINE = "CX Opportunity", "CX Opportunity Item"
ERP_ITEM = "Item"


# -- deal -> document --------------------------------------------------------------------------------


@frappe.whitelist()
def make_quotation(source_name: str, target_doc: str | dict | None = None):
	return map_deal(source_name, "Quotation", target_doc)


@frappe.whitelist()
def make_sales_order(source_name: str, target_doc: str | dict | None = None):
	return map_deal(source_name, "Sales Order", target_doc)


@frappe.whitelist()
def make_sales_invoice(source_name: str, target_doc: str | dict | None = None):
	return map_deal(source_name, "Sales Invoice", target_doc)


def map_deal(deal_name: str, doctype: str, target_doc=None):
	"""A new, unsaved `doctype` for the deal: its customer, currency, items, quantities and rates."""
	deal = frappe.get_doc(DEAL, deal_name)
	deal.check_permission("read")
	frappe.has_permission(doctype, "create", throw=True)
	if not integration_enabled():
		frappe.throw(_("Connect to ERPNext is off in CX Settings."), DealDocumentError)
	check_deal_can_be_sold(deal)
	company = default_company()
	if not company:
		frappe.throw(_("Set the company in CX Settings > ERPNext first."), DealDocumentError)
	customer = ensure_erpnext_customer(frappe.get_doc("CX Customer", deal.customer))
	terms = selling_terms(deal, company)

	def set_document(source, target):
		target.company = company
		target.set(PARTY_FIELD[doctype], customer)
		if doctype == "Quotation":
			target.quotation_to = "Customer"
		if doctype == "Sales Order":
			target.delivery_date = max(getdate(deal.expected_close_date or nowdate()), getdate())
		target.update(terms)
		target.set(DEAL_FIELD, deal.name)
		target.run_method("set_missing_values")
		target.update(terms)  # set_missing_values would look the rates up on the web otherwise
		target.run_method("calculate_taxes_and_totals")

	def set_line(source, target, source_parent):
		target.uom = source.uom or frappe.get_cached_value(ERP_ITEM, source.item, "stock_uom")
		if doctype == "Sales Order":
			target.delivery_date = max(getdate(deal.expected_close_date or nowdate()), getdate())

	deal_fields = [df.fieldname for df in frappe.get_meta(DEAL).fields]
	line_fields = [df.fieldname for df in frappe.get_meta(LINE).fields if df.fieldname not in LINE_MAP]
	return get_mapped_doc(
		DEAL,
		deal.name,
		{
			# Same-named deal fields (customer, territory, campaign, status, naming series) mean CRM
			# records, not ERPNext's: nothing is copied by name.
			DEAL: {"doctype": doctype, "field_no_map": deal_fields},
			LINE: {
				"doctype": f"{doctype} Item",
				"field_map": {"item": "item_code"},
				"field_no_map": line_fields,
				"postprocess": set_line,
			},
		},
		target_doc,
		set_document,
	)


LINE_MAP = ("item", "item_name", "description", "qty", "rate")


def check_deal_can_be_sold(deal) -> None:
	if not deal.customer:
		frappe.throw(
			_("Convert the lead to a customer first: quotations, orders and invoices are for customers."),
			DealDocumentError,
		)
	if deal.status == "Lost":
		frappe.throw(_("Opportunity {0} is lost. Reopen it first.").format(deal.name), DealDocumentError)
	if not deal.items:
		frappe.throw(_("Add the items this deal sells first."), DealDocumentError, title=_("No Items"))
	for row in deal.items:
		if row.item_type != ERP_ITEM:
			frappe.throw(
				_("Row {0}: {1} is a CRM product. Choose an ERPNext item to sell it.").format(
					row.idx, frappe.bold(row.item)
				),
				DealDocumentError,
			)
		if frappe.get_cached_value(ERP_ITEM, row.item, "disabled"):
			frappe.throw(
				_("Row {0}: item {1} is disabled.").format(row.idx, frappe.bold(row.item)), DealDocumentError
			)
		if flt(row.qty) <= 0:
			frappe.throw(_("Row {0}: enter a quantity above zero.").format(row.idx), DealDocumentError)
		if row.uom and not frappe.db.exists("UOM", row.uom):
			frappe.throw(
				_("Row {0}: {1} is not a unit of measure in ERPNext.").format(row.idx, frappe.bold(row.uom)),
				DealDocumentError,
			)


def selling_terms(deal, company: str) -> dict:
	"""Currency, price list and both exchange rates, all known before the document exists: ERPNext would
	ask a web service for a missing rate, and refuse to save without one."""
	company_currency = frappe.get_cached_value("Company", company, "default_currency")
	price_list, price_list_currency = price_list_for(deal.currency)
	on = getdate()
	return {
		"currency": deal.currency,
		"conversion_rate": _rate(deal.currency, company_currency, on, deal),
		"selling_price_list": price_list,
		"price_list_currency": price_list_currency,
		"plc_conversion_rate": _rate(price_list_currency, company_currency, on, deal),
		"ignore_pricing_rule": 1,  # the deal's rates were agreed; a pricing rule must not move them
	}


def _rate(from_currency: str, to_currency: str, on, deal) -> float:
	if from_currency == to_currency:
		return 1.0
	found = exchange_rate(from_currency, to_currency, on)
	if found:
		return found[0]
	if from_currency == deal.currency and to_currency == deal.base_currency and flt(deal.exchange_rate):
		return flt(deal.exchange_rate)
	frappe.throw(
		_("Add a Currency Exchange from {0} to {1} for {2}: the deal or its price list is in {0}.").format(
			from_currency, to_currency, frappe.format(on, "Date")
		),
		MissingExchangeRateError,
		title=_("Exchange Rate Missing"),
	)


# -- document -> deal --------------------------------------------------------------------------------


def validate_deal_link(doc, method=None) -> None:
	"""validate / before_update_after_submit of the documents that can belong to a deal.

	A document made from another (an order from a quotation, an invoice from an order or delivery, a
	credit note, an amendment, a payment of invoices) takes the deal of its sources when it names none.
	Each link must point at a deal of the document's customer. A link set by hand must also point at a
	deal the user may read that is not lost; an inherited one is not checked again, so an accountant
	without CRM access can carry on ERPNext's flow, and a payment for a deal lost since still books."""
	if not integration_enabled():
		return
	before = doc.get_doc_before_save()
	party = PARTY_FIELD[doc.doctype]
	if before and before.get(DEAL_FIELD) == doc.get(DEAL_FIELD) and before.get(party) == doc.get(party):
		return  # unchanged since it was checked (most saves of a submitted document)
	if not doc.get(DEAL_FIELD) and not doc.is_new():
		return  # unlinked by hand
	inherited_deal = deal_of_sources(doc)
	if not doc.get(DEAL_FIELD):
		doc.set(DEAL_FIELD, inherited_deal)
	deal = doc.get(DEAL_FIELD)
	if not deal:
		return
	hand_made = (not before or before.get(DEAL_FIELD) != deal) and deal != inherited_deal
	if hand_made:
		check_may_link(deal)
	check_same_customer(doc, deal, hand_made=hand_made)


def check_may_link(deal: str) -> None:
	if not frappe.db.exists(DEAL, deal) or not frappe.has_permission(DEAL, "read", doc=deal):
		# The same words whether the deal exists or not.
		frappe.throw(_("You cannot link to opportunity {0}.").format(deal), DealLinkError)


def check_same_customer(doc, deal: str, hand_made: bool) -> None:
	values = frappe.db.get_value(DEAL, deal, ["customer", "status"], as_dict=True)
	if not values:
		return  # deleted since: the document keeps the name
	party = doc.get(PARTY_FIELD[doc.doctype])
	party_type = doc.get("party_type") or (doc.get("quotation_to") or "Customer")
	linked = values.customer and frappe.db.get_value("CX Customer", values.customer, "erpnext_customer")
	if party_type != "Customer" or not linked or linked != party:
		frappe.throw(
			_("Opportunity {0} is not a deal of customer {1}.").format(deal, party),
			DealLinkError,
			title=_("Another Customer's Deal"),
		)
	if hand_made and values.status == "Lost":
		frappe.throw(_("Opportunity {0} is lost: link an open or won deal.").format(deal), DealLinkError)


def deal_of_sources(doc) -> str | None:
	"""The one deal of the documents this one was made from, among those the user may read; None when
	they name none or disagree. (Source fields can be typed by hand: an unreadable source vouches for
	nothing.)"""
	deals = set()
	for doctype, names in sources(doc).items():
		for name, deal in frappe.get_all(
			doctype, {"name": ("in", list(names))}, ["name", DEAL_FIELD], as_list=True
		):
			if deal and frappe.has_permission(doctype, "read", doc=name):
				deals.add(deal)
	return deals.pop() if len(deals) == 1 else None


def sources(doc) -> dict[str, set]:
	found: dict[str, set] = {
		doctype: set() for doctype in ("Quotation", "Sales Order", "Delivery Note", "Sales Invoice")
	}
	for row in doc.get("items") or []:
		if row.get("prevdoc_docname") and row.get("prevdoc_doctype", "Quotation") == "Quotation":
			found["Quotation"].add(row.prevdoc_docname)
		for field, doctype in (("sales_order", "Sales Order"), ("against_sales_order", "Sales Order"),
			("delivery_note", "Delivery Note"), ("against_sales_invoice", "Sales Invoice")):  # fmt: skip
			if row.get(field):
				found[doctype].add(row.get(field))
	if doc.get("return_against") and doc.doctype in found:
		found[doc.doctype].add(doc.return_against)
	if doc.get("amended_from") and doc.doctype in found:
		found[doc.doctype].add(doc.amended_from)
	for row in doc.get("references") or []:
		if row.reference_doctype in found:
			found[row.reference_doctype].add(row.reference_name)
	return {doctype: names for doctype, names in found.items() if names}


@frappe.whitelist(methods=["POST"])
def link_documents(links: list | str) -> dict:
	"""Bulk tool: [[doctype, name, deal], ...]. Each link is checked as a hand-made one; all or nothing."""
	links = json_list(links)
	if links is None or not all(well_formed(link) for link in links):
		frappe.throw(_("Send a list of [document type, document, opportunity]."), DealLinkError)
	# Rows locked in one order, so two accountants' overlapping batches queue instead of deadlocking.
	for doctype, name, deal in sorted(links, key=lambda link: (link[0], link[1])):
		if doctype not in PARTY_FIELD:
			frappe.throw(_("{0} cannot be linked to a deal.").format(doctype), DealLinkError)
		if not frappe.db.exists(doctype, name) or not frappe.has_permission(doctype, "write", doc=name):
			frappe.throw(_("You cannot change {0} {1}.").format(_(doctype), name), DealLinkError)
		doc = frappe.get_doc(doctype, name, for_update=True)  # a second linker waits here, then sees it
		if doc.docstatus == 2:
			frappe.throw(_("{0} {1} is cancelled.").format(_(doctype), name), DealLinkError)
		if deal and doc.get(DEAL_FIELD):
			refuse_linked(doc)
		doc.set(DEAL_FIELD, deal or None)
		doc.save()  # the field is allowed on submitted documents; validate_deal_link checks each link
	return {"linked": len(links)}


def refuse_linked(doc) -> None:
	"""The bulk tool links documents that have no deal; one that has one got it from someone (maybe a
	moment ago, from a colleague working the same list): say who, when and which deal. Moving a document
	to another deal is done on the document itself."""
	frappe.throw(
		_(
			"{0} {1} is already linked to opportunity {2}, by {3} at {4}. Refresh the list; to move it to another deal, change it on the document."
		).format(
			_(doc.doctype),
			frappe.bold(doc.name),
			frappe.bold(doc.get(DEAL_FIELD)),
			frappe.bold(frappe.utils.escape_html(frappe.utils.get_fullname(doc.modified_by))),
			frappe.utils.format_datetime(doc.modified),
		),
		AlreadyLinkedError,
		title=_("Already Linked"),
	)


def well_formed(link) -> bool:
	return (
		isinstance(link, list)
		and len(link) == 3
		and isinstance(link[0], str)
		and isinstance(link[1], str)
		and bool(link[1])
		and isinstance(link[2], str | None)
	)


@frappe.whitelist()
@frappe.validate_and_sanitize_search_inputs
def deal_query(doctype: str, txt: str, searchfield: str, start: int, page_len: int, filters: dict):
	"""Link search for the deal field: the customer's open and won deals the user may read."""
	customer = (filters or {}).get("customer")
	cx_customer = customer and frappe.db.get_value("Customer", customer, "cx_customer")
	if not cx_customer:
		return []
	return frappe.get_list(
		DEAL,
		filters={"customer": cx_customer, "status": ("in", ["Open", "Won"])},
		or_filters={"name": ("like", f"%{txt}%"), "title": ("like", f"%{txt}%")},
		fields=["name", "title", "status"],
		order_by="modified desc",
		limit_start=start,
		limit_page_length=page_len,
		as_list=True,
	)
