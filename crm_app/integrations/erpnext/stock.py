"""ERPNext items on deals: unit, price list rate and description when an item is picked; stock per
warehouse (ERPNext's `Bin`) on the form, and a warning when a line asks for more than is available."""

import frappe
from frappe import _
from frappe.query_builder.functions import IfNull, Sum
from frappe.utils import escape_html, flt, getdate

from crm_app.integrations.erpnext.common import integration_enabled, json_list, setting

ERP_ITEM = "Item"


def price_list_for(currency: str) -> tuple[str | None, str | None]:
	"""The selling price list (CX Settings, else Selling Settings) and its currency."""
	price_list = setting("selling_price_list") or frappe.db.get_single_value(
		"Selling Settings", "selling_price_list"
	)
	if not price_list:
		return None, currency
	return price_list, frappe.get_cached_value("Price List", price_list, "currency") or currency


@frappe.whitelist()
def item_details(item_code: str, currency: str) -> dict:
	"""What a deal line takes from an item: name, description, unit and the price list rate in the deal's
	currency (None when the price list has no rate in that currency)."""
	if not integration_enabled():
		return {}
	frappe.has_permission("CX Opportunity", "write", throw=True)
	item = frappe.get_cached_doc(ERP_ITEM, item_code)  # raises DoesNotExistError for a wrong code
	price_list, price_list_currency = price_list_for(currency)
	today = getdate()
	rate = None
	if price_list and price_list_currency == currency:
		price = frappe.qb.DocType("Item Price")
		found = (
			frappe.qb.from_(price)
			.select(price.price_list_rate)
			.where((price.item_code == item.name) & (price.price_list == price_list))
			.where(price.selling == 1)
			.where(IfNull(price.customer, "") == "")  # a customer's own price is not everyone's
			.where(IfNull(price.valid_from, "2000-01-01") <= today)
			.where(IfNull(price.valid_upto, "2999-12-31") >= today)
			.orderby(price.valid_from, order=frappe.qb.desc)
			.limit(1)
			.run()
		)
		rate = flt(found[0][0]) if found else None
	return {
		"item_name": item.item_name,
		"description": item.description,
		"uom": item.stock_uom,
		"rate": rate,
		"price_list": price_list,
		"disabled": item.disabled,
		"message": None
		if rate is not None or not price_list
		else _("Price list {0} has no rate for {1} in {2}.").format(price_list, item.name, currency),
	}


@frappe.whitelist()
def item_stock(item_codes: list | str) -> dict:
	"""Actual and projected quantity per warehouse for each item: {item: [{warehouse, actual, projected}]}."""
	if not integration_enabled():
		return {}
	frappe.has_permission("CX Opportunity", "read", throw=True)
	frappe.has_permission("Bin", "read", throw=True)  # ERPNext's own rule for stock levels
	codes = json_list(item_codes)
	if codes is None or not all(isinstance(code, str) for code in codes):
		return {}
	stock: dict = {}
	for row in bins(codes[:100]):
		stock.setdefault(row.item_code, []).append(
			{"warehouse": row.warehouse, "actual": row.actual_qty, "projected": row.projected_qty}
		)
	return stock


def bins(codes: list[str]) -> list:
	if not codes:
		return []
	bin_ = frappe.qb.DocType("Bin")
	return (
		frappe.qb.from_(bin_)
		.select(bin_.item_code, bin_.warehouse, bin_.actual_qty, bin_.projected_qty)
		.where(bin_.item_code.isin(codes))
		.orderby(bin_.item_code)
		.orderby(bin_.warehouse)
		.run(as_dict=True)
	)


def set_line_stock(deal) -> None:
	"""On every save of a deal: each ERPNext item line's available and projected quantity, and a warning
	for lines that ask for more than is in stock."""
	lines = [row for row in deal.items if row.item_type == ERP_ITEM and row.item]
	for row in deal.items:
		row.available_qty = row.projected_qty = 0
	if not lines or not integration_enabled():
		return
	bin_ = frappe.qb.DocType("Bin")
	totals = {
		code: (actual, projected)
		for code, actual, projected in frappe.qb.from_(bin_)
		.select(bin_.item_code, Sum(bin_.actual_qty), Sum(bin_.projected_qty))
		.where(bin_.item_code.isin([row.item for row in lines]))
		.groupby(bin_.item_code)
		.run()
	}
	short = []
	for row in lines:
		actual, projected = totals.get(row.item, (0, 0))
		row.available_qty, row.projected_qty = flt(actual), flt(projected)
		is_stock_item = frappe.get_cached_value(ERP_ITEM, row.item, "is_stock_item")
		if is_stock_item and flt(row.qty) > flt(actual):
			short.append(
				_("Row {0}: {1} asks for {2}, {3} in stock.").format(
					row.idx, escape_html(row.item), flt(row.qty), flt(actual)
				)
			)
	if short and not deal.flags.status_from_books:  # an accountant submitting an order needs no stock note
		frappe.msgprint("<br>".join(short), title=_("Not Enough Stock"), indicator="orange", alert=False)
