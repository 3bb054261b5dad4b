frappe.ui.form.on("CX Merge Log", {
	refresh(frm) {
		frm.disable_save(); // written by the merge and its undo only
		if (frm.doc.status === "Merged") {
			frm.add_custom_button(__("Undo Merge"), () =>
				frappe.confirm(
					__("Bring back {0} and point everything that moved at them again?", [
						(frm.doc.merged_records || "").split("\n").join(", "),
					]),
					() =>
						frappe
							.call({
								method: "crm_app.cx_data_quality.merge.undo_merge",
								args: { merge_log: frm.doc.name },
								freeze: true,
							})
							.then(() => frm.reload_doc())
				)
			);
		}
	},
});
