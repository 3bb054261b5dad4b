"""Service levels of CX Issue: the shell around the clock of crm_app/core/service/sla.py.

An issue's policy, deadlines and state are computed by the server on every save (from its status history,
so pauses and fulfilment are exact) and by the escalation job as time passes. The job finds the issues
whose state changes next with one range read of the `sla_next_check_on` index, and sends each alert
once (`sla_alerts_sent`).
"""

import json
from datetime import date, datetime, time, timedelta

import frappe
from frappe import _, _lt
from frappe.utils import get_datetime, get_system_timezone, now_datetime

from crm_app.core.service import escalation
from crm_app.core.service import sla as clock
from crm_app.core.service.escalation import AT_RISK_ALERT, BREACH_ALERT
from crm_app.exceptions import InvalidSLAPolicyError
from crm_app.utils import core_message

PAUSE, FULFIL = "Pause", "Fulfil"
RESPONSE, RESOLUTION = escalation.TARGETS
POLICY_INPUTS = ("priority", "customer", "issue_type")


# Policies ------------------------------------------------------------------------------------------


def as_time(value) -> time | None:
	"""A Frappe Time value (timedelta from the database, a string from the form) as `datetime.time`."""
	if value in (None, ""):
		return None
	if isinstance(value, time):
		return value
	if isinstance(value, timedelta):
		seconds = int(value.total_seconds())
		if seconds >= 86_400:
			return time(0, 0)  # 24:00, the end of the day
		return time(seconds // 3600, seconds % 3600 // 60, seconds % 60)
	return frappe.utils.get_time(value)


def holidays_of(policy) -> list[date]:
	days = [frappe.utils.getdate(row.holiday_date) for row in policy.holidays if row.holiday_date]
	for method in frappe.get_hooks("cx_sla_holiday_sources"):
		days.extend(frappe.utils.getdate(day) for day in frappe.get_attr(method)(policy))
	return days


def build_calendar(policy) -> clock.WorkingCalendar:
	"""The policy's working calendar; raises InvalidSLAPolicyError in words a manager understands."""
	weekly: dict[int, list] = {}
	for row in policy.working_hours:
		weekday = clock.WEEKDAY_NAMES.index(row.weekday)
		weekly.setdefault(weekday, []).append((as_time(row.start_time), as_time(row.end_time)))
	try:
		return clock.WorkingCalendar(weekly, holidays_of(policy), policy.time_zone or get_system_timezone())
	except clock.UnknownTimeZone:
		frappe.throw(_("Unknown time zone: {0}").format(policy.time_zone), InvalidSLAPolicyError)
	except clock.ShiftEndsBeforeStart as error:
		frappe.throw(
			_("Working hours on {0} end before they start.").format(_(clock.WEEKDAY_NAMES[error.weekday])),
			InvalidSLAPolicyError,
		)
	except clock.OverlappingShifts as error:
		frappe.throw(
			_("Working hours on {0} overlap.").format(_(clock.WEEKDAY_NAMES[error.weekday])),
			InvalidSLAPolicyError,
		)
	except clock.NoWorkingTime:
		frappe.throw(_("The policy has no working hours in the week."), InvalidSLAPolicyError)
	except clock.CalendarError as error:
		frappe.throw(
			_("The working hours are not valid: {0}").format(core_message(error)), InvalidSLAPolicyError
		)


def calendar_of(policy_name: str) -> tuple:
	"""(policy, calendar), built once per request or job for each policy version."""
	policy = frappe.get_cached_doc("CX SLA Policy", policy_name)
	cache = getattr(frappe.local, "cx_sla_calendars", None)
	if cache is None:
		cache = frappe.local.cx_sla_calendars = {}
	key = (policy_name, str(policy.modified))
	if key not in cache:
		cache[key] = build_calendar(policy)
	return policy, cache[key]


def enabled_policies() -> list:
	return [
		frappe.get_cached_doc("CX SLA Policy", name)
		for name in frappe.get_all("CX SLA Policy", filters={"enabled": 1}, pluck="name", order_by="name")
	]


def rule_of(policy, issue) -> clock.PolicyRule:
	condition = None
	if policy.condition and policy.condition.strip():
		condition = bool(frappe.safe_eval(policy.condition, None, {"doc": issue}))
	return clock.PolicyRule(
		name=policy.name,
		priorities={row.priority for row in policy.targets},
		customers={policy.customer} if policy.customer else (),
		customer_groups={policy.customer_group} if policy.customer_group else (),
		territories={policy.territory}
		if policy.territory and not is_root_territory(policy.territory)
		else (),
		issue_types={policy.issue_type} if policy.issue_type else (),
		condition=condition,
		default=bool(policy.default_policy),
		order=policy.apply_order or 0,
	)


def is_root_territory(territory: str) -> bool:
	"""The tree's root (All Territories, which ERPNext also sets as every user's default) means any."""
	return not frappe.db.get_value("CX Territory", territory, "parent_cx_territory", cache=True)


def territory_with_ancestors(territory: str | None) -> list[str]:
	if not territory:
		return []
	lft, rgt = frappe.db.get_value("CX Territory", territory, ["lft", "rgt"]) or (None, None)
	if lft is None:
		return [territory]
	return frappe.get_all(
		"CX Territory", filters={"lft": ("<=", lft), "rgt": (">=", rgt)}, pluck="name", order_by="lft desc"
	)


def facts_of(issue) -> clock.IssueFacts:
	customer_group, territory = None, None
	if issue.customer:
		customer_group, territory = frappe.db.get_value(
			"CX Customer", issue.customer, ["customer_group", "territory"]
		) or (None, None)
	return clock.IssueFacts(
		priority=issue.priority,
		customer=issue.customer,
		customer_groups=[customer_group] if customer_group else [],
		territories=territory_with_ancestors(territory),
		issue_type=issue.issue_type,
	)


def choose_policy_for(issue) -> str | None:
	policies = enabled_policies()
	if not policies:
		return None
	rule = clock.choose_policy([rule_of(policy, issue) for policy in policies], facts_of(issue))
	return rule.name if rule else None


# The clock of one issue -----------------------------------------------------------------------------


def aware(value) -> datetime | None:
	return clock.from_naive(get_datetime(value), get_system_timezone()) if value else None


def naive(value: datetime | None) -> datetime | None:
	return clock.to_naive(value, get_system_timezone()) if value else None


def read_clocks(issue, policy, calendar, now: datetime) -> dict:
	"""The two clocks (first response, resolution) of `issue` under `policy` at `now` (naive, system)."""
	target = next((row for row in policy.targets if row.priority == issue.priority), None)
	if not target or not issue.opened_on:
		return {}
	pause_statuses = {row.status for row in policy.statuses if row.effect == PAUSE}
	fulfil_statuses = {row.status for row in policy.statuses if row.effect == FULFIL}
	timeline = [(aware(row.changed_on), row.status) for row in issue.status_log if row.changed_on]
	if not timeline:
		timeline = [(aware(issue.opened_on), issue.status)]
	pauses, resolved_at = clock.pauses_and_fulfilment(timeline, pause_statuses, fulfil_statuses)
	fraction = (policy.at_risk_percent if policy.at_risk_percent is not None else 20) / 100
	start, moment = aware(issue.opened_on), aware(now)
	return {
		RESPONSE: clock.read_clock(
			calendar,
			start,
			target.first_response_time or 0,
			moment,
			pauses,
			fulfilled_at=aware(issue.first_responded_on),
			at_risk_fraction=fraction,
		),
		RESOLUTION: clock.read_clock(
			calendar, start, target.resolution_time or 0, moment, pauses, resolved_at, fraction
		),
	}


def alerts_of(issue) -> set[str]:
	return {alert for alert in (issue.get("sla_alerts_sent") or "").split(",") if alert}


def apply_sla(issue, now: datetime | None = None) -> dict:
	"""Set the issue's SLA fields from its policy and history at `now`; return the clock readings."""
	now = now or now_datetime()
	if needs_policy_choice(issue):
		issue.sla_policy = choose_policy_for(issue)
	readings = {}
	if issue.sla_policy:
		policy, calendar = calendar_of(issue.sla_policy)
		readings = read_clocks(issue, policy, calendar, now)
	set_fields(issue, readings)
	return readings


def needs_policy_choice(issue) -> bool:
	"""A new issue, one whose priority, customer or type changed, or whose policy is gone or disabled;
	an edited policy reaches its open issues through `recompute_open_issues`."""
	if issue.is_new() or not issue.sla_policy:
		return True
	before = issue.get_doc_before_save()
	if before and any(before.get(field) != issue.get(field) for field in POLICY_INPUTS):
		return True
	return not frappe.db.exists("CX SLA Policy", {"name": issue.sla_policy, "enabled": 1})


def set_fields(issue, readings: dict) -> None:
	response, resolution = readings.get(RESPONSE), readings.get(RESOLUTION)
	issue.response_by = naive(response.due) if response else None
	issue.response_at_risk_on = naive(response.at_risk_on) if response else None
	issue.response_status = visible_state(response)
	issue.resolution_by = naive(resolution.due) if resolution else None
	issue.resolution_at_risk_on = naive(resolution.at_risk_on) if resolution else None
	issue.resolution_status = visible_state(resolution)
	issue.sla_status = escalation.overall_state(reading.state for reading in readings.values())
	paused = resolution is not None and resolution.paused
	issue.on_hold_since = (issue.on_hold_since or now_datetime()) if paused else None
	issue.sla_next_check_on = escalation.next_check(stored_targets(issue), alerts_of(issue))


def stored_targets(issue) -> dict[str, escalation.Target]:
	return {
		target: escalation.Target(
			due=get_datetime(issue.get(f"{target}_by")) if issue.get(f"{target}_by") else None,
			at_risk_on=get_datetime(issue.get(f"{target}_at_risk_on"))
			if issue.get(f"{target}_at_risk_on")
			else None,
			state=issue.get(f"{target}_status"),
		)
		for target in escalation.TARGETS
		if issue.get(f"{target}_status")
	}


def visible_state(reading) -> str | None:
	if reading is None:
		return None
	return clock.ON_TRACK if reading.state == clock.PAUSED else reading.state


def log_status(issue) -> None:
	"""Append a row to the status history when the status changes (the clock reads pauses from it)."""
	before = issue.get_doc_before_save()
	if before and before.status == issue.status and issue.status_log:
		return
	if not before and issue.status_log:
		return  # brought by an import with its own history
	issue.append(
		"status_log",
		{"status": issue.status, "changed_on": now_datetime(), "changed_by": frappe.session.user},
	)


# Escalation -----------------------------------------------------------------------------------------


ESCALATION_COLUMNS = (
	"name",
	"modified",
	"agent",
	"_assign",
	"sla_policy",
	"response_by",
	"response_at_risk_on",
	"response_status",
	"resolution_by",
	"resolution_at_risk_on",
	"resolution_status",
	"sla_alerts_sent",
)


def escalate_due_issues(now: datetime | None = None, batch_size: int = 500) -> int:
	"""Scheduler job: every issue whose SLA state changes by `now` gets its state brought up to date and
	its alerts (at risk, breached) sent once each. A batch is one range read of the `sla_next_check_on`
	index, the stored instants compared with now (no calendar), one UPDATE and one notification job."""
	now = now or now_datetime()
	issue = frappe.qb.DocType("CX Issue")
	done: set[str] = set()
	while True:
		rows = (
			frappe.qb.from_(issue)
			.select(*(issue[column] for column in ESCALATION_COLUMNS))
			.where(issue.sla_next_check_on <= now)
			.orderby(issue.sla_next_check_on)
			.orderby(issue.name)
			.limit(batch_size)
			.run(as_dict=True)
		)
		fresh = [row for row in rows if row.name not in done]
		if not fresh:
			break
		escalate_batch(fresh, now)
		frappe.db.commit()  # a batch at a time: a killed job loses no sent alert's mark
		done.update(row.name for row in fresh)
		if len(rows) < batch_size:
			break
	return len(done)


def escalate_batch(rows: list, now: datetime) -> list:
	updates, alerts = [], []
	for row in rows:
		result = escalation.step(stored_targets(row), alerts_of(row), now)
		updates.append((row, result))
		alerts.extend((row, alert) for alert in result.new_alerts)
	write_steps(updates)
	if alerts:
		act_on_alerts(alerts)
	return alerts


def write_steps(updates: list) -> None:
	"""One UPDATE for the batch, joined to the batch's new values; a row saved since it was read (its
	`modified` moved) keeps what its save computed."""
	if not updates:
		return
	values = []
	for row, result in updates:
		values += [
			row.name,
			row.modified,
			result.states.get(RESPONSE),
			result.states.get(RESOLUTION),
			result.overall,
			",".join(sorted(result.alerts_sent)),
			result.next_check,
		]
	frappe.db.sql(
		"update `tabCX Issue` issue join ("
		+ " union all ".join([_STEP_ROW] * len(updates))
		+ ") new on new.name = issue.name and new.modified = issue.modified "
		+ _STEP_SET,
		values,
	)


_STEP_ROW = "select %s as name, %s as modified, %s as c1, %s as c2, %s as c3, %s as c4, %s as c5"
_STEP_SET = (
	"set issue.response_status = new.c1, issue.resolution_status = new.c2, issue.sla_status = new.c3, "
	"issue.sla_alerts_sent = new.c4, issue.sla_next_check_on = new.c5"
)


# Lazy: each notice is worded in its recipient's language (send_notices).
ALERT_SUBJECTS = {
	f"{RESPONSE}_{AT_RISK_ALERT}": _lt("Issue {0} needs a first response by {1}"),
	f"{RESPONSE}_{BREACH_ALERT}": _lt("Issue {0} missed its first response time ({1})"),
	f"{RESOLUTION}_{AT_RISK_ALERT}": _lt("Issue {0} needs resolving by {1}"),
	f"{RESOLUTION}_{BREACH_ALERT}": _lt("Issue {0} missed its resolution time ({1})"),
}


def act_on_alerts(alerts: list) -> None:
	"""Breaches reassign at once (the policy's agent or rule); the notices of the batch go out in one job."""
	notices = []
	names = {row.sla_policy for row, _alert in alerts if row.sla_policy}
	# a policy deleted since: its issues keep their state and say nothing
	policies = {name: frappe.get_cached_doc("CX SLA Policy", name) for name in existing_policies(names)}
	for row, alert in alerts:
		policy = policies.get(row.sla_policy)
		if policy is None:
			continue
		breached = alert.endswith(BREACH_ALERT)
		if breached and (policy.escalate_to or policy.escalation_rule):
			reassign(row, policy)
		if not (policy.notify_breached if breached else policy.notify_at_risk):
			continue
		recipients = {row.agent, policy.escalate_to if breached else None, *assignees_of(row)}
		recipients.discard(None)
		if recipients:
			due = row.response_by if alert.startswith(RESPONSE) else row.resolution_by
			notices.append({"issue": row.name, "alert": alert, "due": due, "users": sorted(recipients)})
	if notices:
		frappe.enqueue(
			"crm_app.cx_support.sla.send_notices",
			queue="short",
			notices=notices,
			enqueue_after_commit=True,
			now=frappe.flags.in_test,
		)


def existing_policies(names: set[str]) -> list[str]:
	if not names:
		return []
	return frappe.get_all("CX SLA Policy", filters={"name": ("in", sorted(names))}, pluck="name")


def assignees_of(row) -> list[str]:
	try:
		return json.loads(row.get("_assign") or "[]")
	except ValueError:
		return []


def send_notices(notices: list[dict]) -> None:
	"""The bell (and Frappe's email of it, by each user's settings) for each alert of a batch, in each
	user's language: the languages of all the batch's users in one query, each notice worded once per
	language among its users."""
	from frappe.desk.doctype.notification_log.notification_log import make_notification_logs

	from crm_app.languages import group, read_directory, speaking

	subjects = frappe._dict(
		frappe.get_all(
			"CX Issue",
			filters={"name": ("in", [n["issue"] for n in notices])},
			fields=["name", "subject"],
			as_list=True,
		)
	)
	directory = read_directory(users=[user for notice in notices for user in notice["users"]])
	for notice in notices:
		for language, users in group(notice["users"], directory.user).items():
			with speaking(language):
				make_notification_logs(
					{
						"type": "Alert",
						"document_type": "CX Issue",
						"document_name": notice["issue"],
						"subject": str(ALERT_SUBJECTS[notice["alert"]]).format(
							frappe.bold(notice["issue"]),
							frappe.utils.format_datetime(notice["due"]) if notice["due"] else "",
						),
						"email_content": frappe.utils.escape_html(subjects.get(notice["issue"]) or ""),
					},
					users,
				)


def assigned_users(name: str) -> list[str]:
	return frappe.get_all(
		"ToDo",
		filters={"reference_type": "CX Issue", "reference_name": name, "status": "Open"},
		pluck="allocated_to",
	)


def reassign(row, policy) -> None:
	"""A breached issue goes to the policy's agent, or to whom its Assignment Rule picks; the issue's
	agent follows the new assignment (routing.follow_assignment)."""
	from frappe.desk.form import assign_to

	if policy.escalation_rule:
		rule = frappe.get_cached_doc("Assignment Rule", policy.escalation_rule)
		rule.do_assignment(frappe.get_doc("CX Issue", row.name).as_dict())
		return
	from crm_app.languages import read_directory, speaking

	assign_to.clear("CX Issue", row.name, ignore_permissions=True)
	# in the agent's language: the task's description and Frappe's notice of the assignment
	with speaking(read_directory(users=[policy.escalate_to]).user(policy.escalate_to)):
		assign_to.add(
			{
				"assign_to": [policy.escalate_to],
				"doctype": "CX Issue",
				"name": row.name,
				"description": _("Escalated: the issue missed its service level."),
			},
			ignore_permissions=True,
		)


# Recomputing from the calendar (a save does it; these do it for an issue or a policy's open issues) ----

SLA_FIELDS = (
	"sla_policy",
	"sla_status",
	"response_by",
	"response_at_risk_on",
	"response_status",
	"resolution_by",
	"resolution_at_risk_on",
	"resolution_status",
	"on_hold_since",
	"sla_next_check_on",
)
OPEN_STATUSES = ("Open", "Replied", "On Hold")


def recompute_issue(name: str, now: datetime | None = None):
	"""An issue's SLA fields recomputed from its policy and history, written without a save."""
	doc = frappe.get_doc("CX Issue", name, for_update=True)
	apply_sla(doc, now)
	frappe.db.set_value(
		"CX Issue", name, {field: doc.get(field) for field in SLA_FIELDS}, update_modified=False
	)
	return doc


def escalate_issue(name: str, now: datetime) -> list[str]:
	"""One issue through what a save and the job do at `now`: recomputed, then escalated; its new alerts."""
	recompute_issue(name, now)
	issue = frappe.qb.DocType("CX Issue")
	rows = (
		frappe.qb.from_(issue)
		.select(*(issue[column] for column in ESCALATION_COLUMNS))
		.where(issue.name == name)
		.run(as_dict=True)
	)
	return [alert for _row, alert in escalate_batch(rows, now)]


def on_policy_update(policy, method=None) -> None:
	"""An edited policy (hours, holidays, targets) moves the deadlines of its open issues, in a job."""
	frappe.enqueue(
		"crm_app.cx_support.sla.recompute_open_issues",
		queue="long",
		job_id=f"crm_app:sla-recompute:{policy.name}",
		deduplicate=True,
		enqueue_after_commit=True,
		policy=policy.name,
	)


def recompute_open_issues(policy: str, batch_size: int = 500) -> int:
	names = frappe.get_all(
		"CX Issue", filters={"sla_policy": policy, "status": ("in", OPEN_STATUSES)}, pluck="name"
	)
	for start in range(0, len(names), batch_size):
		for name in names[start : start + batch_size]:
			recompute_issue(name)
		frappe.db.commit()
		frappe.publish_progress(
			100 * min(start + batch_size, len(names)) / len(names),
			title=_("Updating the deadlines of open issues"),
		)
	return len(names)
