"""Segments on a real site: rules to SQL, resolution to members, membership over time, permissions."""

import json
from unittest.mock import patch

import frappe
from frappe.utils import add_days, nowdate

from crm_app.cx_marketing import rules, segments
from crm_app.exceptions import InvalidSegmentRuleError
from tests.integration.factories import CXTestCase, make_lead, make_user

MARKETER = "seg.marketer@example.com"
SALES = "seg.sales@example.com"
OTHER_SALES = "seg.sales2@example.com"
NOBODY = "seg.nobody@example.com"


class SegmentCase(CXTestCase):
	def setUp(self):
		super().setUp()
		self.city = f"Segtown-{frappe.generate_hash(length=8)}"

	def lead(self, **values):
		return make_lead(city=self.city, email=f"{frappe.generate_hash(length=10)}@example.com", **values)

	def in_town(self, *more) -> list:
		return [["CX Lead", "city", "=", self.city], *more]

	def segment(self, filters, segment_of="CX Lead", match="All", name=None):
		return frappe.get_doc(
			{
				"doctype": "CX Segment",
				"segment_name": name or f"Seg {frappe.generate_hash(length=8)}",
				"segment_of": segment_of,
				"match": match,
				"filters_json": json.dumps(filters),
			}
		).insert()

	def live(self, segment) -> set[str]:
		return {row.member_name for row in segments.active_members(segment.name, limit=10_000)}

	def stays(self, segment, member) -> list:
		return frappe.get_all(
			"CX Segment Member",
			filters={"segment": segment.name, "member_name": member},
			fields=["name", "joined_on", "left_on", "source"],
			order_by="name asc",
		)


