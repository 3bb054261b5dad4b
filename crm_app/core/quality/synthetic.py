"""Synthetic CRM contacts with injected duplicates, for measuring duplicate detection.

`generate(count)` returns `count` contact records of people in Ukraine, Russia, Poland, the UK and the
US, written the way CRM users type them: Cyrillic or Latin names, phones in many formats, companies with
or without their legal form. About `duplicate_share` of the records are altered copies of another record
of the same person (`entity`); `mutations` says how each copy was altered:

- "typo": one edit (adjacent swap, deletion, insertion, keyboard-neighbour substitution) in the first or
  last name, or in the email's local part;
- "translit": a Cyrillic name (and sometimes the company and city) written in Latin by one of several
  schemes (Ukrainian national 2010, Russian passport/ICAO, BGN/PCGN, an informal one, a Polish-style
  one), or a Latin name written in Cyrillic (Polish names also lose their diacritics);
- "phone_format": the same number written another way;
- "email_format": case changes, gmail dots and +tags, gmail.com <-> googlemail.com;
- "swap": first and last name swapped;
- "missing": one or two of email, phone, company, city emptied (one of email and phone always stays);
- "company_form": the legal form added, removed or written differently, quotes changed.

The transliteration tables are this module's own on purpose: a detector under test may use Unidecode,
and test data made by the same tool would measure nothing. Plain Python, standard library only.
"""

import gc
import random
import re
from dataclasses import dataclass
from itertools import combinations

MUTATIONS = ("typo", "translit", "phone_format", "email_format", "swap", "missing", "company_form")


@dataclass(slots=True)
class SyntheticContact:
	id: str  # unique, "C0000001"
	entity: int  # ground truth: the records of one real person share it
	first_name: str
	last_name: str
	email: str  # may be ""
	phone: str  # may be "", free-form as a user typed it
	company: str  # may be ""
	city: str  # may be ""
	mutations: tuple[str, ...]  # how this record was made from its entity's original; () for originals
	country: str = ""  # the person's country (ISO 3166 alpha-2), ground truth like `entity`


def generate(count: int, *, duplicate_share: float = 0.2, seed: int = 0) -> list[SyntheticContact]:
	"""`count` records, about `duplicate_share` of them duplicates, shuffled; the same seed gives the same list.

	Every person (entity) has one original and 0 to 3 duplicates; `duplicate_share` is at most 0.75.
	"""
	if count < 0:
		raise ValueError("count must not be negative")
	if not 0 <= duplicate_share <= 0.75:
		raise ValueError("duplicate_share must be between 0 and 0.75 (at most three duplicates a person)")
	rng = random.Random(seed)
	dup_counts = _plan(count, duplicate_share, rng)
	maker = _Maker(rng)
	records = []
	append = records.append
	person = maker.person
	duplicate = maker.duplicate
	collecting = gc.isenabled()
	gc.disable()  # a million new objects without a cycle among them: collections would only rescan them
	try:
		for entity, dups in enumerate(dup_counts, 1):
			original = person()
			append(original.record(entity))
			for _ in range(dups):
				append(duplicate(original, entity))
	finally:
		if collecting:
			gc.enable()
	rng.shuffle(records)
	width = max(7, len(str(count)))
	for number, record in enumerate(records, 1):
		record.id = f"C{number:0{width}d}"
	return records


def true_pairs(records) -> set[tuple[str, str]]:
	"""Every unordered pair of ids (sorted within the pair) of records that share an entity."""
	groups: dict[int, list[str]] = {}
	for record in records:
		groups.setdefault(record.entity, []).append(record.id)
	pairs: set[tuple[str, str]] = set()
	for ids in groups.values():
		if len(ids) > 1:
			ids.sort()
			pairs.update(combinations(ids, 2))
	return pairs


