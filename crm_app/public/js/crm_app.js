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

// The board draws and redraws its columns and cards on its own schedule (after its own server calls,
// after a drag): put the totals and card details back whenever they are missing.
crm_app.watch_kanban_columns = function (listview) {
	if (listview.cx_observer) return;
	let pending = null;
	listview.cx_observer = new MutationObserver(() => {
		clearTimeout(pending);
		pending = setTimeout(() => {
			if (listview.cx_totals) crm_app.render_kanban_totals(listview);
			crm_app.decorate_kanban_cards(listview);
		}, 100);
	});
	listview.cx_observer.observe(listview.$result[0], { childList: true, subtree: true });
};

// Kanban cards: what a rep scans a board for, beside the title and Frappe's own card fields (customer or
// organisation). Money in the deal's own currency; the owner as an avatar.
crm_app.KANBAN_CARDS = {
	"CX Opportunity": {
		owner: "opportunity_owner",
		lines: (doc) => [
			doc.amount != null ? `<span class="bold text-body">${format_currency(doc.amount, doc.currency, 0)}</span>` : "",
			doc.expected_close_date ? __("Close {0}", [frappe.datetime.str_to_user(doc.expected_close_date)]) : "",
		],
	},
	"CX Lead": {
		owner: "lead_owner",
		lines: (doc) => {
			const colors = { Hot: "red", Warm: "orange", Cold: "blue" };
			const band = doc.score_band;
			return [band ? `<span class="indicator-pill ${colors[band] || "gray"}">${__(band)} · ${cint(doc.lead_score)}</span>` : ""];
		},
	},
};

crm_app.watch_kanban = function (listview) {
	if (listview.view_name !== "Kanban" || !crm_app.KANBAN_CARDS[listview.doctype]) return;
	crm_app.decorate_kanban_cards(listview);
	crm_app.watch_kanban_columns(listview);
};

