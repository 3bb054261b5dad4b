"""Knowledge-base search of the service desk: text analysis and BM25 ranking for en, ru, uk and pl.

Built for a shell that keeps postings in a database table. The index side turns an article into term
frequencies and a length (`document_terms`, `document_length`); the shell stores one row per (term, doc).
The query side analyses a question (`analyse`, `issue_query`), the shell fetches the postings of just those
terms in one indexed query, and `rank` scores them with BM25. `Index` keeps all of it in memory for tests
and benchmarks, on the same functions.

A term is one language-neutral key per word: the word is stemmed in the language its script has in this
text (Latin: English or Polish; Cyrillic: Russian or Ukrainian), then folded: Polish diacritics dropped,
Ukrainian/Russian look-alike letters merged (і ї ы → и, є э → е, ґ → г, apostrophes removed). So a query
typed without diacritics, or in the neighbouring language, still meets cognates ("haslo"/"hasło",
"товари"/"товары", "ціна"/"цена" stay apart, but "гарантія"/"гарантия" meet), and the shell stores one
posting per word, not one per word and language.

Stemmers: Snowball (`snowballstemmer`) for English, Russian and Polish. Snowball has no Ukrainian, and no
kept PyPI package stems Ukrainian (dictionary lemmatisers do, at tens of MB of memory per process), so
`stem_ukrainian` is a small light suffix stripper written here.
"""

import heapq
import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sized
from functools import lru_cache
from html.parser import HTMLParser
from typing import TypeVar

import snowballstemmer

from crm_app.core.errors import CoreError

LANGUAGES = ("en", "ru", "uk", "pl")
# BM25 defaults (Robertson/Lucene); title words count as this many body words (BM25F-lite).
K1 = 1.2
B = 0.75
TITLE_WEIGHT = 3
# Longer "words" are URLs, hashes or base64 noise, and would bloat the postings table's key.
MAX_TERM_LENGTH = 40
# Words this short are kept whole: mostly acronyms, which stemmers mangle.
_SHORTEST_STEMMED = 3

DocId = TypeVar("DocId", bound=Hashable)


class ArticleSearchError(CoreError):
	"""Base class of the knowledge-base search errors."""


class UnsupportedLanguage(ArticleSearchError):
	def __init__(self, language: str):
		super().__init__(f"Language {language!r} is not supported by the knowledge-base search")
		self.language = language


class InvalidSearchParameter(ArticleSearchError):
	pass


# --- HTML -------------------------------------------------------------------------------------------

# Tags whose text is not content; everything else is kept.
_SKIPPED_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript", "svg", "math"})
# Tags that sit inside a word ("<b>in</b>voice"); all other tags separate words.
_INLINE_TAGS = frozenset(
	{
		"a",
		"abbr",
		"b",
		"bdi",
		"bdo",
		"cite",
		"code",
		"del",
		"dfn",
		"em",
		"font",
		"i",
		"ins",
		"kbd",
		"mark",
		"q",
		"s",
		"samp",
		"small",
		"span",
		"strike",
		"strong",
		"sub",
		"sup",
		"tt",
		"u",
		"var",
	}
)
_LOOKS_LIKE_HTML = re.compile(r"<[a-zA-Z/!?]|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


class _TextExtractor(HTMLParser):
	def __init__(self) -> None:
		super().__init__(convert_charrefs=True)
		self.parts: list[str] = []
		self._skipping = 0

	def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
		if tag in _SKIPPED_TAGS:
			self._skipping += 1
		elif tag not in _INLINE_TAGS:
			self.parts.append(" ")

	def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
		# A self-closing tag never opens a skipped region ("<svg/>").
		if tag not in _INLINE_TAGS:
			self.parts.append(" ")

	def handle_endtag(self, tag: str) -> None:
		if tag in _SKIPPED_TAGS:
			self._skipping = max(0, self._skipping - 1)
		elif tag not in _INLINE_TAGS:
			self.parts.append(" ")

	def handle_data(self, data: str) -> None:
		if not self._skipping:
			self.parts.append(data)


def strip_html(text: str) -> str:
	"""Visible text of an HTML fragment (entities decoded, scripts and styles dropped); plain text as is."""
	if not text or not _LOOKS_LIKE_HTML.search(text):
		return text or ""
	extractor = _TextExtractor()
	extractor.feed(text)
	extractor.close()
	return "".join(extractor.parts)


# --- Tokens and languages ---------------------------------------------------------------------------

_APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u02bc\u2018\u0060\u00b4\u02b9\u2032\uff07", "'"))
# Letters and digits of any script; an apostrophe between letters stays inside the word (м'ясо, don't).
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
# "e-mail" is spelt with and without the hyphen in all four languages.
_E_MAIL = re.compile(r"\be-mail")

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-z\u00c0-\u024f]")
_UKRAINIAN_LETTERS = frozenset("іїєґ")
_RUSSIAN_LETTERS = frozenset("ыэъ")
_POLISH_LETTERS = frozenset("ąćęłńóśźż")

