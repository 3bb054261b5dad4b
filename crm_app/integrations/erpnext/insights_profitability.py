"""ERPNext's figures for customer profitability and loyalty (crm_app/cx_insights/profitability.py, loyalty.py).

Only submitted documents count; ERPNext customers reach CX Customers through `Customer.cx_customer`.
Amounts are in each company's currency, converted to the reporting currency at the company's rate
(`company_rate`), as the customer money figures are.
"""

from collections import defaultdict
from datetime import date

import frappe
from frappe.utils import flt, getdate

from crm_app.core.insights.profitability import settled_pieces
from crm_app.integrations.erpnext.books import company_rate


def invoiced_figures(start: date, end: date) -> dict[str, dict[str, float]]:
	"""Per CX Customer: revenue (net totals of invoices posted in the period, credit notes netted) and
	cost of goods (stock qty x the valuation rate the sale went out at, `incoming_rate`, else the item's
	current valuation rate; a return's negative qty takes its cost back). Two GROUP BYs, per company."""
	figures: dict[str, dict[str, float]] = defaultdict(lambda: {"revenue": 0.0, "cost_of_goods": 0.0})
	params = {"start": start, "end": end}
	revenue = frappe.db.sql(
		"""select c.cx_customer, si.company, sum(si.base_net_total) as amount
		from `tabSales Invoice` si join `tabCustomer` c on c.name = si.customer
		where si.docstatus = 1 and si.posting_date between %(start)s and %(end)s
			and ifnull(c.cx_customer, '') != ''
		group by c.cx_customer, si.company""",
		params,
		as_dict=True,
	)
	cost = frappe.db.sql(
		"""select c.cx_customer, si.company,
			sum(sii.stock_qty * if(sii.incoming_rate > 0, sii.incoming_rate, ifnull(item.valuation_rate, 0)))
				as amount
		from `tabSales Invoice Item` sii
			join `tabSales Invoice` si on si.name = sii.parent
			join `tabCustomer` c on c.name = si.customer
			left join `tabItem` item on item.name = sii.item_code
		where si.docstatus = 1 and si.posting_date between %(start)s and %(end)s
			and ifnull(c.cx_customer, '') != ''
		group by c.cx_customer, si.company""",
		params,
		as_dict=True,
	)
	for key, rows in (("revenue", revenue), ("cost_of_goods", cost)):
		for row in rows:
			figures[row.cx_customer][key] += flt(row.amount) * company_rate(row.company)
	return dict(figures)


def late_payment_rows(start: date, end: date) -> list[tuple[str, float, date, date | None]]:
	"""(CX Customer, amount, due date, settled on or None) for the invoices posted in the period, from the
	Payment Ledger: each invoice's amount split by the payments and credit notes allocated to it, in date
	order (an unlinked allocation, `delinked`, no longer settles anything)."""
	invoices = frappe.db.sql(
		"""select si.name, c.cx_customer, si.company, si.due_date,
			sum(ple.amount) as amount
		from `tabSales Invoice` si
			join `tabCustomer` c on c.name = si.customer
			join `tabPayment Ledger Entry` ple on ple.voucher_type = 'Sales Invoice' and ple.voucher_no = si.name
				and ple.against_voucher_no = si.name and ple.delinked = 0
		where si.docstatus = 1 and si.is_return = 0 and si.posting_date between %(start)s and %(end)s
			and ifnull(c.cx_customer, '') != ''
		group by si.name, c.cx_customer, si.company, si.due_date""",
		{"start": start, "end": end},
		as_dict=True,
	)
	if not invoices:
		return []
	settlements: dict[str, list[tuple[date, float]]] = defaultdict(list)
	for name, posted_on, amount in frappe.db.sql(
		"""select ple.against_voucher_no, ple.posting_date, -sum(ple.amount)
		from `tabPayment Ledger Entry` ple
			join `tabSales Invoice` si on si.name = ple.against_voucher_no
		where ple.against_voucher_type = 'Sales Invoice' and ple.voucher_no != ple.against_voucher_no
			and ple.delinked = 0 and si.docstatus = 1 and si.is_return = 0
			and si.posting_date between %(start)s and %(end)s
		group by ple.against_voucher_no, ple.posting_date""",
		{"start": start, "end": end},
	):
		settlements[name].append((getdate(posted_on), flt(amount)))
	rows = []
	for invoice in invoices:
		rate = company_rate(invoice.company)
		due_on = getdate(invoice.due_date)
		for part, settled_on in settled_pieces(flt(invoice.amount), settlements.get(invoice.name, ())):
			rows.append((invoice.cx_customer, part * rate, due_on, settled_on))
	return rows


def loyalty_program_in_use() -> bool:
	"""ERPNext keeps loyalty points when a Loyalty Program exists."""
	return bool(frappe.db.count("Loyalty Program"))


def loyalty_balances(on: date) -> dict[str, int]:
	"""Per CX Customer, the points ERPNext's Loyalty Point Entries give on `on` (earned minus redeemed,
	expired points left out, as ERPNext's own balance counts them)."""
	rows = frappe.db.sql(
		"""select c.cx_customer, sum(lpe.loyalty_points)
		from `tabLoyalty Point Entry` lpe join `tabCustomer` c on c.name = lpe.customer
		where ifnull(c.cx_customer, '') != '' and lpe.posting_date <= %(on)s
			and (lpe.expiry_date is null or lpe.expiry_date >= %(on)s)
		group by c.cx_customer""",
		{"on": on},
	)
	return {customer: int(points or 0) for customer, points in rows}
