"""Deterministic demo rows: realistic-looking CRM data generated without touching a database.

The Frappe shell writes these rows with bulk loads, so the same seed always yields the same site. Rows are
cheap to make (a million in a few seconds): one random stream per block of BLOCK rows, table lookups
instead of weighted draws, and `tsv_chunk` turns them into the text MariaDB's LOAD DATA reads.

A flavour gives the data a country: `en` (the default) is an international mix in English; `ru`, `uk` and
`pl` are people, organisations, cities and mobile numbers of Russia, Ukraine and Poland (names in
Cyrillic or with Polish letters, surnames in the form of the person's gender, numbers in E.164 as the app
stores them), each record's country set to that country.
"""

import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
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


# -- flavours ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flavour:
	"""The people, organisations, places and words of one country's demo data."""

	code: str
	country: str  # ISO 3166 code of every record's country
	female_first: tuple[str, ...]
	male_first: tuple[str, ...]
	last_names: tuple[tuple[str, str], ...]  # (man's form, woman's form)
	org_words: tuple[str, ...]
	org_tails: tuple[tuple[str, str], ...]  # (suffix joined to the word, legal form "ООО «{0}»"), weighted
	cities: tuple[tuple[str, str], ...]  # (city, demo territory)
	mobile_prefixes: tuple[str, ...]  # "+7915": E.164 up to the subscriber number
	subscriber_digits: int
	letters: dict[str, str]  # transliteration to ASCII (e-mail addresses); "_я": я after a letter
	streets: tuple[str, ...]  # "ul. Polna {0}": {0} is the house number
	postcode: Callable[[random.Random], str]
	campaigns: tuple[str, ...]
	issue_subjects: tuple[str, ...]
	call_summaries: tuple[str, ...]
	meeting_subject: str