_STOPWORDS = {
	"en": frozenset(
		"""a about above after again against all also am an and any are aren't as at be because been before
		being below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't
		down during each few for from further get got had hadn't has hasn't have haven't having he her here
		hers herself him himself his how i i'm i've if in into is isn't it it's its itself just let's me
		more most my myself no nor not now of off on once only or other our ours ourselves out over own
		same she should shouldn't so some such than that that's the their theirs them themselves then there
		these they this those through to too under until up very was wasn't we we're were weren't what
		when where which while who whom why will with won't would wouldn't you you're your yours yourself
		yourselves hello hi hey dear please thanks thank regards cheers kind best also still
		already""".split()
	),
	"ru": frozenset(
		"""и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было
		вот от меня еще нет о из ему теперь когда даже ну ли если уже или ни быть был него до вас нибудь
		опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя их чем была
		сам чтоб без будто чего раз тоже себе под будет ж тогда кто этот того потому этого какой совсем ним
		здесь этом один почти мой тем чтобы нее сейчас были куда зачем всех никогда можно при наконец об
		другой хоть после над больше тот через эти нас про всего них какая много разве эту моя впрочем
		свою этой перед иногда лучше чуть том нельзя такой им более всегда конечно всю между это мои моего
		моей мою наш наша наше наши ваш ваша ваше ваши какие каким каких который которая которое которые
		могу можете хочу здравствуйте здравствуй привет пожалуйста спасибо добрый подскажите скажите
		уважаемые""".split()
	),
	"uk": frozenset(
		"""і й та в у на з із зі до від по за для про при через над під без що як це цей ця ці той те ті цю
		цього він вона воно вони я ти ми ви мене мені мій моя моє мої мою мого моєї наш наша наше наші ваш
		ваша ваше ваші його її їх їм нам вам нас вас себе свій своя своє свої свою не ні так але або чи якщо
		коли де куди тут там вже ще лише тільки теж також бо а же ж би б є був була було були буде будуть
		може можу можете хочу можна треба потрібно який яка яке які якого якої яку котрий хто чому навіщо
		чого щоб весь вся все всі дуже більше менше вітаю привіт будь ласка дякую підкажіть скажіть добрий
		шановні""".split()
	),
	"pl": frozenset(
		"""a aby ale bo by być był była było były będzie będą co czy dla do gdy gdzie go i ich im jak jaki
		jaka jakie jako je jego jej jest jestem już ja ją każdy kiedy kto która które którego której który
		których ktoś lub ma mam mi mnie mną mój moja moje mojego mojej może można mu na nad nam nas nasz
		nasza nasze nie nich nim no o od oraz po pod przez przy się są ta tak tam te tego tej ten to tu
		tylko także też w we więc właśnie z za ze że żeby jeśli jeżeli czemu dlaczego proszę dziękuję
		dzięki witam pozdrawiam dzień dobry mogę chcę ile""".split()
	),
}
_STOPWORDS["pl"] |= {
	"".join(
		ch for ch in unicodedata.normalize("NFKD", word.replace("ł", "l")) if not unicodedata.combining(ch)
	)
	for word in _STOPWORDS["pl"]
}
_CYRILLIC_STOPWORDS = _STOPWORDS["ru"] | _STOPWORDS["uk"]
_LATIN_STOPWORDS = _STOPWORDS["en"] | _STOPWORDS["pl"]
# Stopwords of one language only count as evidence for that language when detecting it.
_EVIDENCE = {
	"ru": _STOPWORDS["ru"] - _STOPWORDS["uk"],
	"uk": _STOPWORDS["uk"] - _STOPWORDS["ru"],
	"en": _STOPWORDS["en"] - _STOPWORDS["pl"],
	"pl": _STOPWORDS["pl"] - _STOPWORDS["en"],
}
# Evidence a stored language adds for its own script: it decides only near-ties.
_HINT_BONUS = 1


