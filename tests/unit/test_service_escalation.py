from datetime import datetime, timedelta

from crm_app.core.service.escalation import Target, next_check, step
from crm_app.core.service.sla import AT_RISK, BREACHED, MET, ON_TRACK

T0 = datetime(2026, 12, 7, 9, 0)
H = timedelta(hours=1)


def running(due_in: float, risk_in: float) -> Target:
	return Target(due=T0 + due_in * H, at_risk_on=T0 + risk_in * H, state=ON_TRACK)


def test_on_track_then_at_risk_then_breached_each_alert_once():
	targets = {"response": running(2, 1.6)}
	first = step(targets, set(), T0 + 0.5 * H)
	assert (first.overall, first.new_alerts, first.next_check) == (ON_TRACK, (), T0 + 1.6 * H)
	second = step(targets, first.alerts_sent, T0 + 1.7 * H)
	assert (second.overall, second.new_alerts) == (AT_RISK, ("response_at_risk",))
	again = step(targets, second.alerts_sent, T0 + 1.8 * H)
	assert again.new_alerts == ()
	third = step(targets, second.alerts_sent, T0 + 2.1 * H)
	assert (third.overall, third.new_alerts, third.next_check) == (BREACHED, ("response_breached",), None)


def test_a_breach_found_late_is_one_alert():
	result = step({"response": running(2, 1.6)}, set(), T0 + 3 * H)
	assert result.new_alerts == ("response_breached",)
	assert result.alerts_sent == {"response_at_risk", "response_breached"}


def test_a_target_fulfilled_late_is_never_due_again():
	late = Target(due=T0 + 2 * H, at_risk_on=None, state=BREACHED)
	assert next_check({"response": late}, set()) is None
	result = step({"response": late, "resolution": running(8, 6.4)}, set(), T0 + 3 * H)
	assert result.overall == BREACHED and result.new_alerts == ()
	assert result.next_check == T0 + 6.4 * H


def test_the_breach_check_comes_after_the_due_instant():
	targets = {"response": running(2, 1.6)}
	at_due = step(targets, {"response_at_risk"}, T0 + 2 * H)
	assert at_due.overall == AT_RISK and at_due.next_check > T0 + 2 * H


def test_met_targets_keep_their_state():
	result = step({"response": Target(due=T0, at_risk_on=None, state=MET)}, set(), T0 + 9 * H)
	assert (result.overall, result.next_check) == (MET, None)
