"""Local phone formats (issue 12): a number typed without "+country" is read in the record's country, else
its address's, else the site's."""

import pytest

from crm_app.core.errors import InvalidPhoneNumber
from crm_app.core.phone import normalize_phone, phone_region

# Frappe's Country names and codes, as the shell looks them up.
CODES = {
	"Poland": "pl",
	"Ukraine": "ua",
	"Russian Federation": "ru",
	"Germany": "de",
	"United Kingdom": "gb",
	"Antarctica": "aq",  # a country without phone numbers of its own
	"Nowhere": "",
}


def region(*countries):
	return phone_region(countries, CODES.get)


def test_the_first_country_with_a_region_wins():
	assert region("Poland", "Ukraine", "Germany") == "PL"
	assert region(None, "Ukraine", "Germany") == "UA"  # no country of its own: the address's
	assert region("", None, "Germany") == "DE"  # neither: the site's


def test_names_without_a_usable_code_pass_to_the_next():
	assert region("Atlantis", "Nowhere", "Antarctica", "Russian Federation") == "RU"
	assert region("Atlantis", None) is None
	assert region() is None


def test_codes_are_read_in_either_case_and_trimmed():
	assert phone_region(["X"], {"X": " Gb "}.get) == "GB"


@pytest.mark.parametrize(
	("raw", "countries", "expected"),
	[
		("600 700 800", ("Poland", "Germany"), "+48600700800"),
		("050 123 4567", ("Ukraine", "Germany"), "+380501234567"),
		("8 (912) 345-67-89", ("Russian Federation", "Poland"), "+79123456789"),
		("0151 23456789", (None, "Germany"), "+4915123456789"),
		("+48 600 700 800", ("Ukraine",), "+48600700800"),  # a +country prefix is never re-read
		("0048 600 700 800", ("Germany",), "+48600700800"),  # nor an international call prefix
	],
)
def test_local_formats_become_e164_in_the_records_country(raw, countries, expected):
	assert normalize_phone(raw, region(*countries)) == expected


def test_a_local_number_of_another_country_is_refused():
	with pytest.raises(InvalidPhoneNumber):
		normalize_phone("600 700 800", region("Ukraine"))
	with pytest.raises(InvalidPhoneNumber) as raised:
		normalize_phone("600 700 800", region("Atlantis"))
	assert raised.value.reason == "no_region"
