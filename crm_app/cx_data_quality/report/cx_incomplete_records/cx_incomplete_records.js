// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.query_reports["CX Incomplete Records"] = {
	filters: [
		{
			fieldname: "record_type",
			label: __("Record Type"),
			fieldtype: "Select",
			options: [
				{ value: "CX Lead", label: __("Leads") },
				{ value: "CX Customer", label: __("Customers") },
				{ value: "Contact", label: __("Contacts") },
			],
			default: "CX Lead",
			reqd: 1,
		},
		{
			fieldname: "threshold",
			label: __("Incomplete Below (%)"),
			fieldtype: "Int",
			default: frappe.boot.cx_completeness_threshold || 60,
			description: __("Empty: the threshold in CX Data Quality Settings"),
		},
		{ fieldname: "from_date", label: __("Created From"), fieldtype: "Date" },
		{ fieldname: "to_date", label: __("Created To"), fieldtype: "Date" },
	],
	formatter(value, row, column, data, default_formatter) {
		const html = default_formatter(value, row, column, data);
		// Drill-down: the owner's incomplete records in the list, filtered as the report counted them.
		if (column.fieldname === "incomplete" && data?.incomplete_route && value) {
			return `<a href="${frappe.utils.escape_html(data.incomplete_route)}">${html}</a>`;
		}
		return html;
	},
};