crm_app.decorate_kanban_cards = function (listview) {
	const card = crm_app.KANBAN_CARDS[listview.doctype];
	if (listview.view_name !== "Kanban" || !card) return;
	const docs = {};
	(listview.data || []).forEach((doc) => (docs[doc.name] = doc));
	listview.$result.find(".kanban-card-wrapper[data-name]").each(function () {
		const wrapper = $(this);
		const doc = docs[decodeURIComponent(wrapper.attr("data-name"))];
		if (!doc || wrapper.find(".cx-card-extra").length) return;
		const lines = card.lines(doc).filter(Boolean).map((line) => `<div class="text-truncate">${line}</div>`);
		const owner = doc[card.owner] ? `<div class="ml-2">${frappe.avatar(doc[card.owner], "avatar-small")}</div>` : "";
		wrapper
			.find(".kanban-card-doc")
			.append(`<div class="cx-card-extra d-flex justify-content-between align-items-end small"><div>${lines.join("")}</div>${owner}</div>`);
	});
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

// A customer's purchases from ERPNext's books, on the CX Customer and CX Issue forms.
crm_app.render_purchases = function (frm, fieldname, customer) {
	const field = frm.fields_dict[fieldname];
	if (!field || !customer) return;
	frappe.xcall("crm_app.integrations.erpnext.history.purchase_history", { customer }).then((data) => {
		if (!data || !data.customer) {
			field.$wrapper.empty();
			return;
		}
		const money = (value) => format_currency(value, data.money.base_currency);
		const esc = frappe.utils.escape_html;
		const figures = [
			[__("Lifetime Value"), money(data.money.lifetime_value)],
			[__("Outstanding"), money(data.money.outstanding_amount)],
			[__("Overdue"), money(data.money.overdue_amount)],
			[__("Last Purchase"), data.money.last_purchase_on ? frappe.datetime.str_to_user(data.money.last_purchase_on) : "-"],
			[__("Invoices"), format_number(data.invoice_count, null, 0)],
		]
			.map(([label, value]) => `<div class="col-sm-2"><div class="text-muted small">${label}</div><div class="bold">${value}</div></div>`)
			.join("");
		const months = data.by_month
			.map((row) => `<tr><td>${esc(row.month)}</td><td class="text-right">${money(row.total)}</td></tr>`)
			.join("");
		const items = data.items
			.map(
				(row) => `<tr><td>${esc(row.item_code)}</td><td>${esc(row.item_name || "")}</td>
					<td class="text-right">${format_number(row.qty)}</td><td class="text-right">${money(row.amount)}</td>
					<td>${frappe.datetime.str_to_user(row.last_on)}</td></tr>`
			)
			.join("");
		const invoices = data.invoices
			.map(
				(row) => `<tr><td><a href="/app/sales-invoice/${encodeURIComponent(row.name)}">${esc(row.name)}</a></td>
					<td>${frappe.datetime.str_to_user(row.posting_date)}</td>
					<td class="text-right">${format_currency(row.grand_total, row.currency)}</td>
					<td class="text-right">${format_currency(row.outstanding_amount, row.currency)}</td>
					<td>${esc(__(row.status))}</td>
					<td>${row.cx_opportunity ? `<a href="/app/cx-opportunity/${encodeURIComponent(row.cx_opportunity)}">${esc(row.cx_opportunity)}</a>` : ""}</td></tr>`
			)
			.join("");
		const table = (head, body) =>
			`<div class="table-responsive"><table class="table table-bordered table-sm small"><thead><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>${body}</tbody></table></div>`;
		field.$wrapper.html(`
			<div class="row mb-3">${figures}</div>
			${data.invoice_count ? "" : `<p class="text-muted">${esc(data.labels.none)}</p>`}
			<div class="row">
				<div class="col-sm-4"><h6>${__("Invoiced by Month")}</h6>${table([__("Month"), __("Total")], months)}</div>
				<div class="col-sm-8"><h6>${__("Items Bought")}</h6>${table([__("Item"), __("Name"), __("Qty"), __("Amount"), __("Last")], items)}</div>
			</div>
			${data.invoices_hidden ? "" : `<h6>${__("Recent Invoices")}</h6>${table([__("Invoice"), __("Date"), __("Total"), __("Outstanding"), __("Status"), __("Opportunity")], invoices)}`}
		`);
	});
};

// Frappe's number cards shorten a money figure to "1.44 M" and then read "1.44" in the site's number
// format: where that is "#.###,##" (Polish, Ukrainian, Russian sites) the dot is a thousands separator
// and PLN 1,44 M shows as "PLN 144,00 M". Format the shortened figure as the number it is.
crm_app.fix_money_number_cards = function () {
	const NumberCard = frappe.widget && frappe.widget.widget_factory && frappe.widget.widget_factory.number_card;
	if (!NumberCard || NumberCard.prototype.cx_money_fixed) return;
	const original = NumberCard.prototype.set_formatted_number;
	NumberCard.prototype.set_formatted_number = function (df, doc) {
		if (!this.card_doc.currency || this.card_doc.show_full_number) return original.call(this, df, doc);
		const [figure, symbol = ""] = frappe.utils.shorten_number(this.number, frappe.sys_defaults.country, 5).split(" ");
		this.formatted_number = `${format_currency(Number(figure), this.card_doc.currency)} ${__(symbol)}`.trim();
	};
	NumberCard.prototype.cx_money_fixed = true;
};
crm_app.fix_money_number_cards();
$(document).on("startup", crm_app.fix_money_number_cards);

// Frappe's Datetime control appends the time zone to a field's description and only then translates it,
// so the description of a Datetime field is never found in the translations: translate it first, with
// the doctype's context as Frappe's own lookup does.
crm_app.translate_datetime_descriptions = function () {
	const control = frappe.ui.form.ControlDatetime;
	if (!control || control.prototype.__crm_app_translated) return;
	const set_description = control.prototype.set_description;
	control.prototype.set_description = function (...args) {
		const description = this.df.description;
		if (description && !description.includes("<br>")) {
			this.df.description = __(description, null, this.df.parent);
		}
		return set_description.apply(this, args);
	};
	control.prototype.__crm_app_translated = true;
};
crm_app.translate_datetime_descriptions();

// Filters every service desk report shares: the last 30 days, then `extra` (view, periodicity,
// grouping...), then issue filters; `omit` leaves some out (a report grouped by agent has no agent filter
// first).
crm_app.support_report_filters = function (extra = [], omit = []) {
	const today = frappe.datetime.get_today();
	const select = (fieldname, label, options) => ({ fieldname, label, fieldtype: "Select", options });
	const link = (fieldname, label, options) => ({ fieldname, label, fieldtype: "Link", options });
	const issue_filters = [
		select("priority", __("Priority"), ["", "Low", "Medium", "High", "Urgent"]),
		link("issue_type", __("Issue Type"), "CX Issue Type"),
		select("channel", __("Channel"), ["", "Email", "Phone", "Web", "Chat", "Social Media", "In Person"]),
		link("language", __("Language"), "Language"),
		link("agent", __("Agent"), "User"),
		link("customer", __("Customer"), "CX Customer"),
	].filter((filter) => !omit.includes(filter.fieldname));
	return [
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			default: frappe.datetime.add_days(today, -30),
			reqd: 1,
		},
		{ fieldname: "to_date", label: __("To Date"), fieldtype: "Date", default: today, reqd: 1 },
		...extra,
		...issue_filters,
	];
};

// Period and dimension choices of the service desk reports (labels written out, so they are extracted
// for translation).
crm_app.support_periodicity = (fallback = "Weekly") => ({
	fieldname: "periodicity",
	label: __("Range"),
	fieldtype: "Select",
	options: [
		{ value: "Daily", label: __("Daily") },
		{ value: "Weekly", label: __("Weekly") },
		{ value: "Monthly", label: __("Monthly") },
	],
	default: fallback,
	reqd: 1,
});
crm_app.support_group_by = (choices, fallback) => {
	const labels = {
		"Issue Type": __("Issue Type"),
		Priority: __("Priority"),
		Channel: __("Channel"),
		Language: __("Language"),
		Agent: __("Agent"),
	};
	return {
		fieldname: "group_by",
		label: __("Group By"),
		fieldtype: "Select",
		options: choices.map((value) => ({ value, label: labels[value] })),
		default: fallback,
		reqd: 1,
	};
};
