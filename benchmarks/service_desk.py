"""Service desk figures at scale, printed (never asserted): an agent's issue list and the SLA escalation job.

Run with the bench's python on a site that has crm_app (it adds a million issues, 50 agents and an SLA
policy, so not on production):
	CRM_APP_SITE=bench-desk.localhost ~/frappe-bench/env/bin/python benchmarks/service_desk.py \
		[--issues 1000000] [--open 100000] [--profile]

Seeds --issues CX Issues with `crm_app.demo.bulk_load` (fixed names CX-ISS-BENCH-0000001..., outside the
naming series, so a second run only tops up), in time order over three years, each with one status log row
(Open at opened_on). Agents are 50 Support Team users (bench.agent01@example.com ...). The oldest nine
tenths are Closed or Resolved; the newest tenth is open (Open or Replied, opened in the last five days).

Prints:
1. The CX Issue list of one agent as the desk asks for it (`frappe.desk.reportview.get`: name, subject,
   status, priority, sla_status, modified; 20 rows by modified desc) beside the same SELECT through
   frappe.db.sql, median ms of --samples each, run alternately and warm, and the ratio (goal: within 2x);
   for "my open issues", "all my issues" and "open issues of everyone", each with MariaDB's plan and
   the app's share of the difference (its permission hook, the only app code on that path).
2. The SLA escalation job (`crm_app.cx_support.sla.escalate_due_issues`) over the newest --open issues
   under an enabled default policy "Bench Desk Standard" (Mon-Fri 09:00-18:00 Europe/Kyiv; Urgent 1h/4h,
   High 2h/8h, Medium 4h/16h, Low 8h/40h). The set is opened over the five days before T0 (the last
   Wednesday 11:00:30 Kyiv time), three in ten answered, and its SLA fields are computed by the shell's
   own `read_clocks` and `set_fields` (as a save computes them, the *_at_risk_on instants included) in two
   states: steady (as the job leaves it at T0, stepped by `escalation.step` at the last run before an answer
   and at T0) and backlog (as saves leave it before any run: the policy just applied, or the scheduler was
   down). The job runs at (a) T0 + 5 min and (b) the instant by which 10 % of the set is due, from the
   steady state, and (c) the instant by which all of it is due, from the backlog (on a 10,000-issue sample,
   extrapolated, when the per-issue cost of (b) says the whole would pass --worst-budget seconds). Goal:
   (c) under 10 s. Printed per run: issues due, processed, seconds, issues/s, still due afterwards,
   notification jobs queued, and the time of the indexed read that finds them. Each run starts from its
   state rewritten in bulk, and the notification jobs it queues are taken out of the queue again. Then:
   where the time of run (b) goes (stored_targets, step, the CASE UPDATE, alerts, commit); --profile adds
   a pyinstrument profile of that run.
3. EXPLAIN of the job's read (`sla_next_check_on <= now` ordered, limit 500): a range read of the index.
"""

import argparse
import json
import os
import random
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import frappe

from crm_app.cx_support import sla

ISSUE_PREFIX, LOG_PREFIX = "CX-ISS-BENCH-", "CX-ISL-BENCH-"
AGENTS = tuple(f"bench.agent{number:02d}@example.com" for number in range(1, 51))
POLICY = "Bench Desk Standard"
POLICY_ZONE = "Europe/Kyiv"
# priority: (first response, resolution) in working hours
TARGETS = {"Urgent": (1, 4), "High": (2, 8), "Medium": (4, 16), "Low": (8, 40)}
PRIORITIES = (("Low", 25), ("Medium", 45), ("High", 22), ("Urgent", 8))
CHANNELS = (("Email", 55), ("Web", 25), ("Phone", 12), ("Chat", 8))
SUBJECTS = (
	"Cannot log in to the portal",
	"Invoice shows the wrong amount",
	"Delivery is late",
	"Please add an export to CSV",
	"Password reset mail never arrives",
	"Printer driver crashes on start",
	"How do I change my billing address?",
	"Refund for a double charge",
)
OPEN_STATUSES = ("Open", "Replied", "On Hold")
LIST_FIELDS = ("name", "subject", "status", "priority", "sla_status", "modified")
OPEN_DAYS = 5
RUN_DELAY = 30  # seconds from a scheduler tick to the job's now_datetime()
CHUNK = 100_000
ISSUE_FIELDS = (
	"name",
	"creation",
	"modified",
	"modified_by",
	"owner",
	"naming_series",
	"subject",
	"raised_by",
	"raised_by_name",
	"status",
	"priority",
	"issue_type",
	"channel",
	"agent",
	"opened_on",
	"first_responded_on",
	"resolved_on",
	"closed_on",
	"sla_status",
)
LOG_FIELDS = (
	"name",
	"creation",
	"modified",
	"modified_by",
	"owner",
	"idx",
	"status",
	"changed_on",
	"parent",
	"parentfield",
	"parenttype",
)
# What the preparation writes, and so what it restores before each run of the job.
PREPARED = (
	"status",
	"opened_on",
	"first_responded_on",
	*sla.SLA_FIELDS,  # ends with sla_next_check_on: sampled() and the scenarios read the last two by position
	"sla_alerts_sent",
)


