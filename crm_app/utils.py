"""Small shell helpers shared by controllers: they adapt documents to the functional core."""

from functools import cache
from pathlib import Path

import frappe
from frappe import _

from crm_app.core.errors import InvalidPhoneNumber, Message
from crm_app.core.phone import normalize_phone, phone_region
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


def site_country() -> str | None:
	"""The site's country (System Settings)."""
	return frappe.db.get_single_value("System Settings", "country") or frappe.db.get_default("country")


def country_code(country: str) -> str | None:
	"""Frappe's ISO code of a Country ("pl"), None for a name that is not one."""
	return frappe.get_cached_value("Country", country, "code")


def region_for(*countries: str | None) -> str | None:
	"""The region (ISO code) to read phone numbers typed without "+country" in: that of the first of
	`countries` (the record's own country, then, say, its address's), else of the CRM's Default Country
	for Phone Numbers (CX Settings), else of the site's country (System Settings)."""

	def candidates():
		yield from countries
		yield get_settings().default_phone_region
		yield site_country()

	return phone_region(candidates(), country_code)


def normalize_phone_fields(doc, fieldnames: tuple[str, ...], *countries: str | None) -> None:
	"""Validate and rewrite each phone field of `doc` to E.164, reading numbers typed without "+country"
	in the first of `countries` (the record's) that has a region, else the site's; one clear error per
	bad number."""
	region = None
	for fieldname in fieldnames:
		value = doc.get(fieldname)
		if not value:
			continue
		region = region or region_for(*countries)
		try:
			doc.set(fieldname, normalize_phone(value, region))
		except InvalidPhoneNumber as exc:
			throw_invalid_phone(_(doc.meta.get_label(fieldname)), value, exc)


def throw_invalid_phone(label: str, value: str, error: InvalidPhoneNumber) -> None:
	if error.reason == "no_region":
		message = _("{0} {1} has no country code. Start it with + and the country code, or set a country.")
	else:
		message = _("{0} {1} is not a valid phone number.")
	frappe.throw(
		message.format(label, frappe.bold(frappe.utils.escape_html(value))),
		InvalidPhoneError,
		title=_("Invalid Phone"),
	)


def core_message(error: BaseException, escape: bool = True) -> str:
	"""What a core error says, in the user's language: its `_lt` template translated, then filled in with
	its values (HTML-escaped unless `escape` is false: `frappe.throw` shows HTML). Any other error: str()."""
	message = getattr(error, "message", None)
	if not isinstance(message, Message):
		return str(error)
	show = (lambda value: frappe.utils.escape_html(str(value))) if escape else str
	return message.render(_, show)


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
