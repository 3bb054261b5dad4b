"""The translation check of the test command (issue 12): every message of the app is translated into
Russian, Ukrainian and Polish with its placeholders and plural forms, and no source builds a message so
that it cannot be translated. That `main.pot` holds every message of today's sources is checked on a
site (tests/integration/test_translations.py: it needs Frappe's extractors).

To fix a failure: scripts/translations.sh, then translate what is listed (docs/glossary.md)."""

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from crm_app.core.l10n import catalogs

REPOSITORY = Path(__file__).resolve().parents[2]
LOCALE = REPOSITORY / "crm_app" / "locale"


def load(path: Path) -> Catalog:
	with open(path, "rb") as file:
		return read_po(file)


def problems_of(template: Catalog, language: str, catalog: Catalog) -> list[str]:
	return [str(problem) for problem in catalogs.check_catalog(template, catalog, language)]


def test_every_message_is_translated_in_each_language():
	template = load(LOCALE / "main.pot")
	assert len(template) > 1000  # the template is the app's, not an empty file
	problems = []
	for language in catalogs.LANGUAGES:
		problems += problems_of(template, language, load(LOCALE / f"{language}.po"))
	shown = "\n".join(problems[:40])
	assert not problems, f"{len(problems)} translation problems (scripts/translations.sh):\n{shown}"


def catalog(language: str, **messages) -> Catalog:
	result = Catalog(locale=language)
	for message, translation in messages.items():
		result.add(message, translation)
	return result


def test_a_new_untranslated_message_fails_the_check():
	template = Catalog()
	for message in ("Lead", "Score {0} of {1}", "New message"):
		template.add(message)
	translated = {"Lead": "Лід", "Score {0} of {1}": "Оцінка {0} з {1}"}
	uk = Catalog(locale="uk")
	for message, translation in translated.items():
		uk.add(message, translation)
	assert problems_of(template, "uk", uk) == ["[uk] missing: 'New message'"]
	uk.add("New message", "")  # an empty translation is none
	assert problems_of(template, "uk", uk) == ["[uk] missing: 'New message'"]
	uk["New message"].string = "Нове повідомлення"
	assert problems_of(template, "uk", uk) == []


def test_placeholders_fuzzy_entries_and_plural_forms_are_checked():
	template = Catalog()
	template.add("Score {0} of {1}")
	template.add("Dear {{ doc.first_name }}")
	template.add("%s leads")
	template.add(("{0} lead", "{0} leads"))
	pl = Catalog(locale="pl")
	pl.add("Score {0} of {1}", "Ocena {1} z {0}")  # another order is fine
	pl.add("Dear {{ doc.first_name }}", "Szanowny {{ doc.name }}")  # another variable is not
	pl.add("%s leads", "leady", flags=["fuzzy"])
	pl.add(("{0} lead", "{0} leads"), ("{0} lead", "{0} leady", ""))  # the third form is missing
	kinds = {problem.split(":")[0] for problem in problems_of(template, "pl", pl)}
	assert kinds == {"[pl] placeholders", "[pl] fuzzy", "[pl] plural"}


def test_each_language_has_its_three_plural_forms():
	english_rules = Catalog(locale="en")  # two forms
	assert [p.kind for p in catalogs.check_catalog(Catalog(), english_rules, "uk")] == ["header"]
	for language in catalogs.LANGUAGES:
		assert load(LOCALE / f"{language}.po").num_plurals == 3


def test_no_source_builds_a_message_that_cannot_be_translated():
	sources = [
		(str(path.relative_to(REPOSITORY)), path.read_text(encoding="utf-8"))
		for path in (REPOSITORY / "crm_app").rglob("*")
		if path.suffix in (".py", ".js") and "node_modules" not in path.parts
	]
	assert len(sources) > 100
	found = catalogs.untranslatable(sources)
	assert not found, "\n".join(found)


def test_the_source_check_finds_each_way_of_building_a_message():
	python = 'a = _(f"Hello {name}")\nb = _("Hello " + name)\nc = _("Hi {0}".format(name))\nd = _("Hi {0}").format(name)\n'
	javascript = '__(`Hello ${name}`);\n__("Hello " + name);\n__("Hi {0}", [name]);\n__(`Plain`);\n'
	found = catalogs.untranslatable([("a.py", python), ("b.js", javascript)])
	assert [line.split(": ")[0] for line in found] == ["a.py:1", "a.py:2", "a.py:3", "b.js:1", "b.js:2"]
