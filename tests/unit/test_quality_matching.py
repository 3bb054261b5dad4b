"""Normalised keys and duplicate detection (crm_app/core/quality), no Frappe."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_app.core.quality.keys import company_key, email_key, fold_word, name_tokens, phone_key
from crm_app.core.quality.matching import (
	DEFAULT_THRESHOLD,
	Party,
	candidate_pairs,
	find_duplicates,
	matches_for,
	neighbour_words,
	prepare,
	score_pair,
)


@pytest.mark.parametrize(
	"spellings",
	[
		(
			"Юлия Ковальчук",
			"Юлія Ковальчук",
			"Yuliia Kovalchuk",
			"Iuliia Koval'chuk",
			"Yuliya Kovalchuk",
			"Julia Kowalczuk",
		),
		("Григорій Щербина", "Hryhorii Shcherbyna", "Grigorii Szczerbina"),
		("Наталья Кузьмина", "Natalia Kuzmina", "Natalya Kuzmina"),
		("Ярослав Жук", "Jarosław Żuk", "Yaroslav Zhuk"),
		("Елена Соколова", "Yelena Sokolova", "Elena Sokolova"),
	],
)
def test_spellings_of_one_name_across_alphabets_and_schemes_fold_together(spellings):
	assert len({name_tokens(spelling) for spelling in spellings}) == 1


def test_different_names_stay_apart():
	assert name_tokens("Ivan Petrov") != name_tokens("Ivan Petrenko")
	assert fold_word("Anna") != fold_word("Hanna")  # Ганна and Анна are two names


@pytest.mark.parametrize(
	("raw", "key"),
	[
		("Yu.Liia+crm@GoogleMail.com", "yuliia@gmail.com"),
		("  ivan.petrov@ukr.net ", "ivan.petrov@ukr.net"),  # dots matter at ukr.net
		("ivan+x@ukr.net", "ivan+x@ukr.net"),  # and so do plus signs
		("olga+news@ya.ru", "olga@yandex.ru"),
		("not an address", ""),
		("@gmail.com", ""),
		(None, ""),
	],
)
def test_email_key(raw, key):
	assert email_key(raw) == key


@pytest.mark.parametrize(
	"raw", ["+380671234567", "+38 (067) 123-45-67", "067 123 45 67", "0038 067 1234567", "380-67-123-4567"]
)
def test_phone_formats_share_one_key(raw):
	assert phone_key(raw) == "671234567"


def test_russian_trunk_prefix_and_short_numbers():
	assert phone_key("8 (912) 345-67-89") == phone_key("+7 912 345 67 89")
	assert phone_key("12-34") == ""


@pytest.mark.parametrize(
	"raw", ["ТОВ «Світанок»", 'ООО "Свитанок"', "Svitanok LLC", "Svitanok Sp. z o.o.", "svitanok ltd."]
)
def test_company_key_drops_legal_forms_quotes_and_alphabet(raw):
	assert company_key(raw) == "svitanok"


def test_company_key_of_a_legal_form_alone_is_empty():
	assert company_key("LLC") == ""


words = st.text(alphabet="abcdefghiklmnoprstuvz", min_size=4, max_size=10)


@st.composite
def one_edit(draw):
	word = draw(words)
	position = draw(st.integers(0, len(word) - 1))
	kind = draw(st.sampled_from(["delete", "insert", "replace", "swap"]))
	letter = draw(st.sampled_from("abcdefghiklmnoprstuvz"))
	if kind == "delete":
		edited = word[:position] + word[position + 1 :]
	elif kind == "insert":
		edited = word[:position] + letter + word[position:]
	elif kind == "replace":
		edited = word[:position] + letter + word[position + 1 :]
	else:
		position = min(position, len(word) - 2)
		edited = word[:position] + word[position + 1] + word[position] + word[position + 2 :]
	return word, edited


@settings(max_examples=300, deadline=None)
@given(edit=one_edit())
def test_words_one_edit_apart_are_neighbours(edit):
	word, typo = edit
	if word != typo and len(typo) >= 4:
		assert typo in neighbour_words([word, typo, "unrelated"])[word]


@pytest.mark.parametrize(
	("original", "typo"),
	[
		("Yuliia Kovalchuk", "Yuliia Kovlachuk"),  # swap
		("Yuliia Kovalchuk", "Kovalchuk Yulia"),  # order, and a letter missed
		("Юлия Ковальчук", "Julia Kowalczukk"),  # alphabet, and a letter added
		("Hryhorii Shcherbyna", "Hryhorii Shcherbina"),
	],
)
def test_one_typo_and_any_word_order_make_a_candidate_pair(original, typo):
	records = [prepare(Party("a", person=original)), prepare(Party("b", person=typo))]
	assert list(candidate_pairs(records)) == [(0, 1)]


def person(ref, name, email="", phone="", company="", city=""):
	return Party(
		ref,
		person=name,
		organisation=company,
		emails=(email,) if email else (),
		phones=(phone,) if phone else (),
		city=city,
	)


def test_same_person_in_two_alphabets_with_one_mailbox_is_a_duplicate_with_reasons():
	match = score_pair(
		prepare(person("a", "Юлия Ковальчук", email="yuliia.k@gmail.com")),
		prepare(person("b", "Kowalczuk Julia", email="YuliiaK+crm@googlemail.com")),
	)
	assert match.score >= DEFAULT_THRESHOLD
	assert "same_email" in match.reasons and "same_name" in match.reasons


def test_a_shared_office_phone_does_not_make_two_people_one():
	match = score_pair(
		prepare(person("a", "Ivan Petrenko", phone="+380441234567")),
		prepare(person("b", "Olha Marchenko", phone="044 123 45 67")),
	)
	assert match.score < DEFAULT_THRESHOLD


def test_namesakes_with_other_mailboxes_and_phones_are_not_duplicates():
	match = score_pair(
		prepare(person("a", "Ivan Petrov", email="ivan@mail.ru", phone="+79123456789")),
		prepare(person("b", "Ivan Petrov", email="petrov.i@yandex.ru", phone="+79997776655")),
	)
	assert match.score < DEFAULT_THRESHOLD


def test_find_duplicates_groups_transitively_and_leaves_the_rest():
	parties = [
		person("1", "Юлия Ковальчук", email="yk@gmail.com"),
		person("2", "Yuliia Kovalchuk", email="y.k@gmail.com", phone="+380671234567"),
		person("3", "Julia Kowalczuk", phone="067 123 45 67"),
		person("4", "Petro Bondar", email="petro@ukr.net"),
		person("5", "Olena Shevchenko", email="olena@ukr.net"),
	]
	groups = find_duplicates(parties)
	assert [group.refs for group in groups] == [["1", "2", "3"]]
	assert all(left != right for left, right, _ in groups[0].pairs)


def test_organisations_match_on_their_name_without_legal_form():
	groups = find_duplicates(
		[
			Party("c1", organisation="ТОВ «Світанок»", emails=("info@svitanok.ua",)),
			Party("c2", organisation="Svitanok LLC", emails=("info@svitanok.ua",)),
			Party("c3", organisation="Zoria Sp. z o.o."),
		]
	)
	assert [group.refs for group in groups] == [["c1", "c2"]]


def test_live_check_ranks_and_skips_itself():
	record = prepare(person("new", "Yuliia Kovalchuk", email="yk@gmail.com"))
	others = [
		prepare(person("new", "Yuliia Kovalchuk", email="yk@gmail.com")),
		prepare(person("old", "Юлия Ковальчук", email="Y.K@gmail.com")),
		prepare(person("far", "Olena Shevchenko")),
	]
	assert [other.ref for other, _ in matches_for(record, others)] == ["old"]


def test_stored_lookup_keys_are_few_and_word_order_free():
	record = prepare(person("a", "Yuliia Kovalchuk", email="yk@gmail.com", phone="+380671234567"))
	swapped = prepare(person("b", "Kovalchuk Yuliia"))
	assert len(record.lookup_keys) <= 6
	assert set(swapped.lookup_keys) <= set(record.lookup_keys)
