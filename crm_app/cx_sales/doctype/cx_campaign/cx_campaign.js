// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

// A campaign's results: a chart of its figures (kept by the server, crm_app/campaigns.py), its ROI,
// and a button to the Campaign Performance report for the campaign's dates.
frappe.ui.form.on("CX Campaign", {
	refresh(frm) {
		if (frm.is_new()) return;
		frm.add_custom_button(__("Campaign Performance"), () => {
			frappe.route_options = {
				campaign: frm.doc.name,
				from_date: frm.doc.start_date || frappe.datetime.add_days(frappe.datetime.get_today(), -365),
				to_date: frm.doc.end_date || frappe.datetime.get_today(),
			};
			frappe.set_route("query-report", "CX Campaign Performance");
		});
		show_results(frm);
	},
});

function show_results(frm) {
	const doc = frm.doc;
	if (doc.actual_cost) {
		frm.dashboard.add_indicator(
			__("ROI {0}", [format_number(doc.roi_percent, null, 1) + "%"]),
			doc.roi_percent >= 0 ? "green" : "red"
		);
	}
	const counts = [
		doc.members_count,
		doc.responses_count,
		doc.leads_count,
		doc.opportunities_count,
		doc.won_count,
	];
	if (!counts.some(Boolean)) return;
	const section = frm.dashboard.add_section('<div class="cx-campaign-results"></div>', __("Results"));
	new frappe.Chart(section.find(".cx-campaign-results")[0], {
		type: "bar",
		height: 200,
		data: {
			labels: [__("Members"), __("Responses"), __("Leads"), __("Opportunities"), __("Won Deals")],
			datasets: [{ name: __("Count"), values: counts.map((value) => value || 0) }],
		},
		colors: ["#5e64ff"],
	});
	frm.dashboard.show();
}
