from datetime import datetime

from crm_app.core.demo import CITIES, LEAD_FIELDS, DemoMasters, demo_phone, lead_rows
from crm_app.core.names import full_name
from crm_app.core.phone import normalize_phone

MASTERS = DemoMasters(
	owners=["a@example.com", "b@example.com"],
	sources=["Website"],
	territories=["All Territories"],
	industries=["Retail"],
	campaigns=[],
	countries={"GB": "United Kingdom"},
)
NOW = datetime(2026, 11, 1)


def test_rows_are_deterministic_and_complete():
	first = list(lead_rows(1, 50, MASTERS, now=NOW))
	again = list(lead_rows(1, 50, MASTERS, now=NOW))
	assert first == again
	assert all(len(row) == len(LEAD_FIELDS) for row in first)
	assert len({row[0] for row in first}) == 50


def test_row_ranges_compose():
	assert list(lead_rows(11, 5, MASTERS, now=NOW)) == list(lead_rows(1, 15, MASTERS, now=NOW))[10:]


def test_demo_phones_are_valid_numbers():
	for code, _city in CITIES:
		for index in (1, 77, 999_999):
			phone = demo_phone(index, code)
			assert normalize_phone(phone) == phone


def test_full_name_prefers_person_then_organisation():
	assert full_name(" Ada ", "Lovelace") == "Ada Lovelace"
	assert full_name(None, "", "Analytical Engines") == "Analytical Engines"
	assert full_name(None, None) == ""
