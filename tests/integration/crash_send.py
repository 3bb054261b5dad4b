"""Queue a campaign email's first step on a site and kill -9 this very process right after the N-th
batch's commit, as a worker dies (tests/integration/test_y_marketing_sends.py). Run from the bench's sites
folder with the bench's python:

	python crash_send.py SITE CAMPAIGN_EMAIL N BATCH

Prints FINISHED only when nothing killed it.
"""

import sys

import frappe
from crash_job import kill_after_batches  # this script's folder is first on sys.path

if __name__ == "__main__":
	site, campaign_email, count, batch = sys.argv[1:5]
	frappe.init(site=site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	frappe.local.conf.mail_server = "localhost"  # a default outgoing account from site_config
	from crm_app.cx_marketing import sends

	sends.BATCH = int(batch)
	kill_after_batches(int(count))
	print("FINISHED", sends.queue_step(campaign_email, 1))
	frappe.db.commit()
	frappe.destroy()
