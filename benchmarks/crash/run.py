"""Workers killed mid-job, then resumed: a bulk rescore, a customer backfill (ERPNext) and a reminder run.

	cd ~/frappe-bench/sites && ../env/bin/python /path/to/crm_app/benchmarks/crash/run.py --site SITE

For each job it starts an RQ worker (`frappe worker --queue long`) in a process group of its own,
enqueues the job, waits until the job's CX Job Checkpoint shows a committed batch, kills the worker and
its work horse with SIGKILL, prints what was left (checkpoint, RQ status, partial work), starts a new
worker, runs the resume tick (crm_app.jobs.resume_interrupted_jobs) and waits for the checkpoint to go;
then prints the checks: leads still out of date (a gap), leads written twice, ERPNext customers without
or with several CRM customers, reminders sent twice or not at all. It prints, never asserts, and stops
every worker it started. Not on a production site: it makes every lead's score out of date (the
rescore puts them back), unlinks customers (the backfill links them again) and adds reminder fixtures
on a day long gone (removed afterwards). Other workers listening to the bench's long queue may take
the jobs: run it on a bench with none.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import frappe

SITES = Path.cwd()
PYTHON = SITES.parent / "env" / "bin" / "python"
DAY = "2000-01-03"  # the reminder fixtures' day: nothing else is due on it


def start_worker(site: str) -> subprocess.Popen:
	return subprocess.Popen(
		[
			str(PYTHON),
			"-m",
			"frappe.utils.bench_helper",
			"frappe",
			"--site",
			site,
			"worker",
			"--queue",
			"long",
		],
		cwd=SITES,
		stdout=subprocess.DEVNULL,
		stderr=subprocess.DEVNULL,
		start_new_session=True,  # apart from this process's signals
	)


def descendants(pid: int) -> list[int]:
	children = []
	for stat in Path("/proc").glob("[0-9]*/stat"):
		try:
			parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
		except (OSError, IndexError, ValueError):
			continue
		if parent == pid:
			children.append(int(stat.parent.name))
	return children + [grandchild for child in children for grandchild in descendants(child)]


def kill9(worker: subprocess.Popen) -> None:
	"""The worker and its work horse, which RQ puts in a session of its own (a signal to the worker's
	group does not reach it)."""
	for pid in [*descendants(worker.pid), worker.pid]:
		try:
			os.kill(pid, signal.SIGKILL)
		except ProcessLookupError:
			pass
	worker.wait()


def stop(worker: subprocess.Popen) -> None:
	if worker.poll() is None:
		os.kill(worker.pid, signal.SIGTERM)  # a warm shutdown: the horse finishes its job first
		try:
			worker.wait(timeout=20)
		except subprocess.TimeoutExpired:
			kill9(worker)


def checkpoint(key: str):
	frappe.db.rollback()  # a fresh snapshot
	return frappe.db.get_value("CX Job Checkpoint", key, ["*"], as_dict=True)


def wait_for(condition, timeout: float, step: float = 0.05):
	end = time.monotonic() + timeout
	while time.monotonic() < end:
		value = condition()
		if value:
			return value
		time.sleep(step)
	return None


def rq_status(rq_id: str | None) -> str:
	from crm_app.jobs import rq_job

	job = rq_job(rq_id)
	return str(job.get_status()) if job else "none"


def crash_and_resume(site: str, key: str, enqueue, progressed, snapshot=None) -> tuple:
	"""Enqueue, kill the worker once `progressed(checkpoint)`, resume; the checkpoint as the kill left
	it and `snapshot(checkpoint)` taken then."""
	worker = start_worker(site)
	try:
		started = time.monotonic()
		enqueue()
		frappe.db.commit()
		left = wait_for(lambda: (row := checkpoint(key)) and progressed(row) and row, 600)
		if not left:
			print(f"  {key}: no progress seen; is another worker taking the long queue?")
			return {}, None
		kill9(worker)
		print(
			f"  killed after {time.monotonic() - started:.1f} s: cursor {left.cursor!r}, attempts {left.attempts}"
		)
		print(f"  RQ record of the dead job: {rq_status(left.rq_job)}")
		after_kill = checkpoint(key)
		taken = snapshot(after_kill) if snapshot else None
		worker = start_worker(site)
		from crm_app.jobs import resume_interrupted_jobs

		resumed_at = time.monotonic()
		print(f"  resume tick enqueued: {resume_interrupted_jobs()}")
		frappe.db.commit()
		gone = wait_for(lambda: not checkpoint(key), 1800, step=0.2)
		print(
			f"  resumed run {'finished' if gone else 'NOT finished'} in {time.monotonic() - resumed_at:.1f} s"
		)
		return after_kill, taken
	finally:
		stop(worker)


# -- bulk rescore ------------------------------------------------------------------------------------


def out_of_date_leads() -> int:
	"""Leads whose stored score or band differs from a recompute with today's rules (a gap)."""
	from crm_app import scoring
	from crm_app.core import scoring as core

	frappe.clear_document_cache(scoring.SETTINGS, scoring.SETTINGS)
	criteria, hot, warm = scoring.active_criteria()
	counts = scoring.activity_counts(None, core.activity_windows(criteria))
	rules = [row.as_dict() for row in frappe.get_cached_doc(scoring.SETTINGS).criteria]
	fields = sorted(
		core.fields_used(rules) - {"name", *scoring.SCORE_FIELDS, "last_contacted_on", "creation"}
	)
	columns = ["name", "lead_score", "score_band", "last_contacted_on", "creation", "scored_on", *fields]
	rows = frappe.db.sql(f"select {', '.join(f'`{c}`' for c in columns)} from `tabCX Lead`")
	updates = core.rescore_rows(columns, rows, criteria, counts, hot, warm, frappe.utils.getdate())
	return sum(len(names) for names in updates.values())


