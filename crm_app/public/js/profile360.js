// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt
// The 360 panel of customers and leads: figures, contacts, addresses, open deals and issues and one
// timeline of every channel, from one request (crm_app.cx_sales.profile.get_profile); "Load more" asks
// for the next page with the cursor the last one handed out.

frappe.provide("crm_app");

(() => {
	crm_app.render_profile = function (frm, fieldname = "profile_html") {
		const field = frm.fields_dict[fieldname];
		if (!field || frm.is_new()) return;
		new crm_app.ProfilePanel(frm, field.$wrapper).load();
	};

	crm_app.ProfilePanel = class ProfilePanel {
		constructor(frm, $wrapper) {
			this.frm = frm;
			this.$wrapper = $wrapper;
			// A newer refresh of the form replaces this panel: answers meant for an older one are dropped.
			this.token = frappe.utils.get_random(8);
			$wrapper.data("cx-profile-token", this.token);
		}

		current() {
			return this.$wrapper.data("cx-profile-token") === this.token;
		}

		fetch(before) {
			return frappe.call({
				method: "crm_app.cx_sales.profile.get_profile",
				type: "GET",
				args: { doctype: this.frm.doctype, name: this.frm.doc.name, before: before || undefined },
			});
		}

		load() {
			if (!this.$wrapper.children().length) {
				this.$wrapper.html(`<div class="text-muted small">${__("Loading...")}</div>`);
			}
			this.fetch().then(
				(r) => {
					if (!this.current() || !r.message) return;
					this.render(r.message);
				},
				() =>
					this.current() &&
					this.$wrapper.html(
						`<div class="text-muted small">${__("The 360 view could not be loaded.")}</div>`
					)
			);
		}

		render(data) {
			this.kinds = data.timeline.kinds;
			this.$wrapper.html(`
			<div class="cx-360">
				<div class="row">${this.figures_html(data)}</div>
				<div class="row">${this.lists_html(data)}</div>
				<h6 class="mt-3">${__("Timeline")}</h6>
				<div class="new-timeline"><div class="timeline-items"></div></div>
				<div class="cx-360-more text-center mb-3"></div>
			</div>
		`);
			this.$items = this.$wrapper.find(".timeline-items");
			this.append(data.timeline);
		}

		append(timeline) {
			this.kinds = Object.assign(this.kinds || {}, timeline.kinds);
			this.$items.append(timeline.entries.map((entry) => this.entry_html(entry)).join(""));
			if (!this.$items.children().length) {
				this.$items.html(`<div class="text-muted small">${__("No activity yet.")}</div>`);
			}
			const $more = this.$wrapper.find(".cx-360-more").empty();
			if (!timeline.next) return;
			$(`<button class="btn btn-default btn-sm">${__("Load more")}</button>`)
				.appendTo($more)
				.on("click", (event) => {
					const $button = $(event.currentTarget).prop("disabled", true);
					this.fetch(timeline.next).then(
						(r) => this.current() && r.message && this.append(r.message.timeline),
						() => $button.prop("disabled", false) // Frappe has shown the error: try again
					);
				});
		}

		// -- pieces ------------------------------------------------------------------------------------

		lists_html(data) {
			const record = { link_doctype: data.doctype, link_name: data.name };
			const deals = {
				[data.doctype === "CX Customer" ? "customer" : "lead"]: data.name,
				status: "Open",
			};
			return [
				[__("Contacts"), data.contacts, (c) => this.contact_html(c), "Contact", record],
				[__("Addresses"), data.addresses, (a) => this.address_html(a), "Address", record],
				[
					__("Open Opportunities"),
					data.opportunities,
					(o) => this.opportunity_html(o),
					"CX Opportunity",
					deals,
				],
				[
					__("Open Issues"),
					data.issues,
					(i) => this.issue_html(i),
					"CX Issue",
					{ customer: data.name },
				],
			]
				.filter(([, list]) => list) // a doctype the user may not read, or issues of a lead
				.map((args) => `<div class="col-lg-3 col-md-6">${this.list_html(...args)}</div>`)
				.join("");
		}

		figures_html(data) {
			const cells = data.figures.map((figure) => {
				let value = figure.value;
				if (value === null || value === undefined || value === "") {
					value = `<span class="text-muted">-</span>`;
				} else if (figure.fieldtype === "Currency") {
					value = format_currency(value, figure.options);
				} else {
					value = frappe.format(
						value,
						{ fieldtype: figure.fieldtype, options: figure.options },
						{ inline: true }
					);
				}
				return this.figure(figure.label, value);
			});
			if (data.owner) {
				cells.unshift(
					this.figure(
						__("Owner"),
						`${frappe.avatar(data.owner, "avatar-xs")} ${esc(frappe.user.full_name(data.owner))}`
					)
				);
			}
			return cells.join("");
		}

		figure(label, value) {
			return `<div class="col-6 col-sm-4 col-md-3 mb-3"><div class="text-muted small">${esc(
				label
			)}</div><div class="bold">${value}</div></div>`;
		}

		list_html(title, list, row_html, doctype, filters) {
			const rows = list.rows.map((row) => `<div class="mb-2">${row_html(row)}</div>`).join("");
			const more =
				list.more && filters
					? `<a class="small" href="/app/${frappe.router.slug(doctype)}?${esc(
							$.param(filters)
					  )}">${__("Show all")}</a>`
					: "";
			return `
			<div class="mb-3">
				<h6>${esc(title)}</h6>
				${rows || `<div class="text-muted small">${__("None")}</div>`}
				${more}
			</div>`;
		}

		contact_html(c) {
			const name = [c.first_name, c.last_name].filter(Boolean).join(" ") || c.name;
			const reach = [c.email_id, c.mobile_no || c.phone].filter(Boolean).map(esc).join(" · ");
			const primary = c.is_primary_contact
				? ` <span class="indicator-pill blue">${__("Primary")}</span>`
				: "";
			return `${link("Contact", c.name, name)}${primary}
			${c.designation ? `<span class="text-muted small"> · ${esc(c.designation)}</span>` : ""}
			<div class="text-muted small">${reach}</div>`;
		}

		address_html(a) {
			const lines = [
				a.address_line1,
				a.address_line2,
				[a.pincode, a.city].filter(Boolean).join(" "),
				a.country,
			];
			const primary = a.is_primary_address
				? ` <span class="indicator-pill blue">${__("Primary")}</span>`
				: "";
			return `${link("Address", a.name, a.address_title || a.name)}${primary}
			<span class="text-muted small"> · ${esc(__(a.address_type || ""))}</span>
			<div class="text-muted small">${lines.filter(Boolean).map(esc).join(", ")}</div>`;
		}

		opportunity_html(o) {
			const amount = o.amount ? ` · ${format_currency(o.amount, o.currency)}` : "";
			const close = o.expected_close_date
				? ` · ${__("Close {0}", [frappe.datetime.str_to_user(o.expected_close_date)])}`
				: "";
			return `${link("CX Opportunity", o.name, o.title || o.name)}
			<div class="text-muted small">${esc(__(o.sales_stage || ""))}${amount}${close}</div>`;
		}

		issue_html(i) {
			const colors = { Open: "red", Replied: "blue", "On Hold": "orange" };
			return `${link("CX Issue", i.name, i.subject || i.name)}
			<span class="indicator-pill ${colors[i.status] || "gray"}">${esc(__(i.status))}</span>
			<div class="text-muted small">${esc(__(i.priority || ""))} · ${comment_when(i.opened_on)}</div>`;
		}

		entry_html(entry) {
			const kind = this.kinds[entry.kind] || { label: entry.kind, icon: "dot-horizontal" };
			const title = entry.doctype
				? link(entry.doctype, entry.name, entry.title || entry.name)
				: esc(entry.title || "");
			const parts = [`<span class="text-muted">${esc(kind.label)}</span>`, title];
			if (entry.via_doctype)
				parts.push(
					`<span class="text-muted">${__("through")}</span> ${link(
						entry.via_doctype,
						entry.via_name,
						entry.via_name
					)}`
				);
			else if (entry.detail) parts.push(esc(entry.detail));
			if (entry.amount) parts.push(format_currency(entry.amount, entry.currency));
			if (entry.status)
				parts.push(`<span class="indicator-pill gray">${esc(__(entry.status))}</span>`);
			if (entry.user)
				parts.push(
					`${frappe.avatar(entry.user, "avatar-xs")} ${esc(frappe.user.full_name(entry.user))}`
				);
			else if (entry.who) parts.push(esc(entry.who));
			const when = entry.date_only
				? frappe.datetime.str_to_user(entry.moment.slice(0, 10))
				: comment_when(entry.moment);
			return `
			<div class="timeline-item" data-doctype="${esc(entry.doctype || "")}" data-name="${esc(
				entry.name
			)}">
				<div class="timeline-badge" title="${esc(kind.label)}">${frappe.utils.icon(kind.icon, "sm")}</div>
				<div class="timeline-content">${parts.join(" · ")} · <span class="text-muted">${when}</span></div>
			</div>`;
		}
	};

	function esc(value) {
		return frappe.utils.escape_html(value === null || value === undefined ? "" : String(value));
	}

	function link(doctype, name, label) {
		return `<a href="/app/${frappe.router.slug(doctype)}/${encodeURIComponent(name)}">${esc(
			label
		)}</a>`;
	}
})();
