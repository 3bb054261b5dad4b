import json
import math
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_app.core.service.articles import (
	Index,
	InvalidSearchParameter,
	UnsupportedLanguage,
	analyse,
	detect_language,
	document_length,
	document_terms,
	focus_terms,
	idf,
	issue_query,
	normalise_language,
	rank,
	stem_ukrainian,
	strip_html,
	tokenise,
)

DATA = Path(__file__).parent / "data"


def same_term(language: str, *words: str) -> bool:
	terms = {tuple(analyse(word, language)) for word in words}
	return len(terms) == 1 and all(len(key) == 1 for key in terms)


# --- HTML and tokens ---------------------------------------------------------------------------------


def test_strip_html_keeps_visible_text_only():
	html = (
		"<h2>Refunds</h2><p>Card refunds take <b>5&ndash;10</b> days.</p><script>track('x')</script>"
		"<style>p{color:red}</style><ul><li>one</li><li>two</li></ul>"
	)
	text = strip_html(html)
	assert "Refunds" in text and "5–10" in text
	assert "track" not in text and "color" not in text
	assert tokenise(html) == ["refunds", "card", "refunds", "take", "5", "10", "days", "one", "two"]


def test_strip_html_joins_inline_tags_and_separates_blocks():
	assert tokenise("<b>in</b>voice") == ["invoice"]
	assert tokenise("<td>a1</td><td>b2</td>") == ["a1", "b2"]
	assert tokenise("line<br>break") == ["line", "break"]


def test_plain_text_is_left_alone():
	assert strip_html("price < 100 & more") == "price < 100 & more"
	assert strip_html("") == ""


def test_tokenise_unicode_words():
	assert tokenise("Счёт-фактура №15, ПЛАТЕЖІ і Żółć") == ["счет", "фактура", "15", "платежі", "і", "żółć"]
	assert tokenise("snake_case e-mail E-Mail") == ["snake", "case", "email", "email"]


def test_ukrainian_apostrophes_stay_inside_one_word():
	for spelling in ("м'ясо", "м’ясо", "мʼясо"):
		assert tokenise(f"Свіже {spelling}!") == ["свіже", "м'ясо"]
	assert same_term("uk", "м'ясо", "м’ясо", "мʼясо", "мясо")
	assert tokenise("'quoted' don't") == ["quoted", "don't"]


# --- Languages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	("text", "language"),
	[
		("How do I reset my password?", "en"),
		("Как восстановить пароль от личного кабинета?", "ru"),
		("Як відновити пароль від особистого кабінету?", "uk"),
		("Jak zresetować hasło do konta?", "pl"),
		("jak zresetowac haslo do konta", "pl"),
		("Где скачать счёт в PDF через API?", "ru"),
		("Не можу знайти рахунок", "uk"),
	],
)
def test_detect_language(text, language):
	assert detect_language(text) == language


def test_language_hint_decides_ties_only():
	assert detect_language("доставка") == "ru"
	assert detect_language("доставка", "uk") == "uk"
	assert detect_language("Как восстановить пароль от личного кабинета?", "uk") == "ru"
	assert detect_language("12345", "pl-PL") == "pl"
	assert detect_language("") == "en"


def test_normalise_language():
	assert normalise_language("uk-UA") == "uk"
	assert normalise_language("pl_PL") == "pl"
	assert normalise_language("") is None
	with pytest.raises(UnsupportedLanguage):
		normalise_language("de")


# --- Stemming ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	("language", "words"),
	[
		("en", ("invoices", "invoice", "invoicing")),
		("en", ("refunds", "refunded", "refund")),
		("ru", ("счета", "счёт", "счет", "счетов")),
		("ru", ("платежи", "платёж", "платежа")),
		("ru", ("пароль", "пароля", "пароли")),
		("uk", ("платежі", "платіж", "платежу", "платежів")),
		("uk", ("рахунок", "рахунку", "рахунки", "рахунків")),
		("uk", ("оплата", "оплати", "оплатою", "оплатити", "оплатив")),
		("uk", ("вартість", "вартості", "вартістю")),
		("uk", ("скасувати", "скасування", "скасуванні")),
		("uk", ("гарантія", "гарантії", "гарантією")),
		("pl", ("faktury", "faktura", "fakturę", "fakturą", "fakturami")),
		("pl", ("hasło", "hasła", "haslo", "hasla")),
		("pl", ("zwrócić", "zwrocic", "zwrócę")),
		("pl", ("płatność", "płatności", "platnosci")),
	],
)
def test_inflected_forms_meet(language, words):
	assert same_term(language, *words)