def normalise_language(language: str | None) -> str | None:
	"""`"uk"`, `"uk-UA"`, `"pl_PL"` → the two-letter code; empty → None; anything else raises."""
	if not language:
		return None
	code = language.strip().replace("_", "-").split("-")[0].casefold()
	if code not in LANGUAGES:
		raise UnsupportedLanguage(language)
	return code


def _normalise_text(text: str) -> str:
	# NFKC would turn "№15" into "No15"; the sign only separates.
	text = unicodedata.normalize("NFKC", text.replace("№", " ")).translate(_APOSTROPHES).casefold()
	text = text.replace("ё", "е")
	return _E_MAIL.sub("email", text)


def tokenise(text: str) -> list[str]:
	"""Casefolded words of `text` (HTML stripped), stopwords included; apostrophes unified to "'"."""
	return _WORD.findall(_normalise_text(strip_html(text)))


def _script(word: str) -> str:
	if _CYRILLIC.search(word):
		return "cyrillic"
	if _LATIN.search(word):
		return "latin"
	return "other"


def _pick(scores: dict[str, int], hint: str | None, default: str) -> str:
	if hint in scores:
		scores[hint] += _HINT_BONUS
	best = max(scores.values())
	leaders = [language for language, score in scores.items() if score == best]
	return leaders[0] if len(leaders) == 1 else default if hint not in leaders else hint


def _script_languages(words: Iterable[str], hint: str | None) -> tuple[str, str]:
	"""(language of the Latin words, language of the Cyrillic words) in one text."""
	scores = {"en": 0, "pl": 0, "ru": 0, "uk": 0}
	for word in words:
		letters = set(word)
		if _CYRILLIC.search(word):
			scores["uk"] += bool(letters & _UKRAINIAN_LETTERS) + (word in _EVIDENCE["uk"])
			scores["ru"] += bool(letters & _RUSSIAN_LETTERS) + (word in _EVIDENCE["ru"])
		else:
			scores["pl"] += bool(letters & _POLISH_LETTERS) + (word in _EVIDENCE["pl"])
			scores["en"] += word in _EVIDENCE["en"]
	latin = _pick({"en": scores["en"], "pl": scores["pl"]}, hint, "en")
	cyrillic = _pick({"ru": scores["ru"], "uk": scores["uk"]}, hint, "ru")
	return latin, cyrillic


def detect_language(text: str, hint: str | None = None) -> str:
	"""The most likely of en/ru/uk/pl for `text`: script first, then letters and stopwords of each language.

	`hint` (e.g. the article's stored language) decides near-ties; text with no letters gets the hint or "en".
	"""
	hint = normalise_language(hint)
	words = tokenise(text)
	cyrillic_words = sum(1 for word in words if _CYRILLIC.search(word))
	latin_words = sum(1 for word in words if _LATIN.search(word) and not _CYRILLIC.search(word))
	latin, cyrillic = _script_languages(words, hint)
	if cyrillic_words == latin_words == 0:
		return hint or "en"
	if cyrillic_words == latin_words and hint:
		return hint
	return cyrillic if cyrillic_words >= latin_words else latin


# --- Stemming -----------------------------------------------------------------------------------------