class TestResolution(SegmentCase):
	def test_saving_a_segment_commits_nothing(self):
		# its key comes from a sequence; making the sequence there (DDL) committed the caller's transaction
		lead = self.lead()
		self.segment(self.in_town())
		frappe.db.rollback()
		self.assertFalse(frappe.db.exists("CX Lead", lead.name))

	def test_resolves_to_exactly_the_matching_leads(self):
		young = self.lead(age_band="25-34", income_band="High")
		also = self.lead(age_band="25-34", income_band="Middle")
		self.lead(age_band="45-54", income_band="High")
		self.lead(age_band="25-34", income_band="Low")
		segment = self.segment(
			self.in_town(
				["CX Lead", "age_band", "=", "25-34"], ["CX Lead", "income_band", "in", ["High", "Middle"]]
			)
		)

		result = segments.resolve(segment.name, commit=False)

		self.assertEqual(self.live(segment), {young.name, also.name})
		self.assertEqual(result, {"joined": 2, "left": 0, "members": 2})
		segment.reload()
		self.assertEqual((segment.member_count, segment.resolution_status), (2, "Resolved"))
		self.assertEqual((segment.last_joined, segment.last_left), (2, 0))
		member = segments.active_members(segment.name, limit=1)[0]
		self.assertEqual(set(member), {"id", "member_doctype", "member_name", "email", "full_name"})

	def test_leaving_and_joining_again_is_a_new_stay(self):
		lead = self.lead(age_band="25-34")
		segment = self.segment(self.in_town(["CX Lead", "age_band", "=", "25-34"]))
		segments.resolve(segment.name, commit=False)

		lead.db_set("age_band", "65+")
		self.assertEqual(segments.resolve(segment.name, commit=False), {"joined": 0, "left": 1, "members": 0})
		self.assertEqual(self.live(segment), set())

		lead.db_set("age_band", "25-34")
		self.assertEqual(segments.resolve(segment.name, commit=False)["joined"], 1)
		stays = self.stays(segment, lead.name)
		self.assertEqual(len(stays), 2)
		self.assertIsNotNone(stays[0].left_on)
		self.assertIsNone(stays[1].left_on)
		history = segments.membership_history(segment.name, days=2)
		self.assertEqual((sum(history["joined"]), sum(history["left"]), history["members"]), (2, 1, 1))

	def test_a_second_resolution_changes_nothing(self):
		self.lead(age_band="25-34")
		segment = self.segment(self.in_town())
		segments.resolve(segment.name, commit=False)
		self.assertEqual(segments.resolve(segment.name, commit=False), {"joined": 0, "left": 0, "members": 1})

	def test_manual_and_trigger_members_stay_when_rules_do_not_match(self):
		matching = self.lead(age_band="25-34")
		outsider = self.lead(age_band="65+")
		segment = self.segment(self.in_town(["CX Lead", "age_band", "=", "25-34"]))
		self.assertTrue(segments.add_member(segment.name, "CX Lead", outsider.name))
		self.assertFalse(segments.add_member(segment.name, "CX Lead", outsider.name))  # idempotent
		self.assertTrue(segments.add_member(segment.name, "CX Lead", matching.name, source="Trigger"))
		self.assertEqual(frappe.db.get_value("CX Segment", segment.name, "member_count"), 2)

		result = segments.resolve(segment.name, commit=False)

		self.assertEqual(result["joined"], 0)  # the trigger's member is already live: not twice
		self.assertEqual(self.live(segment), {matching.name, outsider.name})
		self.assertEqual(len(self.stays(segment, matching.name)), 1)

	def test_add_member_refuses_unknown_records(self):
		segment = self.segment(self.in_town())
		self.assertRaises(
			frappe.DoesNotExistError, segments.add_member, segment.name, "CX Lead", "no-such-lead"
		)
		self.assertRaises(InvalidSegmentRuleError, segments.add_member, segment.name, "ToDo", "x")

	def test_live_membership_is_unique_in_the_database(self):
		lead = self.lead()
		segment = self.segment(self.in_town())
		segments.resolve(segment.name, commit=False)
		with self.assertRaises(Exception) as caught:
			frappe.db.sql(
				"insert into `tabCX Segment Member` (name, segment, segment_key, member_doctype, member_name) "
				"values (nextval(`cx_segment_member_id_seq`), %s, %s, %s, %s)",
				(segment.name, segment.segment_key, "CX Lead", lead.name),
			)
		self.assertTrue(frappe.db.is_unique_key_violation(caught.exception))

	def test_active_members_reads_in_batches_by_id(self):
		leads = {self.lead().name for _ in range(5)}
		segment = self.segment(self.in_town())
		segments.resolve(segment.name, commit=False)
		seen, after = [], 0
		while batch := segments.active_members(segment.name, after=after, limit=2):
			self.assertLessEqual(len(batch), 2)
			seen += [row.member_name for row in batch]
			after = batch[-1].id
		self.assertEqual(set(seen), leads)
		self.assertEqual(len(seen), 5)

	def test_active_members_give_the_current_email_and_name(self):
		lead = self.lead()
		segment = self.segment(self.in_town())
		segments.resolve(segment.name, commit=False)
		frappe.db.set_value(
			"CX Lead", lead.name, {"email": "new.address@example.com", "lead_name": "Ada New"}
		)
		member = segments.active_members(segment.name)[0]
		self.assertEqual((member.email, member.full_name), ("new.address@example.com", "Ada New"))

	def test_other_record_types(self):
		from tests.integration.factories import make_territory

		territory = make_territory(self.city)
		customer = frappe.get_doc(
			{"doctype": "CX Customer", "customer_name": f"Seg Co {self.city}", "territory": territory}
		).insert()
		segment = self.segment(
			[["CX Customer", "territory", "=", territory], ["CX Customer", "lifetime_value", ">=", 0]],
			segment_of="CX Customer",
		)
		segments.resolve(segment.name, commit=False)
		self.assertEqual(self.live(segment), {customer.name})

		contact = frappe.get_doc(
			{"doctype": "Contact", "first_name": "Seg", "last_name": self.city, "designation": self.city}
		).insert()
		segment = self.segment([["Contact", "designation", "=", self.city]], segment_of="Contact")
		segments.resolve(segment.name, commit=False)
		member = segments.active_members(segment.name)[0]
		self.assertEqual((member.member_name, member.full_name), (contact.name, contact.full_name))

	def test_changing_the_record_type_makes_rule_members_leave(self):
		self.lead()
		segment = self.segment(self.in_town())
		segments.resolve(segment.name, commit=False)
		segment.segment_of = "Contact"
		segment.filters_json = json.dumps([["Contact", "designation", "=", self.city]])
		segment.save()  # its lead left on the change
		self.assertEqual(self.live(segment), set())
		self.assertEqual(len(frappe.get_all("CX Segment Member", {"segment": segment.name})), 1)
		self.assertEqual(segments.resolve(segment.name, commit=False), {"joined": 0, "left": 0, "members": 0})

	def test_a_deleted_lead_leaves_no_stay_and_is_not_blocked(self):
		lead = self.lead()
		segment = self.segment(self.in_town())
		segments.resolve(segment.name, commit=False)
		frappe.delete_doc("CX Lead", lead.name)
		self.assertEqual(self.stays(segment, lead.name), [])

	def test_merging_two_members_keeps_one_live_stay(self):
		from crm_app.cx_data_quality.merge import merge_records

		kept = self.lead()
		merged = self.lead(first_name="Ada2")
		segment = self.segment(self.in_town())
		segments.resolve(segment.name, commit=False)
		merge_records("CX Lead", kept.name, [merged.name])
		self.assertEqual(self.live(segment), {kept.name})
		self.assertEqual(self.stays(segment, merged.name), [])

	def test_deleting_a_segment_deletes_its_members(self):
		self.lead()
		segment = self.segment(self.in_town())
		segments.resolve(segment.name, commit=False)
		frappe.delete_doc("CX Segment", segment.name)
		self.assertFalse(frappe.db.exists("CX Segment Member", {"segment": segment.name}))

	def test_a_big_segment_is_deleted_in_the_background_keeping_a_new_namesake(self):
		for _ in range(3):
			self.lead()
		segment = self.segment(self.in_town(), name=f"Big {self.city}")
		segments.resolve(segment.name, commit=False)
		with patch.object(segments, "DELETE_NOW", 1), patch.object(frappe, "enqueue") as enqueue:
			frappe.delete_doc("CX Segment", segment.name)
		calls = [
			c for c in enqueue.call_args_list if c.args[:1] == ("crm_app.cx_marketing.segments.delete_stays",)
		]
		self.assertEqual(len(calls), 1)
		kwargs = calls[0].kwargs
		self.assertEqual((kwargs["segment"], kwargs["queue"]), (segment.name, "long"))
		again = self.segment(self.in_town(), name=segment.name)  # a namesake at once: a key of its own
		self.assertNotEqual(again.segment_key, kwargs["segment_key"])
		self.assertEqual(self.live(again), set())
		segments.resolve(again.name, commit=False)
		self.assertEqual(len(self.live(again)), 3)
		deleted = segments.delete_stays(
			segment.name, kwargs["up_to"], batch=2, commit=False, segment_key=kwargs["segment_key"]
		)
		self.assertEqual(deleted, 3)
		self.assertEqual(len(self.live(again)), 3)

	def test_any_mode(self):
		a = self.lead(age_band="18-24")
		b = self.lead(income_band="High")
		self.lead(age_band="65+", income_band="Low")
		segment = self.segment(
			[["CX Lead", "age_band", "=", "18-24"], ["CX Lead", "income_band", "=", "High"]], match="Any"
		)
		segments.resolve(segment.name, commit=False)
		live = self.live(segment)
		self.assertTrue({a.name, b.name} <= live)
		count = rules.count_matching("CX Lead", json.loads(segment.filters_json), match="any")
		self.assertEqual(count, len(live))


