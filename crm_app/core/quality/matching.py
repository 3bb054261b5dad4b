"""Duplicate detection: blocking on normalised keys, a scored comparison per pair, groups of duplicates.

Blocking keeps the work close to linear: two records are compared only when they share a key (a mailbox,
a phone's subscriber digits, or a name, exactly or within one typo), never every record with every other.
Each compared pair gets a score between 0 and 1 and the reasons behind it; pairs at or above the
threshold are joined into groups (a record found twice joins the two groups).
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from rapidfuzz.distance import OSA, Levenshtein
from rapidfuzz.fuzz import token_set_ratio

from crm_app.core.quality.keys import company_key, email_key, name_tokens, phone_key

DEFAULT_THRESHOLD = 0.8
# A name block bigger than this is a common name, not a lead: its pairs are left to the mailbox and
# phone keys. A mailbox or number shared by more records than MAX_SHARED_BLOCK is an office's or a
# placeholder, not a person's.
MAX_NAME_BLOCK = 12
MAX_SHARED_BLOCK = 100
# A name that more records carry than this is no evidence on its own.
COMMON_NAME = 3


@dataclass(slots=True)
class Party:
	"""What the detector reads of a lead, customer or contact. `ref` is the shell's own handle."""

	ref: str
	person: str = ""
	organisation: str = ""
	emails: tuple[str, ...] = ()
	phones: tuple[str, ...] = ()
	city: str = ""


@dataclass(slots=True)
class Prepared:
	ref: str
	name: str  # folded words, sorted: the spelling and the order do not matter
	is_person: bool
	emails: frozenset[str]
	phones: frozenset[str]
	company: str
	city: str
	keys: tuple[str, ...] = ()  # for blocking in memory
	lookup_keys: tuple[str, ...] = ()  # the few that are stored, for the live check


@dataclass(slots=True)
class Match:
	score: float
	# Codes the shell words in the user's language: same_name, similar_name:<percent>, same_email,
	# same_phone, same_company, same_city.
	reasons: tuple[str, ...]


@dataclass(slots=True)
class Group:
	refs: list[str]
	score: float  # the weakest pair that holds the group together
	pairs: list[tuple[str, str, Match]] = field(default_factory=list)


def name_key(tokens: tuple[str, ...]) -> str:
	"""The name in any word order: its first and last word (middle names and patronymics come and go)."""
	if not tokens:
		return ""
	if len(tokens) == 1:
		return "n:" + tokens[0]
	first, last = sorted((tokens[0], tokens[-1]))
	return f"n:{first}|{last}"


def neighbour_words(words: Iterable[str]) -> dict[str, set[str]]:
	"""Words one edit apart (a letter missed, added, changed, or two swapped).

	Such words share a one-deletion variant (the SymSpell idea), so this indexes the variants of each
	distinct word once, not of each record: names repeat, and a record's typo costs nothing more.
	"""
	by_variant: dict[str, list[str]] = defaultdict(list)
	for word in words:
		if len(word) >= 4:  # shorter words have too many neighbours to be evidence
			for variant in {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}:
				by_variant[variant].append(word)
	neighbours: dict[str, set[str]] = defaultdict(set)
	for sharing in by_variant.values():
		if 1 < len(sharing) <= MAX_NAME_BLOCK:
			for word in sharing:
				neighbours[word].update(sharing)
	for word, near in neighbours.items():
		near.discard(word)
	return neighbours


def name_lookup_keys(tokens: tuple[str, ...]) -> set[str]:
	"""The few name keys a record stores for the live check: the name in any word order, and each word
	with the other's first three letters (a typo after them still meets)."""
	if len(tokens) < 2:
		return {"n:" + tokens[0]} if tokens else set()
	first, last = sorted((tokens[0], tokens[-1]))
	return {f"n:{first}|{last}", f"n:{first}|{last[:3]}*", f"n:{last}|{first[:3]}*"}


