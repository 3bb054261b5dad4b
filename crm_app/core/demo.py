"""Deterministic demo rows: realistic-looking CRM data generated without touching a database.

The Frappe shell writes these rows with bulk loads, so the same seed always yields the same site. Rows are
cheap to make (a million in a few seconds): one random stream per block of BLOCK rows, table lookups
instead of weighted draws, and `tsv_chunk` turns them into the text MariaDB's LOAD DATA reads.
"""

import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import combinations

FIRST_NAMES = (
	"Aarav Ada Alba Amara Anil Anna Ben Carla Chen Chloe Dana Diego Elena Emil Fatima Femi Grace Hana "
	"Hugo Ines Ivan Jana Jonas Kai Kenji Lara Leo Lina Luca Maya Mei Mila Nadia Noah Omar Priya Rafael "
	"Rosa Sami Sara Sofia Tariq Tom Uma Vera Wei Yara Yusuf Zoe"
).split()
LAST_NAMES = (
	"Abara Bauer Costa Dubois Eriksen Fischer Garcia Haddad Ito Jensen Kaur Kowalski Larsen Mehta "
	"Meyer Novak Okafor Olsen Patel Quinn Rossi Sato Schmidt Silva Tanaka Umarov Varga Wang Weber Yilmaz "
	"Zhang Nakamura Moreau Lopez Nowak Petrov"
).split()
ORG_WORDS = (
	"Apex Blue Cedar Delta Everest Falcon Granite Harbor Iris Juniper Keystone Lumen Meridian Nimbus "
	"Orchid Pioneer Quartz Riverside Summit Terra Union Vertex Willow Zenith"
).split()
ORG_SUFFIXES = ("Industries", "Foods", "Logistics", "Labs", "Systems", "Trading", "Textiles", "Health")
CITIES = (
	("GB", "London"),
	("GB", "Manchester"),
	("DE", "Berlin"),
	("DE", "Munich"),
	("IN", "Mumbai"),
	("IN", "Bengaluru"),
	("US", "Austin"),
	("US", "Chicago"),
	("FR", "Lyon"),
	("AE", "Dubai"),
)
GENDERS = ("Female", "Male", "Other")
AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
INCOME_BANDS = ("Low", "Lower Middle", "Middle", "Upper Middle", "High")
INTERESTS = ("pricing", "integrations", "support", "analytics", "mobile", "security", "training")
# Weighted like a real funnel: most leads are new or being worked. "Converted" is left out on purpose:
# only a real conversion (which creates the customer) may set it.
LEAD_STATUS_WEIGHTS = (
	("New", 40),
	("Contacted", 25),
	("Qualified", 17),
	("Unqualified", 10),
	("Lost", 8),
)

LEAD_FIELDS = (
	"name",
	"naming_series",
	"first_name",
	"last_name",
	"lead_name",
	"organization_name",
	"email",
	"mobile_no",
	"status",
	"source",
	"lead_owner",
	"territory",
	"industry",
	"campaign",
	"country",
	"city",
	"gender",
	"age_band",
	"income_band",
	"interests",
	"lead_score",
	"email_opt_out",
	"creation",
	"modified",
	"owner",
	"modified_by",
	"docstatus",
	"idx",
)


@dataclass(frozen=True)
class DemoMasters:
	"""The link values demo rows pick from; all must exist on the site."""

	owners: Sequence[str]
	sources: Sequence[str]
	territories: Sequence[str]
	industries: Sequence[str]
	campaigns: Sequence[str]
	countries: dict[str, str]  # ISO code -> Country name


def demo_lead_name(index: int) -> str:
	return f"CX-LEAD-DEMO-{index:07d}"


# Valid numbers in ranges that are not assigned to subscribers, unique per index within the country
# (US: the 555-01xx fiction range, 100 numbers).
PHONE_FORMATS: dict[str, Callable[[int], str]] = {
	"GB": lambda index: f"+447400{index % 1_000_000:06d}",
	"DE": lambda index: f"+49151{index % 10_000_000:07d}0",
	"IN": lambda index: f"+9198{index % 100_000_000:08d}",
	"US": lambda index: f"+1202555{100 + index % 100:04d}",
	"FR": lambda index: f"+336{index % 100_000_000:08d}",
	"AE": lambda index: f"+97150{index % 10_000_000:07d}",
}


def phone_format(country_code: str) -> Callable[[int], str]:
	return PHONE_FORMATS.get(country_code, PHONE_FORMATS["GB"])


def demo_phone(index: int, country_code: str) -> str:
	"""A valid, unassigned-range mobile number for `country_code` (GB for unknown codes)."""
	return phone_format(country_code)(index)


BLOCK = 1024  # rows per random stream: row i's values depend only on (seed, i), at block granularity
MINUTES_BACK = 60 * 24 * 540  # leads were created within the last 540 days...
MINUTES_EDITED = 600  # ...and last changed up to 10 hours later, never in the future
INTEREST_PAIRS = tuple(", ".join(pair) for pair in combinations(sorted(INTERESTS), 2))


