// The condition is built with the desk's FilterGroup (as Number Cards do) and stored in filters_json;
// the count below it is what matches now, of the records the user may read.
frappe.ui.form.on("CX Trigger", {
	refresh(frm) {
		frm.trigger("render_condition");
		if (!frm.is_new() && frm.doc.enabled && frm.perm[0] && frm.perm[0].write) {
			frm.add_custom_button(__("Run Now"), () =>
				frappe.call({
					method: "crm_app.cx_marketing.triggers.run_now",
					type: "POST",
					args: { trigger: frm.doc.name },
				})
			);
		}
		if (!frm.is_new() && frm.doc.enabled && frm.perm[0] && frm.perm[0].write) {
			frm.add_custom_button(__("Retry Failed"), () =>
				frappe.call({
					method: "crm_app.cx_marketing.triggers.retry_failed",
					type: "POST",
					args: { trigger: frm.doc.name },
				})
			);
		}
		frm.trigger("offer_actions");
		if (!frm.is_new()) {
			frm.add_custom_button(__("Log"), () =>
				frappe.set_route("List", "CX Trigger Log", { cx_trigger: frm.doc.name })
			);
		}
		// Frappe shows the run's progress (frappe.publish_progress); the form reloads when it ends.
		if (!frm.trigger_progress_listener) {
			frm.trigger_progress_listener = (data) => {
				if (
					data.doctype === frm.doctype &&
					data.docname === frm.doc.name &&
					data.percent >= 100
				) {
					frm.reload_doc();
				}
			};
			frappe.realtime.on("progress", frm.trigger_progress_listener);
		}
	},

	trigger_on(frm) {
		frm.set_value("filters_json", "[]");
		if (frm.doc.trigger_on !== "CX Customer") frm.set_value("cart_left_hours", 0);
		frm.trigger("render_condition");
	},

	cart_left_hours(frm) {
		frm.trigger("render_condition");
	},

	// Coupons and pricing rules are ERPNext's: without it, the actions are not offered (and the server
	// refuses them).
	offer_actions(frm) {
		if (frappe.boot.versions && frappe.boot.versions.erpnext) return;
		const erpnext_only = ["Create Coupon Code", "Apply Pricing Rule"];
		const field = frappe.meta.get_docfield("CX Trigger Action", "action_type", frm.doc.name);
		const options = (field.options || "").split("\n").filter((o) => !erpnext_only.includes(o));
		frm.fields_dict.actions.grid.update_docfield_property(
			"action_type",
			"options",
			options.join("\n")
		);
	},

	render_condition(frm) {
		const wrapper = $(frm.get_field("condition_html").wrapper).empty();
		if (!frm.doc.trigger_on) {
			wrapper.html(`<p class="text-muted">${__("Choose the records first.")}</p>`);
			return;
		}
		const area = $('<div class="trigger-filters"></div>').appendTo(wrapper);
		const count = $('<p class="text-muted small trigger-count"></p>').appendTo(wrapper);
		frappe.model.with_doctype(frm.doc.trigger_on, () => {
			frm.filter_group = new frappe.ui.FilterGroup({
				parent: area,
				doctype: frm.doc.trigger_on,
				on_change: () => {
					const filters = frm.filter_group.get_filters();
					const value = JSON.stringify(filters);
					if (value !== (frm.doc.filters_json || "[]"))
						frm.set_value("filters_json", value);
					frm.events.show_count(frm, count);
				},
			});
			let filters = [];
			try {
				filters = JSON.parse(frm.doc.filters_json || "[]");
			} catch (e) {
				filters = [];
			}
			frm.filter_group.add_filters_to_filter_group(filters);
			frm.events.show_count(frm, count);
		});
	},

	show_count(frm, target) {
		frappe
			.xcall("crm_app.cx_marketing.triggers.count_matching_now", {
				trigger_on: frm.doc.trigger_on,
				filters_json: frm.doc.filters_json || "[]",
				cart_left_hours: frm.doc.cart_left_hours || 0,
			})
			.then((n) => target.text(__("{0} records match now", [format_number(n, null, 0)])))
			.catch(() => target.text(__("The condition is not valid yet.")));
	},
});

frappe.ui.form.on("CX Trigger Action", {
	action_type(frm, cdt, cdn) {
		const row = locals[cdt][cdn];
		if (row.action_type === "Create Task" && !row.assign_to) {
			frappe.model.set_value(cdt, cdn, "assign_to", "Record Owner");
		}
	},
});
