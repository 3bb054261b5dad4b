// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

const CX_BAND_COLORS = { Hot: "red", Warm: "orange", Cold: "blue" };

frappe.listview_settings["CX Lead"] = {
	add_fields: ["status", "lead_score", "score_band", "organization_name", "lead_owner", "completeness"],
	onload(listview) {
		cx_add_incomplete_filter(listview);
	},
	// Called after every refresh of the list and of its Kanban boards.
	refresh(listview) {
		crm_app.watch_kanban(listview);
	},
	get_indicator(doc) {
		const colors = {
			New: "blue",
			Contacted: "orange",
			Qualified: "purple",
			Unqualified: "gray",
			Converted: "green",
			Lost: "red",
		};
		return [__(doc.status), colors[doc.status] || "gray", `status,=,${doc.status}`];
	},
	formatters: {
		lead_score(value, df, doc) {
			if (!doc.score_band) return value ?? "";
			const color = CX_BAND_COLORS[doc.score_band] || "gray";
			return `<span class="indicator-pill ${color}" title="${__(doc.score_band)}">${__(doc.score_band)} · ${cint(value)}</span>`;
		},
		completeness(value) {
			return cx_completeness_pill(value);
		},
	},
};

// One click to "Completeness < threshold" (CX Data Quality Settings).
function cx_add_incomplete_filter(listview) {
	listview.page.add_inner_button(__("Incomplete"), () =>
		listview.filter_area.add([
			[listview.doctype, "completeness", "<", frappe.boot.cx_completeness_threshold || 60],
		])
	);
}

// Red below the threshold of CX Data Quality Settings, green when nothing is missing.
function cx_completeness_pill(value) {
	const percent = cint(value);
	const threshold = frappe.boot.cx_completeness_threshold || 60;
	const color = percent >= 100 ? "green" : percent < threshold ? "red" : "orange";
	return `<span class="indicator-pill ${color} filterable" data-filter="completeness,=,${percent}">${percent}%</span>`;
}
