// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.listview_settings["CX Opportunity"] = {
	add_fields: ["status", "sales_stage", "forecast_category"],
	get_indicator(doc) {
		if (doc.status === "Won") return [__("Won"), "green", "status,=,Won"];
		if (doc.status === "Lost") return [__("Lost"), "red", "status,=,Lost"];
		return [__(doc.sales_stage || "Open"), "blue", `sales_stage,=,${doc.sales_stage}`];
	},
	onload(listview) {
		if (listview.view_name !== "Kanban") return;
		// The board renders after data arrives; totals follow every refresh (filters, drags, realtime).
		const render = listview.render.bind(listview);
		listview.render = function () {
			const result = render();
			frappe.after_ajax(() => crm_app.show_kanban_totals(listview));
			return result;
		};
	},
};
