"""Resumable background jobs: a worker killed mid-run (kill -9, OOM, a host restart) is finished later.

A job run through `run_resumable` holds a MariaDB named lock for its whole run (never two runs at once,
on any worker or host) and keeps a `CX Job Checkpoint` row: written and committed before the work
starts, its cursor saved in the same transaction as each batch, deleted when the job ends. A killed
worker leaves the row behind and, as MariaDB frees the lock of a closed connection, a free lock.

`resume_interrupted_jobs` (every few minutes) finds those rows, clears the RQ record the dead worker
left "started" (RQ would refuse to queue the job again while it reads so), and enqueues the job again
with the arguments it was started with; the job resumes after its cursor. A job killed over and over
is resumed a few times only, then left visible with an Error Log.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import frappe
from frappe.utils import now_datetime
from frappe.utils.background_jobs import create_job_id

from crm_app.server_fields import insert_as_server

CHECKPOINT = "CX Job Checkpoint"
MAX_ATTEMPTS = 5
# A run waits this long for one holding the lock with other arguments (yesterday's interrupted
# reminders) rather than being dropped; the same arguments mean the same run, which is not waited for.
WAIT_FOR_OTHER_RUN = 1800
# An RQ job started this recently may not have reached its lock yet: not a dead one.
START_GRACE = timedelta(seconds=60)
# A run finding the lock taken waits this long: the resume tick holds it for a moment while it looks.
LOCK_WAIT = 5


@dataclass
class Run:
	key: str
	kwargs: dict
	cursor: str = ""
	basis: str = ""
	resumed: bool = False  # a checkpoint of an interrupted run was there
	commit: bool = True

	def save(self, cursor: str, basis: str = "") -> None:
		"""Record how far the job got, in the caller's transaction: the batch and its cursor commit
		together (the caller commits)."""
		self.cursor, self.basis = cursor or "", basis or ""
		save_progress(self.key, self.cursor, self.basis)


def job_id(key: str) -> str:
	return f"crm_app:{key}"


def lock_name(key: str) -> str:
	return f"{frappe.conf.db_name}:{job_id(key)}"  # named locks are server-wide, sites share a server


def acquire_lock(key: str, wait: int = 0) -> bool:
	return bool(frappe.db.sql("select get_lock(%s, %s)", (lock_name(key), wait))[0][0])


def release_lock(key: str) -> None:
	frappe.db.sql("select release_lock(%s)", lock_name(key))


def run_resumable(
	key: str, method: str, kwargs: dict, work: Callable[[Run], object], commit: bool = True
) -> object | None:
	"""Run `work(run)` under the job's lock and checkpoint. None when another run holds the lock.

	An interrupted run saved with other arguments (the reminders of the day before) is finished first,
	with its own arguments; then this one runs. Returns what this run's `work` returned."""
	if not acquire_lock(key, LOCK_WAIT) and not wait_for_other_run(key, kwargs):
		return None
	try:
		saved = read_checkpoint(key)
		if saved and saved.kwargs != kwargs:
			saved.commit = commit
			_run_once(saved, method, work)
			saved = None
		run = saved or Run(key, kwargs)
		run.commit = commit
		return _run_once(run, method, work)
	finally:
		release_lock(key)


def wait_for_other_run(key: str, kwargs: dict) -> bool:
	saved = read_checkpoint(key)
	if not saved or saved.kwargs == kwargs:
		return False
	return acquire_lock(key, WAIT_FOR_OTHER_RUN)


def _run_once(run: Run, method: str, work: Callable[[Run], object]):
	start(run, method)
	result = work(run)
	frappe.db.delete(CHECKPOINT, {"name": run.key})
	if run.commit:
		frappe.db.commit()
	return result


def read_checkpoint(key: str) -> Run | None:
	row = frappe.db.get_value(
		CHECKPOINT, key, ["kwargs", "cursor", "cursor_basis"], as_dict=True, for_update=True
	)
	if not row:
		return None
	return Run(key, json.loads(row.kwargs or "{}"), row.cursor or "", row.cursor_basis or "", resumed=True)


def start(run: Run, method: str) -> None:
	"""The checkpoint, committed before any work: a kill from here on leaves it behind."""
	values = {"rq_job": current_rq_job(), "status": "Running", "last_progress_on": now_datetime()}
	if run.resumed:
		table = frappe.qb.DocType(CHECKPOINT)
		query = frappe.qb.update(table).set(table.attempts, table.attempts + 1).where(table.name == run.key)
		for fieldname, value in values.items():
			query = query.set(table[fieldname], value)
		query.run()
	else:
		doc = frappe.get_doc(
			{
				"doctype": CHECKPOINT,
				"name": run.key,
				"method": method,
				"kwargs": json.dumps(run.kwargs, sort_keys=True, default=str),
				"attempts": 1,
				"started_on": now_datetime(),
				**values,
			}
		)
		insert_as_server(doc, ignore_permissions=True)  # written by this module only
	if run.commit:
		frappe.db.commit()


