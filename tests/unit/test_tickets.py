from datetime import datetime

import pytest

from crm_app.core.tickets import status_timestamps

T0 = datetime(2026, 1, 1, 9, 0)
T1 = datetime(2026, 1, 1, 10, 0)
T2 = datetime(2026, 1, 2, 10, 0)


def test_new_ticket_is_opened():
	assert status_timestamps(None, "Open", T0, {}) == {"opened_on": T0}


def test_first_response_is_stamped_once():
	stamps = {"opened_on": T0}
	assert status_timestamps("Open", "Replied", T1, stamps) == {"first_responded_on": T1}
	stamps |= {"first_responded_on": T1}
	assert status_timestamps("On Hold", "Replied", T2, stamps) == {}


def test_closing_also_resolves_an_unresolved_ticket():
	assert status_timestamps("Open", "Closed", T1, {"opened_on": T0}) == {
		"closed_on": T1,
		"resolved_on": T1,
	}


def test_reopening_clears_resolution():
	stamps = {"opened_on": T0, "resolved_on": T1}
	assert status_timestamps("Resolved", "Open", T2, stamps) == {"resolved_on": None, "closed_on": None}


def test_unchanged_status_stamps_nothing():
	assert status_timestamps("Open", "Open", T1, {"opened_on": T0}) == {}


def test_unknown_status_is_refused():
	with pytest.raises(ValueError):
		status_timestamps("Open", "Escalated", T1, {})
