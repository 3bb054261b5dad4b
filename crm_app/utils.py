"""Small shell helpers shared by controllers: they adapt documents to the functional core."""

from functools import cache
from pathlib import Path

import frappe
from frappe import _

from crm_app.core.errors import InvalidPhoneNumber
from crm_app.core.phone import normalize_phone
from crm_app.exceptions import InvalidDateRangeError, InvalidPhoneError

# Records that activities are logged against and that users own; each one's owner and title fields.
TRACKED = ("CX Lead", "CX Customer", "CX Opportunity")
OWNER_FIELD = {
	"CX Lead": "lead_owner",
	"CX Opportunity": "opportunity_owner",
	"CX Customer": "account_manager",
}
TITLE_FIELD = {"CX Lead": "lead_name", "CX Opportunity": "title", "CX Customer": "customer_name"}
# Lead statuses still being worked (not Unqualified, Converted or Lost).
ACTIVE_LEAD_STATUSES = ("New", "Contacted", "Qualified")


@cache
def app_modules() -> tuple[str, ...]:
	"""The app's Frappe modules (modules.txt)."""
	lines = (Path(__file__).parent / "modules.txt").read_text().splitlines()
	return tuple(line.strip() for line in lines if line.strip())


def get_settings():
	return frappe.get_cached_doc("CX Settings")


def region_for(country: str | None) -> str | None:
	"""ISO code of the record's country, else of the CRM or system default country."""
	country = country or get_settings().default_phone_region or frappe.db.get_default("country")
	return frappe.get_cached_value("Country", country, "code") if country else None


def normalize_phone_fields(doc, fieldnames: tuple[str, ...], country: str | None = None) -> None:
	"""Validate and rewrite each phone field of `doc` to E.164; one clear error per bad number."""
	region = None
	for fieldname in fieldnames:
		value = doc.get(fieldname)
		if not value:
			continue
		region = region or region_for(country)
		try:
			doc.set(fieldname, normalize_phone(value, region))
		except InvalidPhoneNumber as exc:
			label = _(doc.meta.get_label(fieldname))
			if exc.reason == "no_region":
				message = _(
					"{0} {1} has no country code. Start it with + and the country code, or set a country."
				)
			else:
				message = _("{0} {1} is not a valid phone number.")
			frappe.throw(
				message.format(label, frappe.bold(value)), InvalidPhoneError, title=_("Invalid Phone")
			)


def validate_date_range(doc, start_field: str, end_field: str) -> None:
	start, end = doc.get(start_field), doc.get(end_field)
	if start and end and frappe.utils.getdate(end) < frappe.utils.getdate(start):
		frappe.throw(
			_("{0} cannot be before {1}.").format(
				_(doc.meta.get_label(end_field)), _(doc.meta.get_label(start_field))
			),
			InvalidDateRangeError,
		)


def erpnext_installed() -> bool:
	return "erpnext" in frappe.get_installed_apps()


def rollback_to_savepoint(savepoint: str, error: BaseException) -> None:
	"""Undo the work since `savepoint` after `error`. A deadlock has already rolled the whole transaction
	back, savepoint included: rolling back to it again would fail and hide the deadlock (a 500 instead of
	Frappe's 508 that tells the client to try again)."""
	if isinstance(error, frappe.QueryDeadlockError) or frappe.db.is_deadlocked(error):
		return
	frappe.db.rollback(save_point=savepoint)
