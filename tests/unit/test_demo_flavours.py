"""Demo data flavours (issue 12): `en` is today's international mix, row for row; `ru`, `uk` and `pl` are
people, organisations, cities and mobile numbers of Russia, Ukraine and Poland."""

import hashlib
import re
from collections import Counter
from datetime import datetime

import phonenumbers
import pytest

from crm_app.core.demo import (
	FLAVOUR_CODES,
	FLAVOURS,
	LEAD_FIELDS,
	DemoMasters,
	ascii_name,
	demo_address,
	flavour_phone,
	get_flavour,
	lead_rows,
)
from crm_app.core.phone import normalize_phone

NOW = datetime(2026, 11, 1)
COUNTRIES = {
	"GB": "United Kingdom",
	"DE": "Germany",
	"IN": "India",
	"US": "United States",
	"FR": "France",
	"AE": "United Arab Emirates",
	"RU": "Russian Federation",
	"UA": "Ukraine",
	"PL": "Poland",
}
MASTERS = DemoMasters(
	owners=["a@example.com", "b@example.com"],
	sources=["Website", "Ads"],
	territories=["Europe", "Asia"],
	industries=["Retail"],
	campaigns=["C1", "C2"],
	countries=COUNTRIES,
)
FIELD = {name: position for position, name in enumerate(LEAD_FIELDS)}
COUNTRY_NAME = {"ru": "Russian Federation", "uk": "Ukraine", "pl": "Poland"}
REGION = {"ru": "RU", "uk": "UA", "pl": "PL"}


def rows(flavour: str, count: int = 3000, start: int = 1) -> list[dict]:
	return [
		dict(zip(LEAD_FIELDS, row, strict=True))
		for row in lead_rows(start, count, MASTERS, now=NOW, flavour=flavour)
	]


def test_en_is_todays_data_row_for_row():
	en = list(lead_rows(1, 5000, MASTERS, now=NOW))
	assert en == list(lead_rows(1, 5000, MASTERS, now=NOW, flavour="en"))
	# the rows as the generator made them before flavours (a change here changes every demo site)
	assert hashlib.sha256(repr(en).encode()).hexdigest() == (
		"c23b772311620d980c06e57c9292df9f9f93ade62608fb393c1a5f25d487c35f"
	)


@pytest.mark.parametrize("flavour", FLAVOUR_CODES)
def test_rows_are_deterministic_and_ranges_compose(flavour):
	assert rows(flavour, 40) == rows(flavour, 40)
	assert rows(flavour, 5, start=1020) == rows(flavour, 1024 + 200)[1019:1024]  # across a block
	assert rows(flavour, 30, start=1011) == rows(flavour, 1040)[1010:]


@pytest.mark.parametrize("flavour", ["ru", "uk", "pl"])
def test_every_record_is_in_the_flavours_country_and_cities(flavour):
	cities = {city for city, _territory in FLAVOURS[flavour].cities}
	made = rows(flavour)
	assert {row["country"] for row in made} == {COUNTRY_NAME[flavour]}
	assert {row["city"] for row in made} == cities  # every city is used
	assert {row["gender"] for row in made} == {"Female", "Male"}
	assert {row["territory"] for row in made} <= {"Europe", "Asia"}


def test_siberian_cities_are_in_asia():
	for row in rows("ru"):
		assert row["territory"] == (
			"Asia" if row["city"] in ("Екатеринбург", "Новосибирск", "Красноярск", "Омск") else "Europe"
		)


# Endings of the other gender's surnames: a woman is never Иванов or Kowalski, a man never Иванова.
MASCULINE = {
	"ru": ("ов", "ев", "ёв", "ин", "ский", "ой"),
	"uk": ("ський", "цький", "ий"),
	"pl": ("ski", "cki"),
}
FEMININE = {"ru": ("ова", "ева", "ина", "ская", "ая"), "uk": ("ська", "цька"), "pl": ("ska", "cka")}


@pytest.mark.parametrize("flavour", ["ru", "uk", "pl"])
def test_names_take_the_form_of_the_persons_gender(flavour):
	local = FLAVOURS[flavour]
	for row in rows(flavour):
		female = row["gender"] == "Female"
		assert row["first_name"] in (local.female_first if female else local.male_first)
		assert not row["last_name"].endswith(MASCULINE[flavour] if female else FEMININE[flavour]), row
		assert row["lead_name"] == f"{row['first_name']} {row['last_name']}"


def test_surname_pairs():
	pairs = {flavour: dict(FLAVOURS[flavour].last_names) for flavour in FLAVOURS}
	assert pairs["ru"]["Иванов"] == "Иванова" and pairs["ru"]["Соловьёв"] == "Соловьёва"
	assert pairs["ru"]["Жуковский"] == "Жуковская" and pairs["ru"]["Толстой"] == "Толстая"
	assert pairs["ru"]["Никитин"] == "Никитина" and pairs["ru"]["Черных"] == "Черных"
	assert pairs["uk"]["Ковальський"] == "Ковальська" and pairs["uk"]["Білий"] == "Біла"
	assert pairs["uk"]["Шевченко"] == "Шевченко" and pairs["uk"]["Мельник"] == "Мельник"
	assert pairs["pl"]["Kowalski"] == "Kowalska" and pairs["pl"]["Nowicki"] == "Nowicka"
	assert pairs["pl"]["Zawadzki"] == "Zawadzka" and pairs["pl"]["Nowak"] == "Nowak"


