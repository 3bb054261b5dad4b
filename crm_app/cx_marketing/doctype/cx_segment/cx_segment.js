// Copyright (c) 2026, crm_app contributors. See license.txt

const SEGMENTS = "crm_app.cx_marketing.segments";

// The read methods accept GET only.
function get_call(method, args) {
	return frappe.call({ method: `${SEGMENTS}.${method}`, args: args, type: "GET" }).then((r) => r.message);
}

// Frappe's FilterGroup offers every field; a segment's rules may use the whitelisted ones only.
class SegmentFilterGroup extends frappe.ui.FilterGroup {
	_push_new_filter(doctype, fieldname, condition, value, hidden = false) {
		const filter = new frappe.ui.Filter({
			parent: this.wrapper,
			parent_doctype: this.doctype,
			doctype: doctype,
			_parent_doctype: this.parent_doctype,
			// a new row starts on "name" in Frappe: on a segment, on the first field it may use
			fieldname: this.is_allowed(fieldname) ? fieldname : this.filter_fields[0]?.fieldname,
			condition: condition,
			value: value,
			hidden: hidden,
			index: this.filters.length + 1,
			filter_fields: this.filter_fields,
			on_change: (update) => {
				if (update) this.update_filters();
				this.on_change();
			},
			filter_items: (dt, fn) => !this.filter_exists([dt, fn]),
			filter_list: this,
		});
		this.filters.push(filter);
		return filter;
	}

	is_allowed(fieldname) {
		return this.filter_fields.some((df) => df.fieldname === fieldname);
	}
}

frappe.ui.form.on("CX Segment", {
	onload(frm) {
		frappe.realtime.on("cx_segment_resolved", (data) => {
			if (data && data.segment === frm.doc.name && !frm.is_dirty()) frm.reload_doc();
		});
	},

	refresh(frm) {
		frm.events.render_rules(frm);
		frm.events.render_history(frm);
		if (!frm.is_new() && frm.has_perm("write")) {
			frm.add_custom_button(__("Resolve Now"), () => frm.events.resolve_now(frm));
		}
		if (!frm.is_new() && frappe.model.can_read("CX Segment Member")) {
			// the key is what the member table is indexed by; the name alone would scan every stay
			frm.add_custom_button(__("Members"), () =>
				frappe.set_route("List", "CX Segment Member", {
					segment: frm.doc.name,
					segment_key: frm.doc.segment_key,
					left_on: ["is", "not set"],
				})
			);
		}
	},

	segment_of(frm) {
		// rules name the fields of one record type: another type starts from none
		frm.set_value("filters_json", "[]");
		frm.events.render_rules(frm);
	},

	match(frm) {
		frm.events.refresh_count(frm);
	},

	render_rules(frm) {
		const doctype = frm.doc.segment_of;
		const wrapper = frm.get_field("filters_html").$wrapper;
		if (!doctype) {
			wrapper.empty();
			return;
		}
		get_call("rule_fields", { segment_of: doctype })
			.then((groups) => {
				frappe.model.with_doctype(doctype, () => {
					const fields = Object.values(groups)
						.flat()
						.map((fieldname) => frappe.meta.get_docfield(doctype, fieldname))
						.filter(Boolean);
					wrapper.empty();
					frm._loading_rules = true;
					frm.filter_group = new SegmentFilterGroup({
						parent: wrapper,
						doctype: doctype,
						filter_fields: fields,
						on_change: () => frm.events.rules_changed(frm),
					});
					const rules = JSON.parse(frm.doc.filters_json || "[]");
					frm.filter_group.add_filters_to_filter_group(rules);
					frm._loading_rules = false;
					frm.events.refresh_count(frm);
				});
			});
	},

	rules_changed(frm) {
		if (frm._loading_rules || !frm.filter_group) return;
		const rules = frm.filter_group
			.get_filters()
			.filter((rule) => rule[3] !== undefined && rule[3] !== null && rule[3] !== "");
		const text = JSON.stringify(rules);
		if (text !== (frm.doc.filters_json || "[]")) frm.set_value("filters_json", text);
		frm.events.refresh_count(frm);
	},

	refresh_count(frm) {
		frm._count_debounced =
			frm._count_debounced || frappe.utils.debounce(() => frm.events.fetch_count(frm), 600);
		frm._count_debounced();
	},

	fetch_count(frm) {
		const area = frm.get_field("live_count_html").$wrapper;
		if (!frm.doc.segment_of) return;
		area.html(`<p class="text-muted small">${__("Counting...")}</p>`);
		get_call("preview_count", {
			segment_of: frm.doc.segment_of,
			filters_json: frm.doc.filters_json || "[]",
			match: frm.doc.match || "All",
			segment: frm.is_new() ? null : frm.doc.name,
		})
			.then((r) => {
				if (r.error) {
					area.html(`<p class="text-danger small">${frappe.utils.escape_html(r.error)}</p>`);
					return;
				}
				area.html(
					`<p class="small"><b>${format_number(r.count, null, 0)}</b> ${__(
						"matching records now (those you may see)"
					)}</p>`
				);
			});
	},

	resolve_now(frm) {
		frappe.xcall(`${SEGMENTS}.resolve_now`, { segment: frm.doc.name }).then((r) => {
			if (r.queued) {
				frappe.show_alert({ message: r.message, indicator: "blue" });
			} else {
				frappe.msgprint({ message: r.message, title: __("Already Running"), indicator: "orange" });
			}
			frm.reload_doc();
		});
	},

	render_history(frm) {
		const area = frm.get_field("history_html").$wrapper;
		area.empty();
		if (frm.is_new()) return;
		get_call("membership_history", { segment: frm.doc.name, days: 30 })
			.then((data) => {
				area.empty();
				if (!data.joined.some(Boolean) && !data.left.some(Boolean)) {
					area.html(`<p class="text-muted small">${__("No one joined or left in the last 30 days.")}</p>`);
					return;
				}
				new frappe.Chart(area.get(0), {
					type: "bar",
					height: 200,
					colors: ["green", "red"],
					data: {
						labels: data.labels.map((day) => frappe.datetime.str_to_user(day)),
						datasets: [
							{ name: __("Joined"), values: data.joined },
							{ name: __("Left"), values: data.left },
						],
					},
				});
			});
	},
});
