// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.query_reports["CX Demand Forecast"] = {
	filters: [
		{ fieldname: "item", label: __("Item"), fieldtype: "Data" },
		{ fieldname: "customer_group", label: __("Customer Group"), fieldtype: "Link", options: "CX Customer Group" },
		{ fieldname: "territory", label: __("Territory"), fieldtype: "Link", options: "CX Territory" },
	],
	onload(report) {
		if (frappe.model.can_write("CX Insights Settings")) {
			report.page.add_inner_button(__("Forecast Again"), () =>
				frappe
					.xcall("crm_app.cx_insights.forecast.refresh")
					.then(() => frappe.show_alert({ message: __("The forecast runs in the background."), indicator: "blue" }))
			);
		}
	},
};
