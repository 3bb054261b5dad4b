// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.query_reports["CX Stale Pipeline"] = {
	filters: [
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
		},
		{
			fieldname: "to_date",
			label: __("To Date"),
			fieldtype: "Date",
		},
		{
			fieldname: "owner",
			label: __("Owner"),
			fieldtype: "Link",
			options: "User",
			get_query: () => ({ filters: { user_type: "System User", enabled: 1 } }),
		},
		{
			fieldname: "territory",
			label: __("Territory"),
			fieldtype: "Link",
			options: "CX Territory",
		},
		{
			fieldname: "source",
			label: __("Source"),
			fieldtype: "Link",
			options: "CX Lead Source",
		},
		{
			fieldname: "campaign",
			label: __("Campaign"),
			fieldtype: "Link",
			options: "CX Campaign",
		},
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
	],
};
