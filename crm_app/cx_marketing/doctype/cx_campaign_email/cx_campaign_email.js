frappe.ui.form.on("CX Campaign Email", {
	onload(frm) {
		// the same list of time zones as the User form
		frappe.xcall("frappe.core.doctype.user.user.get_timezones").then((r) =>
			frm.set_df_property("time_zone", "options", [""].concat(r.timezones))
		);
	},
	refresh(frm) {
		if (frm.is_new()) return;
		const status = frm.doc.status;
		if (["Draft", "Scheduled", "Paused", "Failed"].includes(status) && frm.perm[0].write) {
			const label = frm.doc.send_after && status === "Draft" ? __("Schedule") : __("Send");
			frm.add_custom_button(label, () =>
				frappe.confirm(__("Queue this campaign email to its members?"), () =>
					frappe
						.xcall("crm_app.cx_marketing.sends.start_send", { campaign_email: frm.doc.name })
						.then(() => frm.reload_doc())
				)
			);
		}
		if (["Sending", "Scheduled"].includes(status) && frm.perm[0].write) {
			frm.add_custom_button(__("Pause"), () =>
				frappe
					.xcall("crm_app.cx_marketing.sends.pause_send", { campaign_email: frm.doc.name })
					.then(() => frm.reload_doc())
			);
		}
		frm.add_custom_button(__("Preview"), () => preview_dialog(frm));
		frm.add_custom_button(__("Recipients"), () =>
			frappe.set_route("List", "CX Campaign Email Recipient", { campaign_email: frm.doc.name })
		);
	},
});

function preview_dialog(frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Preview for a member"),
		fields: [
			{
				fieldname: "member_doctype",
				fieldtype: "Select",
				label: __("Member Type"),
				options: ["CX Lead", "CX Customer", "Contact"],
				default: "CX Lead",
			},
			{
				fieldname: "member_name",
				fieldtype: "Dynamic Link",
				label: __("Member"),
				options: "member_doctype",
				reqd: 1,
			},
			{ fieldname: "step", fieldtype: "Int", label: __("Step"), default: 1 },
			{ fieldname: "preview_html", fieldtype: "HTML" },
		],
		primary_action_label: __("Preview"),
		primary_action(values) {
			// a read: frappe.xcall would POST, which the GET-only method refuses
			frappe
				.call({
					method: "crm_app.cx_marketing.sends.preview",
					args: { campaign_email: frm.doc.name, ...values },
					type: "GET",
				})
				.then(({ message: r }) => {
					const frame = $(`<iframe style="width:100%;height:420px;border:1px solid var(--border-color)"></iframe>`);
					dialog.fields_dict.preview_html.$wrapper
						.empty()
						.append($(`<p><b>${__("To")}:</b> ${frappe.utils.escape_html(r.email || "")}<br><b>${__("Subject")}:</b> ${frappe.utils.escape_html(r.subject)}</p>`))
						.append(frame);
					frame[0].srcdoc = r.html;
				});
		},
	});
	dialog.show();
}