def test_ukrainian_and_russian_cognates_meet_after_folding():
	assert analyse("гарантія", "uk") == analyse("гарантия", "ru")
	assert analyse("товари", "uk") == analyse("товары", "ru")
	assert analyse("клієнтів", "uk") == analyse("клиентов", "ru")


def test_stem_ukrainian_keeps_short_words_and_loanwords():
	assert stem_ukrainian("код") == "код"
	assert stem_ukrainian("сервісу") == stem_ukrainian("сервіс") == "сервіс"
	assert stem_ukrainian("школа") == "школ"


def test_stopwords_are_dropped_and_acronyms_kept():
	assert analyse("How can I get the invoice?") == ["invoic"]
	assert analyse("Как мне получить счёт?") == ["получ", "счет"]
	assert analyse("Як мені отримати рахунок?") == ["отримат", "рахунк"]
	assert analyse("Jak wygenerować klucz API?") == ["wygenerow", "klucz", "api"]
	assert analyse("2FA and the CSV export") == ["2fa", "csv", "export"]


def test_words_stem_by_their_script_in_mixed_text():
	# Russian э folds to е, as Ukrainian writes the same loanword ("експорт").
	assert analyse("Экспорт invoices в Excel") == ["експорт", "invoic", "excel"]


# --- Index side --------------------------------------------------------------------------------------


def test_document_terms_weight_the_title():
	terms = document_terms("Refund policy", "A refund is issued to the card.", "en", title_weight=3)
	assert terms["refund"] == 1 + 3
	assert terms["polici"] == 3
	assert terms["card"] == 1
	assert document_length(terms) == sum(terms.values())


def test_document_terms_include_the_category_once():
	terms = document_terms("Returning an item", "Send it back.", "en", category="Returns")
	assert terms["return"] == 3 + 1


def test_document_terms_reject_a_zero_title_weight():
	with pytest.raises(InvalidSearchParameter):
		document_terms("title", "body", title_weight=0)


def test_issue_query_weighs_the_subject_more():
	weights = issue_query("Invoice missing", "I paid the order but see no document.", "en")
	assert weights["invoic"] > weights["order"]
	assert set(weights) == {"invoic", "miss", "paid", "order", "see", "document"}


# --- Ranking -----------------------------------------------------------------------------------------


def bm25(query: list[str], docs: dict[str, dict[str, int]], k1=1.2, b=0.75) -> dict[str, float]:
	"""Textbook BM25 (Lucene idf), computed independently of `rank`."""
	n = len(docs)
	avg = sum(sum(terms.values()) for terms in docs.values()) / n
	scores = {}
	for doc_id, terms in docs.items():
		length = sum(terms.values())
		score = 0.0
		for key in set(query):
			tf = terms.get(key, 0)
			if tf:
				df = sum(1 for other in docs.values() if key in other)
				score += idf(df, n) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avg))
		if score:
			scores[doc_id] = score
	return scores


def postings_of(docs: dict[str, dict[str, int]]) -> dict[str, list[tuple[str, int]]]:
	postings: dict[str, list[tuple[str, int]]] = {}
	for doc_id, terms in docs.items():
		for key, tf in terms.items():
			postings.setdefault(key, []).append((doc_id, tf))
	return postings


DOCS = {
	"a": {"invoic": 3, "pdf": 1, "download": 1},
	"b": {"invoic": 1, "pdf": 1, "download": 1, "zip": 2},
	"c": {"refund": 2, "card": 2},
	"d": {"invoic": 1, "refund": 1, "card": 1, "bank": 1, "day": 4},
}


def rank_docs(query, docs=DOCS, **kwargs):
	lengths = {doc_id: sum(terms.values()) for doc_id, terms in docs.items()}
	avg = sum(lengths.values()) / len(docs)
	return rank(query, postings_of(docs), lengths, len(docs), avg, **kwargs)