def load() -> str:
	"""The machine's load average: the figures are wall-clock times on a machine others may share."""
	return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())


def pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
	return rng.choices([value for value, _ in weighted], [weight for _, weight in weighted])[0]


def issue_name(index: int) -> str:
	return f"{ISSUE_PREFIX}{index:07d}"


def index_of(name: str) -> int:
	return int(name[len(ISSUE_PREFIX) :])


# -- seeding ----------------------------------------------------------------------------------------------


def ensure_agents() -> None:
	for email in AGENTS:
		if frappe.db.exists("User", email):
			continue
		user = frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": "Agent " + email.split("@")[0][-2:],
				"send_welcome_email": 0,
			}
		)
		user.append("roles", {"role": "Support Team"})
		user.insert(ignore_permissions=True)
	frappe.db.commit()


def issue_rows(first: int, count: int, total: int, now: datetime, issue_types: list[str]) -> Iterator[tuple]:
	"""Issues first..first+count-1 of `total`, in time order: the newest tenth open (opened in the last
	OPEN_DAYS days), the rest Closed or Resolved, opened over the three years before."""
	rng = random.Random(first)
	open_from = total - total // 10 + 1
	closed_span = timedelta(days=3 * 365 - OPEN_DAYS).total_seconds()
	closed_start = now - timedelta(days=3 * 365)
	open_start = now - timedelta(days=OPEN_DAYS)
	for index in range(first, first + count):
		priority = pick(rng, PRIORITIES)
		responded = resolved = closed = sla_status = None
		if index >= open_from:
			share = (index - open_from + rng.random()) / (total - open_from + 1)
			opened = open_start + timedelta(days=OPEN_DAYS * share)
			status = open_status(index)
			if status == "Replied":
				responded = min(opened + timedelta(minutes=rng.uniform(5, 300)), now)
			modified = responded or opened
		else:
			opened = closed_start + timedelta(seconds=closed_span * (index - 1 + rng.random()) / open_from)
			status = "Closed" if rng.random() < 0.78 else "Resolved"
			responded = opened + timedelta(minutes=rng.expovariate(1 / 180))
			resolved = responded + timedelta(hours=rng.expovariate(1 / 36))
			if status == "Closed":
				closed = resolved + timedelta(days=3)
			modified = min(closed or resolved, now)
			sla_status = "Met" if rng.random() < 0.85 else "Breached"
		opened = opened.replace(microsecond=0)
		raised_by = f"customer{rng.randrange(200_000):06d}@example.org"
		yield (
			issue_name(index),
			opened,
			modified.replace(microsecond=0),
			"Administrator",
			"Administrator",
			"CX-ISS-.YYYY.-",
			f"{SUBJECTS[index % len(SUBJECTS)]} #{index}",
			raised_by,
			raised_by.split("@")[0].title(),
			status,
			priority,
			rng.choice(issue_types),
			pick(rng, CHANNELS),
			AGENTS[rng.randrange(len(AGENTS))],
			opened,
			responded,
			resolved,
			closed,
			sla_status,
		)


def open_status(index: int) -> str:
	return "Replied" if random.Random(index * 7 + 1).random() < 0.3 else "Open"


