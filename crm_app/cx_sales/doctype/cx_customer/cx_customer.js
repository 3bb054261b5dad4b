// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.ui.form.on("CX Customer", {
	setup(frm) {
		frm.set_query("primary_contact", () => ({
			query: "frappe.contacts.doctype.contact.contact.contact_query",
			filters: { link_doctype: "CX Customer", link_name: frm.doc.name },
		}));
		frm.set_query("primary_address", () => ({
			query: "frappe.contacts.doctype.address.address.address_query",
			filters: { link_doctype: "CX Customer", link_name: frm.doc.name },
		}));
	},
	refresh(frm) {
		crm_app.add_activity_buttons(frm);
		crm_app.render_profile(frm); // the 360 tab (public/js/profile360.js)
		show_missing_fields(frm);
		frappe.dynamic_link = { doc: frm.doc, fieldname: "name", doctype: "CX Customer" };
		if (frm.is_new()) {
			frappe.contacts.clear_address_and_contact(frm);
		} else {
			frappe.contacts.render_address_and_contact(frm);
			crm_app.render_purchases(frm, "purchases_html", frm.doc.erpnext_customer && frm.doc.name);
		}
	},
});

// Below the completeness threshold, say what the customer misses (the server reads the rules: __onload).
function show_missing_fields(frm) {
	const info = frm.doc.__onload?.completeness;
	if (frm.is_new() || !info || info.percent >= info.threshold) return;
	frm.dashboard.set_headline_alert(
		__("Incomplete: missing {0}", [info.missing.map(frappe.utils.escape_html).join(", ")]),
		"orange"
	);
}