def _plan(count: int, share: float, rng: random.Random) -> list[int]:
	"""How many duplicates each entity gets: exactly `count` records, at most 3 duplicates an entity."""
	if count == 0:
		return []
	min_entities = -(-count // 4)
	dups = min(round(count * share), count - min_entities)
	entities = count - dups
	counts = []
	left = dups
	rand = rng.random
	while left > 0:
		x = rand()
		k = 1 if x < 0.7 else 2 if x < 0.9 else 3
		k = min(k, left)
		counts.append(k)
		left -= k
	if len(counts) > entities:  # a high share: spread evenly instead
		base, extra = divmod(dups, entities)
		counts = [base + 1] * extra + [base] * (entities - extra)
	else:
		counts.extend([0] * (entities - len(counts)))
	rng.shuffle(counts)
	return counts


def _unique(items) -> list:
	return list(dict.fromkeys(items))


def _weighted(pairs) -> list:
	"""A list in which each item appears `weight` times, to pick from with one random index."""
	return [item for item, weight in pairs for _ in range(weight)]


def _weights(spec: str) -> list[str]:
	"""_weighted from "Київ:6 Біла~Церква ...": the weight is 1 when not given, "~" stands for a space."""
	pairs = []
	for item in spec.split():
		name, _, weight = item.partition(":")
		pairs.append((name.replace("~", " "), int(weight or 1)))
	return _weighted(pairs)


# ---------------------------------------------------------------------------------------------------------
# Names

_UK_MALE = """Олександр Андрій Сергій Дмитро Юрій Іван Михайло Володимир Олег Тарас Богдан Василь Григорій
Петро Микола Віктор Максим Артем Євген Роман Ярослав Віталій Степан Остап Назар Ігор Павло Анатолій Леонід
Валерій Костянтин Денис Владислав Станіслав Орест Тимофій Кирило Матвій Данило Ілля Вадим Руслан Святослав
Всеволод Федір Антон Борис Олексій Мирослав Зіновій Любомир Ростислав Гліб Єгор Захар""".split()
_UK_FEMALE = """Юлія Олена Ольга Наталія Тетяна Ірина Оксана Світлана Марія Анна Катерина Людмила Галина
Вікторія Надія Любов Софія Анастасія Дарина Христина Ганна Лариса Валентина Зоряна Соломія Мирослава Богдана
Яна Інна Алла Віра Леся Уляна Євгенія Лілія Аліна Вероніка Діана Марина Мар'яна Олеся Роксолана Ярослава
Василина Стефанія Таїсія Злата Поліна Єлизавета Орися""".split()
_RU_MALE = """Александр Алексей Андрей Сергей Дмитрий Юрий Иван Михаил Владимир Олег Николай Павел Пётр
Виктор Максим Артём Евгений Роман Игорь Константин Денис Владислав Станислав Кирилл Матвей Даниил Илья Вадим
Руслан Фёдор Антон Борис Геннадий Григорий Василий Леонид Валерий Анатолий Тимур Егор Никита Георгий Аркадий
Эдуард Ярослав Степан Семён Святослав Глеб Лев Вячеслав Виталий Всеволод Тимофей""".split()
_RU_FEMALE = """Юлия Елена Ольга Наталья Татьяна Ирина Светлана Мария Анна Екатерина Людмила Галина Виктория
Надежда Любовь София Анастасия Дарья Ксения Полина Алёна Лариса Валентина Вера Евгения Марина Алина Вероника
Диана Кристина Елизавета Александра Яна Инна Алла Жанна Зоя Нина Тамара Раиса Маргарита Варвара Василиса
Ульяна Милана Эльвира Олеся Софья Валерия Арина""".split()
_PL_MALE = """Grzegorz Piotr Krzysztof Andrzej Tomasz Paweł Michał Marcin Jakub Łukasz Mateusz Adam Marek
Wojciech Kamil Maciej Szymon Dariusz Rafał Jan Stanisław Mariusz Sebastian Bartosz Przemysław Zbigniew Jerzy
Tadeusz Jacek Artur Robert Dawid Damian Kacper Filip Wiktor Mikołaj Henryk Ryszard Zdzisław Sławomir Bogdan
Józef Kazimierz Leszek Waldemar Witold Hubert Oskar Igor Janusz Wiesław""".split()
_PL_FEMALE = """Anna Maria Katarzyna Małgorzata Agnieszka Barbara Ewa Krystyna Magdalena Elżbieta Joanna
Aleksandra Monika Zofia Teresa Danuta Natalia Julia Karolina Marta Beata Dorota Halina Jadwiga Janina Alicja
Justyna Paulina Weronika Agata Iwona Grażyna Bożena Urszula Renata Sylwia Wiktoria Zuzanna Oliwia Emilia
Kinga Izabela Ewelina Patrycja Edyta Wiesława Lucyna Stanisława Hanna Maja""".split()
_EN_MALE = """James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew
Anthony Mark Steven Paul Andrew Joshua Kevin Brian George Edward Ryan Jacob Gary Nicholas Eric Jonathan
Stephen Peter Oliver Harry Jack Samuel Benjamin Henry Alexander Liam Noah Ethan Lucas Nathan Adam Simon
Graham Ian Neil Colin Patrick""".split()
_EN_FEMALE = """Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Emily Emma
Olivia Amelia Sophie Charlotte Grace Hannah Lucy Chloe Rebecca Laura Rachel Helen Claire Victoria Megan Amy
Ashley Michelle Kimberly Amanda Melissa Stephanie Nicole Samantha Katherine Julia""".split()

# English first names in Cyrillic, the Russian way (the Ukrainian way is derived by _ru_to_uk_foreign).
_EN_FIRST_CYR = dict(
	pair.split("=")
	for pair in """James=Джеймс John=Джон Robert=Роберт Michael=Майкл William=Уильям David=Дэвид Richard=Ричард
Joseph=Джозеф Thomas=Томас Charles=Чарльз Christopher=Кристофер Daniel=Дэниел Matthew=Мэттью Anthony=Энтони
Mark=Марк Steven=Стивен Paul=Пол Andrew=Эндрю Joshua=Джошуа Kevin=Кевин Brian=Брайан George=Джордж
Edward=Эдвард Ryan=Райан Jacob=Джейкоб Gary=Гэри Nicholas=Николас Eric=Эрик Jonathan=Джонатан Stephen=Стивен
Peter=Питер Oliver=Оливер Harry=Гарри Jack=Джек Samuel=Сэмюэл Benjamin=Бенджамин Henry=Генри
Alexander=Александер Liam=Лиам Noah=Ноа Ethan=Итан Lucas=Лукас Nathan=Нейтан Adam=Адам Simon=Саймон
Graham=Грэм Ian=Иэн Neil=Нил Colin=Колин Patrick=Патрик Mary=Мэри Patricia=Патриция Jennifer=Дженнифер
Linda=Линда Elizabeth=Элизабет Barbara=Барбара Susan=Сьюзан Jessica=Джессика Sarah=Сара Karen=Карен Lisa=Лиза
Nancy=Нэнси Emily=Эмили Emma=Эмма Olivia=Оливия Amelia=Амелия Sophie=Софи Charlotte=Шарлотта Grace=Грейс
Hannah=Ханна Lucy=Люси Chloe=Хлоя Rebecca=Ребекка Laura=Лора Rachel=Рэйчел Helen=Хелен Claire=Клэр
Victoria=Виктория Megan=Меган Amy=Эми Ashley=Эшли Michelle=Мишель Kimberly=Кимберли Amanda=Аманда
Melissa=Мелисса Stephanie=Стефани Nicole=Николь Samantha=Саманта Katherine=Кэтрин Julia=Джулия""".split()
)

_UK_SURNAMES = """Мельник Бойко Кравець Олійник Лисенко Руденко Мороз Поліщук Коваль Бондар Гнатюк Кучер Білик
Гуменюк Волошин Дячук Кулик Лозинський Пономаренко Сорока Дяченко Вовк Гуцул Гребенюк Стасюк Приходько
Коломієць Осадчий Гайдай Процик Дзюба Стельмах Гаврилюк Щербак Головко Ковальчук Шевчук Литвин Мазур Ткачук
Карпенко Савчук Іваницький Дорошенко Костенко Кириленко Яременко Вакуленко Грищенко Остапенко Кузьмич Чорновол
Білоус Зозуля Крутько Шаповал Шинкаренко Рибак Ярмолюк Панченко""".split()
_UK_STEMS = """Бондар Шевч Кравч Ткач Петр Павл Іван Гриц Мирон Сидор Гончар Кушнір Дорош Данил Остап Юрч Семен
Мартин Тимош Кирил Максим Левч Мороз Савч Гнат Стець Коваль Литвин Марч Руд Харч Клим Панас Пилип Лук Мазур
Кузьм Василь Зінч Тарас Федор Гаврил Яким Прокоп Степан Онищ Ярош Бойч Карп Кост Лев Лис Муз Нагорн Рибач
Сав Сем Тищ Хом Чорн Ющ Якуб Антон Борис Дем Зах Корн Луц Назар Ничипор Потап Роман Ус Фом Шаповал Шинкар
Грищ Юхим Мельнич Оліфір Вакул Гуменч Максимч Олекс Гордій Дмитр Оверч Радч Сенч Бабич Кравц""".split()
_UK_STEMS += """Абрам Адам Бал Бар Біл Бур Вакар Ван Вас Вер Вишн Вол Ворон Гай Гал Гарас Гер Гладк Глух Гол
Горб Граб Гуз Гук Гул Дац Див Дід Дуб Дуд Жур Зал Зар Заруб Зуб Іл Кал Кап Кар Кас Кир Коз Кол Кон Корол Кос Кот
Крил Кук Кул Кур Лаз Лан Ліс Лог Лоз Луг Мак Мал Мат Мед Мик Мир Мох Над Нес Нік Пан Пас Пах Пер Пис Пол Поп
Пуз Рад Рак Рев Рож Руб Рус Сал Сер Сид Сил Сир Сок Сол Сом Сор Тал Тар Тер Тим Тит Тол Трох Тур Фед Філ Хар
Хвед Цап Чаб Чер Чуб Шаб Шам Шап Шев Шум Щур Юз Яв Яр Ясн Бак Бер Бон Вар Вел Віт Дан Дер Дор Жил Зін Кав
Люб Ман Мар Мух Нем Охр Пет Рос Сух Фил Цвіт Шост Юр Якім""".split()
# Cossack-style compounds: Білоус, Кривоніс, Чорногуз.
_UK_COMPOUNDS = [
	a + b
	for a in "Біло Чорно Криво Довго Сиво Рудо Добро Коротко Гладко Нечи".split()
	for b in "ус вус ніс вол кінь гуз бород губ".split()
]
_UK_SUFFIXES = _weights("енко:6 чук:3 ук:3 ишин ів ський:2 ич ак ець")
_RU_SURNAMES = """Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов Волков Алексеев
Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров Никитин Захаров Зайцев Соловьёв
Борисов Яковлев Григорьев Романов Воробьёв Сергеев Кузьмин Фролов Александров Дмитриев Королёв Гусев Киселёв
Ильин Максимов Поляков Сорокин Виноградов Ковалёв Белов Медведев Антонов Тарасов Жуков Баранов Филиппов
Комаров Давыдов Беляев Герасимов Богданов Осипов Сидоров Матвеев Титов Марков Миронов Крылов Куликов Карпов
Власов Мельников Денисов Гаврилов Тихонов Казаков Афанасьев Данилов Савельев Тимофеев Фомин Чернов Абрамов
Мартынов Ефимов Федотов Щербаков Назаров Калинин Исаев Чернышёв Быков Маслов Родионов Коновалов Лазарев
Воронин Климов Филатов Пономарёв Голубев Кудрявцев Прохоров Наумов Потапов Журавлёв Овчинников Трофимов
Леонов Соболев Ермаков Колесников Гончаров Емельянов Никифоров Грачёв Котов Гришин Ефремов Архипов Громов
Кириллов Малышев Панов Моисеев Румянцев Акимов Кондратьев Бирюков Горбунов Анисимов Ерёмин Тихомиров Галкин
Лукьянов Михеев Скворцов Юдин Белоусов Нестеров Симонов Прокофьев Харитонов Князев Цветков Левин Митрофанов
Воронов Аксёнов Мальцев Логинов Горшков Савин Краснов Майоров Демидов Елисеев Рыбаков Сафонов Плотников
Дёмин Хохлов Жданов Руднев Островский Добрынин Вишневский Белинский Черных Седых Толстой Трубецкой Долгих""".split()
# "+" asks for -ев where the stem alone would take -ов.
_RU_STEMS = """Иван Петр Смирн Кузнец Сокол Лебед+ Козл Новик Мороз Волк Павл Семен Голуб+ Виноград Богдан
Ворон Федор Михайл Андре Алексе Никола Егор Степан Яковл+ Орл Макар Захар Тимофе Серге Григорь Василь Дмитри
Медвед+ Зуб Котл Баран Кабан Грач Чиж Ёж Сом Щеглов Пугач Кулик Журавл+ Дроздов Соболь Бобр Лис Рябин Калин
Малин Черемис Дубин Кедр Вяз Берез Осин Клен Горох Репин Луков Капуст Морков Пирог Блин Калач Сухар Квас
Медов Сахар Сол Перц Уксус Горчак Масл Мылов Свеч Кузьм Дем Тит Фом Лук Карп Сидор Прохор Кондрат Ерем
Потап Евдоким Назар Мирон Трофим Аким Анисим Архип Гаврил""".split()

_RU_STEMS += """Абрам Агап Алфер Баб Бар Бел Бер Бог Бор Буб Бул Вар Вас Вел Вер Вол Вор Гал Гор Гус Дав Дан
Дер Доб Дор Дуб Жар Жил Зим Зор Кал Кар Кир Клим Ком Кор Кос Крас Кур Лав Лар Мал Мар Мас Мел Мих Мор Нас Ник
Нов Пан Пас Пет Пол Пров Рад Род Сав Сел Сер Скор Сол Стар Суд Тар Тих Тол Фил Хар Хол Чер Шар Шеп Шил Юр Яр
Абросим Аверь Анфил Бажен Булат Вавил Голов Гурь Демь Ерш Жуков Забол Исак Каш Кисл Коробк Кудр Лапш Лыс
Мамонт Мух Нефед Оборин Пахом Пыж Рогож Свиридов Сух Тарак Ушак Филин Хмел Цыган Чуд Шаш Щук Юшк""".split()
# Compounds: Белобородов, Кривоносов, Новосельский.
_RU_COMPOUND_PREFIXES = """Бело Черно Красно Ново Старо Долго Толсто Криво Добро Голо Сухо Широко Велико Мало Сладко
Твердо Быстро Хлебо Пусто Медо""".split()
_RU_COMPOUND_ROOTS = (
	"бород ус нос гор сел дуб рук глаз мир слав свет бок лоб вод кон ног брод град бор лес".split()
)
_PL_SURNAMES = """Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Woźniak
Dąbrowski Kozłowski Jankowski Mazur Kwiatkowski Krawczyk Piotrowski Grabowski Nowakowski Pawłowski Michalski
Adamczyk Dudek Zając Wieczorek Jabłoński Król Majewski Olszewski Jaworski Wróbel Malinowski Pawlak Witkowski
Walczak Stępień Górski Rutkowski Michalak Sikora Ostrowski Baran Duda Szewczyk Tomaszewski Pietrzak Marciniak
Wróblewski Zalewski Jakubowski Jasiński Zawadzki Sadowski Bąk Chmielewski Włodarczyk Borkowski Czarnecki
Sawicki Sokołowski Urbański Kubiak Maciejewski Szczepański Kucharski Wilk Kalinowski Lis Mazurek Wysocki
Adamski Kaźmierczak Wasilewski Sobczak Czerwiński Andrzejewski Cieślak Głowacki Zakrzewski Kołodziej
Sikorski Krajewski Gajewski Szymczak Szulc Baranowski Laskowski Brzeziński Makowski Ziółkowski Przybylski""".split()
_PL_STEMS = """Kowal Nowak Adam Piotr Marcin Michal Tomasz Jakub Maciej Stach Wojt Kozł Sobcz Grab Jank Pawł
Wilk Sikor Mazur Olsz Krawcz Bartosz Bogusł Jur Kaczm Kuba Lipin Lesz Mark Mikoł Ostr Pietr Rogal Staw Sztych
Szyd Tarn Wacł Wit Zaj Zawad Żuk Żak Bor Brzoz Chmiel Dąb Gaj Grodz Jabł Jasz Kazim Klim Kos Kraw Krup Kub
Kwiat Łuk Mach Mal Mich Mok Nied Olek Pach Pol Rad Rus Sad Sob Sok Stan Szcz Tom Urb Wal Wąs Wiecz Wier
Wołosz Zar Zięb Żmud Gał Koł""".split()
_PL_STEMS += """Bart Bil Brod Cich Czap Dob Dom Drab Dub Fil Gaw Głod Gol Gór Grzyb Hol Jagod Jar Kal Kamin
Kap Karp Kul Kur Las Lew Lip Lub Marc Mat Miel Mil Mir Mroz Nad Niem Now Ols Pap Pas Piek Pil Prus Rog Rut Rzep
Sam Sik Sław Sosn Such Szaf Szym Tar Traw Wach Wes Wiel Wis Wod Wol Zab Zal Zdan Żmij Bal Ber Bed Bur Cer Dzied
Fur Gac Hul Jędrz Kon Kow Lach Łap Maj Mic Nos Or Piąt Rak Rem Sęk Sroc Szwed Truch Wasz Wron Zych""".split()
_PL_SUFFIXES = _weights("ski:3 owski:4 ewski:2 czyk:2 ak:2 iak ek ewicz")
_EN_SURNAMES = """Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin
Jackson Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Hill Green Adams Baker
Nelson Carter Mitchell Roberts Turner Phillips Campbell Parker Evans Edwards Collins Stewart Morris Murphy
Cook Rogers Morgan Cooper Peterson Reed Bailey Bell Kelly Howard Ward Cox Richardson Wood Watson Brooks
Bennett Gray Hughes Price Sanders Myers Long Ross Foster Davies Jenkins Patel Khan Hall Lee Clarke Harrison
Robertson Murray Graham Hamilton Kennedy Palmer Mason Holmes Lloyd Ellis Fisher Knight Webb Simpson Marshall
Chapman Hunt Pearson Stevens Butler Russell Barnes Spencer Fletcher Dixon Gibson Hudson Shaw Hayes Grant
Mills O'Brien O'Connor McDonald MacLeod Sullivan Reynolds Fox Burke Walsh""".split()
_EN_PREFIXES = """Ash Black Brook Green Hill Wood Fair Stan West East North South Bright Cold Hard Long Mid
New Old Red White Whit Brad Brom Cal Chad Craw Dun Har Hay Holm Kings Lang Mar Ox Pen Ray Rush Shel Staf
Thorn Wal Wind Ab Al Ap Bar Bel Ber Birch Bur Carr Clay Cliff Cole Cran Dal Del Elm Far Fern Fox Glen Gold Hal
Hart Heath Hol Knox Lind Lock Mill Moor Nor Pem Pres Rad Rock Rose Sand Sher Stock Sum Tal Under War Wes Wilm
Win York""".split()
_EN_SUFFIXES = """ford ley ton wood field well by more ridge ham worth stone land wick bury dale man er ington son
hurst shaw cott""".split()


def _uk_join(stem: str, suffix: str) -> str:
	if stem.endswith("ь") and suffix[0] in "аеєиіїоуюя":
		stem = stem[:-1]
		if suffix[0] == "у":
			suffix = "ю" + suffix[1:]
	return stem + suffix


def _uk_surnames() -> list[str]:
	names = list(_UK_SURNAMES) + _UK_COMPOUNDS + [name + "енко" for name in _UK_COMPOUNDS if name[-1] != "ь"]
	for stem in _UK_STEMS:
		for suffix in dict.fromkeys(_UK_SUFFIXES):
			if stem[-1] in "чшщжц" and suffix in ("чук", "ський", "ів", "ич", "ець"):
				continue
			if suffix[0] in "чс" and stem[-1] in _CYR_CONSONANTS and stem[-2] in _CYR_CONSONANTS:
				continue  # Нагорнчук, Олексський
			names.append(_uk_join(stem, suffix))
	return _unique(names)


def _ru_surnames(ukrainian: list[str]) -> list[str]:
	# Surnames of Ukrainian origin are common in Russia too, spelt the Russian way: Ковальчук, Тимошенко.
	names = list(_RU_SURNAMES) + [
		name.translate(_UK_TO_RU_SPELLING) for name in ukrainian if name.endswith(("енко", "чук", "ук", "юк"))
	]
	for prefix in _RU_COMPOUND_PREFIXES:
		for root in _RU_COMPOUND_ROOTS:
			names.append(prefix + root + ("ов" if root[-1] not in "й" else "ев"))
			if root in ("сел", "бор", "град", "гор", "брод"):
				names.append(prefix + root + "ский")
	for raw in _RU_STEMS:
		stem = raw.rstrip("+")
		soft = raw.endswith("+") or stem[-1] in "жшщчйьеиаоуя"
		names.append(stem + ("ев" if soft else "ов"))
		if stem[-1] not in "йьеижшщчаоуя":
			names.append(stem + "ин")
		if stem[-1] in "нрвлмдб" and stem[-2] not in "нрвлмдбкптсзг":
			names.append(stem + "ский")
	return _unique(names)


def _pl_surnames() -> list[str]:
	names = list(_PL_SURNAMES)
	for stem in _PL_STEMS:
		for suffix in dict.fromkeys(_PL_SUFFIXES):
			if stem[-1] in "aeiouy" and suffix[0] in "aeiou":
				continue  # Kubaak
			if suffix == "ski" and stem[-1] in "czsż":
				continue  # Marcski
			names.append(stem + suffix)
	return _unique(names)


def _en_surnames() -> list[str]:
	names = list(_EN_SURNAMES)
	for prefix in _EN_PREFIXES:
		for suffix in _EN_SUFFIXES:
			if prefix[-1] == suffix[0] or prefix.lower() == suffix:
				continue  # Ashhurst, Woodwood
			names.append(prefix + suffix)
	return _unique(names)


_UK_TO_RU_SPELLING = str.maketrans("ієї'", "иеиъ")


def _uk_female(name: str) -> str:
	return name[:-2] + "а" if name.endswith("ий") else name


def _ru_female(name: str) -> str:
	if name.endswith(("ов", "ев", "ёв", "ин", "ын")):
		return name + "а"
	if name.endswith(("ий", "ой")):
		return name[:-2] + "ая"
	return name


def _pl_female(name: str) -> str:
	return name[:-1] + "a" if name.endswith(("ski", "cki", "dzki")) else name


# ---------------------------------------------------------------------------------------------------------
# Cyrillic -> Latin

_CYR_LOWER = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюяыэёъ"
_APOSTROPHES = "'ʼ’"
_CYR_VOWELS = frozenset("аеєиіїоуюяыэё")
_CYR_CONSONANTS = frozenset("бвгґджзйклмнпрстфхцчшщ")
_CYR_WORD = frozenset(_CYR_LOWER + _APOSTROPHES)


def _table(spec: str) -> dict[str, str]:
	"""'а=a б=b ь=' -> {"а": "a", "б": "b", "ь": ""}."""
	return dict(item.split("=") for item in spec.split())


_COMMON = _table(
	"а=a б=b в=v д=d ж=zh з=z к=k л=l м=m н=n о=o п=p р=r с=s т=t у=u ф=f х=kh ц=ts ч=ch ш=sh щ=shch "
	"ь= ъ= '= ʼ= ’="
)


def _scheme(spec: str, initial: str = "", after_vowel: str = "", pairs: str = "", finals: str = ""):
	base = dict(_COMMON)
	base.update(_table(spec))
	return (base, _table(initial) if initial else {}, _table(after_vowel) if after_vowel else {},
		_table(pairs) if pairs else {}, _table(finals) if finals else {})  # fmt: skip


# Ukrainian national system (Cabinet of Ministers resolution 55 of 2010): Юлія Ковальчук -> Yuliia Kovalchuk.
_NATIONAL = _scheme(
	"г=h ґ=g е=e є=ie и=y і=i ї=i й=i ю=iu я=ia ы=y э=e ё=io",
	initial="є=ye ї=yi й=y ю=yu я=ya ё=yo",
	pairs="зг=zgh",
)
# Russian foreign passports since 2013 (ICAO Doc 9303): Юлия -> Iuliia, Григорий -> Grigorii.
_ICAO = _scheme("г=g ґ=g е=e є=ie и=i і=i ї=i й=i ю=iu я=ia ы=y э=e ё=e ъ=ie")
# BGN/PCGN: Юлия -> Yuliya, Алексей -> Aleksey; the Ukrainian variant keeps г=h and и=y.
_BGN_RU = _scheme(
	"г=g ґ=g е=e є=ye и=i і=i ї=yi й=y ю=yu я=ya ы=y э=e ё=e",
	initial="е=ye ё=yo",
	after_vowel="е=ye ё=yo",
)
_BGN_UK = _scheme(
	"г=h ґ=g е=e є=ye и=y і=i ї=yi й=y ю=yu я=ya ы=y э=e ё=e",
	initial="ё=yo",
	after_vowel="ё=yo",
	pairs="зг=zgh",
)
# What people type without a standard: Юлия -> Yulia, Дмитрий -> Dmitriy, Андрій -> Andriy.
_INFORMAL_RU = _scheme(
	"г=g ґ=g е=e є=ye и=i і=i ї=yi й=y ю=yu я=ya ы=y э=e ё=yo щ=sch",
	finals="ия=ia ий=iy",
)
_INFORMAL_UK = _scheme(
	"г=h ґ=g е=e є=ye и=y і=i ї=yi й=y ю=yu я=ya ы=y э=e ё=yo",
	finals="ія=ia ій=iy ия=ia ий=yi",
)
_AFTER_VOWEL_TRIGGERS = frozenset("аеєиіїоуюяыэёъьй" + _APOSTROPHES)


def _to_latin(text: str, scheme) -> str:
	base, initial, after_vowel, pairs, finals = scheme
	out = []
	prev = ""  # the previous source letter in lower case; "" at the start of a word
	i = 0
	n = len(text)
	while i < n:
		ch = text[i]
		lo = ch.lower()
		if lo not in base:
			out.append(ch)
			prev = ""
			i += 1
			continue
		step = 1
		rep = None
		if i + 1 < n and (pairs or finals):
			pair = lo + text[i + 1].lower()
			rep = pairs.get(pair)
			if rep is None and pair in finals and (i + 2 == n or text[i + 2].lower() not in _CYR_WORD):
				rep = finals[pair]
			if rep is not None:
				step = 2
		if rep is None:
			if not prev:
				rep = initial.get(lo) or base[lo]
			elif prev in _AFTER_VOWEL_TRIGGERS and lo in after_vowel:
				rep = after_vowel[lo]
			else:
				rep = base[lo]
		if rep and ch != lo:
			rep = rep[0].upper() + rep[1:]
		out.append(rep)
		prev = text[i + step - 1].lower()
		i += step
	return "".join(out)


_PL_FROM_CYR = _table(
	"а=a б=b в=w ґ=g д=d ж=ż з=z й=j к=k м=m н=n о=o п=p р=r с=s т=t у=u ф=f х=ch ц=c ч=cz ш=sz "
	"щ=szcz ы=y э=e ъ= ь= і=i '= ʼ= ’="
)
_PL_ACCENTED = {"н": "ń", "с": "ś", "з": "ź", "ц": "ć"}
_PL_SOFTENERS = {"ru": frozenset("ьяюеёи"), "uk": frozenset("ьяюєії")}
_PL_AFTER_SOFT = {"е": "e", "є": "e", "ю": "u", "я": "a", "ё": "o"}
_PL_AFTER_CONSONANT = {"е": "ie", "є": "ie", "ю": "iu", "я": "ia", "ё": "io"}
_PL_IOTATED = {"е": "je", "є": "je", "ю": "ju", "я": "ja", "ё": "jo"}


def _to_polish(text: str, lang: str) -> str:
	"""Cyrillic the Polish way: Юлія Ковальчук -> Julia Kowalczuk, Сергей -> Siergiej, Пётр -> Piotr."""
	softeners = _PL_SOFTENERS[lang]
	out = []
	prev = ""
	i = 0
	n = len(text)
	while i < n:
		ch = text[i]
		lo = ch.lower()
		if lo not in _CYR_WORD:
			out.append(ch)
			prev = ""
			i += 1
			continue
		nxt = text[i + 1].lower() if i + 1 < n else ""
		after = text[i + 2].lower() if i + 2 < n else ""
		step = 1
		if lo in "иі" and nxt == "я" and after not in _CYR_WORD:
			rep = "ia"
			step = 2
		elif lo == "л":
			rep = "l" if nxt in softeners or (nxt in "иі" and after == "я") else "ł"
		elif lo in _PL_ACCENTED and nxt == "ь" and after not in _CYR_VOWELS:
			rep = _PL_ACCENTED[lo]
		elif lo == "ї":
			rep = "ji"
		elif lo in _PL_IOTATED:
			if lo == "е" and lang == "uk":
				rep = "e"
			elif prev == "л" or (prev and prev in "жшчщц"):
				rep = _PL_AFTER_SOFT[lo]
			elif prev in _CYR_CONSONANTS:
				rep = _PL_AFTER_CONSONANT[lo]
			else:
				rep = _PL_IOTATED[lo]
		elif lo == "и":
			rep = "y" if lang == "uk" or (prev and prev in "жшц") else "i"
		elif lo == "г":
			rep = "h" if lang == "uk" else "g"
		else:
			rep = _PL_FROM_CYR[lo]
		if rep and ch != lo:
			rep = rep[0].upper() + rep[1:]
		out.append(rep)
		prev = text[i + step - 1].lower()
		i += step
	return "".join(out)


_ASCII_FOLD = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")


def _strip_diacritics(text: str) -> str:
	return text.translate(_ASCII_FOLD)


# ---------------------------------------------------------------------------------------------------------
# Latin -> Cyrillic

_PL_ENDINGS = (
	("ński", "нский", "нський"),
	("ńska", "нская", "нська"),
	("dzki", "дзкий", "дзький"),
	("dzka", "дзкая", "дзька"),
	("ski", "ский", "ський"),
	("ska", "ская", "ська"),
	("cki", "цкий", "цький"),
	("cka", "цкая", "цька"),
	("wicz", "вич", "вич"),
	("icz", "ич", "ич"),
)
_PL_DIGRAPHS = {"sz": "ш", "cz": "ч", "ch": "х", "dż": "дж", "dź": "дзь", "dz": "дз"}
_PL_CONS = _table(
	"b=б c=ц ć=ць d=д f=ф g=г h=х k=к ł=л m=м n=н ń=нь p=п r=р s=с ś=сь t=т w=в z=з ź=зь ż=ж x=кс v=в q=к"
)
_PL_HARD = {"a": "а", "e": "е", "o": "о", "ó": "у", "u": "у"}
_PL_SOFT = {
	"ru": {"a": "я", "e": "е", "o": "ё", "ó": "ю", "u": "ю"},
	"uk": {"a": "я", "e": "е", "o": "ьо", "ó": "ю", "u": "ю"},
}
_PL_J = {
	"ru": {"a": "я", "e": "е", "o": "йо", "ó": "ю", "u": "ю"},
	"uk": {"a": "я", "e": "є", "o": "йо", "ó": "ю", "u": "ю"},
}
_PL_VOWELS = frozenset("aeoóuąęiy")
_WORD_SPLIT = re.compile(r"([^\w']+)")


def _pl_word_to_cyr(word: str, lang: str) -> str:
	low = word.lower()
	tail = ""
	for lat, ru, uk in _PL_ENDINGS:
		if low.endswith(lat) and len(low) > len(lat) + 1:
			low = low[: -len(lat)]
			tail = ru if lang == "ru" else uk
			break
	soft_vowels = _PL_SOFT[lang]
	j_vowels = _PL_J[lang]
	out: list[str] = []
	state = "start"  # start, vowel or consonant: what the previous sound was
	soft = False
	i = 0
	n = len(low)
	while i < n:
		c = low[i]
		nxt = low[i + 1] if i + 1 < n else ""
		if low.startswith("szcz", i):
			out.append("щ")
			i += 4
			state = "consonant"
			continue
		if c + nxt == "rz":
			out.append("ш" if out and out[-1] in ("п", "т", "к", "х") else "ж")
			i += 2
			state = "consonant"
			continue
		if c + nxt in _PL_DIGRAPHS:
			out.append(_PL_DIGRAPHS[c + nxt])
			i += 2
			state = "consonant"
			continue
		i += 1
		if c == "i":
			if state == "consonant" and nxt in soft_vowels and out[-1] != "р":
				if nxt == "a" and i + 1 == n and out[-1][-1] not in "нцсз":
					out.append("ия" if lang == "ru" else "ія")  # Maria, Zofia, Julia
					i += 1
					state = "vowel"
				else:
					soft = True  # Wojciech, Agnieszka, Piotr
				continue
			out.append("и" if lang == "ru" else "і")
			state = "vowel"
		elif c == "j":
			if nxt == "a" and out and out[-1] == "ц":
				out.append("ия" if lang == "ru" else "ія")  # Alicja, Patrycja
				i += 1
				state = "vowel"
			elif nxt in j_vowels:
				out.append(j_vowels[nxt])
				i += 1
				state = "vowel"
			else:
				out.append("й")
				state = "vowel"
		elif c == "l":
			if nxt in soft_vowels:
				out.append("л" + soft_vowels[nxt])
				i += 1
				state = "vowel"
			elif nxt in ("i", "y"):
				out.append("л")
				state = "consonant"
			else:
				out.append("ль")
				state = "consonant"
		elif c == "y":
			if lang == "uk" or (out and out[-1][-1] in "жшчщ"):
				out.append("и")
			else:
				out.append("ы")
			state = "vowel"
		elif c in _PL_HARD:
			if soft:
				out.append(soft_vowels[c])
			elif c == "e" and state == "start":
				out.append("э" if lang == "ru" else "е")
			else:
				out.append(_PL_HARD[c])
			soft = False
			state = "vowel"
		elif c in ("ą", "ę"):
			vowel = "о" if c == "ą" else "е"
			if not nxt:
				out.append(vowel)
			else:
				out.append(vowel + ("м" if nxt in "bp" else "н"))
			soft = False
			state = "vowel"
		elif c in _PL_CONS:
			out.append(_PL_CONS[c])
			state = "consonant"
		else:
			out.append(c)
			state = "start"
	result = "".join(out) + tail
	if word[:1].isupper():
		result = result[:1].upper() + result[1:]
	return result


def _pl_to_cyr(text: str, lang: str) -> str:
	"""Polish words in Cyrillic: Grzegorz Brzęczyszczykiewicz -> Гжегож Бженчищикевич."""
	return "".join(
		_pl_word_to_cyr(part, lang) if part and part[0].isalpha() else part
		for part in _WORD_SPLIT.split(text)
	)


_EN_CLUSTERS = (
	("oung", "анг"),
	("tch", "ч"),
	("sch", "ш"),
	("ough", "о"),
	("augh", "о"),
	("ight", "айт"),
	("ght", "т"),
	("igh", "ай"),
	("own", "аун"),
	("ch", "ч"),
	("sh", "ш"),
	("th", "т"),
	("ph", "ф"),
	("ck", "к"),
	("kh", "х"),
	("gh", ""),
	("wh", "у"),
	("qu", "кв"),
	("oo", "у"),
	("ee", "и"),
	("ea", "и"),
	("ou", "ау"),
	("ow", "оу"),
	("ay", "ей"),
	("ey", "ей"),
	("ai", "ей"),
	("au", "о"),
	("aw", "о"),
	("oa", "о"),
	("ie", "и"),
	("ew", "ью"),
	("oy", "ой"),
	("ui", "у"),
	("x", "кс"),
	("j", "дж"),
)
_EN_LETTERS = _table("a=а b=б d=д f=ф k=к l=л m=м n=н o=о p=п q=к r=р s=с t=т v=в z=з")
_EN_VOWELS = frozenset("aeiouy")
_EN_MAGIC_E = {"a": "ей", "i": "ай", "o": "о", "u": "ю"}


def _en_word_to_cyr(word: str, lang: str) -> str:
	"""An English surname as a Russian speaker would spell it: Wright -> Райт, Johnson -> Джонсон."""
	low = word.lower()
	out: list[str] = []
	n = len(low)
	magic = -1
	if n >= 4 and low[-1] == "e" and low[-2] not in _EN_VOWELS and low[-3] in _EN_MAGIC_E:
		magic = n - 3
		if low[-4] not in _EN_VOWELS:
			low = low[:-2] + ("s" if low[-2] == "c" else low[-2])  # Price -> Прайс
			n -= 1
		else:
			magic = -1
	if n >= 5 and low.endswith("es") and low[-3] in "nrlmdtk":
		low = low[:-2] + "s"
		n -= 1
	i = 0
	if low.startswith(("mc", "mac")):
		out.append("мак")
		i = 2 if low.startswith("mc") else 3
	elif low.startswith("wa") and n > 3:
		out.append("уо")  # Walker, Ward, Watson
		i = 2
	elif low.startswith("wr"):
		out.append("р")
		i = 2
	elif low.startswith("kn"):
		out.append("н")
		i = 2
	while i < n:
		if i == magic:
			out.append(_EN_MAGIC_E[low[i]])
			i += 1
			continue
		for cluster, rep in _EN_CLUSTERS:
			if low.startswith(cluster, i):
				if cluster == "ey" and i + 2 == n:
					rep = "и"  # Bailey
				out.append(rep)
				i += len(cluster)
				break
		else:
			c = low[i]
			nxt = low[i + 1] if i + 1 < n else ""
			i += 1
			if c == "c":
				out.append("с" if nxt in ("e", "i", "y") else "к")
			elif c == "g":
				out.append("дж" if nxt in ("e", "y") else "г")
			elif c == "h":
				if i > 1 and low[i - 2] in _EN_VOWELS and (not nxt or nxt not in _EN_VOWELS):
					continue
				out.append("х")
			elif c == "w":
				out.append("в" if i > 1 or nxt == "o" else "у")
			elif c == "y":
				if i == 1 and nxt in _EN_VOWELS:
					out.append("й")
				elif i == n and out and out[-1].endswith(("е", "э")):
					out[-1] = out[-1][:-1] + "и"
				else:
					out.append("и")
			elif c == "e":
				if i == n and i > 3:
					continue  # a silent final e
				out.append("э" if i == 1 and lang == "ru" else "е")
			elif c == "i":
				out.append("и")
			elif c == "u" and nxt == "r" and i + 1 < n and low[i + 1] not in _EN_VOWELS:
				out.append("е")  # Turner, Murphy, Burke
			elif c == "u":
				out.append("а" if nxt and nxt not in _EN_VOWELS and nxt != "r" and i + 1 < n
					and low[i + 1] not in _EN_VOWELS else "у")  # fmt: skip
			else:
				out.append(_EN_LETTERS.get(c, c))
	result = "".join(out)
	if lang == "uk":
		result = _ru_to_uk_foreign(result)
	if word[:1].isupper():
		result = result[:1].upper() + result[1:]
	return result


_RU_TO_UK_FOREIGN = str.maketrans({"и": "і", "ы": "и", "э": "е", "Э": "Е", "И": "І", "ъ": "'"})


def _ru_to_uk_foreign(text: str) -> str:
	"""A foreign name's Russian spelling the Ukrainian way: Эмили -> Емілі."""
	return text.translate(_RU_TO_UK_FOREIGN).replace("ё", "ьо")


def _en_to_cyr(text: str, lang: str) -> str:
	known = _EN_FIRST_CYR.get(text)
	if known is not None:
		return _ru_to_uk_foreign(known) if lang == "uk" else known
	return "".join(
		"'".join(_en_word_to_cyr(piece, lang) for piece in part.split("'"))  # O'Brien
		if part and part[0].isalpha()
		else part
		for part in _WORD_SPLIT.split(text)
	)


# ---------------------------------------------------------------------------------------------------------
# Cities and companies

_CITIES = {
	"uk": _weights(
		"Київ:6 Харків:3 Одеса:3 Дніпро:3 Львів:3 Запоріжжя Вінниця Полтава Чернігів Черкаси Житомир Суми "
		"Хмельницький Рівне Івано-Франківськ Тернопіль Луцьк Ужгород Миколаїв Херсон Чернівці Кропивницький "
		"Кременчук Бровари Ірпінь Бориспіль Мукачево Кам'янець-Подільський Біла~Церква Кривий~Ріг"
	),
	"ru": _weights(
		"Москва:6 Санкт-Петербург:4 Новосибирск Екатеринбург Казань Нижний~Новгород Челябинск Самара Омск "
		"Ростов-на-Дону Уфа Красноярск Воронеж Пермь Волгоград Краснодар Саратов Тюмень Тольятти Ижевск Барнаул "
		"Ульяновск Иркутск Хабаровск Ярославль Владивосток Томск Оренбург Кемерово Рязань Калининград Сочи"
	),
	"pl": _weights(
		"Warszawa:5 Kraków:3 Łódź:2 Wrocław:2 Poznań:2 Gdańsk:2 Szczecin Bydgoszcz Lublin Białystok Katowice "
		"Gdynia Częstochowa Radom Toruń Rzeszów Kielce Olsztyn Opole Sopot Gliwice Zabrze Bielsko-Biała Płock "
		"Zielona~Góra"
	),
	"gb": _weights(
		"London:5 Manchester:2 Birmingham:2 Leeds Glasgow Liverpool Bristol Sheffield Edinburgh Cardiff "
		"Leicester Nottingham Newcastle Brighton Oxford Cambridge Belfast Southampton Reading Coventry"
	),
	"us": _weights(
		"New~York:4 Los~Angeles:2 Chicago:2 Houston Phoenix Philadelphia San~Antonio San~Diego Dallas "
		"San~Francisco Boston Seattle Denver Austin Miami Atlanta Portland Nashville Detroit Minneapolis"
	),
}
# Cities whose Cyrillic spelling is not what the rules give: (Russian, Ukrainian).
_CITY_CYR = {
	line.split("=")[0]: tuple(line.split("=")[1].split("/"))
	for line in """Kraków=Краков/Краків
Łódź=Лодзь/Лодзь
Białystok=Белосток/Білосток
London=Лондон/Лондон
Manchester=Манчестер/Манчестер
Birmingham=Бирмингем/Бірмінгем
Leeds=Лидс/Лідс
Glasgow=Глазго/Глазго
Liverpool=Ливерпуль/Ліверпуль
Bristol=Бристоль/Бристоль
Sheffield=Шеффилд/Шеффілд
Edinburgh=Эдинбург/Единбург
Cardiff=Кардифф/Кардіфф
Leicester=Лестер/Лестер
Nottingham=Ноттингем/Ноттінгем
Newcastle=Ньюкасл/Ньюкасл
Brighton=Брайтон/Брайтон
Oxford=Оксфорд/Оксфорд
Cambridge=Кембридж/Кембридж
Belfast=Белфаст/Белфаст
Southampton=Саутгемптон/Саутгемптон
Reading=Рединг/Редінг
Coventry=Ковентри/Ковентрі
New York=Нью-Йорк/Нью-Йорк
Los Angeles=Лос-Анджелес/Лос-Анджелес
Chicago=Чикаго/Чикаго
Houston=Хьюстон/Х'юстон
Phoenix=Финикс/Фінікс
Philadelphia=Филадельфия/Філадельфія
San Antonio=Сан-Антонио/Сан-Антоніо
San Diego=Сан-Диего/Сан-Дієго
Dallas=Даллас/Даллас
San Francisco=Сан-Франциско/Сан-Франциско
Boston=Бостон/Бостон
Seattle=Сиэтл/Сієтл
Denver=Денвер/Денвер
Austin=Остин/Остін
Miami=Майами/Маямі
Atlanta=Атланта/Атланта
Portland=Портленд/Портленд
Nashville=Нэшвилл/Нешвілл
Detroit=Детройт/Детройт
Minneapolis=Миннеаполис/Міннеаполіс""".splitlines()
}
# English names of Cyrillic cities, used instead of a transliteration now and then.
_CITY_EXONYMS = {
	"Київ": "Kiev",
	"Одеса": "Odessa",
	"Харків": "Kharkov",
	"Львів": "Lvov",
	"Москва": "Moscow",
	"Санкт-Петербург": "Saint Petersburg",
	"Нижний Новгород": "Nizhny Novgorod",
	"Ростов-на-Дону": "Rostov-on-Don",
}


def _compound(prefixes: str, suffixes: str, words: str) -> list[str]:
	return _unique([p + s for p in prefixes.split() for s in suffixes.split()] + words.split())


_COMPANIES = {
	"uk": _compound(
		"Агро Техно Буд Енерго Дніпро Укр Карпат Медіа Фарм Інвест Транс Еко Софт Торг Мега Полі Стар Нафто "
		"Хліб Метал Авто Світло Зерно Пром Смарт",
		"пром буд сервіс трейд інвест світ тех лайн груп постач комплекс альянс маркет логістик систем ресурс "
		"експо бізнес",
		"Альфа Вектор Оріон Промінь Злагода Світанок Колос Явір Берег Обрій Джерело Легіон Фортуна Полісся "
		"Поділля Каскад Атлант Меридіан Граніт Горизонт",
	),
	"ru": _compound(
		"Агро Техно Строй Энерго Рос Сиб Урал Медиа Фарм Инвест Транс Эко Софт Торг Мега Поли Стар Нефте Газ "
		"Авто Металл Зерно Пром Смарт Волга",
		"пром строй сервис трейд инвест мир тех лайн групп снаб комплекс альянс маркет логистик систем ресурс "
		"экспо бизнес",
		"Альфа Вектор Орион Луч Согласие Рассвет Колос Берег Горизонт Родник Легион Фортуна Каскад Атлант "
		"Меридиан Гранит Север Восток Заря Спектр",
	),
	"pl": _compound(
		"Pol Agro Bud Trans Eko Tech Inter Med Net Euro Mar Kom Stal Drew Elektro Auto Info Chem Farm Bio Geo "
		"Multi",
		"bud pol ex mar tech trans net med soft serwis kom plast stal land dom max gaz chem",
		"Sokół Orzeł Jantar Bałtyk Mazowsze Warta Odra Tatry Karpaty Wawel Piast Zefir Polana Rubin Skarb Zorza "
		"Grunwald Kopernik Rybak Sezam",
	),
}
_EN_ADJECTIVES = """Blue Red Green North South West East Silver Golden Bright Prime Atlas Apex Summit Pioneer
Evergreen Oak Pine River Lake Stone Iron Granite Crown Royal United Global Pacific Atlantic""".split()
_EN_NOUNS = """Solutions Systems Logistics Consulting Partners Holdings Industries Media Software Labs Capital
Foods Energy Health Builders Analytics Trading Ventures Technologies Group""".split()
_COMPANIES["gb"] = _COMPANIES["us"] = [f"{a} {b}" for a in _EN_ADJECTIVES for b in _EN_NOUNS]

_FORMS = {
	"uk": _weighted([("ТОВ", 60), ("ПП", 10), ("ПрАТ", 8), ("ПАТ", 5), (None, 17)]),
	"ru": _weighted([("ООО", 60), ("АО", 10), ("ПАО", 5), ("ЗАО", 5), (None, 20)]),
	"pl": _weighted([("Sp. z o.o.", 60), ("S.A.", 12), ("sp.j.", 8), ("sp.k.", 5), ("GmbH", 2), (None, 13)]),
	"gb": _weighted([("Ltd", 55), ("Limited", 10), ("PLC", 5), ("LLP", 5), ("GmbH", 2), (None, 23)]),
	"us": _weighted([("LLC", 35), ("Inc.", 30), ("Corp.", 8), ("Co.", 5), (None, 22)]),
}
# Other ways to write the same (or a neighbouring) legal form.
_FORM_VARIANTS = {
	"ТОВ": ("ООО", "ТзОВ", "Товариство з обмеженою відповідальністю", "тов"),
	"ПП": ("Приватне підприємство", "ЧП"),
	"ПрАТ": ("ПАТ", "ЧАО", "Приватне акціонерне товариство"),
	"ПАТ": ("ПрАТ", "ПАО", "АТ"),
	"ООО": ("ТОВ", "Общество с ограниченной ответственностью", "ооо"),
	"АО": ("ПАО", "ЗАО", "ОАО"),
	"ПАО": ("ОАО", "АО"),
	"ЗАО": ("АО", "ОАО"),
	"Sp. z o.o.": ("sp. z o. o.", "Sp. z o. o.", "sp. z o.o.", "spółka z o.o.", "sp.z o.o.", "Sp. z o.o"),
	"S.A.": ("SA", "S.A", "Spółka Akcyjna"),
	"sp.j.": ("Sp. j.", "sp. j.", "spółka jawna"),
	"sp.k.": ("Sp. k.", "sp. k.", "spółka komandytowa"),
	"Ltd": ("Limited", "Ltd.", "LTD"),
	"Limited": ("Ltd", "Ltd."),
	"PLC": ("plc", "Public Limited Company"),
	"LLP": ("L.L.P.",),
	"LLC": ("L.L.C.", "Limited Liability Company", "llc"),
	"Inc.": ("Inc", "Incorporated", "INC."),
	"Corp.": ("Corp", "Corporation"),
	"Co.": ("Company", "Co"),
	"GmbH": ("Gmbh", "GMBH"),
}
_FORM_ENGLISH = {
	"ТОВ": "LLC",
	"ТзОВ": "LLC",
	"ООО": "LLC",
	"ПП": "PE",
	"ЧП": "PE",
	"ПрАТ": "PJSC",
	"ПАТ": "PJSC",
	"ПАО": "PJSC",
	"ЧАО": "PJSC",
	"АО": "JSC",
	"АТ": "JSC",
	"ОАО": "OJSC",
	"ЗАО": "CJSC",
}


def _render_company(base: str, form: str | None, style: int, latin: bool) -> str:
	"""Cyrillic styles: 0 ТОВ «X», 1 ТОВ "X", 2 ТОВ X, 3 X, ТОВ; Latin styles: 0 X Ltd, 1 X, Ltd."""
	if latin:
		if form is None:
			return base
		return f"{base}, {form}" if style == 1 else f"{base} {form}"
	if form is None:
		return f"«{base}»" if style == 0 else f'"{base}"' if style == 1 else base
	if style == 0:
		return f"{form} «{base}»"
	if style == 1:
		return f'{form} "{base}"'
	if style == 2:
		return f"{form} {base}"
	return f"{base}, {form}"


# ---------------------------------------------------------------------------------------------------------
# Phones: national significant numbers, valid mobile ranges, and the ways people write them

_UA_OPERATORS = "50 63 66 67 68 73 93 95 96 97 98 99".split()
_PL_PREFIXES = [p + d for p in "50 51 53 57 60 66 69 72 73 78 79 88".split() for d in "0123456789"]
_GB_PREFIXES = (
	[f"74{d}" for d in "01234" + "6789"]
	+ [f"75{d}" for d in "1" + "3456789"]
	+ [f"77{d}" for d in "1234567"]
	+ [f"78{d}" for d in "01" + "456789"]
	+ [f"79{d}" for d in "0" + "2" + "456789"]
)
_US_AREAS = """201 202 203 205 206 207 210 212 213 214 215 216 217 224 240 248 262 267 281 301 303 305 310 312
313 314 317 323 347 404 407 408 410 412 415 469 480 503 504 510 512 513 516 571 602 612 614 615 617 619 626
646 650 678 702 703 704 713 718 720 732 773 786 801 804 813 818 832 847 857 858 860 904 914 916 917 919 925
949 954 971 972 973 978""".split()
_US_EXCHANGES = [f"{x}" for x in range(200, 1000) if x % 100 != 11 and x != 555]


def _phone_styles(spec: str) -> tuple[tuple[str, ...], list[int]]:
	"""'+380{0}{1}{2}{3}:25 | 0{0} {1} {2} {3}:18' -> the templates and a weighted list of their indices."""
	templates = []
	weights = []
	for i, item in enumerate(spec.split("|")):
		template, _, weight = item.strip().rpartition(":")
		templates.append(template)
		weights.append((i, int(weight)))
	return tuple(templates), _weighted(weights)


# How people write the numbers, filled with pieces of the national significant number: UA 67|123|45|67,
# RU 912|345|67|89, PL 601|234|567, GB 7911|123456|123|456, US 415|555|2671.
_PHONE_STYLES = {
	"uk": _phone_styles(
		"+380{0}{1}{2}{3}:25 | +38 (0{0}) {1}-{2}-{3}:18 | 0{0} {1} {2} {3}:18 | 0{0}{1}{2}{3}:12 "
		"| +380 {0} {1} {2}{3}:6 | 0038 0{0} {1}{2}{3}:3 | (0{0}) {1}-{2}-{3}:6 | +38 0{0} {1} {2} {3}:6 "
		"| 0{0}-{1}-{2}-{3}:4 | +38(0{0}){1}{2}{3}:2"
	),
	"ru": _phone_styles(
		"+7{0}{1}{2}{3}:22 | +7 ({0}) {1}-{2}-{3}:20 | 8 ({0}) {1}-{2}-{3}:18 | 8{0}{1}{2}{3}:14 "
		"| 8-{0}-{1}-{2}-{3}:6 | +7 {0} {1} {2} {3}:10 | 8 {0} {1}{2}{3}:5 | +7-{0}-{1}-{2}-{3}:5"
	),
	"pl": _phone_styles(
		"{0}-{1}-{2}:15 | {0} {1} {2}:22 | +48 {0} {1} {2}:25 | +48{0}{1}{2}:12 | 0048 {0} {1} {2}:4 "
		"| {0}{1}{2}:12 | +48 {0}-{1}-{2}:6 | (+48) {0} {1} {2}:4"
	),
	"gb": _phone_styles(
		"+44 {0} {1}:25 | 0{0} {1}:25 | 0{0}{1}:12 | +44{0}{1}:12 | 0044 {0} {1}:4 | +44 (0){0} {1}:6 "
		"| 0{0} {2} {3}:8 | +44 {0} {2} {3}:8"
	),
	"us": _phone_styles(
		"({0}) {1}-{2}:30 | {0}-{1}-{2}:20 | +1 {0}-{1}-{2}:12 | +1{0}{1}{2}:10 | 1-{0}-{1}-{2}:6 "
		"| {0}.{1}.{2}:6 | +1 ({0}) {1}-{2}:10 | {0}{1}{2}:6"
	),
}


def _phone_pieces(key: str, n: str) -> tuple[str, ...]:
	if key == "uk":
		return n[:2], n[2:5], n[5:7], n[7:]
	if key == "ru":
		return n[:3], n[3:6], n[6:8], n[8:]
	if key == "gb":
		return n[:4], n[4:], n[4:7], n[7:]
	return n[:3], n[3:6], n[6:]


def _phone_texts(key: str, nsn: str) -> list[str]:
	"""Every way this module writes the number."""
	pieces = _phone_pieces(key, nsn)
	return [template.format(*pieces) for template in _PHONE_STYLES[key][0]]


# ---------------------------------------------------------------------------------------------------------
# Emails

_DOMAINS = {
	"uk": _weights(
		"gmail.com:36 ukr.net:25 i.ua:10 meta.ua:4 outlook.com:5 icloud.com:4 bigmir.net:3 yahoo.com:3 mail.ru:4"
	),
	"ru": _weights("mail.ru:30 yandex.ru:25 gmail.com:25 rambler.ru:5 bk.ru:5 list.ru:4 inbox.ru:3 ya.ru:3"),
	"pl": _weights("gmail.com:30 wp.pl:20 onet.pl:15 o2.pl:12 interia.pl:12 op.pl:6 outlook.com:5"),
	"gb": _weights(
		"gmail.com:35 outlook.com:15 hotmail.co.uk:15 yahoo.co.uk:10 btinternet.com:10 icloud.com:10 "
		"live.co.uk:5"
	),
	"us": _weights(
		"gmail.com:45 yahoo.com:15 outlook.com:10 hotmail.com:10 aol.com:5 icloud.com:10 comcast.net:5"
	),
}
_COMPANY_TLDS = {
	"uk": ("com.ua", "ua", "com"),
	"ru": ("ru", "ru", "com"),
	"pl": ("pl", "com.pl", "eu"),
	"gb": ("co.uk", "com", "co.uk"),
	"us": ("com", "com", "io"),
}
_FREE_PATTERNS = _weights(
	"{f}.{l}:25 {f}{l}:10 {i}.{l}:8 {i}{l}:8 {f}_{l}:4 {l}.{f}:5 {l}{f}:3 {f}.{l}{d}:10 {f}{d}:10 {l}{d}:6 "
	"{f}{l}{d}:6 {l}.{i}:3 {f}-{l}:2"
)
_WORK_PATTERNS = _weights("{f}.{l}:40 {i}.{l}:25 {f}:15 {l}:10 {i}{l}:10")
_FREE_PATTERNS = [(pattern, "{d}" in pattern) for pattern in _FREE_PATTERNS]
_WORK_PATTERNS = [(pattern, False) for pattern in _WORK_PATTERNS]
_EMAIL_SCHEMES = {
	"uk": _weighted([("national", 55), ("informal_uk", 30), ("bgn_uk", 15)]),
	"ru": _weighted([("informal_ru", 45), ("bgn_ru", 30), ("icao", 25)]),
}
_SCHEMES = {
	"national": _NATIONAL,
	"icao": _ICAO,
	"bgn_ru": _BGN_RU,
	"bgn_uk": _BGN_UK,
	"informal_ru": _INFORMAL_RU,
	"informal_uk": _INFORMAL_UK,
}
# The schemes a duplicate's Cyrillic name is written in; "polish" is _to_polish.
_TRANSLIT_SCHEMES = {
	"uk": _weighted([("national", 40), ("icao", 12), ("bgn_uk", 13), ("informal_uk", 20), ("polish", 15)]),
	"ru": _weighted([("icao", 28), ("bgn_ru", 25), ("informal_ru", 32), ("polish", 15)]),
}
_GMAIL_TAGS = ("crm", "work", "news", "shop", "promo", "1")
_NOT_EMAIL = re.compile(r"[^a-z0-9]")

_translit_cache: dict[tuple[str, str], str] = {}


def _latin(text: str, scheme: str, lang: str) -> str:
	key = (text, scheme + lang)
	found = _translit_cache.get(key)
	if found is None:
		found = _to_polish(text, lang) if scheme == "polish" else _to_latin(text, _SCHEMES[scheme])
		_translit_cache[key] = found
	return found


def _cyrillic(text: str, source: str, lang: str) -> str:
	"""`text` of language `source` ("pl" or "en") in the Cyrillic of `lang` ("uk" or "ru")."""
	key = (text, source + lang)
	found = _translit_cache.get(key)
	if found is None:
		if text in _CITY_CYR:
			found = _CITY_CYR[text][0 if lang == "ru" else 1]
		elif source == "pl":
			found = _pl_to_cyr(text, lang)
		else:
			found = _en_to_cyr(text, lang)
		_translit_cache[key] = found
	return found


def _email_word(text: str, scheme: str | None, lang: str) -> str:
	"""A name as it appears in an email address: ASCII lower case letters only."""
	key = (text, "@" + (scheme or "") + lang)
	found = _translit_cache.get(key)
	if found is None:
		latin = _latin(text, scheme, lang) if scheme else _strip_diacritics(text)
		found = _NOT_EMAIL.sub("", latin.lower())
		_translit_cache[key] = found
	return found


# ---------------------------------------------------------------------------------------------------------
# Typos


def _neighbours(*rows: str) -> dict[str, str]:
	near = {}
	for r, row in enumerate(rows):
		for c, ch in enumerate(row):
			keys = []
			for rr, cc in ((r, c - 1), (r, c + 1), (r - 1, c), (r - 1, c + 1), (r + 1, c - 1), (r + 1, c)):
				if 0 <= rr < len(rows) and 0 <= cc < len(rows[rr]):
					keys.append(rows[rr][cc])
			near[ch] = "".join(keys)
	return near


_KEYS_LATIN = _neighbours("qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEYS_RU = _neighbours("йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю")
_KEYS_UK = _neighbours("йцукенгшщзхї", "фівапролджє", "ячсмитьбю")
_KEYS_RU["ё"] = _KEYS_RU["е"]
_KEYS_UK["ґ"] = _KEYS_UK["г"]


def _neighbour(ch: str, keys: dict[str, str], rand) -> str:
	lo = ch.lower()
	near = keys.get(lo) or _KEYS_LATIN.get(_strip_diacritics(lo))
	if not near:
		return ""
	picked = near[int(rand() * len(near))]
	return picked.upper() if ch != lo else picked


def _typo(word: str, keys: dict[str, str], rand) -> str:
	"""One edit away from `word`; the first letter is kept (people rarely mistype it)."""
	n = len(word)
	for _ in range(12):
		x = rand()
		if x < 0.28:  # adjacent letters swapped
			if n < 3:
				continue
			i = 1 + int(rand() * (n - 2))
			new = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
		elif x < 0.5:  # a letter dropped
			if n < 4:
				continue
			i = 1 + int(rand() * (n - 1))
			new = word[:i] + word[i + 1 :]
		elif x < 0.72:  # a letter added: a neighbour of the previous key, or the previous one doubled
			i = 1 + int(rand() * (n - 1)) if n > 1 else 1
			extra = word[i - 1].lower() if rand() < 0.3 else _neighbour(word[i - 1].lower(), keys, rand)
			new = word[:i] + extra + word[i:]
		else:  # a neighbouring key hit instead
			if n < 2:
				continue
			i = 1 + int(rand() * (n - 1))
			new = word[:i] + _neighbour(word[i], keys, rand) + word[i + 1 :]
		if new != word and new.isalpha() is word.isalpha() and "  " not in new:
			return new
	return word + word[-1]


def _mailbox(address: str) -> str:
	"""The mailbox an address delivers to: Gmail ignores case, dots and a +tag, and googlemail.com is gmail.com."""
	local, _, domain = address.lower().partition("@")
	if domain in ("gmail.com", "googlemail.com"):
		return local.partition("+")[0].replace(".", "") + "@gmail.com"
	return f"{local}@{domain}"


def _valid_local(local: str) -> bool:
	return bool(local) and local[0] != "." and local[-1] != "." and ".." not in local


# ---------------------------------------------------------------------------------------------------------
# People and their duplicates

_FIRST = {
	"uk": (_UK_MALE, _UK_FEMALE),
	"ru": (_RU_MALE, _RU_FEMALE),
	"pl": (_PL_MALE, _PL_FEMALE),
	"en": (_EN_MALE, _EN_FEMALE),
}


class _Culture:
	"""Everything about one country's people that generation needs, looked up once."""

	__slots__ = (
		"cities",
		"companies",
		"country",
		"domains",
		"email_schemes",
		"email_words",
		"firsts",
		"forms",
		"key",
		"lang",
		"latin",
		"phone_templates",
		"phone_weights",
		"surnames",
	)

	def __init__(self, key: str, country: str, lang: str, surnames: list[str], female_surname):
		self.key = key
		self.country = country
		self.lang = lang
		self.latin = lang in ("pl", "en")
		self.firsts = _FIRST[lang]
		self.surnames = (surnames, [female_surname(name) for name in surnames])
		self.cities = _CITIES[key]
		self.companies = _COMPANIES[key]
		self.forms = _FORMS[key]
		self.domains = _DOMAINS[key]
		self.email_schemes = _EMAIL_SCHEMES.get(key)
		self.phone_templates, self.phone_weights = _PHONE_STYLES[key]
		self.email_words = {}  # (scheme, name) -> the name in an email address


def _cultures() -> dict[str, _Culture]:
	en = _en_surnames()
	uk = _uk_surnames()
	same = str  # English surnames have no feminine form
	return {
		"uk": _Culture("uk", "UA", "uk", uk, _uk_female),
		"ru": _Culture("ru", "RU", "ru", _ru_surnames(uk), _ru_female),
		"pl": _Culture("pl", "PL", "pl", _pl_surnames(), _pl_female),
		"gb": _Culture("gb", "GB", "en", en, same),
		"us": _Culture("us", "US", "en", en, same),
	}


_CULTURE = _cultures()
_CULTURES = _weighted(
	(_CULTURE[key], share) for key, share in (("uk", 30), ("ru", 25), ("pl", 25), ("gb", 11), ("us", 9))
)
_RU_FIRST = _FIRST["ru"]
_MUTATION_WEIGHTS = {
	"typo": 30,
	"translit": 26,
	"phone_format": 11,
	"email_format": 9,
	"swap": 6,
	"missing": 11,
	"company_form": 7,
}
_MUTATION_ORDER = {name: i for i, name in enumerate(MUTATIONS)}


class _Person:
	__slots__ = ("city", "company", "culture", "email", "first", "form", "last", "nsn", "phone", "style")

	def __init__(self, culture, first, last, email, nsn, phone, company, form, style, city):
		self.culture: _Culture = culture
		self.first = first
		self.last = last
		self.email = email
		self.nsn = nsn  # the national significant number, "" when no phone
		self.phone = phone
		self.company = company  # the name without its legal form, "" when none
		self.form = form
		self.style = style
		self.city = city

	def record(self, entity: int) -> SyntheticContact:
		company = (
			_render_company(self.company, self.form, self.style, self.culture.latin) if self.company else ""
		)
		return SyntheticContact(
			"",
			entity,
			self.first,
			self.last,
			self.email,
			self.phone,
			company,
			self.city,
			(),
			self.culture.country,
		)


class _Maker:
	def __init__(self, rng: random.Random):
		self.rng = rng
		self.rand = rng.random
		self.emails: set[str] = set()
		self.phones: set[str] = set()
		self.mutation_tuples: dict[tuple[str, ...], tuple[str, ...]] = {}

	# -- originals --------------------------------------------------------------------------------------

	def person(self) -> _Person:
		rand = self.rand
		c = _CULTURES[int(rand() * len(_CULTURES))]
		female = rand() < 0.5
		firsts = c.firsts[female]
		if c.lang == "uk" and rand() < 0.1:
			firsts = _RU_FIRST[female]  # Russian-speaking Ukrainians write Юлия, Сергей
		first = firsts[int(rand() * len(firsts))]
		surnames = c.surnames[female]
		last = surnames[int(rand() * len(surnames))]
		company = ""
		form = None
		style = 0
		if rand() < 0.6:
			company = c.companies[int(rand() * len(c.companies))]
			form = c.forms[int(rand() * len(c.forms))]
			x = rand()
			if c.latin:
				style = 1 if x < 0.15 else 0
			else:
				style = 0 if x < 0.5 else 1 if x < 0.85 else 2 if x < 0.95 else 3
		city = c.cities[int(rand() * len(c.cities))] if rand() < 0.75 else ""
		email = self.email(c, first, last, company) if rand() < 0.85 else ""
		nsn = phone = ""
		if rand() < 0.8:
			nsn = self.number(c.key)
			weights = c.phone_weights
			template = c.phone_templates[weights[int(rand() * len(weights))]]
			phone = template.format(*_phone_pieces(c.key, nsn))
		return _Person(c, first, last, email, nsn, phone, company, form, style, city)

	def number(self, key: str) -> str:
		"""A valid mobile number (national significant number) nobody else has."""
		rand = self.rand
		while True:
			if key == "uk":
				nsn = _UA_OPERATORS[int(rand() * 12)] + str(int(rand() * 10_000_000)).zfill(7)
			elif key == "ru":
				nsn = "9" + str(int(rand() * 1_000_000_000)).zfill(9)
			elif key == "pl":
				nsn = _PL_PREFIXES[int(rand() * len(_PL_PREFIXES))] + str(int(rand() * 1_000_000)).zfill(6)
			elif key == "gb":
				nsn = _GB_PREFIXES[int(rand() * len(_GB_PREFIXES))] + str(int(rand() * 10_000_000)).zfill(7)
			else:
				nsn = (
					_US_AREAS[int(rand() * len(_US_AREAS))]
					+ _US_EXCHANGES[int(rand() * len(_US_EXCHANGES))]
					+ str(int(rand() * 10_000)).zfill(4)
				)
			full = key + nsn
			if full not in self.phones:
				self.phones.add(full)
				return nsn

	def email(self, c: _Culture, first: str, last: str, company: str) -> str:
		"""An address made from the name, nobody else's: digits are added when the obvious one is taken."""
		rand = self.rand
		scheme = c.email_schemes[int(rand() * len(c.email_schemes))] if c.email_schemes else None
		words = c.email_words
		f = words.get((scheme, first))
		if f is None:
			f = words[scheme, first] = _email_word(first, scheme, c.lang)
		l = words.get((scheme, last))  # noqa: E741
		if l is None:
			l = words[scheme, last] = _email_word(last, scheme, c.lang)  # noqa: E741
		if company and rand() < 0.3:
			domain = self.company_domain(c, company)
			pattern, digits = _WORK_PATTERNS[int(rand() * len(_WORK_PATTERNS))]
		else:
			domain = c.domains[int(rand() * len(c.domains))]
			pattern, digits = _FREE_PATTERNS[int(rand() * len(_FREE_PATTERNS))]
		if digits:
			x = rand()
			if x < 0.45:
				d = str((60 + int(rand() * 46)) % 100).zfill(2)  # a birth year: 60 .. 05
			elif x < 0.7:
				d = str(1960 + int(rand() * 46))
			else:
				d = str(1 + int(rand() * 999))
			local = pattern.format(f=f, l=l, i=f[:1], d=d)
		else:
			local = pattern.format(f=f, l=l, i=f[:1])
		address = f"{local}@{domain}"
		emails = self.emails
		gmail = domain == "gmail.com"
		mailbox = local.replace(".", "") + "@gmail.com" if gmail else address
		attempt = 0
		while mailbox in emails:  # taken by another person
			attempt += 1
			if attempt > 30:
				return ""
			address = f"{local}{int(rand() * 10 ** (2 + attempt // 4))}@{domain}"
			mailbox = _mailbox(address) if gmail else address
		emails.add(mailbox)
		return address

	def company_domain(self, c: _Culture, company: str) -> str:
		key = (company, "domain" + c.key)
		found = _translit_cache.get(key)
		if found is None:
			if c.latin:
				slug = _NOT_EMAIL.sub("", _strip_diacritics(company).lower())
			else:
				slug = _email_word(company, "informal_" + c.lang, c.lang)
			tlds = _COMPANY_TLDS[c.key]
			found = f"{slug}.{tlds[len(slug) % len(tlds)]}"
			_translit_cache[key] = found
		return found

	# -- duplicates -------------------------------------------------------------------------------------

	def duplicate(self, p: _Person, entity: int) -> SyntheticContact:
		rand = self.rand
		chosen = self.pick_mutations(p)
		c = p.culture
		first, last, email, phone, city = p.first, p.last, p.email, p.phone, p.city
		form, style = p.form, p.style
		latin = c.latin
		keys = _KEYS_LATIN if latin else _KEYS_UK if c.lang == "uk" else _KEYS_RU
		company = None  # rendered at the end unless "translit" renders it
		applied = []
		touched = set()

		if "swap" in chosen and first != last:
			first, last = last, first
			applied.append("swap")
		if "company_form" in chosen:
			form, style = self.company_form(p, latin)
			applied.append("company_form")
			touched.add("company")
		if "translit" in chosen:
			first, last, company, city, keys = self.translit(p, first, last, form, style, city)
			applied.append("translit")
			if company is not None:
				touched.add("company")
			if city != p.city:
				touched.add("city")
		if "typo" in chosen:
			mistyped = ""
			if email and rand() < 0.15:
				local, _, domain = email.partition("@")
				for _ in range(10):
					new = _typo(local, _KEYS_LATIN, rand)
					if _valid_local(new) and _mailbox(f"{new}@{domain}") not in self.emails:
						mistyped = email = f"{new}@{domain}"
						touched.add("email")
						break
			if not mistyped:
				if rand() < 0.45:
					first = _typo(first, keys, rand)
				else:
					last = _typo(last, keys, rand)
			applied.append("typo")
		if "email_format" in chosen:
			email = self.email_format(email)
			applied.append("email_format")
			touched.add("email")
		if "phone_format" in chosen:
			others = [text for text in _phone_texts(c.key, p.nsn) if text != phone]
			phone = others[int(rand() * len(others))]
			applied.append("phone_format")
			touched.add("phone")
		if company is None:
			company = _render_company(p.company, form, style, latin) if p.company else ""
		if "missing" in chosen:
			values = {"email": email, "phone": phone, "company": company, "city": city}
			emptied = self.missing(values, touched, "typo" in applied)
			if emptied:
				email, phone, company, city = (
					values["email"],
					values["phone"],
					values["company"],
					values["city"],
				)
				applied.append("missing")
		if not applied:  # cannot happen with the rules above, but a duplicate must differ
			last = _typo(last, _KEYS_LATIN, rand)
			applied.append("typo")
		applied.sort(key=_MUTATION_ORDER.__getitem__)
		key = tuple(applied)
		mutations = self.mutation_tuples.setdefault(key, key)
		return SyntheticContact("", entity, first, last, email, phone, company, city, mutations, c.country)

	def pick_mutations(self, p: _Person) -> set[str]:
		rand = self.rand
		x = rand()
		k = 1 if x < 0.55 else 2 if x < 0.87 else 3
		candidates = ["typo", "translit", "swap"]
		if p.phone:
			candidates.append("phone_format")
		if p.email:
			candidates.append("email_format")
		if p.company:
			candidates.append("company_form")
		if p.email or p.phone or p.company or p.city:
			candidates.append("missing")
		chosen = set()
		for _ in range(k):
			total = sum(_MUTATION_WEIGHTS[c] for c in candidates)
			x = rand() * total
			for c in candidates:
				x -= _MUTATION_WEIGHTS[c]
				if x < 0:
					break
			chosen.add(c)
			candidates.remove(c)
		if "missing" in chosen and (
			("typo" in chosen and "translit" in chosen) or ("typo" in chosen and not p.email and not p.phone)
		):
			chosen.discard("missing")  # the copy must stay recognisable
		return chosen

	def company_form(self, p: _Person, latin: bool) -> tuple[str | None, int]:
		rand = self.rand
		form, style = p.form, p.style
		before = _render_company(p.company, form, style, latin)
		for _ in range(10):
			if form is None:
				forms = [f for f in p.culture.forms if f is not None]
				new_form = forms[int(rand() * len(forms))]
			else:
				x = rand()
				if x < 0.3:
					new_form = None
				elif x < 0.8:
					variants = _FORM_VARIANTS[form]
					new_form = variants[int(rand() * len(variants))]
				else:
					new_form = form
			new_style = int(rand() * 2) if latin else int(rand() * 4) if rand() < 0.5 else style
			if _render_company(p.company, new_form, new_style, latin) != before:
				return new_form, new_style
		return None, 2

	def translit(self, p: _Person, first, last, form, style, city):
		"""The names (sometimes the company and city) in the other script, and the keyboard they are typed on."""
		rand = self.rand
		c = p.culture
		lang = c.lang
		company = None
		if not c.latin:
			schemes = _TRANSLIT_SCHEMES[lang]
			scheme = schemes[int(rand() * len(schemes))]
			first = _latin(first, scheme, lang)
			last = _latin(last, scheme, lang)
			if p.company and rand() < 0.35:
				base = _latin(p.company, scheme, lang)
				if form is None:
					company = base if style > 1 else f'"{base}"'
				elif form in _FORM_ENGLISH and rand() < 0.5:
					company = f"{base} {_FORM_ENGLISH[form]}"
				else:
					latin_form = _latin(form, scheme, lang)
					company = f'{latin_form} "{base}"' if style < 2 else f"{latin_form} {base}"
			if city and rand() < 0.4:
				exonym = _CITY_EXONYMS.get(city)
				city = exonym if exonym and rand() < 0.5 else _latin(city, scheme, lang)
			return first, last, company, city, _KEYS_LATIN
		if lang == "pl" and rand() < 0.3 and _strip_diacritics(first + last) != first + last:
			return (
				_strip_diacritics(first),
				_strip_diacritics(last),
				None,
				_strip_diacritics(city),
				_KEYS_LATIN,
			)
		target = "uk" if rand() < 0.55 else "ru"
		first = _cyrillic(first, lang, target)
		last = _cyrillic(last, lang, target)
		if city and rand() < 0.4:
			city = _cyrillic(city, lang, target)
		return first, last, company, city, _KEYS_UK if target == "uk" else _KEYS_RU

	def email_format(self, email: str) -> str:
		rand = self.rand
		local, _, domain = email.partition("@")
		gmail = domain in ("gmail.com", "googlemail.com")
		for _ in range(10):
			x = rand()
			if not gmail or x < 0.3:
				if rand() < 0.4:
					new = email.upper()
				else:
					new = ".".join(part[:1].upper() + part[1:] for part in local.split(".")) + "@" + domain
			elif x < 0.6:
				if "." in local and rand() < 0.4:
					new_local = local.replace(".", "")
				else:
					spots = [i for i in range(1, len(local)) if local[i - 1] != "." and local[i] != "."]
					if not spots:
						continue
					i = spots[int(rand() * len(spots))]
					new_local = local[:i] + "." + local[i:]
				new = f"{new_local}@{domain}"
			elif x < 0.8:
				new = f"{local}+{_GMAIL_TAGS[int(rand() * len(_GMAIL_TAGS))]}@{domain}"
			else:
				new = f"{local}@{'googlemail.com' if domain == 'gmail.com' else 'gmail.com'}"
			if new != email:
				return new
		return email.upper()

	def missing(self, values: dict[str, str], touched: set[str], typo: bool) -> bool:
		"""Empties one or two untouched fields; one of email and phone always stays when there was one."""
		rand = self.rand
		fields = [
			name for name in ("email", "phone", "company", "city") if values[name] and name not in touched
		]
		if not fields:
			return False
		k = 2 if rand() < 0.3 and len(fields) > 1 and not typo else 1
		self.rng.shuffle(fields)
		emptied = 0
		for name in fields:
			if emptied == k:
				break
			if name in ("email", "phone"):
				other = "phone" if name == "email" else "email"
				if not values[other]:
					continue
			values[name] = ""
			emptied += 1
		return emptied > 0