def log_rows(issues: list[tuple[str, datetime]]) -> Iterator[tuple]:
	"""One status log row per issue: Open at opened_on. `issues` is read beforehand: the rows are rendered
	on bulk_load's worker thread, which has no site connection."""
	for name, opened in issues:
		yield (
			LOG_PREFIX + name[len(ISSUE_PREFIX) :],
			opened,
			opened,
			"Administrator",
			"Administrator",
			1,
			"Open",
			opened,
			name,
			"status_log",
			"CX Issue",
		)


def seed(total: int) -> tuple[int, int, float]:
	from crm_app.demo import bulk_load, index_chunks

	started = time.perf_counter()
	with queued_jobs():  # a new user queues a contact and a gravatar lookup: not wanted here
		ensure_agents()
	issue_types = frappe.get_all("CX Issue Type", pluck="name") or [None]
	existing = frappe.db.count("CX Issue", {"name": ("like", f"{ISSUE_PREFIX}%")})
	issues = logs = 0
	if existing < total:
		now = frappe.utils.now_datetime()
		issues = bulk_load(
			"CX Issue",
			ISSUE_FIELDS,
			(
				issue_rows(first, count, total, now, issue_types)
				for first, count in index_chunks(existing + 1, total)
			),
			say=print,
			total=total - existing,
		)
	existing_logs = frappe.db.count("CX Issue Status Log", {"name": ("like", f"{LOG_PREFIX}%")})
	if existing_logs < total:
		without_log = frappe.db.sql(
			"select `name`, `opened_on` from `tabCX Issue` where `name` between %s and %s order by `name`",
			(issue_name(existing_logs + 1), issue_name(total)),
		)
		logs = bulk_load(
			"CX Issue Status Log",
			LOG_FIELDS,
			(log_rows(without_log[start : start + CHUNK]) for start in range(0, len(without_log), CHUNK)),
		)
	if issues:
		from crm_app.cx_insights.figures import reconcile

		reconcile(["CX Issue"])  # the desk's number cards count from tallies that bulk loads bypass
	return issues, logs, time.perf_counter() - started


# -- 1. the agent's list ------------------------------------------------------------------------------------


@contextmanager
def as_user(user: str) -> Iterator[None]:
	previous = frappe.session.user
	frappe.set_user(user)
	try:
		yield
	finally:
		frappe.set_user(previous)


def desk_list(filters: list[list]) -> Callable[[], object]:
	"""The list view's request, as the desk sends it."""
	from frappe.desk.reportview import get

	params = {
		"doctype": "CX Issue",
		"fields": json.dumps([f"`tabCX Issue`.`{field}`" for field in LIST_FIELDS]),
		"filters": json.dumps(filters),
		"order_by": "`tabCX Issue`.`modified` desc",
		"start": 0,
		"page_length": 20,
		"view": "List",
		"group_by": "",
		"with_comment_count": 1,
	}

	def call():
		frappe.local.form_dict = frappe._dict(params)
		return get()

	return call


def raw_list(where: str, values: dict) -> tuple[Callable[[], object], str]:
	query = (
		f"select {', '.join(f'`{field}`' for field in LIST_FIELDS)} from `tabCX Issue` "
		f"where {where} order by `modified` desc limit 20"
	)
	return lambda: frappe.db.sql(query, values, as_dict=True), frappe.db.mogrify(query, values)


def statements(fn: Callable) -> list[str]:
	"""The SELECTs `fn` sends through frappe.db.sql, as sent."""
	db, sent = frappe.db, []
	original = db.sql

	def spy(*args, **kwargs):
		result = original(*args, **kwargs)
		if db.last_query and db.last_query.lstrip().lower().startswith("select"):
			sent.append(db.last_query)
		return result

	db.sql = spy
	try:
		fn()
	finally:
		del db.sql
	return sent


def alternate(first: Callable, second: Callable, samples: int) -> tuple[float, float]:
	"""Median ms of two callables run alternately after a warm-up each."""
	first(), second()
	times: tuple[list[float], list[float]] = ([], [])
	for _ in range(samples):
		for fn, bucket in ((first, times[0]), (second, times[1])):
			start = time.perf_counter()
			fn()
			bucket.append((time.perf_counter() - start) * 1000)
	return statistics.median(times[0]), statistics.median(times[1])


