"""Messages of the functional core (issue 12): a core error keeps its `_lt` template and its values apart,
so that the shell can translate the template before filling it in (crm_app.utils.core_message), while
str(error) stays the English text."""

import ast
from datetime import datetime, time
from pathlib import Path

import pytest

from crm_app.core import scoring
from crm_app.core.errors import CoreError, Message, _lt
from crm_app.core.insights import forecast, loyalty, profitability
from crm_app.core.marketing import attribution, mail, rules, tracking, triggers
from crm_app.core.service import csat, sla

CORE = Path(__file__).resolve().parents[2] / "crm_app" / "core"

# A made-up language: what the shell's `_` does with a catalog.
UPPER = {
	"{0} must be a whole number, not {1}.": "WHOLE NUMBER NEEDED FOR {0} (NOT {1})",
	"The points of {0}": "POINTS OF {0}",
	"Referral": "REFERRAL",
	"{0}: the shifts {1}-{2} and {3}-{4} overlap": "{3}-{4} OVERLAPS {1}-{2} ON {0}",
	"Wednesday": "WEDNESDAY",
	"Field {field}: {value} is not a number": "{value} IS NO NUMBER ({field})",
}


def translate(text: str) -> str:
	return UPPER.get(text, text)


def caught(function, *args, **kwargs) -> CoreError:
	with pytest.raises(CoreError) as raised:
		function(*args, **kwargs)
	return raised.value


def test_lt_marks_and_returns_the_message():
	assert _lt("Row {0}: enter the field.") == "Row {0}: enter the field."


def test_str_is_english_and_the_template_is_translated_before_it_is_filled():
	error = caught(loyalty.parse_actions, [{"action": loyalty.REFERRAL, "points": "ten"}])
	assert str(error) == "The points of Referral must be a whole number, not 'ten'."
	assert error.message.template == "{0} must be a whole number, not {1}."
	# the label is a message of its own, and the action a term: each is translated too
	assert error.message.render(translate) == "WHOLE NUMBER NEEDED FOR POINTS OF REFERRAL (NOT 'ten')"


def test_a_translation_may_put_the_values_in_another_order():
	error = caught(sla.WorkingCalendar, {2: [(time(9), time(13)), (time(12), None)]}, [], "UTC")
	assert str(error) == "Wednesday: the shifts 09:00-13:00 and 12:00-24:00 overlap"
	assert error.message.render(translate) == "12:00-24:00 OVERLAPS 09:00-13:00 ON WEDNESDAY"


def test_named_placeholders_and_values_shown_through_the_shell():
	error = caught(rules.scalar_value, "lead_score", "Float", None, "<b>lots</b>")
	assert str(error) == "Field lead_score: '<b>lots</b>' is not a number"
	escaped = error.message.render(translate, lambda value: str(value).replace("<", "&lt;"))
	assert escaped == "'&lt;b>lots&lt;/b>' IS NO NUMBER (lead_score)"


def test_lists_are_joined_and_a_template_without_values_is_left_as_it_is():
	assert Message("{0} and {1}: {2}", "a", "b", [Message("x"), "y"]).render() == "a and b: x, y"
	assert str(Message("A rule must be {like this}")) == "A rule must be {like this}"
	assert str(CoreError("Braces {0} in an old message")) == "Braces {0} in an old message"
	assert Message("{0}", 1) == Message("{0}", 1) != Message("{0}", 2)


