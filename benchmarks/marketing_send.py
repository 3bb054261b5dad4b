"""Queueing a campaign email to 100,000 members (issue 11; goal: under 60 s, memory printed).

Seeds, once (fixed names, a second run only tops up): the campaign "Bench Send" and MEMBERS leads of it
(CX-LEAD-SEND-0000001 ..., set-based through `crm_app.demo.bulk_load`), every 50th opted out, and a
personalised HTML Email Template. Each run removes the previous run's campaign email, its Email Queue
rows and send log, creates a new campaign email and runs its first step in this process, as the
background worker would (`crm_app.cx_marketing.sends.queue_step`: render, opt-out check, Email Queue +
recipient + send log rows per member, one commit per batch of 500).

Prints: seconds, emails queued per second, members skipped, the average size of a queued mail (Email
Queue.message), peak resident memory of the process (getrusage), the peak Python allocation
(tracemalloc) of a separate 5,000-member sample, and the machine's load average before and after (the
database and the process share the cores: compare runs on an idle machine).

	CRM_APP_SITE=bench-send.localhost ~/frappe-bench/env/bin/python benchmarks/marketing_send.py [MEMBERS]
"""

import os
import resource
import sys
import time
import tracemalloc

import frappe

CAMPAIGN = "Bench Send"
SAMPLE_CAMPAIGN = "Bench Send Sample"
SAMPLE = 5_000
TEMPLATE = "Bench Send Template"
PREFIX = "CX-LEAD-SEND-"
SAMPLE_PREFIX = "CX-LEAD-SENDS-"
BODY = """<h2>Hello {{ first_name }},</h2>
<p>Spring is here, {{ lead_name }}, and so is our new range for {{ organization_name or "you" }}.</p>
<p>As one of the first to hear about <b>{{ campaign.campaign_name }}</b>, you get early access:
<a href="https://example.com/spring?ref={{ name }}">see the range</a>.</p>
<p>Kind regards,<br>The Example team</p>
<p style="font-size:11px"><a href="{{ unsubscribe_url }}">Unsubscribe from these emails</a></p>"""


def seed(campaign: str, prefix: str, members: int) -> None:
	from frappe.utils import now_datetime

	from crm_app.demo import bulk_load

	if not frappe.db.exists("CX Campaign", campaign):
		frappe.get_doc({"doctype": "CX Campaign", "campaign_name": campaign, "status": "Active"}).insert()
	if not frappe.db.exists("Email Template", TEMPLATE):
		frappe.get_doc(
			{
				"doctype": "Email Template",
				"name": TEMPLATE,
				"subject": "{{ first_name }}, spring is here",
				"use_html": 1,
				"response_html": BODY,
			}
		).insert()
	have = frappe.db.count("CX Lead", {"name": ("like", f"{prefix}%")})
	if have >= members:
		return
	now = now_datetime()
	fields = (
		"name",
		"naming_series",
		"first_name",
		"last_name",
		"lead_name",
		"organization_name",
		"email",
		"email_opt_out",
		"campaign",
		"status",
		"creation",
		"modified",
		"owner",
		"modified_by",
		"docstatus",
	)

	def rows(first: int, last: int):
		for i in range(first, last + 1):
			first_name, last_name = f"Member{i}", "Send"
			yield (
				f"{prefix}{i:07d}",
				"CX-LEAD-.YYYY.-",
				first_name,
				last_name,
				f"{first_name} {last_name}",
				f"Company {i % 997}",
				f"member{i}.{prefix.lower()}@send.example.com",
				1 if i % 50 == 0 else 0,
				campaign,
				"New",
				now,
				now,
				"Administrator",
				"Administrator",
				0,
			)

	chunk = 50_000
	chunks = (rows(start, min(start + chunk - 1, members)) for start in range(have + 1, members + 1, chunk))
	started = time.perf_counter()
	inserted = bulk_load("CX Lead", fields, chunks)
	frappe.db.commit()
	print(f"seeded {inserted} leads in {time.perf_counter() - started:.1f}s")


def clear_previous() -> None:
	from crm_app.cx_marketing import sends

	for name in frappe.get_all(sends.EMAIL, {"campaign": ("in", (CAMPAIGN, SAMPLE_CAMPAIGN))}, pluck="name"):
		queue = frappe.qb.DocType("Email Queue")
		recipient = frappe.qb.DocType("Email Queue Recipient")
		names = frappe.qb.from_(queue).select(queue.name).where(queue.reference_name == name)
		frappe.qb.from_(recipient).delete().where(recipient.parent.isin(names)).run()
		frappe.qb.from_(queue).delete().where(queue.reference_name == name).run()
		frappe.db.delete(sends.RECIPIENT, {"campaign_email": name})
		frappe.db.delete("CX Campaign Email Step", {"parent": name})
		frappe.db.delete(sends.EMAIL, {"name": name})
		frappe.db.delete("CX Job Checkpoint", {"name": ("like", f"campaign_email:{name}:%")})
	frappe.db.commit()


def new_campaign_email(campaign: str) -> str:
	doc = frappe.get_doc(
		{
			"doctype": "CX Campaign Email",
			"title": "Bench spring news",
			"campaign": campaign,
			"sender": "news@example.com",
			"sender_name": "Example News",
			"steps": [{"email_template": TEMPLATE}],
		}
	).insert()
	frappe.db.set_value("CX Campaign Email", doc.name, "status", "Sending")
	frappe.db.commit()
	return doc.name


def main() -> None:
	members = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
	site = os.environ.get("CRM_APP_SITE", "bench-send.localhost")
	os.chdir(os.path.expanduser(os.environ.get("CRM_APP_BENCH", "~/frappe-bench")) + "/sites")
	frappe.init(site=site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	frappe.local.conf.mail_server = "localhost"  # a default outgoing account; nothing is sent
	from crm_app.cx_marketing import sends

	seed(CAMPAIGN, PREFIX, members)
	seed(SAMPLE_CAMPAIGN, SAMPLE_PREFIX, SAMPLE)
	clear_previous()
	name = new_campaign_email(CAMPAIGN)
	load_before = os.getloadavg()[0]
	started = time.perf_counter()
	totals = sends.queue_step(name, 1)
	seconds = time.perf_counter() - started
	queued = totals["queued"]
	peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
	size = frappe.db.sql("select avg(length(message)) from `tabEmail Queue` where reference_name = %s", name)[
		0
	][0]
	print(f"members: {members}")
	print(
		f"queued: {queued}  skipped (opted out): {totals['skipped_opted_out']}  "
		f"failed to render: {totals['failed_to_render']}"
	)
	print(f"seconds: {seconds:.1f}  (goal: under 60)")
	print(f"emails/s: {queued / seconds:,.0f}")
	print(f"average message: {float(size or 0) / 1024:.1f} KiB")
	print(f"peak resident memory (process): {peak_rss_mb:,.0f} MiB")
	print(f"load average (1 min): {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")

	# Python allocations of one run, on a smaller campaign (tracemalloc slows a run down several times)
	sample = new_campaign_email(SAMPLE_CAMPAIGN)
	tracemalloc.start()
	try:
		sends.queue_step(sample, 1)
		_current, peak = tracemalloc.get_traced_memory()
	finally:
		tracemalloc.stop()
	print(f"peak Python allocation, {SAMPLE:,} members (tracemalloc): {peak / 2**20:.1f} MiB")
	frappe.destroy()


if __name__ == "__main__":
	main()