def plan(query: str) -> list[str]:
	return [
		f"{step.get('table')}: type={step.get('type')} key={step.get('key')} rows={step.get('rows')} "
		f"{step.get('Extra') or ''}".rstrip()
		for step in frappe.db.sql("explain " + query, as_dict=True)
	]


def app_hook_ms(samples: int) -> float:
	"""Median ms of the app's only code on the list's path: its permission_query_conditions hook (the
	rest of reportview.get beyond the SELECT is Frappe's own: arguments, meta, permissions, rows)."""
	from crm_app.permissions import query_conditions

	times = []
	for _ in range(samples):
		start = time.perf_counter()
		query_conditions(frappe.session.user, "CX Issue")
		times.append((time.perf_counter() - start) * 1000)
	return statistics.median(times)


def list_figures(agent: str, samples: int) -> None:
	print(
		f"\n1. CX Issue list of {agent} (Support Team), 20 rows by modified desc, median of {samples} ({load()})"
	)
	open_in = {"statuses": OPEN_STATUSES}
	cases = (
		(
			"my open issues",
			[["CX Issue", "agent", "=", agent], ["CX Issue", "status", "in", list(OPEN_STATUSES)]],
			"`agent` = %(agent)s and `status` in %(statuses)s",
			{"agent": agent, **open_in},
		),
		("all my issues", [["CX Issue", "agent", "=", agent]], "`agent` = %(agent)s", {"agent": agent}),
		(
			"open issues of everyone",
			[["CX Issue", "status", "in", list(OPEN_STATUSES)]],
			"`status` in %(statuses)s",
			open_in,
		),
	)
	for label, filters, where, values in cases:
		with as_user(agent):
			orm = desk_list(filters)
			raw, raw_sql = raw_list(where, values)
			rows = len(orm()["values"])
			orm_sql = [query for query in statements(orm) if "`tabCX Issue`" in query][-1:]
			orm_ms, raw_ms = alternate(orm, raw, samples)
			hook_ms = app_hook_ms(samples)
		matching = frappe.db.sql(f"select count(*) from `tabCX Issue` where {where}", values)[0][0]
		print(
			f"   {label:<24} reportview.get {orm_ms:7.2f} ms   raw SQL {raw_ms:7.2f} ms   "
			f"ratio {orm_ms / raw_ms:4.1f}x   ({rows} rows of {matching:,}); the difference "
			f"{orm_ms - raw_ms:.2f} ms, of which the app's permission hook {hook_ms:.3f} ms"
		)
		for query, who in ((raw_sql, "raw"), *((query, "orm") for query in orm_sql)):
			for line in plan(query):
				print(f"      plan ({who}) {line}")


# -- 2. the escalation job ----------------------------------------------------------------------------------


def ensure_policy() -> str:
	if frappe.db.exists("CX SLA Policy", POLICY):
		frappe.db.set_value("CX SLA Policy", POLICY, "enabled", 1)
		return POLICY
	policy = frappe.get_doc(
		{
			"doctype": "CX SLA Policy",
			"policy_name": POLICY,
			"enabled": 1,
			"default_policy": 1,
			"time_zone": POLICY_ZONE,
			"at_risk_percent": 20,
			"targets": [
				{"priority": priority, "first_response_time": response * 3600, "resolution_time": done * 3600}
				for priority, (response, done) in TARGETS.items()
			],
			"working_hours": [
				{"weekday": day, "start_time": "09:00:00", "end_time": "18:00:00"}
				for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
			],
		}
	)
	policy.insert(ignore_permissions=True)
	frappe.db.commit()
	return policy.name


def anchor() -> datetime:
	"""T0: the last Wednesday 11:00:30 Kyiv time that has passed, as a naive system-zone datetime (a run
	starts some seconds after its cron tick, when deadlines on the minute have passed)."""
	from crm_app.core.service import sla as clock

	system = frappe.utils.get_system_timezone()
	local_now = clock.to_naive(clock.from_naive(frappe.utils.now_datetime(), system), POLICY_ZONE)
	day = local_now.date() - timedelta(days=(local_now.weekday() - 2) % 7)
	moment = datetime.combine(day, datetime.min.time()).replace(hour=11, second=RUN_DELAY)
	if moment > local_now:
		moment -= timedelta(days=7)
	return clock.to_naive(clock.from_naive(moment, POLICY_ZONE), system)


