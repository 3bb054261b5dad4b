// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.treeview_settings["CX Territory"] = {
	breadcrumb: "CX Sales",
	title: __("Territory"),
	get_tree_root: false,
	root_label: "All Territories",
	get_tree_nodes: "frappe.desk.treeview.get_children",
	add_tree_node: "frappe.desk.treeview.add_node",
	fields: [
		{ fieldtype: "Data", fieldname: "territory_name", label: __("New Territory Name"), reqd: true },
		{ fieldtype: "Check", fieldname: "is_group", label: __("Group Node") },
	],
	ignore_fields: ["parent_cx_territory"],
};
