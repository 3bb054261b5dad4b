from frappe import _

from crm_app.utils import erpnext_installed


def get_data():
	"""The deal's quotations, orders, invoices and payments, where ERPNext is installed."""
	if not erpnext_installed():
		return {"fieldname": "cx_opportunity", "transactions": []}
	return {
		"fieldname": "cx_opportunity",
		"transactions": [
			{"label": _("Selling"), "items": ["Quotation", "Sales Order", "Delivery Note"]},
			{"label": _("Accounting"), "items": ["Sales Invoice", "Payment Entry"]},
		],
	}