def floor_to_run(moment: datetime) -> datetime:
	"""The last scheduler run (every 5 minutes, RUN_DELAY seconds after the tick) strictly before `moment`."""
	previous = moment - timedelta(seconds=RUN_DELAY, microseconds=1)
	tick = previous.replace(minute=previous.minute - previous.minute % 5, second=0, microsecond=0)
	return tick + timedelta(seconds=RUN_DELAY)


VARIANTS = ("steady", "backlog")


def prepared_rows(names: list[str], t0: datetime, policy_name: str) -> dict[str, list[tuple]]:
	"""The set at t0 as (name, *PREPARED) rows, its stored instants computed by the shell's own
	`read_clocks` and `set_fields` (as a save does), in VARIANTS:

	- steady: as the job leaves it at t0. An answered issue was saved unanswered, stepped by the last run
	  before its answer, saved answered, then stepped by the run at t0.
	- backlog: as saves leave it when no run has sent anything yet (a policy just applied to the open
	  issues, or the scheduler down for days): every unfulfilled target still has an alert to come."""
	from crm_app.core.service import escalation

	policy, calendar = sla.calendar_of(policy_name)
	priorities = dict(
		frappe.db.sql(
			"select `name`, `priority` from `tabCX Issue` where `name` between %s and %s",
			(names[0], names[-1]),
		)
	)
	to_naive, from_naive = sla.clock.to_naive, sla.clock.from_naive
	system = frappe.utils.get_system_timezone()
	variants: dict[str, list[tuple]] = {variant: [] for variant in VARIANTS}
	for position, name in enumerate(names):
		index = index_of(name)
		rng = random.Random(index)
		share = (position + rng.random()) / len(names)
		opened = (t0 - timedelta(days=OPEN_DAYS * (1 - share))).replace(microsecond=0)
		issue = frappe._dict(
			name=name,
			priority=priorities[name],
			opened_on=opened,
			status="Open",
			first_responded_on=None,
			on_hold_since=None,
			sla_policy=policy_name,
			sla_alerts_sent="",
			status_log=[frappe._dict(status="Open", changed_on=opened)],
		)
		sent: frozenset[str] = frozenset()
		if open_status(index) == "Replied":
			response_seconds = TARGETS[issue.priority][0] * 3600 * rng.uniform(0.1, 1.3)
			answered = calendar.add_working_time(from_naive(opened, system), response_seconds)
			answered = to_naive(answered, system).replace(microsecond=0)
			if answered < t0:
				sla.set_fields(issue, sla.read_clocks(issue, policy, calendar, opened))
				last_run = floor_to_run(answered)
				if last_run >= opened:
					sent = escalation.step(sla.stored_targets(issue), sent, last_run).alerts_sent
				issue.update(status="Replied", first_responded_on=answered)
		readings = sla.read_clocks(issue, policy, calendar, t0)
		sla.set_fields(issue, readings)  # the backlog: sla_alerts_sent still empty
		variants["backlog"].append((name, *(issue.get(field) for field in PREPARED)))
		issue.sla_alerts_sent = ",".join(sorted(sent))
		sla.set_fields(issue, readings)  # the save at the answer (its states read at t0 are the same)
		result = escalation.step(sla.stored_targets(issue), sent, t0)
		issue.update(
			response_status=result.states.get(sla.RESPONSE, issue.response_status),
			resolution_status=result.states.get(sla.RESOLUTION, issue.resolution_status),
			sla_status=result.overall,
			sla_alerts_sent=",".join(sorted(result.alerts_sent)),
			sla_next_check_on=result.next_check,
		)
		variants["steady"].append((name, *(issue.get(field) for field in PREPARED)))
	return variants


