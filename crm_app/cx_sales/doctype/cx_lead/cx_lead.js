// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.ui.form.on("CX Lead", {
	refresh(frm) {
		crm_app.add_activity_buttons(frm);
		crm_app.render_profile(frm); // the 360 tab (public/js/profile360.js)
		render_score_breakdown(frm);
		show_missing_fields(frm);
		if (!frm.is_new() && !frm.doc.customer && !["Lost", "Unqualified"].includes(frm.doc.status)) {
			frm.add_custom_button(__("Convert to Customer"), () => convert_lead(frm)).addClass(
				"btn-primary"
			);
		}
		if (frm.doc.customer) {
			frm.dashboard.set_headline_alert(
				__("Converted to customer {0}", [
					`<a href="/app/cx-customer/${encodeURIComponent(frm.doc.customer)}">${frappe.utils.escape_html(frm.doc.customer)}</a>`,
				]),
				"green"
			);
		}
	},
});

// Below the completeness threshold, say what the lead misses (the server reads the rules: __onload).
function show_missing_fields(frm) {
	const info = frm.doc.__onload?.completeness;
	if (frm.is_new() || !info || info.percent >= info.threshold) return;
	frm.dashboard.set_headline_alert(
		__("Incomplete: missing {0}", [info.missing.map(frappe.utils.escape_html).join(", ")]),
		"orange"
	);
}

function render_score_breakdown(frm) {
	const lines = frm.doc.__onload?.score_breakdown || [];
	const rows = lines
		.map(
			(line) =>
				`<tr><td class="text-right ${line.points < 0 ? "text-danger" : "text-success"}" style="width: 4em">` +
				`${line.points > 0 ? "+" : ""}${cint(line.points)}</td><td>${frappe.utils.escape_html(line.label)}</td></tr>`
		)
		.join("");
	const band = frm.doc.score_band ? ` <span class="indicator-pill ${{ Hot: "red", Warm: "orange", Cold: "blue" }[frm.doc.score_band]}">${__(frm.doc.score_band)}</span>` : "";
	const html = lines.length
		? `<table class="table table-sm table-borderless mb-0">${rows}<tr class="border-top"><td class="text-right"><b>${cint(frm.doc.lead_score)}</b></td><td><b>${__("Score")}</b>${band}</td></tr></table>`
		: `<p class="text-muted">${__("No scoring criterion applies to this lead. Set criteria in {0}.", [
				`<a href="/app/cx-scoring-settings">${__("CX Scoring Settings")}</a>`,
		  ])}</p>`;
	frm.get_field("score_breakdown").$wrapper.html(html);
}

function convert_lead(frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Convert Lead"),
		fields: [
			{
				fieldname: "create_opportunity",
				fieldtype: "Check",
				label: __("Also create an opportunity"),
				default: 1,
			},
			{
				fieldname: "opportunity_title",
				fieldtype: "Data",
				label: __("Opportunity Title"),
				default: frm.doc.organization_name || frm.doc.lead_name,
				depends_on: "create_opportunity",
			},
			{
				fieldname: "opportunity_amount",
				fieldtype: "Currency",
				label: __("Amount"),
				depends_on: "create_opportunity",
			},
			{
				fieldname: "sales_stage",
				fieldtype: "Link",
				options: "CX Sales Stage",
				label: __("Stage"),
				depends_on: "create_opportunity",
			},
		],
		primary_action_label: __("Convert"),
		primary_action(values) {
			frappe.call({
				method: "crm_app.cx_sales.doctype.cx_lead.conversion.convert_lead",
				type: "POST",
				args: { lead: frm.doc.name, ...values },
				freeze: true,
				freeze_message: __("Converting..."),
				callback(r) {
					dialog.hide();
					frm.reload_doc();
					frappe.show_alert({
						message: __("Customer {0} created", [r.message.customer]),
						indicator: "green",
					});
				},
			});
		},
	});
	dialog.show();
}
