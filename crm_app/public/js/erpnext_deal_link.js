// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt
// ERPNext selling documents: the CRM Opportunity field offers the customer's open and won deals.

["Quotation", "Sales Order", "Delivery Note", "Sales Invoice", "Payment Entry"].forEach((doctype) => {
	frappe.ui.form.on(doctype, {
		setup(frm) {
			if (!frm.fields_dict.cx_opportunity) return;
			frm.set_query("cx_opportunity", () => ({
				query: "crm_app.integrations.erpnext.deals.deal_query",
				filters: { customer: frm.doc.customer || frm.doc.party_name || frm.doc.party || "" },
			}));
		},
	});
});