def sampled(rows: list[tuple], size: int) -> list[tuple]:
	"""`rows` with the next check of all but `size` of them (spread evenly) cleared."""
	step = max(len(rows) // size, 1)
	keep = {row[0] for row in rows[::step][:size]}
	return [row if row[0] in keep else (*row[:-2], None, row[-1]) for row in rows]


def write_rows(rows: list[tuple]) -> None:
	"""Write (name, *PREPARED) rows into the issues (and opened_on into their status log) in bulk."""
	frappe.db.commit()
	columns = ("name", *PREPARED)
	kinds = {"opened_on", "first_responded_on", "on_hold_since", "sla_next_check_on"}
	kinds.update(("response_by", "response_at_risk_on", "resolution_by", "resolution_at_risk_on"))
	frappe.db.sql(
		"create temporary table if not exists `_bench_prepared` ("
		+ ", ".join(f"`{c}` {'datetime(6)' if c in kinds else 'varchar(140)'}" for c in columns)
		+ ", primary key (`name`))"
	)
	frappe.db.sql("delete from `_bench_prepared`")
	cursor = frappe.db._cursor
	insert = f"insert into `_bench_prepared` values ({', '.join(['%s'] * len(columns))})"
	for start in range(0, len(rows), 5_000):
		cursor.executemany(insert, rows[start : start + 5_000])
	frappe.db.sql(
		"update `tabCX Issue` i join `_bench_prepared` p on p.`name` = i.`name` set "
		+ ", ".join(f"i.`{c}` = p.`{c}`" for c in PREPARED)
	)
	frappe.db.sql(
		"update `tabCX Issue Status Log` l join `_bench_prepared` p on p.`name` = l.`parent` "
		"set l.`changed_on` = p.`opened_on` where l.`parenttype` = 'CX Issue'"
	)
	frappe.db.commit()


def clear_outside(first_name: str) -> None:
	"""Issues before the set (from an earlier run with a larger --open) leave the job's index alone."""
	frappe.db.sql(
		"update `tabCX Issue` set `sla_next_check_on` = null, `sla_policy` = null "
		"where `name` like %s and `name` < %s and (`sla_next_check_on` is not null or `sla_policy` is not null)",
		(f"{ISSUE_PREFIX}%", first_name),
	)
	frappe.db.commit()


@contextmanager
def queued_jobs() -> Iterator[list]:
	"""Let the job queue its notifications as it does, then take exactly those jobs out of the queue (and
	delete what a worker someone runs meanwhile on the bench may have made of them)."""
	jobs: list = []
	original = frappe.enqueue

	def enqueue(*args, **kwargs):
		# queued at once, not after commit: that path returns no job, which could then not be taken out
		kwargs["enqueue_after_commit"] = False
		job = original(*args, **kwargs)
		if job is not None and hasattr(job, "id"):
			jobs.append(job)
		return job

	frappe.enqueue = enqueue
	try:
		yield jobs
	finally:
		frappe.enqueue = original
		drop_jobs(jobs)
		frappe.db.sql(
			"delete from `tabNotification Log` where `document_type` = 'CX Issue' and `document_name` like %s",
			(f"{ISSUE_PREFIX}%",),
		)
		frappe.db.commit()


def drop_jobs(jobs: list) -> None:
	if not jobs:
		return
	import redis

	connection = jobs[0].connection
	ids = {job.id for job in jobs}
	queues = {job.origin for job in jobs}
	for origin in queues:
		key = f"rq:queue:{origin}"
		with connection.pipeline() as pipe:
			while True:  # others may queue meanwhile: rewrite the list only if it did not change
				try:
					pipe.watch(key)
					kept = [item for item in pipe.lrange(key, 0, -1) if item.decode() not in ids]
					pipe.multi()
					pipe.delete(key)
					if kept:
						pipe.rpush(key, *kept)
					pipe.execute()
					break
				except redis.WatchError:
					continue
	keys = [job.key for job in jobs]
	for start in range(0, len(keys), 1000):
		connection.delete(*keys[start : start + 1000])


def due_count(now: datetime) -> int:
	return frappe.db.sql(
		"select count(*) from `tabCX Issue` where `sla_next_check_on` <= %s", (now,), pluck=True
	)[0]


def job_query(now: datetime):
	"""The read of escalate_due_issues (one batch)."""
	issue = frappe.qb.DocType("CX Issue")
	return (
		frappe.qb.from_(issue)
		.select(issue.name)
		.where(issue.sla_next_check_on <= now)
		.orderby(issue.sla_next_check_on)
		.orderby(issue.name)
		.limit(500)
	)


def read_ms(now: datetime) -> float:
	query = job_query(now)

	def read():
		return query.run(pluck=True)

	read()
	times = []
	for _ in range(7):
		start = time.perf_counter()
		read()
		times.append((time.perf_counter() - start) * 1000)
	return statistics.median(times)


def run_job(now: datetime) -> tuple[int, float, int]:
	"""(issues processed, seconds, notification jobs queued) of one escalation run at `now`."""
	from crm_app.cx_support.sla import escalate_due_issues

	with queued_jobs() as jobs:
		start = time.perf_counter()
		processed = escalate_due_issues(now)
		seconds = time.perf_counter() - start
		queued = len(jobs)
	return processed, seconds, queued


@contextmanager
def breakdown() -> Iterator[dict]:
	"""Seconds spent in each part of the job, by wrapping what it calls."""
	from crm_app.core.service import escalation

	spent: dict[str, float] = {}
	patches = []

	def wrap(owner, attribute: str, label: str) -> None:
		original = getattr(owner, attribute)

		def timed(*args, **kwargs):
			start = time.perf_counter()
			try:
				return original(*args, **kwargs)
			finally:
				spent[label] += time.perf_counter() - start

		patches.append((owner, attribute, original))
		setattr(owner, attribute, timed)
		spent[label] = 0.0  # printed in this order: each part before its "of which" lines

	wrap(sla, "escalate_batch", "escalate_batch")
	wrap(sla, "stored_targets", "  of which stored_targets")
	wrap(escalation, "step", "  of which escalation.step (the core)")
	wrap(sla, "write_steps", "  of which write_steps (one CASE UPDATE)")
	wrap(sla, "act_on_alerts", "  of which act_on_alerts")
	wrap(frappe.db, "exists", "    of which frappe.db.exists (policy)")
	wrap(frappe, "enqueue", "    of which enqueue (RQ job in Redis)")
	wrap(frappe.db, "commit", "commit (one per batch of 500)")
	try:
		yield spent
	finally:
		for owner, attribute, original in reversed(patches):
			if owner is frappe.db:
				delattr(owner, attribute)  # the wrapper shadowed the class's method on the instance
			else:
				setattr(owner, attribute, original)


def windows(t0: datetime) -> str:
	"""Issues whose next check falls in each 5-minute run over the 24 hours after t0."""
	counts = dict(
		frappe.db.sql(
			"select ceil(timestampdiff(microsecond, %(t0)s, `sla_next_check_on`) / 300e6) - 1, count(*) "
			"from `tabCX Issue` where `sla_next_check_on` > %(t0)s "
			"and `sla_next_check_on` <= %(t0)s + interval 1 day group by 1",
			{"t0": t0},
		)
	)
	per_run = sorted(counts.get(window, 0) for window in range(288))
	busiest = max(counts, key=counts.get) if counts else 0
	return (
		f"median {statistics.median(per_run):.0f}, 95th percentile {per_run[int(0.95 * 287)]}, "
		f"max {per_run[-1]} (the run at {t0 + timedelta(minutes=5 * (int(busiest) + 1)):%a %H:%M})"
	)


def scenario(label: str, rows: list[tuple], now: datetime, sample: int | None = None) -> float:
	"""One run of the job at `now` from `rows`; prints its figures, returns seconds per issue processed."""
	write_rows(rows)
	due, read = due_count(now), read_ms(now)
	if sample:
		write_rows(sampled(rows, sample))
		sample_due = due_count(now)
	processed, seconds, queued = run_job(now)
	left = due_count(now)
	rate = processed / seconds if seconds else 0
	print(
		f"   {label:<24} due {due:>7,}  processed {processed:>7,}  {seconds:7.2f} s  {rate:6,.0f} issues/s  "
		f"left due {left:>6,}  notification jobs {queued:>4,}  index read {read:.2f} ms"
	)
	if sample:
		whole = f"{seconds * due / processed:,.1f} s" if processed else "-"
		print(
			f"   {'':<24} (a sample of {sample_due:,} due: the whole {due:,} would take {whole} at this "
			"rate, extrapolated)"
		)
	return seconds / processed if processed else 0.0


def escalation_figures(total: int, open_count: int, worst_budget: float, profile: bool) -> None:

	frappe.set_user("Administrator")  # as the scheduler runs it
	policy = ensure_policy()
	t0 = anchor()
	open_count = min(open_count, total)
	names = [issue_name(index) for index in range(total - open_count + 1, total + 1)]
	print(
		f"\n2. SLA escalation job over {open_count:,} open issues (policy {policy}, {POLICY_ZONE}; {load()})"
	)
	started = time.perf_counter()
	clear_outside(names[0])
	variants = prepared_rows(names, t0, policy)
	computed = time.perf_counter() - started
	write_rows(variants["steady"])
	print(
		f"   T0 = {t0:%a %Y-%m-%d %H:%M:%S} (system time, 11:00:30 in Kyiv); both states of the set computed "
		f"with read_clocks + set_fields in {computed:.1f} s; the steady state has "
		f"{sum(1 for row in variants['steady'] if row[-2]):,} issues with an alert to come"
	)
	print(f"   its next checks per 5-minute run over the 24 h after T0: {windows(t0)}")
	frappe.get_doc("CX Issue", names[0])  # imports the controller: the job's first issue should not pay it
	scenario("the run at T0 itself", variants["steady"], t0)

	ordered = frappe.db.sql(
		"select `sla_next_check_on` from `tabCX Issue` where `sla_next_check_on` is not null "
		"order by `sla_next_check_on`",
		pluck=True,
	)
	a_now = t0 + timedelta(minutes=5)
	b_now = ordered[min(open_count // 10, len(ordered)) - 1]
	scenario("(a) a 5-minute run", variants["steady"], a_now)
	per_issue = scenario("(b) 10 % due", variants["steady"], b_now)
	c_now = max(row[-2] for row in variants["backlog"] if row[-2])
	sample = 10_000 if per_issue * open_count > worst_budget else None
	scenario("(c) all due (backlog)", variants["backlog"], c_now, sample)

	write_rows(variants["steady"])
	with breakdown() as spent, queued_jobs():
		start = time.perf_counter()
		processed = sla.escalate_due_issues(b_now)
		total_s = time.perf_counter() - start
	print(f"   Per escalated issue, run (b) with timers ({processed:,} issues in {total_s:.2f} s):")
	accounted = 0.0
	for label, seconds in spent.items():
		if not label.startswith("  "):
			accounted += seconds
		print(f"      {label:<44} {seconds / processed * 1e6:7.1f} us  {seconds / total_s:4.0%}")
	rest = total_s - accounted
	print(f"      {'rest (batch reads, loop)':<44} {rest / processed * 1e6:7.1f} us  {rest / total_s:4.0%}")

	if profile:
		from pyinstrument import Profiler

		write_rows(variants["steady"])
		profiler = Profiler(interval=0.0005)
		with queued_jobs():
			profiler.start()
			sla.escalate_due_issues(b_now)
			profiler.stop()
		print(profiler.output_text(unicode=False, color=False, show_all=False))

	print(f"   ({load()})")
	print("\n3. The job's read (MariaDB's plan), at the 10 % instant and with everything due:")
	write_rows(variants["backlog"])
	for now in (b_now, c_now):
		query = job_query(now).get_sql()
		print(f"   {query}")
		for line in plan(query):
			print(f"      {line}")
	write_rows(variants["steady"])  # the set as the job leaves it at T0


def main():
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--issues", type=int, default=1_000_000)
	parser.add_argument("--open", type=int, default=None, help="issues under the SLA (default: a tenth)")
	parser.add_argument("--samples", type=int, default=20)
	parser.add_argument("--worst-budget", type=float, default=600, help="seconds (c) may take in full")
	parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile of run (b)")
	args = parser.parse_args()
	os.chdir(Path(os.environ.get("CRM_APP_BENCH", Path.home() / "frappe-bench")) / "sites")
	frappe.init(site=os.environ["CRM_APP_SITE"], sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		issues, logs, seconds = seed(args.issues)
		print(
			f"seeded {issues:,} issues and {logs:,} status log rows in {seconds:.1f} s "
			f"({frappe.db.count('CX Issue'):,} issues on the site)"
		)
		list_figures(AGENTS[0], args.samples)
		escalation_figures(args.issues, args.open or args.issues // 10, args.worst_budget, args.profile)
	finally:
		frappe.destroy()


if __name__ == "__main__":
	main()
