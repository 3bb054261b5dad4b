// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt
// Shared desk code: activity buttons on the sales forms, Kanban column totals, sales report filters.

frappe.provide("crm_app");

crm_app.add_activity_buttons = function (frm) {
	if (frm.is_new()) return;
	const group = __("Activity");
	frm.add_custom_button(
		__("Log Call"),
		() =>
			frappe.new_doc("CX Call Log", {
				reference_doctype: frm.doctype,
				reference_name: frm.doc.name,
				phone_number: frm.doc.mobile_no || frm.doc.phone || frm.doc.mobile || "",
			}),
		group
	);
	frm.add_custom_button(__("Schedule Meeting"), () => crm_app.schedule_meeting(frm), group);
	frm.add_custom_button(
		__("Add Task"),
		() =>
			frappe.new_doc("ToDo", {
				reference_type: frm.doctype,
				reference_name: frm.doc.name,
				allocated_to: frappe.session.user,
			}),
		group
	);
};

crm_app.schedule_meeting = function (frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Schedule Meeting"),
		fields: [
			{ fieldname: "subject", fieldtype: "Data", label: __("Subject"), reqd: 1 },
			{ fieldname: "starts_on", fieldtype: "Datetime", label: __("Starts On"), reqd: 1 },
			{ fieldname: "ends_on", fieldtype: "Datetime", label: __("Ends On") },
			{ fieldname: "description", fieldtype: "Small Text", label: __("Agenda") },
		],
		primary_action_label: __("Schedule"),
		primary_action(values) {
			frappe
				.call({
					method: "crm_app.activities.schedule_meeting",
					type: "POST",
					args: { reference_doctype: frm.doctype, reference_name: frm.doc.name, ...values },
					freeze: true,
				})
				.then(() => {
					dialog.hide();
					frappe.show_alert({ message: __("Meeting scheduled"), indicator: "green" });
					frm.reload_doc();
				});
		},
	});
	dialog.show();
};

// Kanban boards of opportunities: count and amount under each column title, for the current filters.
crm_app.show_kanban_totals = function (listview) {
	if (listview.view_name !== "Kanban" || listview.doctype !== "CX Opportunity") return;
	frappe
		.call({
			method: "crm_app.pipeline.kanban_totals",
			args: { filters: listview.get_filters_for_args() },
		})
		.then((r) => {
			listview.cx_totals = r.message || {};
			crm_app.render_kanban_totals(listview);
			crm_app.watch_kanban_columns(listview);
		});
};

crm_app.render_kanban_totals = function (listview) {
	const totals = listview.cx_totals || {};
	listview.$result.find(".kanban-column[data-column-value]").each(function () {
		const column = $(this);
		const total = totals[column.attr("data-column-value")] || { count: 0, amount: 0 };
		const text = __("{0} · {1}", [total.count, total.currency ? format_currency(total.amount, total.currency, 0) : format_number(total.amount, null, 0)]);
		const label = column.find(".cx-column-total");
		if (label.length && label.text() === text) return;
		label.remove();
		column
			.find(".kanban-column-header")
			.after(`<div class="cx-column-total text-muted small px-3 pb-2">${frappe.utils.escape_html(text)}</div>`);
	});
};

// The board draws and redraws its columns on its own schedule (after its own server calls, after a
// drag): put the totals back whenever a column appears without them.
crm_app.watch_kanban_columns = function (listview) {
	if (listview.cx_observer) return;
	let pending = null;
	listview.cx_observer = new MutationObserver(() => {
		clearTimeout(pending);
		pending = setTimeout(() => crm_app.render_kanban_totals(listview), 100);
	});
	listview.cx_observer.observe(listview.$result[0], { childList: true, subtree: true });
};

// Filters every sales report shares: period, owner, territory, source, campaign, then `extra`.
// `period`: "last_90_days", "current_quarter", or "optional" (no default, not required).
crm_app.sales_report_filters = function (period = "last_90_days", extra = []) {
	const today = frappe.datetime.get_today();
	const range = {
		last_90_days: [frappe.datetime.add_days(today, -90), today],
		current_quarter: [
			frappe.datetime.obj_to_str(moment().startOf("quarter")),
			frappe.datetime.obj_to_str(moment().endOf("quarter")),
		],
		optional: [undefined, undefined],
	}[period];
	const required = period === "optional" ? 0 : 1;
	const link = (fieldname, label, options, more = {}) => ({
		fieldname,
		label,
		fieldtype: "Link",
		options,
		...more,
	});
	return [
		{ fieldname: "from_date", label: __("From Date"), fieldtype: "Date", default: range[0], reqd: required },
		{ fieldname: "to_date", label: __("To Date"), fieldtype: "Date", default: range[1], reqd: required },
		link("owner", __("Owner"), "User", {
			get_query: () => ({ filters: { user_type: "System User", enabled: 1 } }),
		}),
		link("territory", __("Territory"), "CX Territory"),
		link("source", __("Source"), "CX Lead Source"),
		link("campaign", __("Campaign"), "CX Campaign"),
		...extra,
	];
};
