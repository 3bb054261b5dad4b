"""Who may not be mailed: one answer for campaign email and for triggers that send a template.

A person's own "no marketing email" (the opt-out of any lead with their address, an unsubscribed contact
with it as primary or other address) and Frappe's global Email Unsubscribe stop every mail to that
address. An Email Unsubscribe with a reference stops only mail about that reference: the list a
campaign email goes to (its segment, or its campaign), or the record a trigger acts on. Never wider than
what the person asked for."""

from collections.abc import Iterable
from dataclasses import dataclass, field

import frappe

OPT_OUT, GLOBAL, LIST = "opt_out", "global", "list"


@dataclass
class Blocked:
	by_address: dict[str, str] = field(default_factory=dict)  # address (lower case) -> OPT_OUT or GLOBAL
	by_reference: set[tuple[str, str, str]] = field(default_factory=set)  # (doctype, name, address)

	def reason(self, email: str | None, doctype: str, name: str) -> str | None:
		address = (email or "").strip().lower()
		if not address:
			return None
		if address in self.by_address:
			return self.by_address[address]
		return LIST if (doctype, name, address) in self.by_reference else None


def blocked(emails: Iterable[str | None], references: Iterable[tuple[str, str]] = ()) -> Blocked:
	"""What stops mail to these addresses, each about one of `references` (doctype, name)."""
	addresses = sorted({email.strip().lower() for email in emails if email and email.strip()})
	result = Blocked()
	if not addresses:
		return result
	lead = frappe.qb.DocType("CX Lead")
	for (email,) in (
		frappe.qb.from_(lead)
		.select(lead.email)
		.where(lead.email.isin(addresses) & (lead.email_opt_out == 1))
		.run()
	):
		result.by_address[email.lower()] = OPT_OUT
	contact, contact_email = frappe.qb.DocType("Contact"), frappe.qb.DocType("Contact Email")
	for primary, other in (
		frappe.qb.from_(contact)
		.left_join(contact_email)
		.on(contact_email.parent == contact.name)
		.select(contact.email_id, contact_email.email_id)
		.where(
			(contact.unsubscribed == 1)
			& (contact.email_id.isin(addresses) | contact_email.email_id.isin(addresses))
		)
		.run()
	):
		for address in {(primary or "").lower(), (other or "").lower()} & set(addresses):
			result.by_address[address] = OPT_OUT
	references = set(references)
	unsubscribe = frappe.qb.DocType("Email Unsubscribe")
	criterion = unsubscribe.global_unsubscribe == 1
	for doctype in sorted({doctype for doctype, _name in references}):
		names = sorted(name for kind, name in references if kind == doctype)
		criterion |= (unsubscribe.reference_doctype == doctype) & unsubscribe.reference_name.isin(names)
	for email, is_global, doctype, name in (
		frappe.qb.from_(unsubscribe)
		.select(
			unsubscribe.email,
			unsubscribe.global_unsubscribe,
			unsubscribe.reference_doctype,
			unsubscribe.reference_name,
		)
		.where(unsubscribe.email.isin(addresses) & criterion)
		.run()
	):
		address = email.lower()
		if is_global:
			result.by_address.setdefault(address, GLOBAL)
		elif (doctype, name) in references:
			result.by_reference.add((doctype, name, address))
	return result
