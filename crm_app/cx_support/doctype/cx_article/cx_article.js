// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.ui.form.on("CX Article", {
	refresh(frm) {
		if (frm.doc.published && frm.doc.route) {
			frm.add_web_link(`/${frm.doc.route}`, __("See on Website"));
		}
	},
});