def prepare(party: Party) -> Prepared:
	"""Normalise a record and compute its blocking keys."""
	company = company_key(party.organisation)
	# An organisation is compared by its name without the legal form (ТОВ «Світанок» = Svitanok LLC).
	tokens = name_tokens(party.person) or tuple(company.split())
	emails = frozenset(filter(None, map(email_key, party.emails)))
	phones = frozenset(filter(None, map(phone_key, party.phones)))
	keys = {"e:" + email for email in emails} | {"p:" + phone for phone in phones}
	lookup = set(keys)
	if party.person:
		keys.add(name_key(tokens))
		lookup |= name_lookup_keys(tokens)
	elif company:
		keys.add("c:" + company.replace(" ", ""))
		lookup.add("c:" + company.replace(" ", ""))
	return Prepared(
		ref=party.ref,
		name=" ".join(sorted(tokens)),
		is_person=bool(party.person),
		emails=emails,
		phones=phones,
		company=company,
		city=" ".join(name_tokens(party.city)),
		keys=tuple(keys),
		lookup_keys=tuple(sorted(lookup)),
	)


def score_pair(a: Prepared, b: Prepared, common_name: bool = False) -> Match:
	"""How likely two records are one party, from 0 to 1, and why. A `common_name` (one that many
	records carry) needs more than the name to agree."""
	reasons = []
	name_similarity = _name_similarity(a.name, b.name)
	same_email = bool(a.emails & b.emails)
	same_phone = bool(a.phones & b.phones)
	similar_email = not same_email and _similar_mailbox(a.emails, b.emails)
	other_emails = bool(a.emails and b.emails and not same_email and not similar_email)
	other_phones = bool(a.phones and b.phones and not same_phone)

	score = 0.55 * name_similarity
	if name_similarity >= 0.99:
		reasons.append("same_name")
	elif name_similarity >= 0.6:
		reasons.append(f"similar_name:{round(name_similarity * 100)}")
	if same_email:
		score += 0.4
		reasons.append("same_email")
	elif similar_email:
		score += 0.3
		reasons.append("similar_email")
	if same_phone:
		score += 0.35
		reasons.append("same_phone")
	if a.company and a.company == b.company:
		# Colleagues share a company; two customer records with one company name are likely one.
		score += 0.15 if a.is_person and b.is_person else 0.3
		reasons.append("same_company")
	city_similarity = Levenshtein.normalized_similarity(a.city, b.city) if a.city and b.city else None
	if city_similarity is not None and city_similarity >= 0.8:
		score += 0.1
		reasons.append("same_city")
	elif city_similarity is not None and city_similarity < 0.5:
		score -= 0.1
	one_side_bare = not (a.emails or a.phones) or not (b.emails or b.phones)
	other_company = bool(a.company and b.company and a.company != b.company)
	if (
		one_side_bare
		and not common_name
		and name_similarity >= 0.97
		and not other_company
		and (city_similarity or 1) >= 0.5
	):
		# One record has no mailbox or number to compare: a near-identical name is all there is to go on,
		# and nothing speaks against it.
		score += 0.3
		reasons.append("nothing_differs")
	# Two different mailboxes or numbers on both sides speak against one person, a little.
	if other_emails:
		score -= 0.15
	if other_phones:
		score -= 0.1
	if name_similarity < 0.5 and not (same_email and same_phone):
		# A shared office phone or mailbox alone does not make two people one.
		score = min(score, 0.6)
	return Match(round(max(0.0, min(1.0, score)), 3), tuple(reasons))


def _name_similarity(left: str, right: str) -> float:
	if not left or not right:
		return 0.0
	similarity = Levenshtein.normalized_similarity(left, right)
	if similarity < 1:
		# Middle names and patronymics written in one record only.
		similarity = max(similarity, token_set_ratio(left, right) / 100 * 0.95)
	return similarity


def _similar_mailbox(left: frozenset[str], right: frozenset[str]) -> bool:
	"""One typo apart (two letters swapped count as one) before the @, at the same domain."""
	for a in left:
		a_local, _, a_domain = a.partition("@")
		for b in right:
			b_local, _, b_domain = b.partition("@")
			if (
				a_domain == b_domain
				and len(a_local) > 4
				and OSA.distance(a_local, b_local, score_cutoff=1) <= 1
			):
				return True
	return False