class TestLiveCount(SegmentCase):
	"""The live count (frappe.get_list) and the resolved members (frappe.qb) read the rules alike."""

	RULE_SETS = (
		[],
		[["CX Lead", "status", "!=", "Qualified"]],
		[["CX Lead", "status", "in", ["New", "Contacted"]]],
		[["CX Lead", "status", "not in", ["New"]]],
		[["CX Lead", "age_band", "=", ""]],
		[["CX Lead", "age_band", "!=", ""]],
		[["CX Lead", "age_band", "is", "set"]],
		[["CX Lead", "income_band", "is", "not set"]],
		[["CX Lead", "interests", "like", "%golf%"]],
		[["CX Lead", "interests", "not like", "%golf%"]],
		[["CX Lead", "next_follow_up", "<", "2026-06-01"]],
		[["CX Lead", "next_follow_up", ">=", "2026-06-01"]],
		[["CX Lead", "next_follow_up", "Between", ["2026-01-01", "2026-06-30"]]],
		[["CX Lead", "next_follow_up", "!=", "2026-03-01"]],
		[["CX Lead", "next_follow_up", "Timespan", "last 30 days"]],
		[["CX Lead", "last_contacted_on", "<", "2026-01-01"]],
		[["CX Lead", "last_contacted_on", "is", "not set"]],
		[["CX Lead", "next_follow_up", "is", "set"]],
		[["CX Lead", "lead_score", "is", "set"]],
		[["CX Lead", "lead_score", "is", "not set"]],
		[["CX Lead", "lead_score", ">=", 0]],
		[["CX Lead", "lead_score", "<", 50]],
		[["CX Lead", "score_band", "in", ["Hot", ""]]],
	)

	def test_counts_equal_members_for_every_kind_of_rule(self):
		recent = add_days(nowdate(), -3)
		self.lead(status="New", age_band="25-34", interests="golf, sailing", next_follow_up="2026-03-01")
		self.lead(status="Contacted", income_band="High", next_follow_up="2026-07-01")
		self.lead(status="Qualified", next_follow_up=recent)
		self.lead(status="New")
		for rule_set in self.RULE_SETS:
			with self.subTest(rules=rule_set):
				filters = self.in_town(*rule_set)
				resolved = {name for (name,) in rules.matching_query("CX Lead", filters).run()}
				listed = set(frappe.get_list("CX Lead", filters=filters, pluck="name", limit=0))
				self.assertEqual(resolved, listed)
				self.assertEqual(rules.count_matching("CX Lead", filters), len(listed))
				segment = self.segment(filters)
				self.assertEqual(segments.resolve(segment.name, commit=False)["members"], len(listed))

	def test_preview_count_is_what_the_user_may_see(self):
		make_user(SALES, "Sales User")
		make_user(OTHER_SALES, "Sales User")
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)
		try:
			self.lead(lead_owner=SALES)
			self.lead(lead_owner=OTHER_SALES)
			self.lead(lead_owner=OTHER_SALES)
			filters = json.dumps(self.in_town())
			segment = self.segment(self.in_town()).name
			self.assertEqual(segments.preview_count("CX Lead", filters, segment=segment)["count"], 3)
			frappe.set_user(SALES)
			self.assertEqual(segments.preview_count("CX Lead", filters, segment=segment)["count"], 1)
		finally:
			frappe.set_user("Administrator")
			frappe.db.set_single_value("CX Settings", "restrict_sales_users", 0)


