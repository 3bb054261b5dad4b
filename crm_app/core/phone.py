"""Phone number validation and normalisation to E.164 with the `phonenumbers` library.

A number typed without "+country" is read in its record's country: the record's own country, else its
address's, else the site's (`phone_region` picks the first of those that has a region).
"""

from collections.abc import Callable, Iterable

import phonenumbers

from crm_app.core.errors import InvalidPhoneNumber


def normalize_phone(raw: str | None, default_region: str | None = None) -> str:
	"""Return `raw` as an E.164 string ("+4930123456"), or "" for an empty value.

	`default_region` is an ISO 3166 alpha-2 code used when the number has no "+country" prefix.
	Raises InvalidPhoneNumber when the text is not a number that can exist.
	"""
	text = (raw or "").strip()
	if not text:
		return ""

	region = (default_region or "").upper() or None
	try:
		parsed = phonenumbers.parse(text, region)
	except phonenumbers.NumberParseException as exc:
		reason = "no_region" if exc.error_type == exc.INVALID_COUNTRY_CODE else "unparsable"
		raise InvalidPhoneNumber(text, reason) from exc

	if not phonenumbers.is_valid_number(parsed):
		raise InvalidPhoneNumber(text, "invalid")

	return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_region(countries: Iterable[str | None], code_of: Callable[[str], str | None]) -> str | None:
	"""The region (ISO 3166 alpha-2, upper case) to read numbers typed without "+country" in: that of the
	first of `countries` (country names, most specific first, e.g. the record's, its address's, the
	site's) whose code, by `code_of` (Frappe's Country `code`: "pl", "ua"), is a region with phone numbers.
	A name without a code, or a code that is not such a region, passes to the next. None if none is."""
	for country in countries:
		if not country:
			continue
		code = (code_of(country) or "").strip().upper()
		if code in phonenumbers.SUPPORTED_REGIONS:
			return code
	return None