@pytest.mark.parametrize(
	"call, english",
	[
		(lambda: loyalty.parse_tiers([{"tier_name": " "}]), "Tier row 1 has no name."),
		(
			lambda: loyalty.parse_tiers([{"tier_name": "Gold", "min_points": -1}]),
			"The minimum points of tier Gold cannot be negative (-1).",
		),
		(
			lambda: loyalty.parse_actions([{"action": "Birthday"}]),
			"Unknown loyalty action 'Birthday': expected one of Call Logged, Issue Resolved, Survey Answered, "
			"Referral.",
		),
		(lambda: loyalty.check_points_per_unit("x"), "Points per unit must be a number, not 'x'."),
		(lambda: profitability.Weights(support=-2), "The weight of support cannot be negative (-2)."),
		(
			lambda: profitability.acquisition_costs({"Spring": -1}, {"A": "Spring"}),
			"The cost of campaign Spring cannot be negative (-1).",
		),
		(
			lambda: profitability.rank(
				[profitability.CustomerFigures("A", support_hours=-1)], profitability.Weights()
			),
			"The support hours of A cannot be negative.",
		),
		(
			lambda: forecast.check_settings(history_months=36, horizon=0, season_length=12),
			"The forecast horizon must be between 1 and 36 months.",
		),
		(
			lambda: sla.WorkingCalendar({0: [(time(9), None)]}, [], "Mars/Base"),
			"Unknown time zone: 'Mars/Base'",
		),
		(
			lambda: sla.WorkingCalendar({0: [(time(13), time(9))]}, [], "UTC"),
			"Monday: the shift 13:00-09:00 must end after it starts (a shift cannot cross midnight: split it at "
			"24:00)",
		),
		(lambda: sla.WorkingCalendar({}, [], "UTC"), "The working hours have no working time in the week"),
		(
			lambda: mail.SendClock(start=datetime(2026, 1, 1), per_hour=1),
			"The start of a send needs a time zone.",
		),
		(
			lambda: attribution.check_model("Linear"),
			"Unknown attribution model 'Linear': expected First Touch or Last Touch.",
		),
		(lambda: tracking.link_index("x", []), "This tracking link names no link."),
		(lambda: csat.clean_rating(9, ""), "Please choose a rating from 1 to 5."),
		(
			lambda: scoring.compile_criteria([{"fieldname": "shoe_size", "points": 1}], {}),
			"Row 1: CX Lead has no field shoe_size.",
		),
	],
)
def test_each_message_reads_as_a_sentence(call, english):
	error = caught(call)
	assert str(error) == english
	assert error.message.render() == english


# Raises whose text no user reads, left in plain English: programming errors (a caller passing what no
# form can), data the shell has already checked, or errors whose `reason` the shell words itself.
LEFT_IN_ENGLISH = {
	"ValueError",  # synthetic data, tally definitions, batch sizes, timeline keys, model options
	"AssertionError",
	"NaiveDatetimeError",  # the shell always passes aware datetimes
	"InvalidInterval",  # pauses come from the issue's own status history
	"InvalidSearchParameter",  # the shell clamps limits and weights
	"ConversionModelError",  # the shell replaces an unreadable model's error by its own note
	"RfmInputError",  # rows read from the database
	"ConditionSetupError",  # the shell words each `code` itself, with the row it is in
	"ActionSetupError",
	"UnknownPeriodicity",  # report filters are checked by the shell first
	"EmptyPeriod",
	"TooManyPeriods",  # worded by the shell
}


def raises_with_english_text(source: str):
	"""(line, exception) of each raise given a sentence (a literal or an f-string) not marked `_lt`."""
	for node in ast.walk(ast.parse(source)):
		if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
			args = node.exc.args
			marked = any(isinstance(arg, ast.Call) and getattr(arg.func, "id", "") == "_lt" for arg in args)
			sentence = any(
				isinstance(arg, ast.JoinedStr) or (isinstance(arg, ast.Constant) and " " in str(arg.value))
				for arg in args
			)
			if sentence and not marked:
				func = node.exc.func
				yield node.lineno, func.id if isinstance(func, ast.Name) else ast.unparse(func)


def test_every_core_error_a_user_reads_is_a_template():
	found = []
	for path in sorted(CORE.rglob("*.py")):
		for line, name in raises_with_english_text(path.read_text()):
			if name not in LEFT_IN_ENGLISH:
				found.append(f"{path.relative_to(CORE)}:{line}: {name}")
	assert not found, "a message that cannot be translated: raise X(_lt('... {0}'), value)\n" + "\n".join(
		found
	)


def test_lt_is_only_given_literals():
	for path in sorted(CORE.rglob("*.py")):
		for node in ast.walk(ast.parse(path.read_text())):
			if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_lt":
				assert len(node.args) == 1 and isinstance(node.args[0], ast.Constant), (
					f"{path.relative_to(CORE)}:{node.lineno}: _lt() takes one literal message"
				)


def test_shell_mapped_errors_keep_their_codes():
	with pytest.raises(triggers.ConditionSetupError) as raised:
		triggers.check_cart_condition("CX Lead", "x", True)
	assert raised.value.code == "cart_hours"
