"""Jobs killed mid-run (kill -9) finish on resume without duplicates or gaps: the bulk rescore, the ERPNext
customer backfill and the reminder run. Each is killed for real in a subprocess at a chosen point; that
process sees only committed data, so these tests commit their fixtures and remove them afterwards."""

import json
import os
import signal
import subprocess
import sys
import unittest
from datetime import datetime, timedelta
from pathlib import Path
from unittest.mock import patch

import frappe
from frappe.utils import get_datetime

from crm_app import jobs
from crm_app.activities import ROLLUPS_REFRESHED_KEY
from crm_app.core import scoring as core_scoring
from crm_app.reminders import send_reminders
from crm_app.scoring import active_criteria, prepare_score_table, rescore_all_leads, score_lead

from .conftest import BENCH, SITE
from .factories import CXTestCase, make_lead, make_user
from .test_rescoring_races import other_connection

CRASH = Path(__file__).with_name("crash_job.py")
ON_ERPNEXT = "erpnext" in frappe.get_installed_apps()
ENQUEUE_ONLY = {"queue", "timeout", "job_id", "deduplicate", "enqueue_after_commit", "now", "job_name"}


def crash(job: str, where: str, count: int, arg, **env) -> subprocess.CompletedProcess:
	"""Run the job in a process of its own that kills itself with SIGKILL at `where`."""
	return subprocess.run(
		[sys.executable, str(CRASH), SITE, job, where, str(count), str(arg)],
		cwd=BENCH / "sites",
		capture_output=True,
		text=True,
		timeout=600,
		env={**os.environ, **env},
	)


def run_now(method, **kwargs):
	"""frappe.enqueue, run at once in this process (as the worker would)."""
	return frappe.get_attr(method)(**{k: v for k, v in kwargs.items() if k not in ENQUEUE_ONLY})


def checkpoint(key: str):
	frappe.db.rollback()  # a fresh snapshot: what the other process committed
	return frappe.db.get_value(jobs.CHECKPOINT, key, ["*"], as_dict=True)


def delete_leads(names: list[str]) -> None:
	"""The leads and what an enabled Assignment Rule may have hung on them."""
	frappe.db.delete("ToDo", {"reference_type": "CX Lead", "reference_name": ("in", names)})
	frappe.db.delete("Notification Log", {"document_type": "CX Lead", "document_name": ("in", names)})
	frappe.db.delete("CX Lead", {"name": ("in", names)})


def assert_killed(test, result):
	test.assertEqual(result.returncode, -signal.SIGKILL, result.stdout + result.stderr)
	test.assertNotIn("FINISHED", result.stdout)


class ResumableCase(CXTestCase):
	keys = ()

	def setUp(self):
		super().setUp()
		self.tag = frappe.generate_hash(length=5)
		self.clear_checkpoints()

	def tearDown(self):
		frappe.db.rollback()
		self.clean()
		self.clear_checkpoints()
		frappe.db.commit()
		frappe.clear_cache()  # documents cached from work these tests rolled back
		super().tearDown()

	def clean(self):
		pass

	def clear_checkpoints(self):
		frappe.db.delete(jobs.CHECKPOINT, {"name": ("in", self.keys)})
		frappe.db.commit()
		# Earlier tests queue these jobs and no worker runs them here: the tick would wait for them.
		from frappe.utils.background_jobs import get_job

		for key in self.keys:
			queued = get_job(jobs.job_id(key))
			if queued:
				queued.delete()


