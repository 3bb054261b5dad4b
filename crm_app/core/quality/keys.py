"""Normalised keys that make two spellings of one person, company, email or phone compare equal.

Transliteration between alphabets is Unidecode's; what is written here are the CRM rules on top of it:
one Latin "skeleton" that folds the schemes people actually use (Ukrainian national, Russian passport,
BGN/PCGN, Polish spelling) into one form, mailbox rules of the big providers, legal forms of companies.
"""

import re
from functools import lru_cache

from unidecode import unidecode

# Multi-letter spellings of one Cyrillic sound across transliteration schemes, longest first:
# Щ = shch / szcz, Ж = zh / rz / ż, Х = kh / h / ch, Ч = ch / cz / tch, Ш = sh / sz, Ц = ts / c,
# iotated vowels Ю Я Ё Ї = yu iu ju / ya ia ja / yo io jo / yi ji (kept as i + vowel, so that "Julia" and
# "Юлия" = "Iuliia" meet at "iulia" once doubled letters collapse); Е and Є = e / ye / ie / je (Yelena,
# Elena; Polish Wiera for Вера) become e.
_SEQUENCES = {
	"shch": "s",
	"szcz": "s",
	"sch": "s",
	"tch": "c",
	"zh": "z",
	"rz": "z",
	"kh": "h",
	"ch": "c",
	"cz": "c",
	"sh": "s",
	"sz": "s",
	"ts": "c",
	"tz": "c",
	"ph": "f",
	"ck": "k",
	"yu": "iu",
	"ju": "iu",
	"ya": "ia",
	"ja": "ia",
	"ye": "e",
	"je": "e",
	"ie": "e",
	"yo": "io",
	"jo": "io",
	"yi": "i",
	"ji": "i",
	"x": "ks",
}
_SEQUENCE_RE = re.compile("|".join(sorted(_SEQUENCES, key=len, reverse=True)))
# Г is g in Russian and h in Ukrainian; w is Polish v; y, j and i stand for one another across schemes.
_LETTERS = str.maketrans({"w": "v", "g": "h", "y": "i", "j": "i", "q": "k"})
_DOUBLES_RE = re.compile(r"(.)\1+")
_NOT_LETTERS_RE = re.compile(r"[^a-z]+")
# Soft and hard signs come out of Unidecode as apostrophes; people drop them when they type.
_SIGNS_RE = re.compile(r"['`\u2019\u02bc\"]")


@lru_cache(maxsize=1_000_000)
def fold_word(word: str) -> str:
	"""One word (any alphabet) as its Latin skeleton: "Юлія" and "Julia" and "Yuliya" give "ula"."""
	latin = _SIGNS_RE.sub("", unidecode(word).lower())
	latin = _NOT_LETTERS_RE.sub("", latin)
	latin = _SEQUENCE_RE.sub(lambda match: _SEQUENCES[match.group(0)], latin)
	return _DOUBLES_RE.sub(r"\1", latin.translate(_LETTERS))


_WORD_RE = re.compile(r"[^\W\d_]+(?:['\u2019\u02bc][^\W\d_]+)*")


@lru_cache(maxsize=300_000)
def name_tokens(text: str | None) -> tuple[str, ...]:
	"""The folded words of a name, in the order written, without empty ones."""
	if not text:
		return ()
	return tuple(token for token in map(fold_word, _WORD_RE.findall(text)) if token)


# Legal forms, as folded words, removed from either end of a company name (ТОВ «Світанок», Svitanok LLC).
_LEGAL_FORMS = frozenset(
	fold_word(word)
	for word in (
		"tov ooo oao zao pao pat prat at ao ip fop pp tdv ltd limited llc llp lp plc inc incorporated corp "
		"corporation co company gmbh ag kg sa spa srl sas bv nv ab oy as sp zoo oo o z spj sk ska "
		"товариство обмеженою відповідальністю тов ооо оао зао пао пат прат ат ао фоп іп ип"
	).split()
)


@lru_cache(maxsize=100_000)
def company_key(text: str | None) -> str:
	"""A company's name without its legal form, quotes and punctuation, folded: "" when nothing is left."""
	tokens = _joined_initials(name_tokens(text))
	while tokens and tokens[0] in _LEGAL_FORMS:
		tokens.pop(0)
	while tokens and tokens[-1] in _LEGAL_FORMS:
		tokens.pop()
	return " ".join(tokens)


def _joined_initials(tokens: tuple[str, ...]) -> list[str]:
	"""Runs of one-letter words as one word: "S.A." is "sa", "sp. z o.o." is "sp zoo"."""
	joined: list[str] = []
	in_run = False
	for token in tokens:
		if len(token) == 1 and in_run:
			joined[-1] = _DOUBLES_RE.sub(r"\1", joined[-1] + token)  # folded as the legal forms are
		else:
			joined.append(token)
		in_run = len(token) == 1
	return joined


# Mailbox rules of providers that ignore dots or "+tags" in the local part, and their domain aliases.
_DOMAIN_ALIASES = {
	"googlemail.com": "gmail.com",
	"ya.ru": "yandex.ru",
	"yandex.com": "yandex.ru",
	"yandex.ua": "yandex.ru",
	"yandex.by": "yandex.ru",
	"yandex.kz": "yandex.ru",
}
_DOTS_IGNORED = frozenset({"gmail.com"})
_PLUS_TAGS = frozenset(
	{
		"gmail.com",
		"outlook.com",
		"hotmail.com",
		"live.com",
		"yandex.ru",
		"icloud.com",
		"protonmail.com",
		"proton.me",
		"fastmail.com",
	}
)


def email_key(text: str | None) -> str:
	"""The mailbox an address delivers to, lower case: "" when it is not an address."""
	address = (text or "").strip().lower()
	local, at, domain = address.rpartition("@")
	if not at or not local or "." not in domain:
		return ""
	domain = _DOMAIN_ALIASES.get(domain, domain)
	if domain in _PLUS_TAGS:
		local = local.split("+", 1)[0]
	if domain in _DOTS_IGNORED:
		local = local.replace(".", "")
	return f"{local}@{domain}" if local else ""


_NOT_DIGITS_RE = re.compile(r"\D+")
SUBSCRIBER_DIGITS = 9


def phone_key(text: str | None) -> str:
	"""The last nine digits of a phone number: "" when it has fewer than seven.

	The app stores phones in E.164 (core/phone.py), but records that came from imports and contacts
	typed by hand write the same number as +380 67 123 45 67, 0038067..., 067 123 45 67 or, in Russia,
	8 (912) ...: with or without the country code and trunk prefix. The subscriber's last nine digits
	are what all of them share, whatever the region was; a clash between countries still needs a name
	to match as well before two records count as one.
	"""
	digits = _NOT_DIGITS_RE.sub("", text or "")
	if len(digits) < 7:
		return ""
	return digits[-SUBSCRIBER_DIGITS:]