class TestBadRules(SegmentCase):
	def assert_refused(self, filters, *words, segment_of="CX Lead"):
		with self.assertRaises(InvalidSegmentRuleError) as caught:
			self.segment(filters, segment_of=segment_of)
		for word in words:
			self.assertIn(word, str(caught.exception))

	def test_unknown_field(self):
		self.assert_refused([["CX Lead", "shoe_size", "=", "42"]], "shoe_size")

	def test_field_outside_the_whitelist(self):
		self.assert_refused([["CX Lead", "notes", "like", "%x%"]], "notes")
		self.assert_refused([["CX Lead", "owner", "=", "Administrator"]], "owner")

	def test_values_of_the_wrong_type(self):
		self.assert_refused([["CX Lead", "lead_score", ">", "abc"]], "lead_score", "abc")
		self.assert_refused(
			[["CX Lead", "next_follow_up", "=", "not a date"]], "next_follow_up", "not a date"
		)
		self.assert_refused([["CX Lead", "age_band", "=", "99+"]], "age_band", "99+")
		self.assert_refused(
			[["CX Lead", "last_contacted_on", "between", ["2026-01-01"]]], "last_contacted_on"
		)
		self.assert_refused(
			[["CX Customer", "lifetime_value", ">", "lots"]], "lifetime_value", segment_of="CX Customer"
		)

	def test_unknown_operator_and_bad_shapes(self):
		self.assert_refused([["CX Lead", "status", "~", "New"]], "status", "~")
		self.assert_refused([["Contact", "gender", "=", "Female"]], "gender")
		self.assert_refused("not json")
		self.assert_refused([["CX Lead", "status"]])

	def test_timespan_must_be_known(self):
		self.assert_refused([["CX Lead", "next_follow_up", "timespan", "last fortnight"]], "last fortnight")

	def test_the_preview_shows_the_error_instead_of_raising(self):
		result = segments.preview_count("CX Lead", json.dumps([["CX Lead", "lead_score", ">", "abc"]]))
		self.assertIsNone(result["count"])
		self.assertIn("lead_score", result["error"])

	def test_nothing_is_resolved_from_rules_made_invalid_behind_the_form(self):
		segment = self.segment(self.in_town())
		frappe.db.set_value("CX Segment", segment.name, "filters_json", '[["CX Lead", "nope", "=", 1]]')
		self.assertRaises(InvalidSegmentRuleError, segments.resolve, segment.name, commit=False)
		self.assertEqual(frappe.db.get_value("CX Segment", segment.name, "resolution_status"), "Failed")
		self.assertFalse(frappe.db.exists("CX Segment Member", {"segment": segment.name}))


