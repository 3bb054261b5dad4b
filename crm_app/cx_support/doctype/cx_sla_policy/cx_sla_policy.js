// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.ui.form.on("CX SLA Policy", {
	setup(frm) {
		frappe.call("frappe.core.doctype.user.user.get_timezones").then((r) => {
			frm.set_df_property("time_zone", "options", (r.message && r.message.timezones) || []);
		});
	},
	onload(frm) {
		if (frm.is_new() && !frm.doc.time_zone) {
			frm.set_value("time_zone", frappe.boot.time_zone && frappe.boot.time_zone.system);
		}
	},
});
