"""Phone numbers typed in a local format ("600 700 800") are read in their record's country.

A lead has a country of its own; a customer's country is its addresses' (its primary address first); a
contact's is its own address's, else that of the lead or customer it belongs to; a call log's is its
record's. A record without one falls back on the CRM's default country for phone numbers, then on the
site's country (crm_app.utils.region_for); the core (crm_app/core/phone.py) picks the region and writes
the number in E.164.
"""

import frappe
from frappe import _
from frappe.query_builder import Criterion, Order

from crm_app.core.errors import InvalidPhoneNumber
from crm_app.core.phone import normalize_phone
from crm_app.utils import region_for, throw_invalid_phone

CX_RECORDS = ("CX Lead", "CX Customer")


def is_local(number: str | None) -> bool:
	"""Whether `number` is typed without "+country" (so that its reading depends on a country)."""
	return bool(number) and not number.lstrip().startswith("+")


def address_countries(records: list[tuple[str, str]]) -> list[str]:
	"""Countries of the addresses linked to these records, primary and oldest addresses first."""
	if not records:
		return []
	address, link = frappe.qb.DocType("Address"), frappe.qb.DocType("Dynamic Link")
	rows = (
		frappe.qb.from_(link)
		.join(address)
		.on(address.name == link.parent)
		.select(address.country)
		.where(link.parenttype == "Address")
		.where(
			Criterion.any(
				[(link.link_doctype == doctype) & (link.link_name == name) for doctype, name in records]
			)
		)
		.orderby(address.is_primary_address, order=Order.desc)
		.orderby(address.creation)
		.run()
	)
	return list(dict.fromkeys(country for (country,) in rows if country))


def record_countries(doctype: str | None, name: str | None) -> list[str]:
	"""The countries a record's phone numbers may be read in, most specific first."""
	if not (doctype and name):
		return []
	if doctype == "CX Lead":
		return [frappe.db.get_value("CX Lead", name, "country")]
	if doctype == "CX Customer":
		primary = frappe.db.get_value("CX Customer", name, "primary_address")
		first = [frappe.db.get_value("Address", primary, "country")] if primary else []
		return first + address_countries([(doctype, name)])
	if doctype in ("CX Opportunity", "CX Issue"):
		values = frappe.db.get_value(
			doctype, name, ["customer", "lead"] if doctype == "CX Opportunity" else ["customer"], as_dict=True
		)
		if not values:
			return []
		return record_countries("CX Customer", values.customer) + record_countries(
			"CX Lead", values.get("lead")
		)
	return []


def contact_countries(contact) -> list[str]:
	"""A contact's address's country, then those of the leads and customers it belongs to."""
	countries = [frappe.db.get_value("Address", contact.address, "country")] if contact.get("address") else []
	for link in contact.get("links") or []:
		if link.link_doctype in CX_RECORDS:
			countries += record_countries(link.link_doctype, link.link_name)
	return countries


def normalize_contact_phones(doc, method=None) -> None:
	"""Contact validate: the numbers of a contact of a lead or customer, new or changed since the last save,
	in E.164, read in its country (contact_countries); a number that cannot exist is refused. Other
	contacts (a user's, a supplier's) and numbers kept as they were are left alone."""
	if not any(link.link_doctype in CX_RECORDS for link in doc.get("links") or []):
		return
	before = doc.get_doc_before_save()
	kept = {row.phone for row in before.get("phone_nos") or []} if before else set()
	rows = [row for row in doc.get("phone_nos") or [] if row.phone and row.phone not in kept]
	if not rows:
		return
	region = region_for(*contact_countries(doc)) if any(is_local(row.phone) for row in rows) else None
	written = {}
	for row in rows:
		try:
			written[row.phone] = normalize_phone(row.phone, region)
		except InvalidPhoneNumber as error:
			throw_invalid_phone(_(row.meta.get_label("phone")), row.phone, error)
		row.phone = written[row.phone]
	# Frappe's Contact copied its primary numbers before this hook ran
	for fieldname in ("phone", "mobile_no"):
		if doc.get(fieldname) in written:
			doc.set(fieldname, written[doc.get(fieldname)])
