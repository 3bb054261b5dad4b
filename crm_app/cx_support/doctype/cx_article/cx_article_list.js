// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.listview_settings["CX Article"] = {
	add_fields: ["status", "route"],
	get_indicator(doc) {
		return doc.status === "Published"
			? [__("Published"), "green", "status,=,Published"]
			: [__("Draft"), "gray", "status,=,Draft"];
	},
	onload(listview) {
		const managers = ["System Manager", "Sales Manager", "CRM Administrator"];
		if (!managers.some((role) => frappe.user.has_role(role))) return;
		listview.page.add_menu_item(__("Rebuild Search Index"), () =>
			frappe.call({
				method: "crm_app.cx_support.knowledge.start_reindex",
				callback: () =>
					frappe.show_alert({ message: __("The search index is being rebuilt"), indicator: "blue" }),
			})
		);
	},
};