def rescore(site: str) -> None:
	from crm_app.scoring import enqueue_rescore

	print("Bulk rescore")
	total = frappe.db.count("CX Lead")
	frappe.db.sql("update `tabCX Lead` set lead_score = lead_score + 1")  # every lead out of date
	frappe.db.commit()
	mark = frappe.utils.now_datetime()
	print(f"  {total} leads, {out_of_date_leads()} out of date")

	def written_by_killed_run(row) -> dict:
		return dict(
			frappe.db.sql(
				"select name, scored_on from `tabCX Lead` where name <= %s and scored_on >= %s",
				(row.cursor, mark),
			)
		)

	left, before = crash_and_resume(
		site, "rescore_leads", enqueue_rescore, lambda row: row.cursor, written_by_killed_run
	)
	if not left:
		return
	after = dict(frappe.db.sql("select name, scored_on from `tabCX Lead` where name <= %s", left.cursor))
	again = sum(1 for name, scored_on in before.items() if after.get(name) != scored_on)
	later = frappe.db.count("CX Lead", {"name": (">", left.cursor), "scored_on": (">=", mark)})
	print(f"  leads written by the killed run (up to its cursor): {len(before)}")
	print(f"  of those, written again by the resumed run (duplicates): {again}")
	print(f"  leads written by the resumed run after the cursor: {later}")
	print(f"  leads out of date after the resume (gaps): {out_of_date_leads()}")


# -- customer backfill -------------------------------------------------------------------------------


def backfill(site: str, unlink: int) -> None:
	from crm_app.integrations.erpnext.customers import enqueue_backfill

	print("Customer backfill (ERPNext)")
	linked = frappe.db.sql(
		"select name, cx_customer from `tabCustomer` where ifnull(cx_customer, '') != '' order by name limit %s",
		unlink,
	)
	# Both sides unlinked: the backfill matches them again by tax id, email or name
	frappe.db.sql("update `tabCustomer` set cx_customer = null where name in %s", [[n for n, _ in linked]])
	frappe.db.sql(
		"update `tabCX Customer` set erpnext_customer = null where name in %s", [[cx for _, cx in linked]]
	)
	frappe.db.commit()
	mark = frappe.utils.now()
	cx_before = frappe.db.count("CX Customer")
	print(f"  {frappe.db.count('Customer')} ERPNext customers, {len(linked)} unlinked")
	crash_and_resume(site, "erpnext_customer_backfill", enqueue_backfill, lambda row: row.cursor)
	print(
		f"  ERPNext customers without a CRM customer (gaps): {frappe.db.count('Customer', {'cx_customer': ('is', 'not set')})}"
	)
	twins = frappe.db.sql(
		"""select count(*) from (select erpnext_customer from `tabCX Customer`
		where ifnull(erpnext_customer, '') != '' group by erpnext_customer having count(*) > 1) t"""
	)[0][0]
	print(f"  ERPNext customers with several CRM customers (duplicates): {twins}")
	print(
		f"  CRM customers created (customers whose name or email is ambiguous are not matched; links put back afterwards): {frappe.db.count('CX Customer') - cx_before}"
	)
	relinked = sum(1 for name, cx in linked if frappe.db.get_value("Customer", name, "cx_customer") == cx)
	print(f"  linked to the same CRM customer as before: {relinked} of {len(linked)}")
	restore_links(linked, mark)


