// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.query_reports["CX Pipeline Forecast"] = {
	filters: crm_app.sales_report_filters("current_quarter"),
};
