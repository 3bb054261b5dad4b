import ast
import re
from collections import Counter, defaultdict
from itertools import pairwise
from math import comb
from pathlib import Path

import phonenumbers
import pytest

from crm_app.core.quality import synthetic
from crm_app.core.quality.synthetic import MUTATIONS, SyntheticContact, generate, true_pairs

SAMPLE = 20_000
CYRILLIC = re.compile(r"[А-Яа-яЁёІіЇїЄєҐґ]")
LATIN = re.compile(r"[A-Za-zĄĆĘŁŃÓŚŹŻąćęłńóśźż]")
EMAIL = re.compile(r"^[A-Za-z0-9._+-]+@[a-z0-9.-]+\.[a-z]{2,}$", re.IGNORECASE)


@pytest.fixture(scope="module")
def records() -> list[SyntheticContact]:
	return generate(SAMPLE, seed=11)


@pytest.fixture(scope="module")
def groups(records) -> dict[int, tuple[SyntheticContact, list[SyntheticContact]]]:
	"""entity -> (its original, its duplicates)."""
	by_entity = defaultdict(list)
	for record in records:
		by_entity[record.entity].append(record)
	out = {}
	for entity, members in by_entity.items():
		originals = [r for r in members if not r.mutations]
		assert len(originals) == 1, members
		out[entity] = (originals[0], [r for r in members if r.mutations])
	return out


def e164(phone: str, region: str) -> str:
	parsed = phonenumbers.parse(phone, region)
	assert phonenumbers.is_valid_number(parsed), (phone, region)
	return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def test_same_seed_same_records_other_seed_other_records():
	first = generate(3000, seed=7)
	assert first == generate(3000, seed=7)
	assert first != generate(3000, seed=8)


@pytest.mark.parametrize("count", [0, 1, 2, 3, 7, 100, 2001])
@pytest.mark.parametrize("share", [0.0, 0.2, 0.75])
def test_count_is_exact(count, share):
	records = generate(count, duplicate_share=share, seed=count)
	assert len(records) == count
	assert sum(1 for r in records if not r.mutations) >= count / 4


def test_share_out_of_range_is_refused():
	for share in (-0.1, 0.8):
		with pytest.raises(ValueError):
			generate(10, duplicate_share=share)
	with pytest.raises(ValueError):
		generate(-1)


def test_duplicate_share_and_group_sizes(records, groups):
	duplicates = sum(1 for r in records if r.mutations)
	assert abs(duplicates / len(records) - 0.2) < 0.005
	sizes = Counter(len(dups) for _, dups in groups.values())
	assert max(sizes) <= 3
	assert sizes[0] > 0.75 * len(groups)  # most people have no duplicate
	assert sizes[1] > sizes[2] > sizes[3] > 0
	high = generate(4000, duplicate_share=0.6, seed=3)
	assert sum(1 for r in high if r.mutations) == 2400


def test_ids_are_unique_and_records_shuffled(records):
	ids = [r.id for r in records]
	assert len(set(ids)) == len(ids)
	assert all(re.fullmatch(r"C\d{7}", i) for i in ids)
	assert ids == sorted(ids)  # numbered in the shuffled order
	neighbours = sum(1 for a, b in pairwise(records) if a.entity == b.entity)
	assert neighbours < 20  # duplicates are not next to their original


def test_true_pairs_match_the_entities(records, groups):
	pairs = true_pairs(records)
	by_id = {r.id: r for r in records}
	assert len(pairs) == sum(comb(1 + len(dups), 2) for _, dups in groups.values())
	for left, right in pairs:
		assert left < right
		assert by_id[left].entity == by_id[right].entity
	assert true_pairs([]) == set()


def test_every_mutation_appears_and_typo_and_translit_lead(records):
	counts = Counter(m for r in records for m in r.mutations)
	assert set(counts) == set(MUTATIONS)
	assert {m for m, _ in counts.most_common(2)} == {"typo", "translit"}
	assert all(1 <= len(r.mutations) <= 3 for r in records if r.mutations)
	assert all(len(set(r.mutations)) == len(r.mutations) for r in records)


def test_originals_phones_are_valid_for_their_country(groups):
	with_phone = 0
	for original, _ in groups.values():
		if original.phone:
			with_phone += 1
			number = phonenumbers.parse(original.phone, original.country)
			assert phonenumbers.is_valid_number(number), original
			assert phonenumbers.region_code_for_number(number) == original.country, original
	assert 0.75 < with_phone / len(groups) < 0.85


def test_duplicates_phones_are_the_same_number(groups):
	reformatted = 0
	for original, duplicates in groups.values():
		for dup in duplicates:
			if "phone_format" in dup.mutations:
				reformatted += 1
				assert dup.phone != original.phone
				assert e164(dup.phone, dup.country) == e164(original.phone, original.country)
			else:
				assert dup.phone in (original.phone, "")
	assert reformatted > 100


def test_originals_look_like_their_culture(groups):
	countries = Counter(original.country for original, _ in groups.values())
	assert set(countries) == {"UA", "RU", "PL", "GB", "US"}
	total = sum(countries.values())
	assert 0.26 < countries["UA"] / total < 0.34
	assert 0.17 < (countries["GB"] + countries["US"]) / total < 0.23
	for original, _ in groups.values():
		name = original.first_name + original.last_name
		if original.country in ("UA", "RU"):
			assert CYRILLIC.search(name) and not LATIN.search(name), original
		else:
			assert LATIN.search(name) and not CYRILLIC.search(name), original


