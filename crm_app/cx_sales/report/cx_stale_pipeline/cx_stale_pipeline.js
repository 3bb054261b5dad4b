// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.query_reports["CX Stale Pipeline"] = {
	filters: crm_app.sales_report_filters("optional", [
		{
			fieldname: "days",
			label: __("Days Idle (at least)"),
			fieldtype: "Int",
			description: __("Empty: the stale days set in CX Settings"),
		},
		{
			fieldname: "record_type",
			label: __("Type"),
			fieldtype: "Select",
			options: [
				{ value: "", label: __("Leads and Opportunities") },
				{ value: "CX Lead", label: __("Leads") },
				{ value: "CX Opportunity", label: __("Opportunities") },
			],
		},
	]),
};