CYRILLIC = re.compile(r"^[А-Яа-яЁёІіЇїЄєҐґʼ' «»\-,.]+$")


@pytest.mark.parametrize("flavour", ["ru", "uk"])
def test_russian_and_ukrainian_data_is_cyrillic_in_its_own_alphabet(flavour):
	made = rows(flavour)
	text = "".join(row[field] for row in made for field in ("lead_name", "organization_name", "city"))
	for row in made:
		for field in ("first_name", "last_name", "organization_name", "city"):
			assert CYRILLIC.match(row[field]), row[field]
	only_other = "іїєґ" if flavour == "ru" else "ыэъё"
	assert not set(text.lower()) & set(only_other)


def test_polish_data_has_polish_letters():
	made = rows("pl")
	text = "".join(row[field] for row in made for field in ("lead_name", "organization_name", "city"))
	assert set("ąćęłńóśźżŁŚŻ") <= set(text)
	assert not re.search("[А-Яа-я]", text)


ORGANISATION = {
	"ru": re.compile(r"^(ООО|АО|ПАО|ГК) «[А-ЯЁ][а-яё]+(-[А-ЯЁ][а-яё]+)?»$"),
	"uk": re.compile(r"^(ТОВ|ПрАТ|ПП) «[А-ЯІЇЄҐ][а-яіїєґ]+(-[А-ЯІЇЄҐ][а-яіїєґ]+)?»$"),
	"pl": re.compile(r"^\w+( \w+)? (Sp\. z o\.o\.|S\.A\.|sp\.j\.|sp\.k\.)$"),
}


@pytest.mark.parametrize("flavour", ["ru", "uk", "pl"])
def test_organisations_carry_their_countrys_legal_form(flavour):
	made = rows(flavour)
	forms = Counter(row["organization_name"].split(" ")[0] for row in made)
	for row in made:
		assert ORGANISATION[flavour].match(row["organization_name"]), row["organization_name"]
	if flavour == "ru":
		assert forms.most_common(1)[0][0] == "ООО"  # the common form is the most common


@pytest.mark.parametrize("flavour", ["ru", "uk", "pl"])
def test_phones_are_valid_unique_mobile_numbers_of_the_country(flavour):
	made = rows(flavour, 5000)
	phones = [row["mobile_no"] for row in made]
	assert len(set(phones)) == len(phones)
	for phone in phones[:500]:
		assert normalize_phone(phone) == phone
		number = phonenumbers.parse(phone)
		assert phonenumbers.region_code_for_number(number) == REGION[flavour]
		assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE


def test_phones_stay_unique_far_into_the_millions():
	local = FLAVOURS["pl"]
	indexes = range(1, 2_000_001, 997)
	assert len({flavour_phone(index, local) for index in indexes}) == len(indexes)
	assert len({flavour_phone(index, local) for index in range(1, 300_001)}) == 300_000


@pytest.mark.parametrize("flavour", ["ru", "uk", "pl"])
def test_emails_are_the_names_in_ascii(flavour):
	for row in rows(flavour, 300):
		local, domain = row["email"].split("@")
		assert domain == "example.com" and local.isascii()
		assert re.fullmatch(r"[a-z]+\.[a-z]+\.\d+", local), row["email"]


def test_transliteration():
	assert ascii_name("Щербина", FLAVOURS["uk"].letters) == "shcherbyna"
	assert ascii_name("Григорій", FLAVOURS["uk"].letters) == "hryhorii"
	assert ascii_name("Юлія Зоряна Яковенко", FLAVOURS["uk"].letters) == "yuliiazorianayakovenko"
	assert ascii_name("Соловьёв", FLAVOURS["ru"].letters) == "solovev"
	assert ascii_name("Łukasz Wróbel", FLAVOURS["pl"].letters) == "lukaszwrobel"


POSTCODE = {"ru": r"\d{6}", "uk": r"\d{5}", "pl": r"\d{2}-\d{3}"}


@pytest.mark.parametrize("flavour", ["ru", "uk", "pl"])
def test_addresses_are_local_and_stable(flavour):
	local = FLAVOURS[flavour]
	address = demo_address(local, "CX-LEAD-DEMO-0000007", "Львів")
	assert address == demo_address(local, "CX-LEAD-DEMO-0000007", "Львів")
	assert address["city"] == "Львів" and re.fullmatch(POSTCODE[flavour], address["pincode"])
	assert re.search(r"\d", address["address_line1"])


def test_flavours_by_code():
	assert FLAVOUR_CODES == ("en", "ru", "uk", "pl")
	assert get_flavour("en") is None and get_flavour(None) is None
	assert get_flavour("uk").country == "UA"
	with pytest.raises(ValueError):
		get_flavour("fr")