class TestRescoreResumes(ResumableCase):
	keys = ("rescore_leads",)

	def setUp(self):
		prepare_score_table()  # DDL before this test's first write
		super().setUp()
		# "0..." sorts before the series names: the first batches are these leads
		self.names = [f"0CRASH-{self.tag}-{i:02d}" for i in range(1, 13)]
		for index, name in enumerate(self.names):
			lead = frappe.get_doc(
				{
					"doctype": "CX Lead",
					"first_name": f"Crash {index}",
					"industry": "Retail" if index % 2 else None,
					"email": f"crash{index}@example.com" if index % 3 else None,
				}
			)
			lead.insert(set_name=name)
		# Out of date on purpose: every one of them needs a write
		lead = frappe.qb.DocType("CX Lead")
		frappe.qb.update(lead).set(lead.lead_score, -999).set(lead.score_band, None).where(
			lead.name.isin(self.names)
		).run()
		frappe.db.commit()

	def clean(self):
		delete_leads(self.names)

	def expected(self) -> dict:
		_criteria, hot, warm = active_criteria()
		result = {}
		for name in self.names:
			total = score_lead(frappe.get_doc("CX Lead", name)).total
			result[name] = (total, core_scoring.band(total, hot, warm) if _criteria else None)
		return result

	def stored(self) -> dict:
		rows = frappe.get_all(
			"CX Lead", {"name": ("in", self.names)}, ["name", "lead_score", "score_band", "scored_on"]
		)
		return {row.name: row for row in rows}

	def test_a_rescore_killed_after_two_batches_resumes_after_its_cursor(self):
		assert_killed(self, crash("rescore", "batches", 2, 3))
		saved = checkpoint("rescore_leads")
		self.assertEqual(saved.cursor, self.names[5], "two batches of three committed")
		self.assertEqual(saved.attempts, 1)
		expected, before = self.expected(), self.stored()
		for name in self.names[:6]:
			self.assertEqual((before[name].lead_score, before[name].score_band), expected[name])
		self.assertEqual({before[name].lead_score for name in self.names[6:]}, {-999}, "not reached")

		with patch("frappe.enqueue", side_effect=run_now) as enqueue:
			self.assertEqual(jobs.resume_interrupted_jobs(), ["rescore_leads"])
		self.assertEqual(enqueue.call_args.kwargs["job_id"], "crm_app:rescore_leads")
		after = self.stored()
		self.assertEqual({name: (row.lead_score, row.score_band) for name, row in after.items()}, expected)
		for name in self.names[:6]:  # the committed batches were not written again
			self.assertEqual(after[name].scored_on, before[name].scored_on, name)
		self.assertIsNone(checkpoint("rescore_leads"))

	def test_a_cursor_reached_under_other_rules_or_another_day_starts_over(self):
		assert_killed(self, crash("rescore", "batches", 2, 3))
		frappe.db.set_value(jobs.CHECKPOINT, "rescore_leads", "cursor_basis", "2000-01-01|old rules")
		lead = frappe.qb.DocType("CX Lead")  # the first six out of date again: only a restart fixes them
		frappe.qb.update(lead).set(lead.lead_score, -999).where(lead.name.isin(self.names[:6])).run()
		frappe.db.commit()
		rescore_all_leads(batch_size=3)
		self.assertEqual(
			{name: (row.lead_score, row.score_band) for name, row in self.stored().items()}, self.expected()
		)
		self.assertIsNone(checkpoint("rescore_leads"))


