"""What the escalation job does to an issue as time passes, from the instants stored on it.

A save computes each target's due instant and the instant it turns At Risk (the working calendar is
needed only then); between saves the state can only move forward in time, so the job compares those
instants with now and needs no calendar. Datetimes are compared as given (the shell passes the naive
system-time values it stores).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from crm_app.core.service.sla import AT_RISK, BREACHED, MET, ON_TRACK, PAUSED

TARGETS = ("response", "resolution")
AT_RISK_ALERT, BREACH_ALERT = "at_risk", "breached"
# Worst first: an issue's overall state is the worst of its targets.
SEVERITY = (BREACHED, AT_RISK, PAUSED, ON_TRACK, MET)
# A target is breached only once now is past its due instant: the check for it comes just after.
BREACH_CHECK_DELAY = timedelta(seconds=1)


@dataclass(frozen=True)
class Target:
	"""One target as stored: `at_risk_on` is None once it is fulfilled (its state then stays)."""

	due: datetime | None
	at_risk_on: datetime | None
	state: str | None

	@property
	def running(self) -> bool:
		return self.due is not None and self.at_risk_on is not None


@dataclass(frozen=True)
class Step:
	states: dict[str, str | None]
	overall: str | None
	new_alerts: tuple[str, ...]
	alerts_sent: frozenset[str]
	next_check: datetime | None


def state_at(target: Target, now: datetime) -> str | None:
	if not target.running:
		return target.state if target.due is not None else (target.state and PAUSED)
	if now > target.due:
		return BREACHED
	if now >= target.at_risk_on:
		return AT_RISK
	return ON_TRACK


def overall_state(states) -> str | None:
	present = [state for state in states if state]
	return min(present, key=SEVERITY.index) if present else None


def next_check(targets: Mapping[str, Target], alerts_sent: frozenset[str] | set[str]) -> datetime | None:
	"""The next instant an alert falls due: unsent alerts of running targets only (a fulfilled or paused
	target has none, so an issue answered late is never due again)."""
	moments = []
	for name, target in targets.items():
		if not target.running:
			continue
		if f"{name}_{AT_RISK_ALERT}" not in alerts_sent:
			moments.append(target.at_risk_on)
		if f"{name}_{BREACH_ALERT}" not in alerts_sent:
			moments.append(target.due + BREACH_CHECK_DELAY)
	return min(moments) if moments else None


def step(targets: Mapping[str, Target], alerts_sent: frozenset[str] | set[str], now: datetime) -> Step:
	"""States at `now`, the alerts that fall due (each once), and when to look again."""
	sent = set(alerts_sent)
	states, new_alerts = {}, []
	for name, target in targets.items():
		state = states[name] = state_at(target, now)
		if not target.running:
			continue
		at_risk, breached = f"{name}_{AT_RISK_ALERT}", f"{name}_{BREACH_ALERT}"
		if state == BREACHED and breached not in sent:
			new_alerts.append(breached)
			sent.update((at_risk, breached))  # a breach found late says so once, not twice
		elif state == AT_RISK and at_risk not in sent:
			new_alerts.append(at_risk)
			sent.add(at_risk)
	frozen = frozenset(sent)
	return Step(
		states, overall_state(states.values()), tuple(new_alerts), frozen, next_check(targets, frozen)
	)