def test_originals_emails_and_companies(groups):
	originals = [original for original, _ in groups.values()]
	emails = [o.email for o in originals if o.email]
	assert 0.8 < len(emails) / len(originals) < 0.9
	assert all(EMAIL.match(e) and e == e.lower() for e in emails)
	mailboxes = [synthetic._mailbox(e) for e in emails]
	assert len(set(mailboxes)) == len(mailboxes)  # different people never share a mailbox
	assert 0.55 < sum(1 for o in originals if o.company) / len(originals) < 0.65
	companies = " | ".join(o.company for o in originals)
	for form in ("ТОВ «", "ООО ", "Sp. z o.o.", "S.A.", "Ltd", "LLC", "Inc."):
		assert form in companies
	domains = Counter(e.split("@")[1] for e in emails)
	for domain in ("gmail.com", "ukr.net", "mail.ru", "yandex.ru", "wp.pl", "onet.pl"):
		assert domains[domain] > 0


def test_full_names_of_different_people_rarely_collide(groups):
	names = Counter((o.first_name, o.last_name) for o, _ in groups.values())
	shared = sum(n for n in names.values() if n > 1)
	assert 0 < shared < 0.05 * len(groups)


def test_duplicates_differ_and_stay_recognisable(groups):
	for original, duplicates in groups.values():
		for dup in duplicates:
			assert dup.country == original.country
			fields = ("first_name", "last_name", "email", "phone", "company", "city")
			assert any(getattr(dup, f) != getattr(original, f) for f in fields), dup
			if "missing" in dup.mutations:
				assert not {"typo", "translit"} <= set(dup.mutations), dup
				if original.email or original.phone:
					assert dup.email or dup.phone, dup
			else:
				assert bool(dup.email) == bool(original.email)
				assert bool(dup.company) == bool(original.company)
			if set(dup.mutations) <= {"phone_format", "email_format", "missing", "company_form"}:
				assert (dup.first_name, dup.last_name) == (original.first_name, original.last_name)
			if dup.mutations == ("swap",):
				assert (dup.first_name, dup.last_name) == (original.last_name, original.first_name)
			if "email_format" in dup.mutations:
				assert dup.email != original.email
				if "typo" not in dup.mutations:
					assert synthetic._mailbox(dup.email) == synthetic._mailbox(original.email)
			if dup.mutations == ("company_form",):
				assert dup.company != original.company


def test_translit_changes_the_script(groups):
	seen = Counter()
	for original, duplicates in groups.values():
		for dup in duplicates:
			if "translit" not in dup.mutations:
				continue
			name = dup.first_name + dup.last_name
			if original.country in ("UA", "RU"):
				assert LATIN.search(name) and not CYRILLIC.search(name), dup
				seen["to latin"] += 1
			elif CYRILLIC.search(name):
				assert not LATIN.search(name), dup
				seen["to cyrillic"] += 1
			else:
				assert original.country == "PL" and name.isascii(), dup  # Łukasz -> Lukasz
				seen["ascii"] += 1
	assert min(seen.values()) > 20, seen


@pytest.mark.parametrize(
	("scheme", "lang", "cyrillic", "latin"),
	[
		("national", "uk", "Юлія Ковальчук", "Yuliia Kovalchuk"),
		("national", "uk", "Григорій Згурський", "Hryhorii Zghurskyi"),
		("national", "uk", "Євген Їжак", "Yevhen Yizhak"),
		("icao", "ru", "Юлия Щербакова", "Iuliia Shcherbakova"),
		("bgn_ru", "ru", "Юлия Алексеева", "Yuliya Alekseyeva"),
		("informal_ru", "ru", "Юлия Дмитрий", "Yulia Dmitriy"),
		("polish", "uk", "Юлія Ковальчук", "Julia Kowalczuk"),
		("polish", "ru", "Сергей Кузнецов", "Siergiej Kuzniecow"),
	],
)
def test_transliteration_schemes(scheme, lang, cyrillic, latin):
	assert " ".join(synthetic._latin(word, scheme, lang) for word in cyrillic.split()) == latin


@pytest.mark.parametrize(
	("source", "lang", "latin", "cyrillic"),
	[
		("pl", "ru", "Grzegorz Brzęczyszczykiewicz", "Гжегож Бженчищикевич"),
		("pl", "ru", "Małgorzata Wiśniewska", "Малгожата Висьневская"),
		("pl", "uk", "Agnieszka Kowalska", "Агнешка Ковальська"),
		("en", "ru", "Wright", "Райт"),
		("en", "uk", "Emily", "Емілі"),
	],
)
def test_latin_names_in_cyrillic(source, lang, latin, cyrillic):
	assert " ".join(synthetic._cyrillic(word, source, lang) for word in latin.split()) == cyrillic


def test_the_module_imports_only_the_standard_library():
	tree = ast.parse(Path(synthetic.__file__).read_text(encoding="utf-8"))
	imported = set()
	for node in ast.walk(tree):
		if isinstance(node, ast.Import):
			imported.update(alias.name.split(".")[0] for alias in node.names)
		elif isinstance(node, ast.ImportFrom):
			imported.add(node.module.split(".")[0])
	assert imported <= {"dataclasses", "gc", "itertools", "random", "re"}
