"""Deterministic demo rows: realistic-looking CRM data generated without touching a database.

The Frappe shell writes these rows with bulk inserts, so the same seed always yields the same site.
"""

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

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


def demo_phone(index: int, country_code: str) -> str:
	"""A valid, unassigned-range mobile number per country, unique per index within that country."""
	suffix = index % 1000
	return {
		"GB": f"+447400{index % 1_000_000:06d}",
		"DE": f"+49151{index % 10_000_000:07d}0",
		"IN": f"+9198{index % 100_000_000:08d}",
		"US": f"+1202555{100 + suffix % 100:04d}",
		"FR": f"+336{index % 100_000_000:08d}",
		"AE": f"+97150{index % 10_000_000:07d}",
	}.get(country_code, f"+447400{index % 1_000_000:06d}")


def lead_rows(
	start: int, count: int, masters: DemoMasters, *, now: datetime, seed: int = 42
) -> Iterator[tuple]:
	"""Yield `count` lead rows in LEAD_FIELDS order, numbered from `start` (1-based)."""
	statuses = [status for status, _ in LEAD_STATUS_WEIGHTS]
	weights = [weight for _, weight in LEAD_STATUS_WEIGHTS]
	for index in range(start, start + count):
		rng = random.Random(seed * 1_000_003 + index)
		first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
		org = f"{rng.choice(ORG_WORDS)} {rng.choice(ORG_SUFFIXES)}"
		country_code, city = rng.choice(CITIES)
		created = now - timedelta(minutes=rng.randint(0, 60 * 24 * 540))
		owner = rng.choice(masters.owners)
		yield (
			demo_lead_name(index),
			"CX-LEAD-.YYYY.-",
			first,
			last,
			f"{first} {last}",
			org,
			f"{first}.{last}.{index}@example.com".lower(),
			demo_phone(index, country_code),
			rng.choices(statuses, weights)[0],
			rng.choice(masters.sources),
			owner,
			rng.choice(masters.territories),
			rng.choice(masters.industries),
			rng.choice(masters.campaigns) if masters.campaigns and rng.random() < 0.3 else None,
			masters.countries.get(country_code),
			city,
			rng.choice(GENDERS),
			rng.choice(AGE_BANDS),
			rng.choice(INCOME_BANDS),
			", ".join(sorted(rng.sample(INTERESTS, 2))),
			0,
			int(rng.random() < 0.05),
			created,
			created + timedelta(minutes=rng.randint(0, 600)),
			owner,
			owner,
			0,
			0,
		)