def test_rank_matches_textbook_bm25():
	query = ["invoic", "refund", "zip"]
	expected = bm25(query, DOCS)
	got = dict(rank_docs(query, limit=10))
	assert got.keys() == expected.keys()
	for doc_id, score in expected.items():
		assert got[doc_id] == pytest.approx(score)


def test_more_occurrences_rank_higher():
	docs = {"once": {"refund": 1, "x": 4}, "thrice": {"refund": 3, "x": 2}, "other": {"y": 5}}
	assert [doc_id for doc_id, _ in rank_docs(["refund"], docs)] == ["thrice", "once"]


def test_shorter_document_ranks_higher_unless_length_is_ignored():
	docs = {"long": {"refund": 1, "x": 9}, "short": {"refund": 1, "x": 1}, "other": {"y": 3}}
	assert [doc_id for doc_id, _ in rank_docs(["refund"], docs)] == ["short", "long"]
	flat = rank_docs(["refund"], docs, b=0)
	assert flat[0][1] == flat[1][1]
	assert [doc_id for doc_id, _ in flat] == ["long", "short"]  # ties by doc_id


def test_rare_terms_count_more():
	docs = {"rare": {"zip": 1, "pad": 1}, "common": {"pdf": 1, "pad": 1}, "c2": {"pdf": 1}, "c3": {"pdf": 1}}
	assert rank_docs(["zip", "pdf"], docs)[0][0] == "rare"


def test_a_term_in_every_document_still_scores_positive():
	docs = {"a": {"x": 1}, "b": {"x": 2}}
	assert all(score > 0 for _, score in rank_docs(["x"], docs))


def test_query_weights_and_repeats():
	plain = dict(rank_docs(["refund", "card"], limit=10))
	card_heavy = dict(rank_docs({"refund": 1.0, "card": 3.0}, limit=10))
	assert card_heavy["c"] > plain["c"]
	assert dict(rank_docs(["card", "card"], limit=10))["c"] > dict(rank_docs(["card"], limit=10))["c"]


def test_rank_edge_cases():
	assert rank_docs(["unknown"]) == []
	assert rank([], {}, {}, 0, 0) == []
	assert len(rank_docs(["invoic", "refund"], limit=2)) == 2
	# Postings may be any iterable, and a stale n_docs smaller than a term's postings is tolerated.
	generator_postings = {"x": ((doc_id, 1) for doc_id in "abc")}
	assert [doc_id for doc_id, _ in rank(["x"], generator_postings, {}, 1, 1.0)] == ["a", "b", "c"]


@pytest.mark.parametrize("kwargs", [{"k1": -1}, {"b": 1.5}, {"limit": 0}])
def test_rank_rejects_bad_parameters(kwargs):
	with pytest.raises(InvalidSearchParameter):
		rank_docs(["invoic"], **kwargs)


@given(
	st.dictionaries(
		st.sampled_from("abcdefgh"),
		st.dictionaries(st.sampled_from(["t1", "t2", "t3", "t4"]), st.integers(1, 6), min_size=1),
		min_size=1,
	),
	st.lists(st.sampled_from(["t1", "t2", "t3", "t4", "t5"]), min_size=1, max_size=4),
	st.integers(1, 8),
)
def test_rank_properties(docs, query, limit):
	result = rank_docs(query, docs, limit=limit)
	scores = [score for _, score in result]
	assert scores == sorted(scores, reverse=True)
	assert len(result) <= limit
	assert all(score > 0 for score in scores)
	matching = {doc_id for doc_id, terms in docs.items() if set(terms) & set(query)}
	assert {doc_id for doc_id, _ in result} <= matching
	assert len(result) == min(limit, len(matching))
	# One more occurrence of a query term (document length kept as it was) never lowers a score.
	doc_id, terms = next(iter(docs.items()))
	key = next((key for key in query if key in terms), None)
	if key:
		lengths = {d: sum(t.values()) for d, t in docs.items()}
		avg = sum(lengths.values()) / len(docs)
		before = dict(rank(query, postings_of(docs), lengths, len(docs), avg, limit=99))[doc_id]
		bumped = {**docs, doc_id: {**terms, key: terms[key] + 1}}
		after = dict(rank(query, postings_of(bumped), lengths, len(docs), avg, limit=99))[doc_id]
		assert after > before


