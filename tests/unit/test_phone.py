import pytest

from crm_app.core.errors import InvalidPhoneNumber
from crm_app.core.phone import normalize_phone


@pytest.mark.parametrize(
	("raw", "region", "expected"),
	[
		("+44 7911 123456", None, "+447911123456"),
		("07911 123456", "gb", "+447911123456"),
		("(202) 555-0143", "US", "+12025550143"),
		("+91 98765 43210", "DE", "+919876543210"),
		("", "GB", ""),
		(None, None, ""),
		("   ", "GB", ""),
	],
)
def test_normalizes_to_e164(raw, region, expected):
	assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize("raw", ["12", "not a phone", "+44 12", "+999 123456789"])
def test_rejects_numbers_that_cannot_exist(raw):
	with pytest.raises(InvalidPhoneNumber):
		normalize_phone(raw, "GB")


def test_national_number_without_region_is_rejected_with_reason():
	with pytest.raises(InvalidPhoneNumber) as err:
		normalize_phone("07911 123456", None)
	assert err.value.reason == "no_region"