_UK_VOWELS = frozenset("аеєиіїоуюя")
_UK_GERUNDS = ("вшись", "вши", "учись", "ючись", "ачись", "ячись", "учи", "ючи", "ачи", "ячи")
# Case endings of nouns, adjectives and pronouns, and person endings of verbs; longest tried first.
_UK_ENDINGS = tuple(
	sorted(
		set(
			"""а я о е є у ю і ї и ь й ом ем єм ам ям ах ях ами ями ів їв ей ою ею єю ія ії ію ією іям іями
			іях ий ій їй им ім их іх ого ього ому ьому ої ьої ими іми еш єш иш іш емо ємо имо імо ете єте ите
			іте уть ють ать ять ить іть ймо йте ла ло ли в""".split()
		),
		key=len,
		reverse=True,
	)
)
# Past-tense and imperative endings, removed only after a vowel and from words this long, so that
# "оплатила", "отримав", "додай" lose them but short nouns ("школа", "сила") keep their "л".
# The dative -ові is left out: as often it is an adjective's plural (грошові, like грошових).
_UK_VERB_AFTER_VOWEL = {"ла": 6, "ло": 6, "ли": 6, "в": 5, "й": 5}
# Stem ends that alternate between a closed syllable (і) and an open one (о, е): вартість/вартості,
# вихід/виходу, спосіб/способу, платіж/платежу, рік/року. A table, not a rule for every і, so loanwords
# (сервіс, ліміт, профіль) keep their і and still meet Russian cognates.
_UK_ALTERNATIONS = (("іст", "ост"), ("хід", "ход"), ("сіб", "соб"), ("іж", "еж"))
_UK_WHOLE_ALTERNATIONS = {"рік": "рок", "міст": "мост"}


def _uk_region_start(word: str) -> int:
	"""Start of the part after the first vowel, where endings may be removed (Snowball's RV)."""
	for position, letter in enumerate(word):
		if letter in _UK_VOWELS:
			return position + 1
	return len(word)


def stem_ukrainian(word: str) -> str:
	"""A light Ukrainian stemmer: removes one inflectional ending and evens out common stem alternations.

	Endings go only from the part after the first vowel, and at least two letters stay:
	- a gerund ending (-вши, -учи, ...), else a reflexive -ся/-сь and then:
	- an infinitive -ити/-іти/-ути (оплатити → оплат) or -вати (скасувати → скасув); -ати after another
	  consonant is left to the noun rules, since "оплати" is far more often a form of "оплата";
	- else one case or person ending, longest first (-ами, -ого, -ою, -ів, -а, ...); -в/-ла/-ло/-ли/-й only
	  after a vowel in longer words (оплатив, зробила), and a theme и/і/у left before them goes too.
	Then the stem is evened out: verbal nouns lose -ання/-ення (скасування → скасув, like скасувати); a
	fleeting о/е before a final к/ц goes (рахунок → рахунк, like рахунку); a few closed-syllable і are
	written as the open syllable's о/е (_UK_ALTERNATIONS). Expects a casefolded word; apostrophes are
	dropped (м'ясо → мясо).
	"""
	word = word.replace("'", "")
	start = max(_uk_region_start(word), 2)
	if len(word) <= start:
		return _uk_even_out(word)

	def removable(ending: str) -> bool:
		return word.endswith(ending) and len(word) - len(ending) >= start

	stem = word
	gerund = next((ending for ending in _UK_GERUNDS if removable(ending)), None)
	if gerund:
		stem = word[: -len(gerund)]
	else:
		for reflexive in ("ся", "сь"):
			if removable(reflexive):
				word = stem = word[: -len(reflexive)]
				break
		infinitive = next((ending for ending in ("ити", "іти", "ути") if removable(ending)), None)
		if infinitive:
			stem = word[: -len(infinitive)]
		elif removable("ати") and word.endswith("вати"):
			stem = word[:-3]
		else:
			for ending in _UK_ENDINGS:
				if not removable(ending):
					continue
				if ending in _UK_VERB_AFTER_VOWEL and (
					word[-len(ending) - 1] not in _UK_VOWELS or len(word) < _UK_VERB_AFTER_VOWEL[ending]
				):
					continue
				stem = word[: -len(ending)]
				if ending in _UK_VERB_AFTER_VOWEL and stem[-1] in ("и", "і", "у") and len(stem) > start:
					stem = stem[:-1]
				break
	return _uk_even_out(stem)


def _uk_even_out(stem: str) -> str:
	if stem.endswith("ь"):
		stem = stem[:-1]
	if len(stem) >= 6 and stem[-3:] in ("анн", "енн", "янн", "інн"):
		stem = stem[:-3]
	elif len(stem) >= 6 and stem[-2:] in ("ок", "ец") and stem[-3] not in _UK_VOWELS:
		stem = stem[:-2] + stem[-1]
	if stem in _UK_WHOLE_ALTERNATIONS:
		return _UK_WHOLE_ALTERNATIONS[stem]
	for closed, open_ in _UK_ALTERNATIONS:
		if stem.endswith(closed) and len(stem) > len(closed):
			return stem[: -len(closed)] + open_
	return stem


