// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.ui.form.on("CX Opportunity", {
	setup(frm) {
		frm.set_query("item_type", "items", () => ({
			filters: { name: ["in", ["CX Product", "Item"]] },
		}));
	},
	refresh(frm) {
		if (frm.is_new()) return;
		crm_app.add_activity_buttons(frm);
		if (frm.doc.status === "Open") {
			frm.add_custom_button(__("Won"), () => frm.call("mark_won").then(() => frm.reload_doc()), __("Close"));
			frm.add_custom_button(__("Lost"), () => mark_lost(frm), __("Close"));
		} else {
			frm.add_custom_button(__("Reopen"), () => frm.call("reopen").then(() => frm.reload_doc()));
		}
	},
});

frappe.ui.form.on("CX Opportunity Item", {
	items_add(frm, cdt, cdn) {
		// ERPNext's Item where ERPNext is installed, else the app's own CX Product.
		const item_type = frappe.boot.versions && frappe.boot.versions.erpnext ? "Item" : "CX Product";
		frappe.model.set_value(cdt, cdn, "item_type", item_type);
	},
	qty: update_amount,
	rate: update_amount,
});

function update_amount(frm, cdt, cdn) {
	const row = locals[cdt][cdn];
	frappe.model.set_value(cdt, cdn, "amount", flt(row.qty) * flt(row.rate));
}

function mark_lost(frm) {
	frappe.prompt(
		[
			{
				fieldname: "lost_reason",
				fieldtype: "Link",
				options: "CX Lost Reason",
				label: __("Lost Reason"),
				reqd: 1,
			},
			{ fieldname: "lost_detail", fieldtype: "Small Text", label: __("Detail") },
		],
		(values) => frm.call("mark_lost", values).then(() => frm.reload_doc()),
		__("Mark as Lost"),
		__("Mark as Lost")
	);
}