def save_progress(key: str, cursor: str, basis: str) -> None:
	table = frappe.qb.DocType(CHECKPOINT)
	(
		frappe.qb.update(table)
		.set(table.cursor, cursor)
		.set(table.cursor_basis, basis)
		.set(table.last_progress_on, now_datetime())
		.where(table.name == key)
		.run()
	)


# -- the resume tick -------------------------------------------------------------------------------


def resume_interrupted_jobs() -> list[str]:
	"""Scheduled every few minutes: enqueue again each job whose checkpoint outlived its run. Returns
	the keys enqueued."""
	resumed = []
	for key in frappe.get_all(CHECKPOINT, {"status": "Running"}, pluck="name", order_by="name"):
		if resume(key):
			resumed.append(key)
	return resumed


def resume(key: str) -> bool:
	row = dead_checkpoint(key)
	if not row:
		return False
	# Enqueued once the lock is free again: the job takes it as it starts.
	frappe.enqueue(
		row.method, queue="long", timeout=3600, job_id=job_id(key), deduplicate=True, **json.loads(row.kwargs)
	)
	return True


def dead_checkpoint(key: str):
	"""The checkpoint of a run that is gone, made ready to enqueue again; None if a run is alive,
	queued or starting, finished meanwhile, or was resumed too often (then it gives up)."""
	# Holding the lock proves no run is alive (a killed worker's connection closed and freed it), and
	# keeps one from starting while this looks.
	if not acquire_lock(key):
		return None
	try:
		row = frappe.db.get_value(
			CHECKPOINT,
			key,
			["method", "kwargs", "attempts", "rq_job", "status"],
			as_dict=True,
			for_update=True,
		)
		if not row or row.status != "Running" or another_run_coming(key, row.rq_job):
			return None
		if (row.attempts or 0) >= MAX_ATTEMPTS:
			give_up(key, row)
			return None
		for job in rq_records(key, row.rq_job):
			clear_dead(job)
		row.kwargs = row.kwargs or "{}"
		return row
	finally:
		frappe.db.commit()  # ends the locking read before the lock goes
		release_lock(key)


def current_rq_job() -> str | None:
	"""This run's RQ job, told apart from a later enqueue under the same id by when it was queued."""
	from rq import get_current_job

	job = get_current_job()
	return f"{job.id}|{enqueued(job)}" if job else None


def enqueued(job) -> str:
	return job.enqueued_at.isoformat() if job.enqueued_at else ""


def rq_records(key: str, writer: str | None) -> list:
	"""The RQ records of the run that wrote the checkpoint and of the job's own id, those that exist."""
	ids = {(writer or "").partition("|")[0], create_job_id(job_id(key))} - {""}
	return [job for job in map(rq_job, sorted(ids)) if job]


def another_run_coming(key: str, writer: str | None) -> bool:
	"""A run other than the checkpoint's writer is queued, or started so recently it may not have
	reached the lock yet: it will take the checkpoint over."""
	from rq.job import JobStatus

	for job in rq_records(key, writer):
		if f"{job.id}|{enqueued(job)}" == writer:
			continue  # the writer itself: the lock is free, so it is dead whatever RQ says
		status = job.get_status()
		if status == JobStatus.QUEUED or (status == JobStatus.STARTED and just_started(job)):
			return True
	return False


def just_started(job) -> bool:
	if not job.started_at:
		return True
	return datetime.utcnow() - job.started_at.replace(tzinfo=None) < START_GRACE  # RQ keeps UTC


def rq_job(rq_id: str | None):
	if not rq_id:
		return None
	from frappe.utils.background_jobs import get_redis_conn
	from rq.exceptions import NoSuchJobError
	from rq.job import Job

	try:
		return Job.fetch(rq_id.partition("|")[0], connection=get_redis_conn())
	except NoSuchJobError:
		return None


def clear_dead(job) -> None:
	"""The record a killed worker left "started" (the lock is free: no run is alive):
	`frappe.enqueue(deduplicate=True)` and the scheduler refuse to queue the job again while it reads so."""
	from rq.job import JobStatus

	if job.get_status() == JobStatus.STARTED:
		job.delete()


def give_up(key: str, row) -> None:
	frappe.db.set_value(CHECKPOINT, key, "status", "Gave Up", update_modified=False)
	frappe.log_error(
		title=f"crm_app: job {key} stopped after {row.attempts} attempts",
		message=f"{row.method}({row.kwargs}) was interrupted {row.attempts} times and is no longer "
		f"resumed. Look for what kills it (memory, timeouts), then run it again; the checkpoint "
		f"{CHECKPOINT} {key} shows how far it got.",
	)
