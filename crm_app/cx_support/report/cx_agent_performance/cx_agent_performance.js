// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.query_reports["CX Agent Performance"] = {
	filters: crm_app.support_report_filters(),
};
