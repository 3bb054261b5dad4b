"""Monthly quantities sold per item for the demand forecast job (crm_app/cx_insights/forecast.py) from ERPNext.

Submitted Sales Invoice Items, in the stock unit (`stock_qty`): returns are submitted invoices with negative
quantities and net within their month (crm_app/core/insights/forecast.py). The customer group or territory of
a line is its CX Customer's (`Customer.cx_customer`), so the groups are the CRM's own masters, as on the won
deals; an invoice of a customer with no CX Customer has no group.
"""

from datetime import date

import frappe

# Identifiers picked from this fixed map, never from input.
GROUP_COLUMNS = {
	"": "''",
	"customer_group": "ifnull(cx.customer_group, '')",
	"territory": "ifnull(cx.territory, '')",
}


def monthly_quantities(
	start: date, end: date, group: str = ""
) -> list[tuple[str, str, str, int, int, float]]:
	"""(item type, item, group, year, month, quantity) per item, group and month of [start, end]."""
	group_column = GROUP_COLUMNS[group]
	return frappe.db.sql(
		f"""select 'Item', line.item_code, {group_column} as group_value, year(invoice.posting_date) as y,
			month(invoice.posting_date) as m, sum(line.stock_qty)
		from `tabSales Invoice Item` line
		join `tabSales Invoice` invoice on invoice.name = line.parent
		left join `tabCustomer` customer on customer.name = invoice.customer
		left join `tabCX Customer` cx on cx.name = customer.cx_customer
		where invoice.docstatus = 1 and invoice.posting_date between %(start)s and %(end)s
			and line.parenttype = 'Sales Invoice' and ifnull(line.item_code, '') != ''
		group by line.item_code, group_value, y, m""",
		{"start": start, "end": end},
	)
