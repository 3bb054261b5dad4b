// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.listview_settings["CX Issue"] = {
	add_fields: ["status", "priority", "sla_status"],
	get_indicator(doc) {
		const colors = { Open: "red", Replied: "blue", "On Hold": "orange", Resolved: "green", Closed: "gray" };
		return [__(doc.status), colors[doc.status] || "gray", `status,=,${doc.status}`];
	},
};
