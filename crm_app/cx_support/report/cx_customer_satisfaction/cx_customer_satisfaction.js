// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.query_reports["CX Customer Satisfaction"] = {
	filters: crm_app.support_report_filters([
		{
			fieldname: "view",
			label: __("View"),
			fieldtype: "Select",
			options: [
				{ value: "Per Agent", label: __("Per Agent") },
				{ value: "Per Period", label: __("Per Period") },
				{ value: "Latest Comments", label: __("Latest Comments") },
			],
			default: "Per Agent",
			reqd: 1,
		},
		{ ...crm_app.support_periodicity(), depends_on: "eval:doc.view == 'Per Period'" },
	]),
};