def _surnames(men: str, rules: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
	"""(man's, woman's) forms of each surname: the first rule whose ending matches makes the woman's form
	(("ский", "ская"): Жуковский, Жуковская); a surname no rule matches is the same for both."""
	pairs = []
	for man in men.split():
		woman = man
		for ending, feminine in rules:
			if man.endswith(ending):
				woman = man[: len(man) - len(ending)] + feminine
				break
		pairs.append((man, woman))
	return tuple(pairs)


def _tails(suffixes: str, forms: Sequence[tuple[str, int]]) -> tuple[tuple[str, str], ...]:
	"""Every (suffix, legal form) pair, each form as often as its weight: one draw picks both."""
	return tuple(
		(suffix, form) for suffix in ("", *suffixes.split()) for form, weight in forms for _ in range(weight)
	)


_RU_LETTERS = dict(
	zip(
		"абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
		"a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya".split(),
		strict=True,
	)
)
_UK_LETTERS = dict(
	zip(
		"абвгґдеєжзиіїйклмнопрстуфхцчшщьюя'’",
		"a b v h g d e ye zh z y i yi y k l m n o p r s t u f kh ts ch sh shch - yu ya - -".split(),
		strict=True,
	)
)
# Ukrainian: the official transliteration (2010): є ї й ю я read ye yi y yu ya at the start of a word and
# ie i i iu ia after a letter (Андрій → andrii, Зоряна → zoriana).
_UK_LETTERS.update({"_є": "ie", "_ї": "i", "_й": "i", "_ю": "iu", "_я": "ia"})
_PL_LETTERS = dict(zip("ąćęłńóśźż", "acelnoszz", strict=True))

FLAVOURS: dict[str, Flavour] = {
	"ru": Flavour(
		code="ru",
		country="RU",
		female_first=tuple(
			"Анна Мария Елена Ольга Наталья Татьяна Ирина Екатерина Светлана Юлия Анастасия Дарья Ксения "
			"Марина Виктория Алина Полина Евгения Людмила Софья".split()
		),
		male_first=tuple(
			"Александр Дмитрий Сергей Андрей Алексей Максим Иван Михаил Николай Евгений Владимир Артём Павел "
			"Роман Игорь Олег Денис Кирилл Никита Константин".split()
		),
		last_names=_surnames(
			"Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов Волков "
			"Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров Никитин "
			"Захаров Зайцев Соловьёв Борисов Яковлев Григорьев Романов Белов Жуковский Островский Толстой "
			"Черных Седых",
			(("ов", "ова"), ("ев", "ева"), ("ёв", "ёва"), ("ин", "ина"), ("ский", "ская"), ("ой", "ая")),
		),
		org_words=tuple(
			"Вектор Гранит Меридиан Альтаир Орион Атлант Кедр Рубин Феникс Сокол Авангард Прогресс Радуга "
			"Янтарь Север Восток Ладога Енисей Байкал Алтай Волга Урал".split()
		),
		org_tails=_tails(
			"Логистик Трейд Строй Агро Медика Инвест Софт Пром Текстиль Снаб Энерго",
			(("ООО «{0}»", 6), ("АО «{0}»", 2), ("ПАО «{0}»", 1), ("ГК «{0}»", 1)),
		),
		cities=(
			("Москва", "Europe"),
			("Санкт-Петербург", "Europe"),
			("Казань", "Europe"),
			("Нижний Новгород", "Europe"),
			("Самара", "Europe"),
			("Ростов-на-Дону", "Europe"),
			("Краснодар", "Europe"),
			("Воронеж", "Europe"),
			("Екатеринбург", "Asia"),
			("Новосибирск", "Asia"),
			("Красноярск", "Asia"),
			("Омск", "Asia"),
		),
		mobile_prefixes=tuple(
			f"+7{code}"
			for code in "903 905 906 909 912 913 915 916 917 919 921 925 926 929 977 985 999".split()
		),
		subscriber_digits=7,
		letters=_RU_LETTERS,
		streets=(
			"ул. Садовая, д. {0}",
			"ул. Центральная, д. {0}",
			"ул. Лесная, д. {0}",
			"ул. Школьная, д. {0}",
			"пр. Мира, д. {0}",
			"ул. Гагарина, д. {0}",
			"ул. Пушкина, д. {0}",
			"наб. Речная, д. {0}",
		),
		postcode=lambda rng: f"{rng.randint(101000, 692999)}",
		campaigns=("Весенний вебинар", "Выставка в Москве", "Рассылка, III квартал", "Партнёрская программа"),
		issue_subjects=(
			"Не могу войти в систему",
			"Неверная сумма в счёте",
			"Как выгрузить данные?",
			"Задержка доставки",
			"Пожелание: тёмная тема",
		),
		call_summaries=("Знакомство и потребности", "Вопросы по цене", "Обсуждение после демонстрации"),
		meeting_subject="Демонстрация продукта",
	),
	"uk": Flavour(
		code="uk",
		country="UA",
		female_first=tuple(
			"Олена Оксана Наталія Ірина Тетяна Юлія Марія Анна Катерина Світлана Людмила Ганна Вікторія Софія "
			"Дарина Христина Галина Ольга Надія Зоряна".split()
		),
		male_first=tuple(
			"Олександр Андрій Сергій Дмитро Іван Михайло Володимир Олег Юрій Василь Богдан Тарас Микола Петро "
			"Максим Ярослав Віталій Роман Степан Остап".split()
		),
		last_names=_surnames(
			"Шевченко Коваленко Бондаренко Ткаченко Кравченко Олійник Шевчук Коваль Поліщук Бойко Ткачук "
			"Мельник Лисенко Савченко Руденко Мороз Марченко Гнатюк Кравчук Козак Павленко Литвиненко Петренко "
			"Кушнір Романюк Ковальчук Клименко Гончаренко Демченко Левченко Мазур Яковенко Ковальський "
			"Вишневський Зарицький Білий",
			(("ський", "ська"), ("цький", "цька"), ("ий", "а")),
		),
		org_words=tuple(
			"Світанок Карпати Поділля Левада Явір Лелека Оберіг Злагода Соняшник Калина Смерека Галичина "
			"Полісся Каштан Буковина Таврія Говерла Стожари".split()
		),
		org_tails=_tails(
			"Агро Трейд Буд Логістик Текстиль Фарм Софт Продукт Інвест Енерго Пром",
			(("ТОВ «{0}»", 6), ("ПрАТ «{0}»", 2), ("ПП «{0}»", 2)),
		),
		cities=(
			("Київ", "Europe"),
			("Харків", "Europe"),
			("Одеса", "Europe"),
			("Дніпро", "Europe"),
			("Львів", "Europe"),
			("Запоріжжя", "Europe"),
			("Вінниця", "Europe"),
			("Полтава", "Europe"),
			("Чернігів", "Europe"),
			("Івано-Франківськ", "Europe"),
		),
		mobile_prefixes=tuple(f"+380{code}" for code in "50 66 95 99 67 68 96 97 98 63 73 93".split()),
		subscriber_digits=7,
		letters=_UK_LETTERS,
		streets=(
			"вул. Шевченка, {0}",
			"вул. Лесі Українки, {0}",
			"вул. Івана Франка, {0}",
			"вул. Грушевського, {0}",
			"вул. Садова, {0}",
			"просп. Перемоги, {0}",
			"вул. Соборна, {0}",
			"вул. Городоцька, {0}",
		),
		postcode=lambda rng: f"{rng.randint(1001, 99999):05d}",
		campaigns=("Весняний вебінар", "Виставка у Києві", "Розсилка, III квартал", "Партнерська програма"),
		issue_subjects=(
			"Не можу увійти в систему",
			"Неправильна сума в рахунку",
			"Як вивантажити дані?",
			"Затримка доставки",
			"Побажання: темна тема",
		),
		call_summaries=("Знайомство й потреби", "Питання щодо ціни", "Обговорення після демонстрації"),
		meeting_subject="Демонстрація продукту",
	),
	"pl": Flavour(
		code="pl",
		country="PL",
		female_first=tuple(
			"Anna Katarzyna Maria Małgorzata Agnieszka Barbara Ewa Krystyna Magdalena Joanna Aleksandra Monika "
			"Zofia Natalia Karolina Marta Beata Dorota Justyna Paulina".split()
		),
		male_first=tuple(
			"Piotr Krzysztof Andrzej Tomasz Paweł Michał Marcin Jakub Adam Łukasz Mateusz Grzegorz Wojciech "
			"Marek Kamil Bartłomiej Dariusz Jacek Szymon Rafał".split()
		),
		last_names=_surnames(
			"Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Woźniak "
			"Dąbrowski Kozłowski Jankowski Mazur Wojciechowski Kwiatkowski Krawczyk Kaczmarek Piotrowski "
			"Grabowski Zając Pawłowski Michalski Król Wieczorek Jabłoński Wróbel Nowicki Zawadzki Stępień "
			"Górecki Sikora",
			(("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")),
		),
		org_words=tuple(
			"Bałtyk Wisła Tatry Mazowsze Jantar Sokół Orzeł Wektor Horyzont Polana Warta Sudety Kaszuby "
			"Pomorze Zefir Dąb Żuraw Śnieżka".split()
		),
		org_tails=_tails(
			"Logistyka Handel Systemy Budownictwo Tekstylia Farmacja Technologie Żywność Meble Energia Serwis",
			(("{0} Sp. z o.o.", 6), ("{0} S.A.", 2), ("{0} sp.j.", 1), ("{0} sp.k.", 1)),
		),
		cities=(
			("Warszawa", "Europe"),
			("Kraków", "Europe"),
			("Łódź", "Europe"),
			("Wrocław", "Europe"),
			("Poznań", "Europe"),
			("Gdańsk", "Europe"),
			("Szczecin", "Europe"),
			("Lublin", "Europe"),
			("Katowice", "Europe"),
			("Białystok", "Europe"),
		),
		mobile_prefixes=tuple(
			f"+48{code}"
			for code in "500 501 502 505 510 512 530 600 601 602 603 660 661 690 691 720 730 790 880".split()
		),
		subscriber_digits=6,
		letters=_PL_LETTERS,
		streets=(
			"ul. Mickiewicza {0}",
			"ul. Słowackiego {0}",
			"ul. Kościuszki {0}",
			"ul. Piłsudskiego {0}",
			"ul. Długa {0}",
			"ul. Polna {0}",
			"al. Jana Pawła II {0}",
			"ul. Kwiatowa {0}",
		),
		postcode=lambda rng: f"{rng.randint(0, 99):02d}-{rng.randint(0, 999):03d}",
		campaigns=("Wiosenny webinar", "Targi w Poznaniu", "Newsletter, III kwartał", "Program partnerski"),
		issue_subjects=(
			"Nie mogę się zalogować",
			"Błędna kwota na fakturze",
			"Jak wyeksportować dane?",
			"Opóźniona dostawa",
			"Prośba: ciemny motyw",
		),
		call_summaries=("Rozmowa wstępna", "Pytania o cenę", "Rozmowa po prezentacji"),
		meeting_subject="Prezentacja produktu",
	),
}
FLAVOUR_CODES = ("en", *FLAVOURS)


def get_flavour(code: str | None) -> Flavour | None:
	"""The flavour of `code`; None for "en" (or none), the international English data."""
	if code in (None, "", "en"):
		return None
	if code not in FLAVOURS:
		raise ValueError(f"unknown demo flavour {code!r}: one of {', '.join(FLAVOUR_CODES)}")
	return FLAVOURS[code]


def ascii_name(text: str, letters: dict[str, str]) -> str:
	"""`text` in lower-case ASCII letters for an e-mail address ("Щербина" → "shcherbyna"). A letter
	may read otherwise after a letter than at the start of a word ("_ю": Юрій → yurii, not yuriyu)."""
	out, previous = [], ""
	for char in text.lower():
		latin = (previous.isalpha() and letters.get("_" + char)) or letters.get(char, char)
		out.append("" if latin == "-" else latin)
		previous = char
	return "".join(c for c in "".join(out) if c.isascii() and c.isalnum())


def flavour_phone(index: int, flavour: Flavour) -> str:
	"""A valid mobile number of the flavour's country in E.164, unique per index (for at least the first
	10^digits indexes): the index picks the operator's prefix and, through a bijection of 0..10^digits-1,
	a subscriber number that does not look like a counter."""
	prefixes, digits = flavour.mobile_prefixes, flavour.subscriber_digits
	subscriber = (index * 7_368_787 + 4_205_913) % 10**digits  # 7368787 is prime to 10: a bijection
	return f"{prefixes[index % len(prefixes)]}{subscriber:0{digits}d}"


def demo_address(flavour: Flavour, key: str, city: str) -> dict:
	"""An office address in `city` of the flavour's country, the same for the same `key`."""
	rng = random.Random(f"address {key}")
	return {
		"address_line1": flavour.streets[rng.randrange(len(flavour.streets))].format(rng.randint(1, 120)),
		"city": city,
		"pincode": flavour.postcode(rng),
	}


BLOCK = 1024  # rows per random stream: row i's values depend only on (seed, i), at block granularity
MINUTES_BACK = 60 * 24 * 540  # leads were created within the last 540 days...
MINUTES_EDITED = 600  # ...and last changed up to 10 hours later, never in the future
INTEREST_PAIRS = tuple(", ".join(pair) for pair in combinations(sorted(INTERESTS), 2))


def weighted_table(weights: Sequence[tuple[str, int]]) -> tuple[str, ...]:
	"""One slot per unit of weight: a uniform pick from the table is a weighted pick."""
	return tuple(value for value, weight in weights for _ in range(weight))


def lead_rows(
	start: int, count: int, masters: DemoMasters, *, now: datetime, seed: int = 42, flavour: str = "en"
) -> Iterator[tuple]:
	"""Yield `count` lead rows in LEAD_FIELDS order, numbered from `start` (1-based), of the flavour's
	country (FLAVOURS; "en": the international mix).

	Row i is the same whichever range it is asked in: each block of BLOCK rows has its own random stream
	and every row draws the same number of values from it (the same for every flavour).
	"""
	local = get_flavour(flavour)
	statuses = weighted_table(LEAD_STATUS_WEIGHTS)
	owners, sources, territories = list(masters.owners), list(masters.sources), list(masters.territories)
	industries, campaigns = list(masters.industries), list(masters.campaigns)
	if local is None:
		firsts = [(name, name.lower()) for name in FIRST_NAMES]
		lasts = [(name, name.lower()) for name in LAST_NAMES]
		cities = [(city, masters.countries.get(code), phone_format(code), None) for code, city in CITIES]
	else:
		ascii_of = {
			name: ascii_name(name, local.letters) for name in (*local.female_first, *local.male_first)
		}
		ascii_of.update((name, ascii_name(name, local.letters)) for pair in local.last_names for name in pair)
		female_firsts = [(name, ascii_of[name]) for name in local.female_first]
		male_firsts = [(name, ascii_of[name]) for name in local.male_first]
		female_lasts = [(woman, ascii_of[woman]) for _man, woman in local.last_names]
		male_lasts = [(man, ascii_of[man]) for man, _woman in local.last_names]
		country_name = masters.countries.get(local.country)
		phone = partial(flavour_phone, flavour=local)
		cities = [
			(city, country_name, phone, territory if territory in territories else None)
			for city, territory in local.cities
		]
		join = " " if "{0} " in local.org_tails[0][1] else "-"  # "Bałtyk Logistyka", "Вектор-Логистик"
		org_words, org_tails = local.org_words, local.org_tails
	minute = timedelta(minutes=1)
	stop = start + count
	block = (start - 1) // BLOCK
	while block * BLOCK + 1 < stop:
		first_index = block * BLOCK + 1
		r = random.Random(seed * 1_000_003 + block).random
		for index in range(first_index, min(first_index + BLOCK, stop)):
			first_roll, last_roll, word_roll, tail_roll = r(), r(), r(), r()
			city, country, phone, city_territory = cities[int(r() * len(cities))]
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
			gender_roll = r()
			age_band = AGE_BANDS[int(r() * len(AGE_BANDS))]
			income_band = INCOME_BANDS[int(r() * len(INCOME_BANDS))]
			interests = INTEREST_PAIRS[int(r() * len(INTEREST_PAIRS))]
			opt_out = int(r() < 0.05)
			if index < start:
				continue  # drawn anyway, so that the rows after it are the same
			if local is None:
				first, first_lower = firsts[int(first_roll * len(firsts))]
				last, last_lower = lasts[int(last_roll * len(lasts))]
				org = f"{ORG_WORDS[int(word_roll * len(ORG_WORDS))]} {ORG_SUFFIXES[int(tail_roll * len(ORG_SUFFIXES))]}"
				gender = GENDERS[int(gender_roll * len(GENDERS))]
			else:
				female = gender_roll < 0.5
				gender = "Female" if female else "Male"
				names = female_firsts if female else male_firsts
				first, first_lower = names[int(first_roll * len(names))]
				surnames = female_lasts if female else male_lasts
				last, last_lower = surnames[int(last_roll * len(surnames))]
				word = org_words[int(word_roll * len(org_words))]
				suffix, form = org_tails[int(tail_roll * len(org_tails))]
				org = form.format(f"{word}{join}{suffix}" if suffix else word)
				territory = city_territory or territory
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
