"""What an opportunity line sells: a CX Product, or ERPNext's Item while ERPNext is installed.

Each line says which (`item_type`, a Dynamic Link), so ERPNext arriving or leaving never turns an existing
line into a broken link: old lines keep pointing at CX Products after ERPNext arrives, new lines take
Items (a Property Setter moves the field's default while ERPNext is there); when ERPNext leaves, every
Item a line sold becomes a CX Product of the same code and name (`products_for_departed_items`). Nothing
here imports ERPNext.
"""

import frappe
from frappe import _
from frappe.custom.doctype.property_setter.property_setter import make_property_setter
from frappe.query_builder.functions import Max

from crm_app.exceptions import InvalidItemTypeError
from crm_app.utils import erpnext_installed

PRODUCT, ERP_ITEM = "CX Product", "Item"
ITEM_TYPES = (PRODUCT, ERP_ITEM)


LINE = "CX Opportunity Item"
ITEM_TYPE_DEFAULT = {"doc_type": LINE, "field_name": "item_type", "property": "default"}


def default_item_type() -> str:
	return ERP_ITEM if erpnext_installed() else PRODUCT


def follow_item_type_default() -> None:
	"""New lines sell Items while ERPNext is installed, CX Products otherwise. Frappe checks a line's
	link before any controller runs, so the default must be on the field itself."""
	if erpnext_installed():
		make_property_setter(
			LINE,
			"item_type",
			"default",
			ERP_ITEM,
			"Text",
			validate_fields_for_doctype=False,
			is_system_generated=True,
		)
	else:
		frappe.db.delete("Property Setter", ITEM_TYPE_DEFAULT)
	frappe.clear_cache(doctype=LINE)


def set_item_types(rows) -> None:
	"""Lines without a type take the site's default; a type other than the two is refused."""
	default = None
	for row in rows:
		if not row.item_type:
			default = default or default_item_type()
			row.item_type = default
		if row.item_type not in ITEM_TYPES or (row.item_type == ERP_ITEM and not erpnext_installed()):
			frappe.throw(
				_("Row {0}: an item is a CX Product, or an Item where ERPNext is installed.").format(row.idx),
				InvalidItemTypeError,
			)


def products_for_departed_items() -> int:
	"""After ERPNext is removed: each Item that lines sold becomes a CX Product (code, name and rate from
	the lines), and the lines point at it. Set-based; returns how many products were created."""
	line = frappe.qb.DocType("CX Opportunity Item")
	sold = (
		frappe.qb.from_(line)
		.select(line.item, Max(line.item_name), Max(line.rate))
		.where(line.item_type == ERP_ITEM)
		.groupby(line.item)
		.run()
	)
	created = 0
	for code, name, rate in sold:
		if not frappe.db.exists(PRODUCT, code):
			product = frappe.get_doc(
				{
					"doctype": PRODUCT,
					"product_code": code,
					"product_name": name or code,
					"standard_rate": rate,
				}
			)
			product.insert(ignore_permissions=True)
			created += 1
	frappe.qb.update(line).set(line.item_type, PRODUCT).where(line.item_type == ERP_ITEM).run()
	return created
