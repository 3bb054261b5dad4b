// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

// Frappe's own indicator stays (no get_indicator); the completeness column is coloured by the threshold.
frappe.listview_settings["CX Customer"] = {
	add_fields: ["completeness"],
	// One click to "Completeness < threshold" (CX Data Quality Settings).
	onload(listview) {
		listview.page.add_inner_button(__("Incomplete"), () =>
			listview.filter_area.add([
				[listview.doctype, "completeness", "<", frappe.boot.cx_completeness_threshold || 60],
			])
		);
	},
	formatters: {
		completeness(value) {
			const percent = cint(value);
			const threshold = frappe.boot.cx_completeness_threshold || 60;
			const color = percent >= 100 ? "green" : percent < threshold ? "red" : "orange";
			return `<span class="indicator-pill ${color} filterable" data-filter="completeness,=,${percent}">${percent}%</span>`;
		},
	},
};
