# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

"""CX Deals and Invoices: per deal, what was quoted, ordered, invoiced and paid; or the invoices that
belong to no deal yet, each with the customer's likeliest deal. Needs ERPNext (the work is done in
crm_app/integrations/erpnext/deals_report.py)."""

from frappe import _

from crm_app.utils import erpnext_installed


def execute(filters: dict | None = None):
	if not erpnext_installed():
		return [], [], _("This report shows ERPNext's quotations, orders and invoices: install ERPNext.")
	from crm_app.integrations.erpnext.deals_report import run

	return run(filters)
