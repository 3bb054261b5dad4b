// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.ui.form.on("CX Opportunity", {
	setup(frm) {
		frm.set_query("item_type", "items", () => ({
			filters: { name: ["in", ["CX Product", "Item"]] },
		}));
	},
	refresh(frm) {
		if (frm.is_new()) return;
		crm_app.add_activity_buttons(frm);
		if (frm.doc.status === "Open") {
			frm.add_custom_button(__("Won"), () => frm.call("mark_won").then(() => frm.reload_doc()), __("Close"));
			frm.add_custom_button(__("Lost"), () => mark_lost(frm), __("Close"));
		} else {
			frm.add_custom_button(__("Reopen"), () => frm.call("reopen").then(() => frm.reload_doc()));
		}
		add_erpnext_buttons(frm);
	},
});

// Where ERPNext is connected: the next selling document, made from the latest one through ERPNext's own
// mapping (so the deal link carries forward), else from the deal; and the items' stock.
function add_erpnext_buttons(frm) {
	const documents = frm.doc.__onload && frm.doc.__onload.erpnext_documents;
	if (!documents || !frm.doc.customer || frm.doc.status === "Lost") return;
	const make = (method, source_name) =>
		frappe.model.open_mapped_doc({ method, source_name: source_name || frm.doc.name, frm });
	const deal = "crm_app.integrations.erpnext.deals.";
	const group = __("Create");
	frm.add_custom_button(__("Quotation"), () => make(deal + "make_quotation"), group);
	frm.add_custom_button(
		__("Sales Order"),
		() =>
			documents.Quotation
				? make("erpnext.selling.doctype.quotation.quotation.make_sales_order", documents.Quotation)
				: make(deal + "make_sales_order"),
		group
	);
	frm.add_custom_button(
		__("Sales Invoice"),
		() =>
			documents["Sales Order"]
				? make(
						"erpnext.selling.doctype.sales_order.sales_order.make_sales_invoice",
						documents["Sales Order"]
				  )
				: make(deal + "make_sales_invoice"),
		group
	);
	if ((frm.doc.items || []).some((row) => row.item_type === "Item")) {
		frm.add_custom_button(__("Stock"), () => show_stock(frm));
	}
}

function show_stock(frm) {
	const items = [...new Set(frm.doc.items.filter((row) => row.item_type === "Item").map((row) => row.item))];
	frappe
		.xcall("crm_app.integrations.erpnext.stock.item_stock", { item_codes: items })
		.then((stock) => {
			const rows = items
				.map((item) =>
					(stock[item] || [{ warehouse: __("No stock"), actual: 0, projected: 0 }])
						.map(
							(bin) => `<tr><td>${frappe.utils.escape_html(item)}</td>
								<td>${frappe.utils.escape_html(bin.warehouse)}</td>
								<td class="text-right">${format_number(bin.actual)}</td>
								<td class="text-right">${format_number(bin.projected)}</td></tr>`
						)
						.join("")
				)
				.join("");
			frappe.msgprint({
				title: __("Stock by Warehouse"),
				message: `<table class="table table-bordered table-sm"><thead><tr><th>${__("Item")}</th>
					<th>${__("Warehouse")}</th><th class="text-right">${__("Actual")}</th>
					<th class="text-right">${__("Projected")}</th></tr></thead><tbody>${rows}</tbody></table>`,
				wide: true,
			});
		});
}

frappe.ui.form.on("CX Opportunity Item", {
	items_add(frm, cdt, cdn) {
		// ERPNext's Item where ERPNext is installed, else the app's own CX Product.
		const item_type = frappe.boot.versions && frappe.boot.versions.erpnext ? "Item" : "CX Product";
		frappe.model.set_value(cdt, cdn, "item_type", item_type);
	},
	qty: update_amount,
	rate: update_amount,
	item(frm, cdt, cdn) {
		const row = locals[cdt][cdn];
		if (row.item_type !== "Item" || !row.item) return;
		frappe
			.xcall("crm_app.integrations.erpnext.stock.item_details", {
				item_code: row.item,
				currency: frm.doc.currency || "",
			})
			.then((details) => {
				if (!details || !details.uom) return;
				frappe.model.set_value(cdt, cdn, {
					item_name: details.item_name,
					description: details.description,
					uom: details.uom,
				});
				if (details.rate !== null && details.rate !== undefined) {
					frappe.model.set_value(cdt, cdn, "rate", details.rate);
				} else if (details.message) {
					frappe.show_alert({ message: details.message, indicator: "orange" });
				}
			});
	},
});

function update_amount(frm, cdt, cdn) {
	const row = locals[cdt][cdn];
	frappe.model.set_value(cdt, cdn, "amount", flt(row.qty) * flt(row.rate));
}

function mark_lost(frm) {
	frappe.prompt(
		[
			{
				fieldname: "lost_reason",
				fieldtype: "Link",
				options: "CX Lost Reason",
				label: __("Lost Reason"),
				reqd: 1,
			},
			{ fieldname: "lost_detail", fieldtype: "Small Text", label: __("Detail") },
		],
		(values) => frm.call("mark_lost", values).then(() => frm.reload_doc()),
		__("Mark as Lost"),
		__("Mark as Lost")
	);
}