_SNOWBALL_NAMES = {"en": "english", "ru": "russian", "pl": "polish"}
_stemmers = threading.local()


def _snowball(language: str):
	# Snowball stemmer objects keep state between calls, so each thread gets its own.
	cache = getattr(_stemmers, "by_language", None)
	if cache is None:
		cache = _stemmers.by_language = {}
	stemmer = cache.get(language)
	if stemmer is None:
		stemmer = cache[language] = snowballstemmer.stemmer(_SNOWBALL_NAMES[language])
	return stemmer


# Polish typed without diacritics: the endings the stemmer needs back, tried in order, each from a
# minimum word length (zwrocic → zwrócić, rabatow → rabatów, zamowilem → zamówiłem). Words with any
# diacritic are left alone.
_POLISH_ENDINGS_WITHOUT_DIACRITICS = (
	("osci", "ości", 6),
	("osc", "ość", 5),
	("ilem", "iłem", 6),
	("ilam", "iłam", 6),
	("alem", "ałem", 6),
	("alam", "ałam", 6),
	("ila", "iła", 6),
	("ala", "ała", 7),
	("ic", "ić", 5),
	("ac", "ać", 5),
	("ec", "eć", 5),
	("yc", "yć", 5),
	("ow", "ów", 5),
	("il", "ił", 6),
	("yl", "ył", 6),
	("al", "ał", 7),
)


def _polish_diacritics_guess(word: str) -> str:
	for plain, written, min_length in _POLISH_ENDINGS_WITHOUT_DIACRITICS:
		if word.endswith(plain):
			return word[: -len(plain)] + written if len(word) >= min_length else word
	return word


_CYRILLIC_FOLD = str.maketrans(
	{"і": "и", "ї": "и", "ы": "и", "є": "е", "э": "е", "ґ": "г", "ъ": None, "'": None}
)
_LATIN_FOLD = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "'": None})


def _fold_latin(stem: str) -> str:
	stem = stem.translate(_LATIN_FOLD)
	if stem.isascii():
		return stem
	return "".join(ch for ch in unicodedata.normalize("NFKD", stem) if not unicodedata.combining(ch))


def _fold(word: str, script: str) -> str:
	if script == "cyrillic":
		return word.translate(_CYRILLIC_FOLD)
	if script == "latin":
		return _fold_latin(word)
	return word.replace("'", "")


@lru_cache(maxsize=200_000)
def term(word: str, language: str) -> str:
	"""Index key of a casefolded `word` read as `language`: its stem, folded across neighbour languages."""
	if language == "uk":
		return stem_ukrainian(word).translate(_CYRILLIC_FOLD)
	if language == "pl" and word.isascii():
		word = _polish_diacritics_guess(word)
	stem = _snowball(language).stemWord(word)
	if language == "ru":
		return stem.translate(_CYRILLIC_FOLD)
	return _fold_latin(stem)


def _terms(words: Iterable[str], latin: str, cyrillic: str) -> list[str]:
	terms = []
	for word in words:
		if len(word) < 2 or len(word) > MAX_TERM_LENGTH:
			continue
		script = _script(word)
		if len(word) <= _SHORTEST_STEMMED or any(ch.isdigit() for ch in word):
			# Acronyms and codes (API, CSV, 2FA, ТТН) are the same word in every language: no stemmer
			# gets to shorten them ("api" is no Polish word to strip).
			if word not in (_CYRILLIC_STOPWORDS if script == "cyrillic" else _LATIN_STOPWORDS):
				terms.append(_fold(word, script))
			continue
		if script == "cyrillic":
			if word in _CYRILLIC_STOPWORDS:
				continue
			key = term(word, cyrillic)
		elif script == "latin":
			if word in _LATIN_STOPWORDS:
				continue
			key = term(word, latin)
		else:
			key = word.replace("'", "")
		if len(key) >= 2:
			terms.append(key)
	return terms


def analyse(text: str, language: str | None = None) -> list[str]:
	"""Index terms of `text` (HTML or plain) in order, stopwords dropped; `language` hints detection."""
	words = tokenise(text)
	latin, cyrillic = _script_languages(words, normalise_language(language))
	return _terms(words, latin, cyrillic)


