// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.query_reports["CX Sales Funnel"] = {
	filters: [
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			default: frappe.datetime.add_days(frappe.datetime.get_today(), -90),
			reqd: 1,
		},
		{
			fieldname: "to_date",
			label: __("To Date"),
			fieldtype: "Date",
			default: frappe.datetime.get_today(),
			reqd: 1,
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
	],
};
