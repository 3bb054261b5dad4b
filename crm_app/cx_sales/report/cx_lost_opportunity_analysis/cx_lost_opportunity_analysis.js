// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.query_reports["CX Lost Opportunity Analysis"] = {
	filters: crm_app.sales_report_filters("last_90_days", [
		{
			fieldname: "group_by",
			label: __("Group By"),
			fieldtype: "Select",
			options: [
				{ value: "Reason", label: __("Reason") },
				{ value: "Competitor", label: __("Competitor") },
				{ value: "Stage", label: __("Stage") },
			],
			default: "Reason",
			reqd: 1,
		},
	]),
};