# --- Index side -----------------------------------------------------------------------------------------


def document_terms(
	title: str,
	body: str = "",
	language: str | None = None,
	category: str = "",
	title_weight: int = TITLE_WEIGHT,
) -> dict[str, int]:
	"""Term → frequency of one article (or past issue), title words counted `title_weight` times.

	Languages are detected once over the whole article, so title and body stem alike.
	"""
	if title_weight < 1:
		raise InvalidSearchParameter("title_weight must be at least 1")
	hint = normalise_language(language)
	title_words, body_words, category_words = tokenise(title), tokenise(body), tokenise(category)
	latin, cyrillic = _script_languages([*title_words, *body_words], hint)
	counts: Counter[str] = Counter(_terms(body_words, latin, cyrillic))
	counts.update(_terms(category_words, latin, cyrillic))
	for key in _terms(title_words, latin, cyrillic):
		counts[key] += title_weight
	return dict(counts)


def document_length(terms: Mapping[str, float]) -> int:
	"""BM25 length of a document: its weighted term count."""
	return int(sum(terms.values()))


# --- Query side -----------------------------------------------------------------------------------------

# Repeating a word in a long issue text says it matters, with diminishing returns (BM25's k3).
_K3 = 1.5


def _saturate(count: float) -> float:
	return (_K3 + 1) * count / (_K3 + count)


def issue_query(
	subject: str, description: str = "", language: str | None = None, subject_weight: int = 2
) -> dict[str, float]:
	"""Query term → weight for the suggestions on an issue: subject words count `subject_weight` times."""
	hint = normalise_language(language)
	subject_words, description_words = tokenise(subject), tokenise(description)
	latin, cyrillic = _script_languages([*subject_words, *description_words], hint)
	counts: Counter[str] = Counter(_terms(description_words, latin, cyrillic))
	for key in _terms(subject_words, latin, cyrillic):
		counts[key] += subject_weight
	return {key: _saturate(count) for key, count in counts.items()}


def _query_weights(query_terms: Iterable[str] | Mapping[str, float]) -> Mapping[str, float]:
	if isinstance(query_terms, Mapping):
		return query_terms
	return {key: _saturate(count) for key, count in Counter(query_terms).items()}


