"""Domain errors raised by the core, and the messages they carry; the Frappe shell translates them.

The core cannot import frappe, so it cannot translate. A message for a user is therefore kept as its
English template, marked with `_lt` so that the translation extractor (`bench generate-pot-file`, which
reads the keyword `_lt`) puts it in the app's template, and the values that fill it, apart: the shell
translates the template, then fills it (`crm_app.utils.core_message(error)`). The template is one whole
sentence with {0}, {1} placeholders (never an f-string), so that a translation may put the values
wherever its language needs them. str(error) is the English text, for logs and tests.
"""

from collections.abc import Callable


def _lt(message: str) -> str:
	"""Mark `message` for translation; returns it unchanged (the shell translates it when shown)."""
	return message


def _same(value):
	return value


class Message:
	"""Text for a user: a template marked with `_lt` and the values that fill it.

	A value may itself be a Message (a translatable term or phrase, translated in its turn) or a list or
	tuple of values (shown separated by commas). A template without values is shown as it is, braces
	included."""

	__slots__ = ("args", "kwargs", "template")

	def __init__(self, template: str, *args, **kwargs):
		self.template, self.args, self.kwargs = template, args, kwargs

	def render(self, translate: Callable[[str], str] = _same, show: Callable[[object], str] = str) -> str:
		"""The text with its template passed through `translate` and each plain value through `show`."""

		def fill(value) -> str:
			if isinstance(value, Message):
				return value.render(translate, show)
			if isinstance(value, list | tuple):
				return ", ".join(fill(item) for item in value)
			return show(value)

		text = translate(self.template)
		if not (self.args or self.kwargs):
			return text
		return text.format(*map(fill, self.args), **{key: fill(value) for key, value in self.kwargs.items()})

	def __str__(self) -> str:
		return self.render()

	def __repr__(self) -> str:
		values = [repr(self.template), *map(repr, self.args)]
		values += [f"{key}={value!r}" for key, value in self.kwargs.items()]
		return f"Message({', '.join(values)})"

	def __eq__(self, other) -> bool:
		return isinstance(other, Message) and (self.template, self.args, self.kwargs) == (
			other.template,
			other.args,
			other.kwargs,
		)

	def __hash__(self) -> int:
		return hash(self.template)


class CoreError(ValueError):
	"""Base class of the errors the functional core raises. `message` is what a user reads (a Message);
	str(error) is its English text.

	    raise LoyaltyError(_lt("Tier {0} is listed twice."), name)
	"""

	def __init__(self, template: "str | Message" = "", *args, **kwargs):
		self.message = template if isinstance(template, Message) else Message(template, *args, **kwargs)
		super().__init__(str(self.message))


class InvalidPhoneNumber(CoreError):
	def __init__(self, raw: str, reason: str = "invalid"):
		super().__init__(raw)
		self.raw = raw
		self.reason = reason