class TestTheTick(ResumableCase):
	keys = ("rescore_leads",)

	def make_checkpoint(self, **values):
		jobs.start(jobs.Run("rescore_leads", {}), "crm_app.scoring.rescore_all_leads")
		if values:
			frappe.db.set_value(jobs.CHECKPOINT, "rescore_leads", values)
		frappe.db.commit()

	def test_the_tick_leaves_a_live_job_alone_and_two_runs_never_overlap(self):
		self.make_checkpoint()
		running = other_connection()  # the job, alive on another worker
		try:
			with running.cursor() as cursor:
				cursor.execute("select get_lock(%s, 0)", (jobs.lock_name("rescore_leads"),))
				self.assertEqual(cursor.fetchone()[0], 1)
				with patch("frappe.enqueue") as enqueue:
					self.assertEqual(jobs.resume_interrupted_jobs(), [])
					self.assertIsNone(rescore_all_leads(batch_size=2), "a second run returns at once")
				enqueue.assert_not_called()
				self.assertEqual(checkpoint("rescore_leads").attempts, 1)
		finally:
			running.close()  # the connection goes, as a killed worker's does: the lock is free
		with patch("frappe.enqueue") as enqueue:
			self.assertEqual(jobs.resume_interrupted_jobs(), ["rescore_leads"])
		self.assertEqual(enqueue.call_args.args[0], "crm_app.scoring.rescore_all_leads")
		self.assertEqual(enqueue.call_args.kwargs["queue"], "long")
		self.assertTrue(enqueue.call_args.kwargs["deduplicate"])

	def rq_record(self, status, started_ago: timedelta, enqueued: datetime):
		from frappe.utils.background_jobs import create_job_id, get_redis_conn
		from rq.job import Job

		job = Job.create(
			"frappe.ping", id=create_job_id("crm_app:rescore_leads"), connection=get_redis_conn()
		)
		job.enqueued_at = enqueued
		job.started_at = datetime.utcnow() - started_ago
		job.save()
		job.set_status(status)
		self.addCleanup(lambda: jobs.rq_job(job.id) and job.delete())
		return job

	def test_the_record_a_dead_worker_left_started_is_cleared(self):
		from rq.job import JobStatus

		# killed seconds after it started: it wrote the checkpoint, so it had the lock, and the lock is free
		job = self.rq_record(
			JobStatus.STARTED, timedelta(seconds=4), datetime.utcnow() - timedelta(seconds=5)
		)
		self.make_checkpoint(rq_job=f"{job.id}|{jobs.enqueued(job)}")
		with patch("frappe.enqueue") as enqueue:
			self.assertEqual(jobs.resume_interrupted_jobs(), ["rescore_leads"])
		enqueue.assert_called_once()
		self.assertIsNone(jobs.rq_job(job.id), "deduplicate would refuse while it reads started")

	def test_a_run_queued_or_just_started_takes_the_checkpoint_over(self):
		from rq.job import JobStatus

		self.make_checkpoint(rq_job="someone-else::crm_app:rescore_leads|2026-01-01T00:00:00")
		for status, ago in ((JobStatus.QUEUED, timedelta(0)), (JobStatus.STARTED, timedelta(seconds=5))):
			job = self.rq_record(status, ago, datetime.utcnow())
			with patch("frappe.enqueue") as enqueue:
				self.assertEqual(jobs.resume_interrupted_jobs(), [], status)
			enqueue.assert_not_called()
			self.assertIsNotNone(jobs.rq_job(job.id))
			job.delete()

	def test_a_job_killed_again_and_again_is_left_visible(self):
		self.make_checkpoint(attempts=jobs.MAX_ATTEMPTS)
		errors = frappe.db.count("Error Log")
		with patch("frappe.enqueue") as enqueue:
			self.assertEqual(jobs.resume_interrupted_jobs(), [])
			self.assertEqual(jobs.resume_interrupted_jobs(), [], "once given up, left alone")
		enqueue.assert_not_called()
		self.assertEqual(checkpoint("rescore_leads").status, "Gave Up")
		self.assertEqual(frappe.db.count("Error Log"), errors + 1)

	def test_the_tick_is_scheduled(self):
		cron = frappe.get_hooks("scheduler_events").get("cron", {})
		self.assertTrue(any("crm_app.jobs.resume_interrupted_jobs" in methods for methods in cron.values()))


@unittest.skipUnless(ON_ERPNEXT, "ERPNext is not installed on this site")
class TestBackfillResumes(ResumableCase):
	keys = ("erpnext_customer_backfill",)

	def setUp(self):
		super().setUp()
		frappe.db.set_single_value(
			"CX Settings", "create_cx_customers", 0
		)  # left unlinked, as before install
		self.names = []
		for index in range(7):
			customer = frappe.get_doc(
				{
					"doctype": "Customer",
					"customer_name": f"Crash {self.tag} {index}",
					"customer_type": "Company",
				}
			).insert()
			self.names.append(customer.name)
		frappe.db.commit()

	def clean(self):
		frappe.db.delete("CX Customer", {"erpnext_customer": ("in", self.names)})
		frappe.db.delete("Customer", {"name": ("in", self.names)})
		frappe.db.set_single_value("CX Settings", "create_cx_customers", 1)
		frappe.clear_document_cache("CX Settings", "CX Settings")

	def assert_linked_once(self):
		self.assertEqual(frappe.db.count("Customer", {"cx_customer": ("is", "not set")}), 0, "no gap")
		twins = frappe.db.sql(
			"""select erpnext_customer from `tabCX Customer` where ifnull(erpnext_customer, '') != ''
			group by erpnext_customer having count(*) > 1"""
		)
		self.assertEqual(twins, (), "no duplicate")
		for name in self.names:
			cx = frappe.db.get_value("Customer", name, "cx_customer")
			self.assertEqual(frappe.db.get_value("CX Customer", cx, "erpnext_customer"), name)

	def resume(self):
		with patch("frappe.enqueue", side_effect=run_now):
			self.assertEqual(jobs.resume_interrupted_jobs(), ["erpnext_customer_backfill"])
		self.assertIsNone(checkpoint("erpnext_customer_backfill"))

	def test_a_backfill_killed_after_two_batches_links_the_rest_once(self):
		assert_killed(self, crash("backfill", "batches", 2, 3))
		self.assertTrue(checkpoint("erpnext_customer_backfill").cursor)
		left = frappe.db.count("Customer", {"name": ("in", self.names), "cx_customer": ("is", "not set")})
		self.assertTrue(0 < left < len(self.names), left)
		self.resume()
		self.assert_linked_once()

	def test_a_backfill_killed_before_its_money_refresh_still_refreshes(self):
		assert_killed(self, crash("backfill", "refresh", 1, 3))
		self.assertIsNotNone(checkpoint("erpnext_customer_backfill"))
		cx = frappe.db.get_value("Customer", self.names[0], "cx_customer")
		self.assertTrue(cx, "every batch was done")
		frappe.db.set_value("CX Customer", cx, "lifetime_value", 12345)  # not refreshed yet
		frappe.db.commit()
		self.resume()
		self.assert_linked_once()
		self.assertEqual(frappe.db.get_value("CX Customer", cx, "lifetime_value"), 0, "refreshed")


