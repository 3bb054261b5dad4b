"""Checks of the app's translations (crm_app/locale): the CI's translation check (tests/unit/test_translations.py).

- every message of the template (`main.pot`) has a translation in each language's `.po` file, not fuzzy,
  with all its plural forms;
- a translation keeps the placeholders of its message (`{0}`, `{name}`, `%s`, `%(name)s`, `{{ jinja }}`),
  in any order;
- no source builds a message in a way that cannot be translated: an f-string, `+`, `%` or `.format()`
  inside `_()`, or a template literal with `${}` or `+` inside `__()`. Such a message is not in the
  template (the extractor sees no literal), so no language could translate it.

Plain Python on Babel's catalogs, so that the unit tests run it without a site.
"""

import ast
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

LANGUAGES = ("ru", "uk", "pl")
# gettext's plural rules of the three languages: three forms each.
PLURAL_FORMS = {
	"ru": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
	"uk": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
	"pl": "nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
}
PLACEHOLDER = re.compile(
	r"\{\{.*?\}\}|\{%.*?%\}|\{[0-9]*\}|\{[A-Za-z_][A-Za-z0-9_]*\}|%\([A-Za-z_]+\)[sd]|%[sd]"
)


@dataclass(frozen=True)
class Problem:
	language: str
	message: str
	kind: str  # missing, fuzzy, plural, placeholders, header
	detail: str = ""

	def __str__(self) -> str:
		return f"[{self.language}] {self.kind}: {self.message!r} {self.detail}".rstrip()


def placeholders(text: str) -> Counter:
	return Counter(PLACEHOLDER.findall(text or ""))


def _forms(value) -> tuple[str, ...]:
	return tuple(value) if isinstance(value, list | tuple) else (value,)


def check_catalog(template, catalog, language: str) -> list[Problem]:
	"""Problems of one language's catalog (Babel `Catalog`s) against the template."""
	problems = []
	expected_plural = PLURAL_FORMS.get(language)
	if expected_plural and catalog.num_plurals != 3:
		problems.append(Problem(language, "", "header", f"Plural-Forms must be: {expected_plural}"))
	for message in template:
		if not message.id:
			continue
		translated = catalog.get(message.id, context=message.context)
		key = message.id if isinstance(message.id, str) else message.id[0]
		if translated is None or not any(_forms(translated.string)):
			problems.append(Problem(language, key, "missing"))
			continue
		if translated.fuzzy:
			problems.append(Problem(language, key, "fuzzy"))
			continue
		forms = _forms(translated.string)
		if not all(forms) or (isinstance(message.id, list | tuple) and len(forms) != catalog.num_plurals):
			problems.append(Problem(language, key, "plural", "every plural form needs a translation"))
			continue
		wanted = placeholders(key)
		for form in forms:
			if placeholders(form) != wanted:
				problems.append(
					Problem(
						language, key, "placeholders", f"{sorted(wanted)} became {sorted(placeholders(form))}"
					)
				)
				break
	return problems


# Calls whose first argument is a message: Frappe's `_` and `_lt` in Python, `__` in JavaScript.
PYTHON_TRANSLATORS = {"_", "_lt"}


def untranslatable_python(source: str) -> Iterator[tuple[int, str]]:
	"""(line, why) for each `_()` whose message is built at run time."""
	for node in ast.walk(ast.parse(source)):
		if not (isinstance(node, ast.Call) and node.args):
			continue
		name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
		if name not in PYTHON_TRANSLATORS:
			continue
		message = node.args[0]
		if isinstance(message, ast.JoinedStr):
			yield node.lineno, 'an f-string inside _(): use _("... {0}").format(value)'
		elif isinstance(message, ast.BinOp) and isinstance(message.op, ast.Add | ast.Mod):
			yield node.lineno, "a message built with + or % inside _(): one whole sentence with {0}"
		elif (
			isinstance(message, ast.Call)
			and isinstance(message.func, ast.Attribute)
			and message.func.attr == "format"
		):
			yield node.lineno, '.format() inside _(): format the translation, _("... {0}").format(value)'


_JS_TEMPLATE_WITH_VALUE = re.compile(r"(?<![\w.])__\(\s*`[^`]*\$\{")
_JS_CONCATENATED = re.compile(r"""(?<![\w.])__\(\s*(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*\+""")


def untranslatable_javascript(source: str) -> Iterator[tuple[int, str]]:
	"""(line, why) for each `__()` whose message is built at run time."""
	for pattern, why in (
		(_JS_TEMPLATE_WITH_VALUE, 'a template literal with ${} inside __(): use __("... {0}", [value])'),
		(_JS_CONCATENATED, "a message built with + inside __(): one whole sentence with {0}"),
	):
		for match in pattern.finditer(source):
			yield source.count("\n", 0, match.start()) + 1, why


def untranslatable(files: Iterable[tuple[str, str]]) -> list[str]:
	"""`path:line: why` for each message of (path, source) built so that it cannot be translated."""
	found = []
	for path, source in files:
		if path.endswith(".py"):
			lines = untranslatable_python(source)
		elif path.endswith(".js"):
			lines = untranslatable_javascript(source)
		else:
			continue
		found.extend(f"{path}:{line}: {why}" for line, why in lines)
	return found