def test_focus_terms_keeps_the_most_telling():
	doc_freqs = {"common": 900, "rare": 3, "middle": 80}
	focused = focus_terms(["common", "rare", "middle", "unknown"], doc_freqs, 1000, max_terms=2)
	assert set(focused) == {"rare", "middle"}


# --- In-memory index ---------------------------------------------------------------------------------


def test_index_add_remove_and_reindex():
	index = Index()
	index.add("a", "Invoices", "Download invoices as PDF.", "en")
	index.add("b", "Refunds", "Refunds go back to the card.", "en")
	assert len(index) == 2 and "a" in index
	assert index.search("invoice pdf")[0][0] == "a"

	index.add("a", "Delivery", "Parcels take two days.", "en")
	assert index.search("invoice pdf") == []
	assert index.doc_freq("invoic") == 0
	assert index.search("parcel")[0][0] == "a"

	assert index.remove("a") is True
	assert index.remove("a") is False
	assert len(index) == 1
	assert index.avg_len == index.doc_lengths["b"]
	index.remove("b")
	assert index.avg_len == 0 and index.search("refund") == []


def test_index_postings_for_returns_only_asked_terms():
	index = Index()
	index.add(1, "Invoices", "PDF invoices", "en")
	index.add(2, "Refunds", "card refunds", "en")
	assert index.postings_for(["invoic", "nothing"]) == {"invoic": [(1, 3 + 1)]}


def test_index_search_matches_rank_on_fetched_postings():
	index = Index()
	for number, (title, body) in enumerate(
		[("Invoices", "PDF invoices"), ("Refunds", "card refunds, invoices"), ("Export", "CSV of invoices")]
	):
		index.add(number, title, body, "en")
	query = analyse("refund for my invoice")
	fetched = index.postings_for(query)
	assert index.search("refund for my invoice") == rank(
		query, fetched, index.doc_lengths, len(index), index.avg_len
	)


def test_similar_past_issues_use_the_same_engine():
	index = Index()
	index.add("ISS-1", "Card payment declined", "Customer's Visa was declined at checkout.", "en")
	index.add("ISS-2", "Parcel not delivered", "Tracking shows no movement for a week.", "en")
	index.add("ISS-3", "Платёж не проходит", "Карта отклонена при оплате.", "ru")
	assert index.search_issue("Payment declined", "my card gets declined when I pay")[0][0] == "ISS-1"
	assert index.search_issue("Не проходит оплата картой")[0][0] == "ISS-3"


# --- Labelled set ------------------------------------------------------------------------------------


def load_labelled():
	articles = json.loads((DATA / "kb_articles.json").read_text(encoding="utf-8"))
	questions = json.loads((DATA / "kb_questions.json").read_text(encoding="utf-8"))
	return articles, questions


def test_labelled_set_is_well_formed():
	articles, questions = load_labelled()
	ids = {article["id"] for article in articles}
	assert len(ids) == len(articles) >= 40
	assert Counter(article["language"] for article in articles).keys() == {"en", "ru", "uk", "pl"}
	per_language = Counter(question["language"] for question in questions)
	assert len(questions) >= 60 and min(per_language.values()) >= 15 and len(per_language) == 4
	titles = {article["id"]: article["title"].casefold() for article in articles}
	for question in questions:
		assert question["relevant"] and set(question["relevant"]) <= ids
		assert not any(titles[doc_id] in question["question"].casefold() for doc_id in question["relevant"])


def test_recall_at_5_on_the_labelled_set():
	articles, questions = load_labelled()
	index = Index()
	for article in articles:
		index.add(article["id"], article["title"], article["body"], article["language"], article["category"])
	recalls: dict[str, list[float]] = {}
	for question in questions:
		found = {doc_id for doc_id, _ in index.search(question["question"], limit=5)}
		relevant = set(question["relevant"])
		recalls.setdefault(question["language"], []).append(len(found & relevant) / len(relevant))
	overall = [value for values in recalls.values() for value in values]
	assert math.fsum(overall) / len(overall) >= 0.9
	assert all(math.fsum(values) / len(values) >= 0.8 for values in recalls.values())