def candidate_pairs(prepared: list[Prepared]) -> Iterator[tuple[int, int]]:
	"""Index pairs that share a blocking key, or whose names are one typo apart; each pair once."""
	blocks: dict[str, list[int]] = defaultdict(list)
	for index, record in enumerate(prepared):
		for key in record.keys:
			blocks[key].append(index)
	seen: set[int] = set()
	width = len(prepared) + 1

	def new_pairs(left_members: list[int], right_members: list[int]) -> Iterator[tuple[int, int]]:
		for left in left_members:
			for right in right_members:
				if left != right:
					low, high = (left, right) if left < right else (right, left)
					if low * width + high not in seen:
						seen.add(low * width + high)
						yield low, high

	for key, members in blocks.items():
		if 1 < len(members) <= (MAX_NAME_BLOCK if key[0] in "nc" else MAX_SHARED_BLOCK):
			yield from new_pairs(members, members)

	# Names one typo apart: a word of one name swapped for its neighbour gives the other. A typo makes a
	# rare spelling, so one of the two names is a single record's; two names that several records each
	# carry (Kovalchuk, Kovalchyk) are two families, and pairing them would compare every namesake.
	names = {
		key[2:]: members
		for key, members in blocks.items()
		if key[:2] == "n:" and len(members) <= MAX_NAME_BLOCK
	}
	neighbours = neighbour_words({word for name in names for word in name.split("|")})
	for name, members in names.items():
		first, _bar, last = name.partition("|")
		for near in neighbours.get(first, ()):
			other = near if not last else f"{near}|{last}" if near <= last else f"{last}|{near}"
			if other > name and other in names and (len(members) == 1 or len(names[other]) == 1):
				yield from new_pairs(members, names[other])
		for near in neighbours.get(last, ()) if last else ():
			other = f"{first}|{near}" if first <= near else f"{near}|{first}"
			if other > name and other in names and (len(members) == 1 or len(names[other]) == 1):
				yield from new_pairs(members, names[other])


def find_duplicates(
	parties: Iterable[Party], threshold: float = DEFAULT_THRESHOLD, prepared: list[Prepared] | None = None
) -> list[Group]:
	"""Groups of records that are one party, strongest first."""
	prepared = prepared if prepared is not None else [prepare(party) for party in parties]
	parent = list(range(len(prepared)))

	def root(index: int) -> int:
		while parent[index] != index:
			parent[index] = parent[parent[index]]
			index = parent[index]
		return index

	name_counts = Counter(record.name for record in prepared)
	accepted: list[tuple[int, int, Match]] = []
	for left, right in candidate_pairs(prepared):
		a, b = prepared[left], prepared[right]
		match = score_pair(a, b, common_name=max(name_counts[a.name], name_counts[b.name]) > COMMON_NAME)
		if match.score >= threshold:
			accepted.append((left, right, match))
			parent[root(left)] = root(right)

	members: dict[int, list[int]] = defaultdict(list)
	pairs: dict[int, list[tuple[int, int, Match]]] = defaultdict(list)
	for left, right, match in accepted:
		pairs[root(left)].append((left, right, match))
	for index in {i for left, right, _ in accepted for i in (left, right)}:
		members[root(index)].append(index)

	groups = [
		Group(
			refs=sorted(prepared[i].ref for i in indexes),
			score=min(match.score for _, _, match in pairs[group_root]),
			pairs=[
				(prepared[left].ref, prepared[right].ref, match) for left, right, match in pairs[group_root]
			],
		)
		for group_root, indexes in members.items()
	]
	groups.sort(key=lambda group: (-group.score, group.refs))
	return groups


def matches_for(record: Prepared, others: Iterable[Prepared], threshold: float = DEFAULT_THRESHOLD):
	"""The live check: which of `others` (found through shared keys) are `record` again, best first."""
	found = [(other, score_pair(record, other)) for other in others if other.ref != record.ref]
	found = [(other, match) for other, match in found if match.score >= threshold]
	found.sort(key=lambda item: -item[1].score)
	return found
