// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.ui.form.on("CX Lead", {
	refresh(frm) {
		if (!frm.is_new() && !frm.doc.customer && !["Lost", "Unqualified"].includes(frm.doc.status)) {
			frm.add_custom_button(__("Convert to Customer"), () => convert_lead(frm)).addClass(
				"btn-primary"
			);
		}
		if (frm.doc.customer) {
			frm.dashboard.set_headline_alert(
				__("Converted to customer {0}", [
					`<a href="/app/cx-customer/${encodeURIComponent(frm.doc.customer)}">${frappe.utils.escape_html(frm.doc.customer)}</a>`,
				]),
				"green"
			);
		}
	},
});

function convert_lead(frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Convert Lead"),
		fields: [
			{
				fieldname: "create_opportunity",
				fieldtype: "Check",
				label: __("Also create an opportunity"),
				default: 1,
			},
			{
				fieldname: "opportunity_title",
				fieldtype: "Data",
				label: __("Opportunity Title"),
				default: frm.doc.organization_name || frm.doc.lead_name,
				depends_on: "create_opportunity",
			},
			{
				fieldname: "opportunity_amount",
				fieldtype: "Currency",
				label: __("Amount"),
				depends_on: "create_opportunity",
			},
			{
				fieldname: "sales_stage",
				fieldtype: "Link",
				options: "CX Sales Stage",
				label: __("Stage"),
				depends_on: "create_opportunity",
			},
		],
		primary_action_label: __("Convert"),
		primary_action(values) {
			frappe.call({
				method: "crm_app.cx_sales.doctype.cx_lead.conversion.convert_lead",
				type: "POST",
				args: { lead: frm.doc.name, ...values },
				freeze: true,
				freeze_message: __("Converting..."),
				callback(r) {
					dialog.hide();
					frm.reload_doc();
					frappe.show_alert({
						message: __("Customer {0} created", [r.message.customer]),
						indicator: "green",
					});
				},
			});
		},
	});
	dialog.show();
}
