// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.ui.form.on("CX Issue", {
	setup(frm) {
		if (!frm.fields_dict.sales_invoice) return; // ERPNext's fields exist only where it is installed
		frm.set_query("sales_invoice", () => ({
			query: "crm_app.integrations.erpnext.history.invoice_query",
			filters: { cx_customer: frm.doc.customer || "" },
		}));
	},
	refresh(frm) {
		crm_app.render_purchases(frm, "recent_purchases_html", frm.doc.customer);
	},
	customer(frm) {
		crm_app.render_purchases(frm, "recent_purchases_html", frm.doc.customer);
	},
});
