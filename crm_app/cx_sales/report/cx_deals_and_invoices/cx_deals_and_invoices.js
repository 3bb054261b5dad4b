// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.query_reports["CX Deals and Invoices"] = {
	filters: [
		{
			fieldname: "view",
			label: __("Show"),
			fieldtype: "Select",
			options: [
				{ value: "Deals", label: __("Deals") },
				{ value: "Invoices Without Deal", label: __("Invoices Without a Deal") },
			],
			default: "Deals",
			reqd: 1,
		},
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			default: frappe.datetime.add_months(frappe.datetime.get_today(), -12),
		},
		{
			fieldname: "to_date",
			label: __("To Date"),
			fieldtype: "Date",
			// Open deals close in the future: the period reaches a year ahead.
			default: frappe.datetime.add_months(frappe.datetime.get_today(), 12),
		},
		{ fieldname: "customer", label: __("Customer"), fieldtype: "Link", options: "CX Customer" },
	],
	get_datatable_options(options) {
		return Object.assign(options, { checkboxColumn: true });
	},
	onload(report) {
		report.page.add_inner_button(__("Link to Suggested Deals"), () => link_suggested(report));
	},
};

function link_suggested(report) {
	if (report.get_values().view !== "Invoices Without Deal") {
		frappe.msgprint(__("Show the invoices without a deal first."));
		return;
	}
	const rows = report.datatable.rowmanager
		.getCheckedRows()
		.map((index) => report.data[index])
		.filter((row) => row && row.suggested_opportunity);
	if (!rows.length) {
		frappe.msgprint(__("Tick the invoices that have a suggested deal."));
		return;
	}
	frappe.confirm(__("Link {0} invoices to their suggested deals?", [rows.length]), () =>
		frappe
			.xcall("crm_app.integrations.erpnext.deals.link_documents", {
				links: rows.map((row) => ["Sales Invoice", row.sales_invoice, row.suggested_opportunity]),
			})
			.then((result) => {
				frappe.show_alert({ message: __("{0} invoices linked.", [result.linked]), indicator: "green" });
				report.refresh();
			})
	);
}
