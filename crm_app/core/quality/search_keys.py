"""Search keys: a name as the skeletons of its words, and what a user types as the key prefixes to look up.

Duplicate detection folds every spelling of a name into one Latin skeleton (keys.py): Юлия, Юлія, Yuliia
and Julia are all "iulia", Ковальчук, Kovalchuk and Kowalczuk all "kovalcuk". Search reuses that fold word
by word: a record stores one key per word of its name (`record_keys`), and the words a user types become
key prefixes (`query_prefixes`), so "Kowal" finds Ковальчук and "Ковал" finds Kowalczuk while they type.
A record matches when every typed word is the start of one of its words, in any order.

The fold is not stable at the end of a word still being typed: "K" folds to "k", but "Kharkiv" folds to
"harkiv" (kh is one sound, х); "Szc" folds to "sc", but "Szczerbak" to "serbak". So when the last typed
word ends in Latin letters that begin one of the multi-letter spellings (k of kh, szc of szcz, t of ts,
y of ya / yu / ye), its fold with each such spelling completed is looked up as well.
"""

import re

from unidecode import unidecode

from crm_app.core.quality.keys import _SEQUENCES, fold_word

# A key is one word's skeleton, cut to the stored column's length (a longer word still matches every
# prefix a person types of it).
MAX_KEY_LENGTH = 40
# Each key row also carries all the record's keys (`record_words`), so that the other typed words are
# checked in the same index entry as the first one.
MAX_WORDS_LENGTH = 140
# A look-up needs a word of at least this many typed letters: one letter matches a good part of the names.
MIN_QUERY_LETTERS = 2
# At most this many typed words are looked up (the longest ones); more narrow nothing in practice.
MAX_QUERY_WORDS = 4

_WORD_RE = re.compile(r"[^\W\d_]+(?:['\u2019\u02bc][^\W\d_]+)*")
_NOT_LATIN_RE = re.compile(r"[^a-z]+")
_LONGEST_SEQUENCE = max(map(len, _SEQUENCES))


def record_keys(*texts: str | None) -> tuple[str, ...]:
	"""The keys a record stores: each word of its name(s) folded, once, in the order written."""
	keys: dict[str, None] = {}
	for text in texts:
		for word in _WORD_RE.findall(text or ""):
			key = fold_word(word)[:MAX_KEY_LENGTH]
			if key:
				keys[key] = None
	return tuple(keys)


def record_words(keys: tuple[str, ...]) -> str:
	"""All of a record's keys in one string, space-separated, as many whole ones as fit the column."""
	words = ""
	for key in keys:
		joined = f"{words} {key}" if words else key
		if len(joined) > MAX_WORDS_LENGTH:
			break
		words = joined
	return words


def query_prefixes(text: str | None) -> tuple[tuple[str, ...], ...]:
	"""What to look up for what the user typed: per word, the key prefixes any of which may match, the
	longest word first (the shell reads the word with the fewest keys first). Empty when there is
	nothing to look up by name: no word of
	MIN_QUERY_LETTERS letters, or a digit or "@" in the text (an ID, a phone number or an email, which the
	usual search finds)."""
	text = text or ""
	if not text.strip() or "@" in text or any(char.isdigit() for char in text):
		return ()
	words = _WORD_RE.findall(text)
	if not words or max(len(word) for word in words) < MIN_QUERY_LETTERS:
		return ()
	# The last word may still be being typed, unless a space or a stop follows it.
	still_typing = text.endswith(words[-1])
	per_word: dict[tuple[str, ...], int] = {}
	for position, word in enumerate(words):
		prefixes = _word_prefixes(word, complete=not (still_typing and position == len(words) - 1))
		if prefixes:
			per_word.setdefault(prefixes, len(word))
	# At most MAX_QUERY_WORDS words, the longest ones: they narrow most.
	ordered = sorted(per_word, key=lambda prefixes: (-min(map(len, prefixes)), prefixes))
	return tuple(ordered[:MAX_QUERY_WORDS])


def _word_prefixes(word: str, complete: bool) -> tuple[str, ...]:
	folded = fold_word(word)[:MAX_KEY_LENGTH]
	if not folded:
		return ()
	prefixes = {folded}
	if not complete and word[-1].isascii():
		latin = _NOT_LATIN_RE.sub("", unidecode(word).lower())
		for cut in range(1, min(_LONGEST_SEQUENCE, len(latin) + 1)):
			tail, head = latin[-cut:], latin[:-cut]
			for sequence in _SEQUENCES:
				if len(sequence) > cut and sequence.startswith(tail):
					completed = fold_word(head + sequence)[:MAX_KEY_LENGTH]
					if completed:
						prefixes.add(completed)
	return _without_covered(prefixes)


def _without_covered(prefixes: set[str]) -> tuple[str, ...]:
	"""Drop a prefix that a shorter one of the set already covers ("kovalc" when "koval" is there)."""
	kept = []
	for prefix in sorted(prefixes, key=len):
		if not any(prefix.startswith(shorter) for shorter in kept):
			kept.append(prefix)
	return tuple(sorted(kept))


def matches(keys: tuple[str, ...], prefixes: tuple[tuple[str, ...], ...]) -> bool:
	"""Whether a record with these keys matches: every typed word starts one of its keys. What the key
	table's look-up computes in SQL (the first word on the key, the others on the record's words), in
	plain Python."""
	words = record_words(keys).split()
	return bool(prefixes) and all(
		any(word.startswith(prefix) for word in words for prefix in alternatives) for alternatives in prefixes
	)
