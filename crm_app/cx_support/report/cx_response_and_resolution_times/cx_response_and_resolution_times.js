// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.query_reports["CX Response and Resolution Times"] = {
	filters: crm_app.support_report_filters([
		crm_app.support_periodicity(),
		crm_app.support_group_by(["Issue Type", "Priority", "Channel", "Language", "Agent"], "Issue Type"),
	]),
	tree: true,
	name_field: "name",
	parent_field: "parent",
	initial_depth: 0,
};
