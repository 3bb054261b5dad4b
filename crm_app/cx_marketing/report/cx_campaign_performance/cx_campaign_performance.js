// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.query_reports["CX Campaign Performance"] = {
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
			fieldname: "group_by",
			label: __("Group By"),
			fieldtype: "Select",
			options: [
				{ value: "Campaign", label: __("Campaign") },
				{ value: "Source", label: __("Source") },
				{ value: "Medium", label: __("Medium") },
				{ value: "Campaign, Source and Medium", label: __("Campaign, Source and Medium") },
			],
			default: "Campaign",
			reqd: 1,
		},
		{
			fieldname: "attribution",
			label: __("Attribution"),
			fieldtype: "Select",
			options: [
				{ value: "First Touch", label: __("First Touch") },
				{ value: "Last Touch", label: __("Last Touch") },
			],
			default: "Last Touch",
			reqd: 1,
		},
		{ fieldname: "campaign", label: __("Campaign"), fieldtype: "Link", options: "CX Campaign" },
	],
};
