// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.ui.form.on("CX Settings", {
	link_existing_customers(frm) {
		frappe
			.xcall("crm_app.integrations.erpnext.customers.queue_customer_backfill")
			.then(() =>
				frappe.show_alert({
					message: __("Linking ERPNext customers in the background. Progress shows here."),
					indicator: "blue",
				})
			);
	},
});