class TestRemindersResume(ResumableCase):
	keys = ("reminders",)
	DAY = "2000-01-03"  # a day long gone: only these fixtures have reminders due on it

	def setUp(self):
		super().setUp()
		# "0..." users come first in the run's user order
		self.users = [make_user(f"0crash.{self.tag}.{i}@example.com", "Sales User") for i in range(3)]
		self.leads = []
		for user in self.users:
			for index in range(2):
				lead = make_lead(first_name=f"Remind {index}", lead_owner=user)
				frappe.db.set_value("CX Lead", lead.name, "next_follow_up", self.DAY)
				self.leads.append(lead.name)
		self.emails = frappe.db.get_single_value("CX Settings", "send_reminder_emails")
		# The run's rollup refresh moves this mark; other tests count on the site's own
		self.refreshed = frappe.db.get_global(ROLLUPS_REFRESHED_KEY)
		frappe.db.set_single_value("CX Settings", "send_reminder_emails", 1)
		frappe.db.commit()

	def clean(self):
		frappe.db.delete("Notification Log", {"for_user": ("in", self.users)})
		frappe.db.delete("CX Reminder Log", {"user": ("in", self.users)})
		queue = frappe.get_all("Email Queue Recipient", {"recipient": ("in", self.users)}, pluck="parent")
		frappe.db.delete("Email Queue Recipient", {"parent": ("in", queue)})
		frappe.db.delete("Email Queue", {"name": ("in", queue)})
		delete_leads(self.leads)
		frappe.db.set_single_value("CX Settings", "send_reminder_emails", self.emails or 0)
		frappe.db.set_global(ROLLUPS_REFRESHED_KEY, self.refreshed)
		for user in self.users:
			frappe.delete_doc("User", user, force=True, ignore_permissions=True)

	def sent(self, user: str) -> tuple[int, int, int]:
		"""(Notification Logs, reminder log rows, digests) of one user."""
		return (
			frappe.db.count("Notification Log", {"for_user": user, "document_name": ("in", self.leads)}),
			frappe.db.count("CX Reminder Log", {"user": user}),
			frappe.db.count("Email Queue Recipient", {"recipient": user}),
		)

	def test_a_run_killed_inside_a_user_resumes_with_its_day_and_sends_each_reminder_once(self):
		assert_killed(self, crash("reminders", "user", 2, self.DAY, CRASH_MAIL_SERVER="localhost"))
		saved = checkpoint("reminders")
		self.assertEqual(json.loads(saved.kwargs), {"today": self.DAY})
		self.assertEqual(saved.cursor, self.users[0])
		self.assertEqual(self.sent(self.users[0]), (2, 2, 1), "the first user was done")
		self.assertEqual(self.sent(self.users[1]), (0, 0, 0), "killed before the commit: nothing half-sent")

		# The next day's run comes first (killed at 23:59, scheduler after midnight): the interrupted
		# day is finished with its own date before the new day is sent.
		next_day = str(get_datetime(self.DAY).date() + timedelta(days=1))
		frappe.local.conf.mail_server = "localhost"
		try:
			send_reminders(today=next_day)
		finally:
			frappe.local.conf.pop("mail_server", None)
		self.assertIsNone(checkpoint("reminders"))
		logs = frappe.get_all("CX Reminder Log", {"user": ("in", self.users)}, ["reference_name", "kind"])
		due = [row.reference_name for row in logs if row.kind == "Follow-up Due"]
		overdue = [row.reference_name for row in logs if row.kind == "Follow-up Overdue"]
		self.assertEqual(sorted(due), sorted(self.leads), "the interrupted day: each reminder once")
		self.assertEqual(sorted(overdue), sorted(self.leads), "then the next day's")
		for user in self.users:
			self.assertEqual(self.sent(user), (4, 4, 2), user)  # per day: two reminders, one digest
