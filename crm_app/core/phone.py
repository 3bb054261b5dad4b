"""Phone number validation and normalisation to E.164 with the `phonenumbers` library."""

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