class TestPermissions(SegmentCase):
	def setUp(self):
		super().setUp()
		make_user(MARKETER, "Marketing User")
		make_user(SALES, "Sales User")
		make_user(NOBODY)
		self.lead()
		self.seg = self.segment(self.in_town())

	def calls(self):
		filters = json.dumps(self.in_town())
		return {
			"preview_count": lambda: segments.preview_count("CX Lead", filters, segment=self.seg.name),
			"preview_count_new": lambda: segments.preview_count("CX Lead", filters),
			"rule_fields": lambda: segments.rule_fields("CX Lead"),
			"membership_history": lambda: segments.membership_history(self.seg.name),
			"resolve_now": lambda: segments.resolve_now(self.seg.name),
		}

	def test_a_user_without_access_is_refused_everywhere(self):
		frappe.set_user(NOBODY)
		for name, call in self.calls().items():
			with self.subTest(method=name), self.assertRaises(frappe.PermissionError):
				call()

	def test_a_sales_user_reads_but_does_not_resolve(self):
		frappe.set_user(SALES)
		calls = self.calls()
		self.assertEqual(calls["preview_count"]()["count"], 1)
		self.assertIn("demographics", calls["rule_fields"]())
		calls["membership_history"]()
		for name in ("resolve_now", "preview_count_new"):
			with self.subTest(method=name), self.assertRaises(frappe.PermissionError):
				calls[name]()
		self.assertFalse(frappe.has_permission("CX Segment Member", "read"))

	def test_a_marketer_does_everything(self):
		frappe.set_user(MARKETER)
		with (
			patch.object(frappe, "enqueue") as enqueue,
			patch.object(segments, "is_job_enqueued", return_value=False),
		):
			for name, call in self.calls().items():
				with self.subTest(method=name):
					call()
		enqueue.assert_called_once()
		self.assertTrue(frappe.has_permission("CX Segment Member", "read"))
		self.assertFalse(frappe.has_permission("CX Segment Member", "create"))

	def test_write_methods_take_post_only(self):
		self.assertEqual(frappe.allowed_http_methods_for_whitelisted_func[segments.resolve_now], ["POST"])
		for method in (segments.preview_count, segments.rule_fields, segments.membership_history):
			self.assertEqual(frappe.allowed_http_methods_for_whitelisted_func[method], ["GET"])


class TestQueueing(SegmentCase):
	def test_a_second_click_while_queued_queues_nothing(self):
		segment = self.segment(self.in_town())
		queued = {"state": False}

		def enqueue(*args, **kwargs):
			queued["state"] = True
			queued["kwargs"] = kwargs

		with (
			patch.object(frappe, "enqueue", side_effect=enqueue) as mocked,
			patch.object(segments, "is_job_enqueued", side_effect=lambda job_id: queued["state"]),
		):
			first = segments.resolve_now(segment.name)
			second = segments.resolve_now(segment.name)

		self.assertTrue(first["queued"])
		self.assertFalse(second["queued"])
		self.assertIn("already", second["message"])
		mocked.assert_called_once()
		kwargs = queued["kwargs"]
		self.assertEqual((kwargs["queue"], kwargs["deduplicate"]), ("long", True))
		self.assertEqual(kwargs["job_id"], f"crm_app:segment-resolve:{segment.name}")
		self.assertEqual(frappe.db.get_value("CX Segment", segment.name, "resolution_status"), "Queued")

	def test_a_run_waits_for_the_lock_of_another(self):
		from crm_app import jobs

		segment = self.segment(self.in_town())
		with patch.object(jobs, "acquire_lock", return_value=False):
			self.assertIsNone(segments.resolve(segment.name, commit=False))

	def test_daily_refresh_queues_auto_segments_only(self):
		auto = self.segment(self.in_town())
		auto.db_set("auto_refresh", 1)
		self.segment(self.in_town())
		with patch.object(segments, "enqueue_resolve") as enqueue:
			segments.refresh_auto_segments()
		self.assertIn(auto.name, [c.args[0] for c in enqueue.call_args_list])