def idf(doc_freq: int, n_docs: int) -> float:
	"""BM25 inverse document frequency, Lucene's variant: never negative, even for very common terms."""
	return math.log(1.0 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


def focus_terms(
	query_terms: Iterable[str] | Mapping[str, float],
	doc_freqs: Mapping[str, int],
	n_docs: int,
	max_terms: int = 24,
) -> dict[str, float]:
	"""The `max_terms` query terms worth most (weight * idf), unknown terms dropped.

	For a shell that keeps document frequencies per term: it can fetch postings for a long issue's telling
	terms only, so one issue text never pulls in the postings of half the vocabulary.
	"""
	weights = _query_weights(query_terms)
	known = [
		(key, weight * idf(doc_freqs[key], n_docs)) for key, weight in weights.items() if doc_freqs.get(key)
	]
	best = heapq.nlargest(max_terms, known, key=lambda item: item[1])
	return {key: weights[key] for key, _ in best}


def rank(
	query_terms: Iterable[str] | Mapping[str, float],
	postings: Mapping[str, Iterable[tuple[DocId, float]]],
	doc_lengths: Mapping[DocId, float],
	n_docs: int,
	avg_len: float,
	k1: float = K1,
	b: float = B,
	limit: int = 5,
) -> list[tuple[DocId, float]]:
	"""The best `limit` documents for the query by BM25, as (doc_id, score), best first.

	`query_terms` is a list of terms (repeats weigh more) or a mapping term → weight (`issue_query`).
	`postings` maps each query term to ALL its (doc_id, tf) pairs: its length is the term's document
	frequency; terms missing from it match nothing. `doc_lengths` needs the documents in those postings
	(a missing one counts as average); `n_docs` and `avg_len` describe the whole collection. Ties are
	broken by doc_id.
	"""
	if k1 < 0 or not 0 <= b <= 1:
		raise InvalidSearchParameter("BM25 needs k1 >= 0 and 0 <= b <= 1")
	if limit < 1:
		raise InvalidSearchParameter("limit must be at least 1")
	if n_docs <= 0 or avg_len <= 0:
		return []

	scores: dict[DocId, float] = {}
	norms: dict[DocId, float] = {}
	for key, query_weight in _query_weights(query_terms).items():
		entries = postings.get(key)
		if not entries:
			continue
		if not isinstance(entries, Sized):
			entries = list(entries)
		# Stale collection figures from the shell must not make idf negative or divide by zero.
		weight = query_weight * idf(len(entries), max(n_docs, len(entries))) * (k1 + 1)
		for doc_id, tf in entries:
			norm = norms.get(doc_id)
			if norm is None:
				norm = norms[doc_id] = k1 * (1 - b + b * doc_lengths.get(doc_id, avg_len) / avg_len)
			scores[doc_id] = scores.get(doc_id, 0.0) + weight * tf / (tf + norm)
	return heapq.nsmallest(limit, scores.items(), key=lambda item: (-item[1], item[0]))


# --- In-memory index ------------------------------------------------------------------------------------


class Index:
	"""All postings in memory, for tests and benchmarks; the shell keeps the same data in tables."""

	def __init__(self, title_weight: int = TITLE_WEIGHT, k1: float = K1, b: float = B):
		self.title_weight, self.k1, self.b = title_weight, k1, b
		self._postings: dict[str, dict[Hashable, int]] = {}
		self._doc_terms: dict[Hashable, dict[str, int]] = {}
		self._lengths: dict[Hashable, int] = {}
		self._total_length = 0

	def __len__(self) -> int:
		return len(self._doc_terms)

	def __contains__(self, doc_id: Hashable) -> bool:
		return doc_id in self._doc_terms

	@property
	def avg_len(self) -> float:
		return self._total_length / len(self._doc_terms) if self._doc_terms else 0.0

	@property
	def doc_lengths(self) -> Mapping[Hashable, int]:
		return self._lengths

	def doc_freq(self, key: str) -> int:
		return len(self._postings.get(key, ()))

	def doc_freqs(self) -> dict[str, int]:
		"""Term → number of documents holding it, for `focus_terms`."""
		return {key: len(docs) for key, docs in self._postings.items()}

	def add(
		self, doc_id: Hashable, title: str, body: str = "", language: str | None = None, category: str = ""
	):
		"""Index (or re-index) one document."""
		terms = document_terms(title, body, language, category=category, title_weight=self.title_weight)
		self.add_terms(doc_id, terms)

	def add_terms(self, doc_id: Hashable, terms: Mapping[str, int]) -> None:
		self.remove(doc_id)
		self._doc_terms[doc_id] = dict(terms)
		for key, tf in terms.items():
			self._postings.setdefault(key, {})[doc_id] = tf
		length = document_length(terms)
		self._lengths[doc_id] = length
		self._total_length += length

	def remove(self, doc_id: Hashable) -> bool:
		terms = self._doc_terms.pop(doc_id, None)
		if terms is None:
			return False
		for key in terms:
			docs = self._postings[key]
			del docs[doc_id]
			if not docs:
				del self._postings[key]
		self._total_length -= self._lengths.pop(doc_id)
		return True

	def postings_for(self, terms: Iterable[str]) -> dict[str, list[tuple[Hashable, int]]]:
		"""What the shell's SQL fetch returns: the postings of these terms only."""
		return {key: list(self._postings[key].items()) for key in set(terms) if key in self._postings}

	def search_terms(
		self, query_terms: Iterable[str] | Mapping[str, float], limit: int = 5
	) -> list[tuple[Hashable, float]]:
		weights = _query_weights(query_terms)
		postings = {key: self._postings[key].items() for key in weights if key in self._postings}
		return rank(weights, postings, self._lengths, len(self), self.avg_len, self.k1, self.b, limit)

	def search(self, text: str, limit: int = 5, language: str | None = None) -> list[tuple[Hashable, float]]:
		return self.search_terms(analyse(text, language), limit)

	def search_issue(
		self, subject: str, description: str = "", limit: int = 5, language: str | None = None
	) -> list[tuple[Hashable, float]]:
		return self.search_terms(issue_query(subject, description, language), limit)
