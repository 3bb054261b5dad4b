// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.ui.form.on("CX Issue", {
	setup(frm) {
		if (!frm.fields_dict.sales_invoice) return; // ERPNext's fields exist only where it is installed
		frm.set_query("sales_invoice", () => ({
			query: "crm_app.integrations.erpnext.history.invoice_query",
			filters: { cx_customer: frm.doc.customer || "" },
		}));
	},
	refresh(frm) {
		crm_app.render_purchases(frm, "recent_purchases_html", frm.doc.customer);
		show_service_level(frm);
		show_agent_load(frm);
		show_knowledge_base(frm);
	},
	customer(frm) {
		crm_app.render_purchases(frm, "recent_purchases_html", frm.doc.customer);
	},
});

const SLA_COLORS = { "On Track": "green", "At Risk": "orange", Breached: "red", Met: "blue", Paused: "gray" };

function show_service_level(frm) {
	// The clock's state beside the status, with the deadline the agent is working to.
	if (!frm.doc.sla_status) return;
	const due = frm.doc.first_responded_on ? frm.doc.resolution_by : frm.doc.response_by;
	const label = due
		? __("SLA: {0} (due {1})", [__(frm.doc.sla_status), frappe.datetime.str_to_user(due)])
		: __("SLA: {0}", [__(frm.doc.sla_status)]);
	frm.dashboard.add_indicator(label, SLA_COLORS[frm.doc.sla_status] || "gray");
}

function show_agent_load(frm) {
	const load = frm.doc.__onload && frm.doc.__onload.agent_open_issues;
	if (!frm.doc.agent || load === undefined) return;
	frm.dashboard.add_indicator(__("{0} has {1} open issues", [frm.doc.agent, load]), load > 20 ? "orange" : "blue");
}

function show_knowledge_base(frm) {
	// Suggested articles and similar resolved issues; "Make Article" once the issue is resolved.
	const field = frm.fields_dict.suggestions_html;
	if (frm.is_new() || !field) return;
	if (["Resolved", "Closed"].includes(frm.doc.status) && frappe.model.can_create("CX Article")) {
		frm.add_custom_button(__("Make Article"), () =>
			frappe.call({
				method: "crm_app.cx_support.knowledge.make_article_from_issue",
				args: { issue: frm.doc.name },
				freeze: true,
				callback: (r) => r.message && frappe.set_route("Form", "CX Article", r.message),
			})
		);
	}
	const issue = frm.doc.name;
	frappe.call({
		method: "crm_app.cx_support.knowledge.suggest_for_issue",
		type: "GET",
		args: { issue },
		callback: ({ message }) => {
			if (!message || frm.doc.name !== issue) return; // the form moved on meanwhile
			const esc = frappe.utils.escape_html;
			const list = (title, items) =>
				`<div class="col-sm-6"><h6 class="text-muted">${title}</h6>` +
				(items.length ? `<ul class="list-unstyled">${items.join("")}</ul>` : `<p class="text-muted small">${__("None found")}</p>`) +
				"</div>";
			const articles = message.articles.map(
				(a) => `<li><a href="${esc(a.route)}" target="_blank">${esc(a.title)}</a></li>`
			);
			const issues = message.issues.map(
				(i) => `<li><a href="/app/cx-issue/${encodeURIComponent(i.name)}">${esc(i.subject)}</a> <span class="text-muted small">${esc(i.name)}</span></li>`
			);
			field.$wrapper.html(
				`<div class="row">${list(__("Articles"), articles)}${list(__("Similar Resolved Issues"), issues)}</div>`
			);
		},
	});
}
