// Review of a duplicate group: confirm (they are one), dismiss (they are not: never filed again), reopen.
frappe.ui.form.on("CX Duplicate Group", {
	refresh(frm) {
		const review = (decision) =>
			frappe
				.call({
					method: "crm_app.cx_data_quality.duplicates.review_group",
					args: { name: frm.doc.name, decision },
				})
				.then(() => frm.reload_doc());
		if (frm.doc.status === "Open") {
			frm.add_custom_button(__("They Are One"), () => review("confirm"), __("Review"));
			frm.add_custom_button(__("Not Duplicates"), () => review("dismiss"), __("Review"));
		} else if (frm.doc.status !== "Merged") {
			frm.add_custom_button(__("Reopen"), () => review("reopen"));
		}
		frm.set_intro(
			frm.doc.status === "Open"
				? __("Open each record to compare them, then say whether they are one {0}.", [
						__(frm.doc.record_doctype),
				  ])
				: "",
			"blue"
		);
	},
});
