// Review of a duplicate group: confirm (they are one), dismiss (they are not: never filed again),
// merge (choose the record to keep and, where they differ, whose value it takes), reopen.
frappe.ui.form.on("CX Duplicate Group", {
	refresh(frm) {
		frm.disable_save(); // written by the scan and the review buttons only
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
		if (frm.doc.status !== "Merged" && frm.doc.status !== "Dismissed") {
			frm.add_custom_button(__("Merge"), () => crm_app_merge_dialog(frm)).addClass("btn-primary");
		}
		frm.set_intro(
			frm.doc.status === "Open"
				? __("Open each record to compare them, then say whether they are one {0}, or merge them.", [
						__(frm.doc.record_doctype),
				  ])
				: "",
			"blue"
		);
	},
});

function crm_app_merge_dialog(frm) {
	const doctype = frm.doc.record_doctype;
	const names = (frm.doc.members || []).map((row) => row.record_name);
	frappe
		.call({ method: "crm_app.cx_data_quality.merge.merge_preview", args: { doctype, names } })
		.then(({ message: preview }) => {
			const label = (name) => `${preview.titles[name] || name} (${name})`;
			const options = names.map((name) => ({ value: name, label: label(name) }));
			const fields = [
				{
					fieldname: "keep",
					fieldtype: "Select",
					label: __("Keep"),
					options,
					default: names[0],
					reqd: 1,
					description: __(
						"The others are merged into it: their links, emails, calls, notes, files and assignments move to it. An undo brings them back."
					),
				},
				{ fieldtype: "Section Break", label: __("Where they differ, take the value of") },
			];
			for (const field of preview.fields) {
				fields.push({
					fieldname: "field__" + field.fieldname,
					fieldtype: "Select",
					label: field.label,
					options: names.map((name) => ({
						value: name,
						label: `${frappe.utils.escape_html(String(field.values[name] ?? ""))} — ${name}`,
					})),
					default: names[0],
				});
			}
			const dialog = new frappe.ui.Dialog({
				title: __("Merge {0} records", [names.length]),
				fields,
				primary_action_label: __("Merge"),
				primary_action(values) {
					const values_from = {};
					for (const field of preview.fields) {
						values_from[field.fieldname] = values["field__" + field.fieldname];
					}
					frappe
						.call({
							method: "crm_app.cx_data_quality.merge.merge_records",
							args: {
								doctype,
								keep: values.keep,
								merge: names.filter((name) => name !== values.keep),
								values_from,
								seen_modified: preview.modified,
								duplicate_group: frm.doc.name,
							},
							freeze: true,
							freeze_message: __("Merging..."),
						})
						.then(({ message: log }) => {
							dialog.hide();
							frappe.show_alert({
								message: __("Merged into {0}. The merge log can undo it.", [values.keep]),
								indicator: "green",
							});
							frappe.set_route("Form", "CX Merge Log", log);
						});
				},
			});
			dialog.show();
		});
}
