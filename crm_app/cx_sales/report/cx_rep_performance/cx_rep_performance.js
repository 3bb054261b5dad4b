// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.query_reports["CX Rep Performance"] = {
	filters: crm_app.sales_report_filters("last_90_days"),
};
