// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.listview_settings["CX Lead"] = {
	add_fields: ["status", "lead_score"],
	get_indicator(doc) {
		const colors = {
			New: "blue",
			Contacted: "orange",
			Qualified: "purple",
			Unqualified: "gray",
			Converted: "green",
			Lost: "red",
		};
		return [__(doc.status), colors[doc.status] || "gray", `status,=,${doc.status}`];
	},
};
