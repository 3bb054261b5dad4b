"""Bulk rescoring under concurrency: a rule change mid-run is applied, runs never overlap, and a bulk
write never replaces a score computed on a later save."""

from unittest.mock import patch

import frappe
import pymysql

from crm_app import scoring
from crm_app.scoring import prepare_score_table, rescore_all_leads

from .factories import CXTestCase, make_lead
from .test_sales_automation import set_criteria

INDUSTRY_RULE = {
	"criterion_type": "Field",
	"fieldname": "industry",
	"operator": "equals",
	"value": "Retail",
	"points": 30,
}
EMAIL_RULE = {"criterion_type": "Field", "fieldname": "email", "operator": "is set", "points": 40}


def scores(leads) -> dict[str, int]:
	return dict(
		frappe.get_all(
			"CX Lead",
			filters={"name": ("in", [lead.name for lead in leads])},
			fields=["name", "lead_score"],
			as_list=True,
		)
	)


def other_connection():
	"""A second session on the site's database, as another worker would hold."""
	conf = frappe.conf
	return pymysql.connect(
		host=conf.db_host or "127.0.0.1",
		port=int(conf.db_port or 3306),
		user=conf.db_user or conf.db_name,
		password=conf.db_password,
		database=conf.db_name,
		autocommit=True,
	)


class TestRescoringRaces(CXTestCase):
	def setUp(self):
		prepare_score_table()  # DDL must come before this test's first write
		super().setUp()
		set_criteria(INDUSTRY_RULE)
		self.leads = [
			make_lead(first_name=f"Race{i}", industry="Retail", email=f"race{i}@example.com")
			for i in range(6)
		]
		self.assertEqual(set(scores(self.leads).values()), {30})

	def test_a_rule_change_during_a_run_is_applied_to_every_lead(self):
		original = scoring.write_scores
		changed = []

		def change_rules_after_first_batch(*args):
			written = original(*args)
			if not changed:
				changed.append(True)
				set_criteria(EMAIL_RULE)  # a manager saves new rules while the job runs
			return written

		set_criteria(INDUSTRY_RULE, {**EMAIL_RULE, "points": 5})  # the rules the job starts with
		with patch("crm_app.scoring.write_scores", side_effect=change_rules_after_first_batch):
			rescore_all_leads(batch_size=2, commit=False)
		self.assertTrue(changed)
		self.assertEqual(set(scores(self.leads).values()), {40})

	def test_a_second_run_does_not_start_while_one_holds_the_lock(self):
		set_criteria(EMAIL_RULE)
		lock = f"{frappe.conf.db_name}:crm_app:rescore_leads"
		running = other_connection()
		try:
			with running.cursor() as cursor:
				cursor.execute("select get_lock(%s, 0)", (lock,))
				self.assertEqual(cursor.fetchone()[0], 1)
				self.assertIsNone(rescore_all_leads(batch_size=2, commit=False))
				self.assertEqual(set(scores(self.leads).values()), {30})
				cursor.execute("select release_lock(%s)", (lock,))  # the other run ends
		finally:
			running.close()
		rescore_all_leads(batch_size=2, commit=False)
		self.assertEqual(set(scores(self.leads).values()), {40})

	def test_nightly_and_on_demand_runs_share_one_queue_slot(self):
		events = frappe.get_hooks("scheduler_events")
		nightly = [
			m
			for m in events.get("daily_long", []) + events.get("daily", [])
			if m.startswith("crm_app.scoring.")
		]
		self.assertEqual(nightly, ["crm_app.scoring.nightly_rescore"])
		with patch("frappe.enqueue") as enqueue:
			frappe.get_attr(nightly[0])()
			scoring.enqueue_rescore()
		job_ids = {call.kwargs["job_id"] for call in enqueue.call_args_list}
		self.assertEqual(len(job_ids), 1)
		self.assertTrue(all(call.kwargs["deduplicate"] for call in enqueue.call_args_list))

	def test_a_bulk_write_never_replaces_a_newer_save_time_score(self):
		original = scoring.write_scores
		target = self.leads[0].name

		def user_saves_between_read_and_write(*args):
			if not getattr(user_saves_between_read_and_write, "done", False):
				user_saves_between_read_and_write.done = True
				lead = frappe.get_doc("CX Lead", target)
				lead.email = None  # the save scores it at once: no email, no points
				lead.save()
			return original(*args)

		# Rules move to "email is set" without a rescore; the job will find every lead out of date.
		set_criteria(EMAIL_RULE)
		with patch("crm_app.scoring.write_scores", side_effect=user_saves_between_read_and_write):
			rescore_all_leads(batch_size=10, commit=False)
		self.assertEqual(frappe.db.get_value("CX Lead", target, "lead_score"), 0)
		others = [lead for lead in self.leads if lead.name != target]
		self.assertEqual(set(scores(others).values()), {40})

	def test_the_scratch_table_has_room_for_twice_a_chunk(self):
		"""MariaDB's default max_heap_table_size (16 MB) holds about 26,000 scratch rows; a chunk is
		20,000: the table is made with room for twice that."""
		from crm_app.scoring import WRITE_CHUNK, write_scores

		rows = [(f"CX-LEAD-NONE-{i:07d}", 1, "Cold", None) for i in range(2 * WRITE_CHUNK)]
		frappe.db.sql("delete from `cx_lead_score_update`")
		for start in range(0, len(rows), 5000):
			part = rows[start : start + 5000]
			frappe.db.sql(
				"insert into `cx_lead_score_update` values " + ", ".join(["(%s, %s, %s, %s)"] * len(part)),
				[value for row in part for value in row],
			)
		names = [row[0] for row in rows] + ["CX-LEAD-NONE-LAST"]
		self.assertEqual(write_scores({(1, "Cold"): names}, {}), 0)  # no such leads: nothing written
