// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.ui.form.on("CX Lead", {
	refresh(frm) {
		crm_app.add_activity_buttons(frm);
		crm_app.render_profile(frm); // the 360 tab (public/js/profile360.js)
		render_score_breakdown(frm);
		render_conversion(frm); // after the score: it adds to the same section
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

// The predicted probability and its top factors (crm_app/cx_insights/conversion.py), under the rule-based
// score, with how well the model did on leads it did not see.
function render_conversion(frm) {
	if (frm.is_new() || !frm.doc.conversion_scored_on) return;
	let factors = [];
	try {
		factors = JSON.parse(frm.doc.conversion_factors || "[]");
	} catch (e) {
		factors = [];
	}
	const rows = factors
		.map(
			(f) =>
				`<tr><td class="text-right ${f.effect < 0 ? "text-danger" : "text-success"}" style="width: 4em">` +
				`${f.effect > 0 ? "+" : ""}${flt(f.effect, 2)}</td><td>${frappe.utils.escape_html(f.factor)}</td></tr>`
		)
		.join("");
	const $block = $(
		`<div class="cx-conversion mt-3"><b>${__("Predicted conversion: {0}", [
			`${flt(frm.doc.conversion_probability, 1)}%`,
		])}</b> <span class="text-muted small cx-conversion-model"></span>` +
			(rows ? `<table class="table table-sm table-borderless mb-0">${rows}</table>` : "") +
			`<p class="text-muted small mb-0">${__("Effects are in log-odds against an average lead.")}</p></div>`
	);
	frm.get_field("score_breakdown").$wrapper.append($block);
	frappe
		.xcall("crm_app.cx_insights.conversion.model_summary")
		.then((m) => {
			if (m.status === "Trained") {
				$block.find(".cx-conversion-model").text(
					__("Model AUC {0} on held-out leads (rule-based score {1})", [m.auc, m.baseline_auc])
				);
			}
		});
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