def weighted_table(weights: Sequence[tuple[str, int]]) -> tuple[str, ...]:
	"""One slot per unit of weight: a uniform pick from the table is a weighted pick."""
	return tuple(value for value, weight in weights for _ in range(weight))


def lead_rows(
	start: int, count: int, masters: DemoMasters, *, now: datetime, seed: int = 42
) -> Iterator[tuple]:
	"""Yield `count` lead rows in LEAD_FIELDS order, numbered from `start` (1-based).

	Row i is the same whichever range it is asked in: each block of BLOCK rows has its own random stream
	and every row draws the same number of values from it.
	"""
	statuses = weighted_table(LEAD_STATUS_WEIGHTS)
	firsts = [(name, name.lower()) for name in FIRST_NAMES]
	lasts = [(name, name.lower()) for name in LAST_NAMES]
	owners, sources, territories = list(masters.owners), list(masters.sources), list(masters.territories)
	industries, campaigns = list(masters.industries), list(masters.campaigns)
	cities = [(city, masters.countries.get(code), phone_format(code)) for code, city in CITIES]
	minute = timedelta(minutes=1)
	stop = start + count
	block = (start - 1) // BLOCK
	while block * BLOCK + 1 < stop:
		first_index = block * BLOCK + 1
		r = random.Random(seed * 1_000_003 + block).random
		for index in range(first_index, min(first_index + BLOCK, stop)):
			first, first_lower = firsts[int(r() * len(firsts))]
			last, last_lower = lasts[int(r() * len(lasts))]
			org = f"{ORG_WORDS[int(r() * len(ORG_WORDS))]} {ORG_SUFFIXES[int(r() * len(ORG_SUFFIXES))]}"
			city, country, phone = cities[int(r() * len(cities))]
			created = now - minute * (MINUTES_EDITED + int(r() * MINUTES_BACK))
			modified = created + minute * int(r() * MINUTES_EDITED)
			owner = owners[int(r() * len(owners))]
			status = statuses[int(r() * len(statuses))]
			source = sources[int(r() * len(sources))] if sources else None
			territory = territories[int(r() * len(territories))] if territories else None
			industry = industries[int(r() * len(industries))] if industries else None
			campaign_roll = r()
			campaign = (
				campaigns[int(campaign_roll / 0.3 * len(campaigns))]
				if campaign_roll < 0.3 and campaigns
				else None
			)
			gender = GENDERS[int(r() * len(GENDERS))]
			age_band = AGE_BANDS[int(r() * len(AGE_BANDS))]
			income_band = INCOME_BANDS[int(r() * len(INCOME_BANDS))]
			interests = INTEREST_PAIRS[int(r() * len(INTEREST_PAIRS))]
			opt_out = int(r() < 0.05)
			if index < start:
				continue  # drawn anyway, so that the rows after it are the same
			yield (
				demo_lead_name(index),
				"CX-LEAD-.YYYY.-",
				first,
				last,
				f"{first} {last}",
				org,
				f"{first_lower}.{last_lower}.{index}@example.com",
				phone(index),
				status,
				source,
				owner,
				territory,
				industry,
				campaign,
				country,
				city,
				gender,
				age_band,
				income_band,
				interests,
				0,
				opt_out,
				created,
				modified,
				owner,
				owner,
				0,
				0,
			)
		block += 1


def _text(value) -> str:
	if value is None:
		return "\\N"
	if value is True or value is False:
		return "1" if value else "0"
	return str(value)  # int, float, Decimal, date, datetime: MariaDB reads their str() forms


def _escaped(value) -> str:
	if value is None:
		return "\\N"
	return _text(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def tsv_chunk(rows: Iterable[Sequence]) -> tuple[bytes, int]:
	"""Rows as the UTF-8 text LOAD DATA reads by default (tab-separated, newline-terminated, \\N for NULL).

	Returns (text, row count). Values are written as they are; only if some value holds a tab, newline
	or backslash (checked once over the whole chunk) is the chunk rebuilt with every value escaped.
	"""
	rows = rows if isinstance(rows, list) else list(rows)
	if not rows:
		return b"", 0
	nulls = 0
	lines = []
	for row in rows:
		nulls += row.count(None)
		lines.append("\t".join([value if value.__class__ is str else _text(value) for value in row]))
	lines.append("")
	text = "\n".join(lines)
	columns = len(rows[0])
	clean = (
		text.count("\t") == len(rows) * (columns - 1)
		and text.count("\n") == len(rows)
		and text.count("\\") == nulls
	)
	if not clean:
		text = "".join("\t".join([_escaped(value) for value in row]) + "\n" for row in rows)
	return text.encode(), len(rows)
