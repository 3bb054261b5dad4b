// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.views.calendar["CX Opportunity"] = {
	field_map: {
		start: "expected_close_date",
		end: "expected_close_date",
		id: "name",
		title: "title",
		allDay: "allDay",
		status: "status",
	},
	style_map: { Open: "info", Won: "success", Lost: "danger" },
	options: { header: { left: "prev,next today", center: "title", right: "month,agendaWeek" } },
	get_events_method: "frappe.desk.calendar.get_events",
};
