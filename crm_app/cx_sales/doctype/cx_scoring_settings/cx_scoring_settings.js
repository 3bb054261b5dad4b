// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.ui.form.on("CX Scoring Settings", {
	onload(frm) {
		frappe
			.call("crm_app.cx_sales.doctype.cx_scoring_settings.cx_scoring_settings.get_scorable_fields")
			.then((r) => {
				const options = (r.message || []).map((f) => f.value);
				frm.fields_dict.criteria.grid.update_docfield_property("fieldname", "fieldtype", "Autocomplete");
				frm.fields_dict.criteria.grid.update_docfield_property("fieldname", "options", options);
			});
	},
	refresh(frm) {
		frm.add_custom_button(__("Rescore All Leads"), () =>
			frm.call("rescore_now").then(() =>
				frappe.show_alert({ message: __("Rescoring started"), indicator: "blue" })
			)
		);
	},
});
