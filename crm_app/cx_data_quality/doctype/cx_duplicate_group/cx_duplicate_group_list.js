frappe.listview_settings["CX Duplicate Group"] = {
	get_indicator(doc) {
		const colours = { Open: "orange", Confirmed: "blue", Dismissed: "gray", Merged: "green" };
		return [__(doc.status), colours[doc.status] || "gray", "status,=," + doc.status];
	},
	onload(listview) {
		listview.page.add_inner_button(__("Find Duplicates"), () =>
			frappe
				.call({ method: "crm_app.cx_data_quality.duplicates.start_scan" })
				.then(() =>
					frappe.show_alert({
						message: __("Looking for duplicates in the background; the list fills as it goes."),
						indicator: "blue",
					})
				)
		);
	},
};
