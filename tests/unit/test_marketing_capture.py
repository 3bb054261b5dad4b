"""Lead capture's rules: UTM values, campaign and source matching, the spam check, names from email."""

from hypothesis import given
from hypothesis import strategies as st

from crm_app.core.marketing import capture

KEY = b"site-secret"


def test_utm_values_are_trimmed_cut_and_stripped_of_markup():
	values = capture.utm_values(
		{
			"utm_source": "  Google\n",
			"utm_medium": "CPC",
			"utm_campaign": "Spring <script>alert(1)</script> Sale",
			"utm_content": "x" * 500,
			"utm_term": "ignored",
		}
	)
	assert values["utm_source"] == "google"
	assert values["utm_medium"] == "cpc"
	assert values["utm_campaign"] == "Spring scriptalert(1)/script Sale"
	assert len(values["utm_content"]) == capture.UTM_MAX_CHARS
	assert "utm_term" not in values


def test_missing_empty_and_non_text_utm_values_are_none():
	assert capture.utm_values({}) == dict.fromkeys(capture.UTM_KEYS)
	assert capture.normalise_utm("utm_source", "   ") is None
	assert capture.normalise_utm("utm_source", ["google"]) is None
	assert capture.normalise_utm("utm_source", "<>\"'") is None


def test_utm_values_keep_other_scripts():
	assert capture.normalise_utm("utm_campaign", "Весна 2026") == "Весна 2026"


@given(st.text())
def test_a_normalised_utm_value_is_short_printable_and_stable(value):
	once = capture.normalise_utm("utm_campaign", value)
	if once is None:
		return
	assert len(once) <= capture.UTM_MAX_CHARS
	assert once == once.strip() and all(char.isprintable() for char in once)
	assert capture.normalise_utm("utm_campaign", once) == once


def test_a_campaign_is_matched_exactly_then_regardless_of_case_then_by_slug():
	names = ["Spring Sale 2026", "spring sale", "Webinar"]
	assert capture.match_name("Spring Sale 2026", names) == "Spring Sale 2026"
	assert capture.match_name("WEBINAR", names) == "Webinar"
	assert capture.match_name("spring-sale-2026", names) == "Spring Sale 2026"
	assert capture.match_name("spring_sale", names) == "spring sale"
	assert capture.match_name("autumn", names) is None
	assert capture.match_name(None, names) is None


def stamp_seconds_ago(seconds: float) -> float | None:
	now = 1_800_000_000.0
	return capture.stamp_age(KEY, capture.form_stamp(KEY, now - seconds), now)


def test_a_person_passes_the_spam_check():
	assert capture.spam_reason("", stamp_seconds_ago(20), ["Olena", "Svitanok"], ["Please call me"]) is None


def test_the_honeypot_a_fast_post_a_forged_stamp_and_many_links_are_refused():
	age = stamp_seconds_ago(20)
	assert capture.spam_reason("http://bot", age, [], []) == capture.HONEYPOT
	assert capture.spam_reason("", stamp_seconds_ago(1), [], []) == capture.TOO_FAST
	assert capture.spam_reason("", None, [], []) == capture.BAD_STAMP
	assert capture.spam_reason("", age, [], ["http://a http://b www.c http://d"]) == capture.TOO_MANY_LINKS


def test_a_link_in_a_name_and_known_advertising_are_refused():
	age = stamp_seconds_ago(20)
	assert capture.spam_reason("", age, ["Buy now www.pills.example"], []) == capture.LINK_IN_NAME
	assert capture.spam_reason("", age, ["<a href=x>Ann</a>"], []) == capture.LINK_IN_NAME
	assert capture.spam_reason("", age, ["Ann"], ["We sell SEO services cheap"]) == capture.KNOWN_BAD
	assert capture.spam_reason("", age, ["Ann"], ["Our casino bonus"]) == capture.KNOWN_BAD


def test_ordinary_words_near_the_bad_patterns_pass():
	age = stamp_seconds_ago(20)
	assert capture.spam_reason("", age, ["Casimir"], ["Our SEO team needs a CRM", "Escorted tours"]) is None


def test_a_display_name_gives_first_and_last_name():
	assert capture.split_display_name("Olena Petrenko") == ("Olena", "Petrenko")
	assert capture.split_display_name('"Petrenko, Olena"') == ("Olena", "Petrenko")
	assert capture.split_display_name("Olena Maria Petrenko") == ("Olena", "Maria Petrenko")
	assert capture.split_display_name("Cher") == ("Cher", "")


def test_without_a_display_name_the_address_gives_the_name():
	assert capture.split_display_name("", "olena.petrenko+news@svitanok.example") == ("Olena", "Petrenko")
	assert capture.split_display_name("olena@svitanok.example", "olena@svitanok.example") == ("Olena", "")
	assert capture.split_display_name(None, "12345@x.example") == ("", "")
