from datetime import datetime, timedelta

from crm_app.core.service.mail import (
	APPEND,
	FOLLOW_UP,
	NEW_ISSUE,
	REOPEN,
	Proposal,
	cut_body,
	decide,
	subject_reference,
	with_reference,
)

NOW = datetime(2026, 12, 1, 12, 0)


def proposal(**values) -> Proposal:
	base = {
		"sender": "Olena@Example.com",
		"sender_is_staff": False,
		"issue_status": "Open",
		"finished_on": None,
		"issue_senders": frozenset({"olena@example.com", "buyer@example.com"}),
		"now": NOW,
		"new_issue_after_days": 7,
	}
	base.update(values)
	return Proposal(**base)


def test_the_raiser_replies_on_an_open_issue():
	assert decide(proposal()) == APPEND


def test_a_stranger_naming_someone_elses_issue_gets_an_issue_of_their_own():
	assert decide(proposal(sender="intruder@example.net")) == NEW_ISSUE


def test_staff_may_answer_from_their_own_mail_client():
	assert decide(proposal(sender="agent@ourdesk.com", sender_is_staff=True)) == APPEND


def test_a_soon_reply_reopens_a_late_one_follows_up():
	soon = proposal(issue_status="Resolved", finished_on=NOW - timedelta(days=2))
	late = proposal(issue_status="Closed", finished_on=NOW - timedelta(days=8))
	assert (decide(soon), decide(late)) == (REOPEN, FOLLOW_UP)


def test_a_stranger_on_a_closed_issue_is_still_a_stranger():
	assert decide(proposal(sender="x@y.z", issue_status="Closed", finished_on=NOW)) == NEW_ISSUE


def test_subject_reference():
	assert subject_reference("Re: Printer (#CX-ISS-2026-00042)") == "CX-ISS-2026-00042"
	assert subject_reference("Order #123 is late") is None
	assert with_reference("Re: Printer", "CX-ISS-1") == "Re: Printer (#CX-ISS-1)"
	assert with_reference("Re: Printer (#CX-ISS-1)", "CX-ISS-1") == "Re: Printer (#CX-ISS-1)"


def test_a_long_body_is_cut_with_a_note():
	body, cut = cut_body("x" * 100, 10, " [cut]")
	assert (body, cut) == ("x" * 10 + " [cut]", True)
	assert cut_body("short", 10, "!") == ("short", False)


def test_references_newest_first():
	from crm_app.core.service.mail import referenced_message_ids

	header = "<first@desk.example>\n <second@customer.example> <third@other.example>"
	assert referenced_message_ids(header) == [
		"third@other.example",
		"second@customer.example",
		"first@desk.example",
	]
	assert referenced_message_ids(None) == []