def restore_links(linked: list, mark) -> None:
	"""The pairs as they were (a few customers share a name or email and may have matched another's twin)."""
	frappe.db.sql("update `tabCustomer` set cx_customer = null where name in %s", [[n for n, _ in linked]])
	frappe.db.sql("delete from `tabCX Customer` where creation >= %s", mark)
	for name, cx in linked:
		frappe.db.sql("update `tabCustomer` set cx_customer = %s where name = %s", (cx, name))
		frappe.db.sql("update `tabCX Customer` set erpnext_customer = %s where name = %s", (name, cx))
	frappe.db.commit()


# -- reminders ---------------------------------------------------------------------------------------


def reminders(site: str, users: int, per_user: int) -> None:
	print("Reminder run")
	tag = frappe.generate_hash(length=5)
	people = [f"0crash.{tag}.{i:03d}@example.com" for i in range(users)]
	leads = []
	frappe.flags.in_import = True  # Frappe throttles creating more than 60 users an hour
	for user in people:
		frappe.get_doc(
			{
				"doctype": "User",
				"email": user,
				"first_name": user.split("@")[0],
				"send_welcome_email": 0,
				"roles": [{"role": "Sales User"}],
			}
		).insert(ignore_permissions=True)
		for index in range(per_user):
			lead = frappe.get_doc(
				{"doctype": "CX Lead", "first_name": f"Remind {index}", "lead_owner": user, "status": "New"}
			).insert(ignore_permissions=True)
			leads.append(lead.name)
	frappe.flags.in_import = False
	frappe.db.sql(
		"update `tabUser` set enabled = 1 where name in %s", [people]
	)  # imported users start disabled
	frappe.db.sql("update `tabCX Lead` set next_follow_up = %s where name in %s", (DAY, leads))
	frappe.db.commit()
	print(f"  {users} users x {per_user} leads due on {DAY}")
	try:
		crash_and_resume(
			site,
			"reminders",
			lambda: frappe.enqueue("crm_app.reminders.send_reminders", queue="long", today=DAY),
			lambda row: row.cursor,
		)
		sent = frappe.db.sql(
			"""select document_name, count(*) from `tabNotification Log` where for_user in %s
			group by document_name""",
			[people],
		)
		counts = [count for _, count in sent]
		print(
			f"  reminders due: {len(leads)}; sent once: {counts.count(1)}; more than once: "
			f"{sum(1 for c in counts if c > 1)}; never (gaps): {len(leads) - len(sent)}"
		)
		keys = frappe.db.sql(
			"select count(*), count(distinct reminder_key) from `tabCX Reminder Log` where user in %s",
			[people],
		)[0]
		print(f"  reminder log rows {keys[0]}, distinct keys {keys[1]}")
	finally:
		frappe.db.rollback()
		frappe.db.sql("delete from `tabNotification Log` where for_user in %s", [people])
		frappe.db.sql("delete from `tabCX Reminder Log` where user in %s", [people])
		frappe.db.sql("delete from `tabCX Lead` where name in %s", [leads])
		for user in people:
			frappe.delete_doc("User", user, force=True, ignore_permissions=True)
		frappe.db.commit()


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	parser.add_argument("--site", required=True)
	parser.add_argument("--unlink", type=int, default=6000, help="customers to unlink before the backfill")
	parser.add_argument("--users", type=int, default=60, help="reminder fixture users")
	parser.add_argument("--per-user", type=int, default=10, help="reminders per fixture user")
	args = parser.parse_args()
	frappe.init(site=args.site, sites_path=str(SITES))
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		rescore(args.site)
		if "erpnext" in frappe.get_installed_apps():
			backfill(args.site, args.unlink)
		reminders(args.site, args.users, args.per_user)
	finally:
		frappe.destroy()


if __name__ == "__main__":
	sys.exit(main())
