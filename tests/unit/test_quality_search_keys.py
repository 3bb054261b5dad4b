"""Search keys: a name typed in any alphabet finds the record written in another, word by word, as typed."""

import pytest

from crm_app.core.quality.search_keys import (
	MAX_KEY_LENGTH,
	MAX_QUERY_WORDS,
	MAX_WORDS_LENGTH,
	matches,
	query_prefixes,
	record_keys,
	record_words,
)

# One person, as a Russian, Ukrainian, Polish and English speaker writes her.
JULIA = {
	"ru": "Юлия Ковальчук",
	"uk": "Юлія Ковальчук",
	"uk-latin": "Yuliia Kovalchuk",
	"pl": "Julia Kowalczuk",
	"en": "Yulia Kovalchuk",
}


def found(record: str, typed: str) -> bool:
	return matches(record_keys(record), query_prefixes(typed))


@pytest.mark.parametrize("stored", JULIA.values())
@pytest.mark.parametrize("typed", JULIA.values())
def test_every_spelling_finds_every_other(stored, typed):
	assert found(stored, typed)


@pytest.mark.parametrize(
	("stored", "typed"),
	[
		("Юлия Ковальчук", "Kowal"),  # Polish prefix, Cyrillic record
		("Юлия Ковальчук", "Koval"),
		("Юлия Ковальчук", "Kovalch"),
		("Юлия Ковальчук", "Kowalcz"),
		("Юлия Ковальчук", "Yul"),
		("Юлия Ковальчук", "Jul"),
		("Julia Kowalczuk", "Ковал"),  # Cyrillic prefix, Polish record
		("Julia Kowalczuk", "Юлі"),
		("Yuliia Kovalchuk", "Ковальч"),
		("Юлия Ковальчук", "kowalczuk julia"),  # any order, any case
		("Юлия Ковальчук", "Kowal Ju"),
	],
)
def test_prefixes_find_while_typing(stored, typed):
	assert found(stored, typed)


@pytest.mark.parametrize(
	("stored", "typed"),
	[
		# The last letters typed begin a letter written with two or more: х = kh, щ = szcz, ц = ts.
		("Харченко", "Kh"),
		("Харченко", "K"),  # too short on its own: nothing is looked up
		("Щербак", "Szc"),
		("Щербак", "Shch"),
		("Цибулько", "Ts"),
		("Єлизавета", "Ye"),
		("Шевченко", "Szewcz"),
		("Łukasz Nowak", "Лукаш"),
		("Олег Шевчук", "Oleh Shevch"),
	],
)
def test_partly_typed_multi_letter_spellings(stored, typed):
	if len(typed) < 2:
		assert query_prefixes(typed) == ()
	else:
		assert found(stored, typed)


@pytest.mark.parametrize(
	("stored", "typed"),
	[
		("Юлия Ковальчук", "Kowalski"),
		("Юлия Ковальчук", "Julia Nowak"),  # every typed word must match
		("Julia Kowalczuk", "Иванов"),
		("Anna Schmidt", "owal"),  # a word's start, not any part of it
	],
)
def test_other_names_are_not_found(stored, typed):
	assert not found(stored, typed)


def test_record_keys_are_each_word_once():
	assert record_keys("Юлия Ковальчук", "Юлия", "Ковальчук", None, "") == ("iulia", "kovalcuk")
	assert record_keys("Anna-Maria O'Brien") == ("ana", "maria", "obren")
	assert record_keys(None) == record_keys("") == record_keys("  ") == ()
	assert record_keys("123 456") == ()


def test_a_long_word_is_cut_to_the_column_and_still_found():
	word = "Abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
	(key,) = record_keys(word)
	assert len(key) == MAX_KEY_LENGTH
	assert found(word, word)
	assert found(word, word[:10])


@pytest.mark.parametrize(
	"typed",
	["", "   ", None, "K", "Ю", "J K", "CX-LEAD-00012", "+380 67 123 45 67", "julia@example.com", "%"],
)
def test_nothing_to_look_up_by_name(typed):
	assert query_prefixes(typed) == ()


def test_the_most_selective_word_comes_first_and_few_are_kept():
	prefixes = query_prefixes("Anna Kowalczyk")
	assert prefixes[0] == ("kovalcih", "kovalcik")  # the k typed last may begin kh
	assert prefixes[1] == ("ana",)
	assert len(query_prefixes("Ab Cd Ef Gh Ij Kl Mn")) == MAX_QUERY_WORDS


def test_a_finished_last_word_is_not_completed():
	assert query_prefixes("Kh ") == (("h",),)
	assert query_prefixes("Dic") == (("dic", "dik"),)  # Dick: ck is one k
	assert query_prefixes("Dic ") == (("dic",),)
	assert query_prefixes("Ковал") == (("koval",),)  # a Cyrillic letter is always whole


def test_record_words_keep_whole_words_within_the_column():
	assert record_words(("iulia", "kovalcuk")) == "iulia kovalcuk"
	assert record_words(()) == ""
	many = tuple(f"word{index:02d}x" for index in range(30))
	words = record_words(many)
	assert len(words) <= MAX_WORDS_LENGTH
	assert words.split() == list(many[: len(words.split())])
