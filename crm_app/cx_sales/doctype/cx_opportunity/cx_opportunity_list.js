// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.listview_settings["CX Opportunity"] = {
	add_fields: [
		"status",
		"sales_stage",
		"forecast_category",
		"amount",
		"currency",
		"party_name",
		"expected_close_date",
		"opportunity_owner",
	],
	get_indicator(doc) {
		if (doc.status === "Won") return [__("Won"), "green", "status,=,Won"];
		if (doc.status === "Lost") return [__("Lost"), "red", "status,=,Lost"];
		return [__(doc.sales_stage || "Open"), "blue", `sales_stage,=,${doc.sales_stage}`];
	},
	// Called after every refresh of the list and of its Kanban boards (filters, drags, realtime).
	refresh(listview) {
		crm_app.show_kanban_totals(listview);
		crm_app.watch_kanban(listview);
	},
};
