"""Run one resumable job on a site and kill -9 this very process at a chosen point, as a worker dies
(tests/integration/test_y_resumable_jobs.py). Run from the bench's sites folder with the bench's python:

	python crash_job.py SITE JOB KILL N [ARG]

JOB: rescore (ARG: batch size), backfill (ARG: batch size), reminders (ARG: the day).
KILL: batches (right after the N-th batch's commit), user (inside the N-th user's reminders, after the
Notification Logs, log rows and digest were written, before their commit), refresh (as the backfill's
money refresh begins). Prints FINISHED only when nothing killed it.
"""

import os
import signal
import sys

import frappe


def kill() -> None:
	os.kill(os.getpid(), signal.SIGKILL)


def kill_after_batches(count: int) -> None:
	"""SIGKILL right after the commit that follows the count-th saved cursor."""
	from crm_app import jobs

	saves = []
	real_save, real_commit = jobs.save_progress, frappe.db.commit

	def save(*args):
		real_save(*args)
		saves.append(args)

	def commit(*args, **kwargs):
		real_commit(*args, **kwargs)
		if len(saves) >= count:
			kill()

	jobs.save_progress = save
	frappe.db.commit = commit


def kill_inside_user(count: int) -> None:
	from crm_app import reminders

	real, done = reminders.notify, []

	def notify(user, items, email):
		real(user, items, email)
		done.append(user)
		if len(done) >= count:
			kill()

	reminders.notify = notify


def kill_at_refresh(_count: int) -> None:
	from crm_app.integrations.erpnext import books

	books.refresh_all_customer_money = kill


def run(job: str, arg: str):
	if job == "rescore":
		from crm_app.scoring import rescore_all_leads

		return rescore_all_leads(batch_size=int(arg))
	if job == "backfill":
		from crm_app.integrations.erpnext.customers import backfill_customers

		return backfill_customers(batch_size=int(arg))
	from crm_app.reminders import send_reminders

	return send_reminders(today=arg)


KILLS = {"batches": kill_after_batches, "user": kill_inside_user, "refresh": kill_at_refresh}

if __name__ == "__main__":
	site, job, where, count, arg = sys.argv[1:6]
	frappe.init(site=site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	if os.environ.get("CRASH_MAIL_SERVER"):
		frappe.local.conf.mail_server = os.environ["CRASH_MAIL_SERVER"]  # the digest goes to Email Queue
	KILLS[where](int(count))
	print("FINISHED", run(job, arg))
	frappe.db.commit()
	frappe.destroy()
