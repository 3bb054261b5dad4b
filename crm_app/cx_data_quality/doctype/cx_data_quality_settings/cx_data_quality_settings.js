// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.ui.form.on("CX Data Quality Settings", {
	setup(frm) {
		// The field picker offers the fields of the row's record type (the server checks them again).
		frm.set_query("fieldname", "completeness_rules", (doc, cdt, cdn) => ({
			query: "crm_app.cx_data_quality.completeness.get_rule_fields",
			params: { record_type: locals[cdt][cdn].record_type },
		}));
	},
	refresh(frm) {
		frm.add_custom_button(__("Recompute Now"), () =>
			frm.call("recompute_now").then(() =>
				frappe.show_alert({ message: __("Recomputing started"), indicator: "blue" })
			)
		);
	},
});
