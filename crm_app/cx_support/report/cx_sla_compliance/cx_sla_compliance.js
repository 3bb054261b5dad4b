// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.query_reports["CX SLA Compliance"] = {
	filters: crm_app.support_report_filters([
		crm_app.support_group_by(["Priority", "Agent", "Issue Type", "Channel", "Language"], "Priority"),
		{ fieldname: "sla_policy", label: __("SLA Policy"), fieldtype: "Link", options: "CX SLA Policy" },
	]),
};
