"""The server owns every read-only field the app computes: an API client cannot forge one.

The test walks the meta of every app doctype, so a new doctype or a new read-only field is covered as
soon as it exists; a new doctype only needs a factory in FACTORIES (the test says so when it is missing).
"""

import frappe
from frappe.client import insert as client_insert
from frappe.client import save as client_save
from frappe.utils import add_days, add_months, get_datetime, get_first_day, getdate, nowdate

from crm_app.install import app_doctypes

from .factories import CXTestCase, make_customer, make_lead, make_opportunity, make_product, make_user

FORGER = "forger.manager@example.com"  # every CRM role that writes, but not System Manager
ADMIN_USER = "sys.manager@example.com"  # System Manager: may bring history, nothing else
OTHER_USER = "someone.else@example.com"
FORGED_TEXT = "FORGED"
FORGED_NUMBER = 987654
FORGED_DATETIME = "2001-02-03 04:05:06"
FORGED_DATE = "2001-02-03"
# Kept out of reach of every role: written by the server only, so a client cannot create one at all.
SERVER_ONLY = {
	"CX Reminder Log",
	"CX Tally",
	"CX Job Checkpoint",
	"CX Duplicate Key",
	"CX Search Key",
	"CX Duplicate Group",
	"CX Merge Log",
	"CX Search Posting",
	"CX Campaign Touch",
	"CX Trigger Log",
	"CX Segment Member",
	"CX Campaign Email Recipient",
	"CX RFM Snapshot",
	"CX Demand Forecast",
}


# Read-only fields whose past values may legitimately be imported (by Data Import or a System Manager).
HISTORY = {"CX Issue": ("opened_on", "first_responded_on", "resolved_on", "closed_on")}
NOT_DATA = frozenset({"Section Break", "Column Break", "Tab Break", "HTML", "Button", "Fold", "Heading"})


def server_owned_fields(meta) -> list:
	"""Read-only data fields, except those Frappe fetches from a link on every save."""
	return [df for df in meta.fields if df.read_only and df.fieldtype not in NOT_DATA and not df.fetch_from]


def unique(prefix: str) -> str:
	return f"{prefix} {frappe.generate_hash(length=6)}"


def email_template() -> str:
	name = unique("Template")
	frappe.get_doc({"doctype": "Email Template", "name": name, "subject": "Hi", "response": "Hi"}).insert()
	return name


FACTORIES = {
	"CX Call Log": lambda: {
		"reference_doctype": "CX Lead",
		"reference_name": make_lead(first_name="Called").name,
		"direction": "Outgoing",
		"outcome": "Connected",
	},
	"CX Article": lambda: {"title": unique("Article"), "content": "<p>How to</p>"},
	"CX Article Category": lambda: {"category_name": unique("Category")},
	"CX Search Posting": lambda: {"source_doctype": "CX Article", "document": "x", "term": "t", "tf": 1},
	"CX Campaign": lambda: {"campaign_name": unique("Campaign")},
	"CX Segment": lambda: {"segment_name": unique("Segment"), "segment_of": "CX Lead", "filters_json": "[]"},
	"CX Segment Member": lambda: {
		"segment": link_target("CX Segment"),
		"member_doctype": "CX Lead",
		"member_name": make_lead(first_name="Member").name,
		"joined_on": "2026-01-01 00:00:00",
	},
	"CX Trigger": lambda: {
		"trigger_name": unique("Trigger"),
		"trigger_on": "CX Customer",
		"filters_json": "[]",
		"enabled": 0,  # a trigger on every customer must never act on the tests after this one
		"actions": [{"action_type": "Notify", "notify_record_owner": 1}],
	},
	"CX Trigger Log": lambda: {
		"cx_trigger": link_target("CX Trigger"),
		"reference_doctype": "CX Customer",
		"reference_name": make_customer().name,
		"condition_hash": unique("hash"),
		"status": "Done",
	},
	"CX Campaign Email": lambda: {
		"title": unique("Mail"),
		"campaign": link_target("CX Campaign"),
		"steps": [{"email_template": email_template()}],
	},
	"CX Campaign Email Recipient": lambda: {
		"campaign_email": link_target("CX Campaign Email"),
		"step": 1,
		"member_doctype": "CX Lead",
		"member_name": make_lead(first_name="Mailed").name,
		"email": "mailed@example.com",
		"status": "Queued",
	},
	"CX Campaign Touch": lambda: {
		"campaign": link_target("CX Campaign"),
		"reference_doctype": "CX Lead",
		"reference_name": make_lead(first_name="Touched").name,
		"touch_type": "Email Sent",
	},
	"CX Competitor": lambda: {"competitor_name": unique("Rival")},
	"CX Customer": lambda: {"customer_name": unique("Customer")},
	"CX Industry": lambda: {"industry_name": unique("Industry")},
	"CX Issue": lambda: {"subject": "Printer on fire"},
	"CX Issue Type": lambda: {"issue_type": unique("Issue Type")},
	"CX Lead": lambda: {"first_name": "Forged", "email": "forged@example.com"},
	"CX Lead Source": lambda: {"source_name": unique("Source")},
	"CX Lost Reason": lambda: {"lost_reason": unique("Reason")},
	"CX Opportunity": lambda: {
		"title": "Forged deal",
		"customer": make_customer().name,
		"items": [{**make_product(), "qty": 2, "rate": 10}],
	},
	"CX Product": lambda: {"product_code": unique("P"), "product_name": "Widget", "standard_rate": 3},
	"CX Tally": lambda: {"tally": "leads", "dim_1": "New", "row_count": 1},
	"CX RFM Snapshot": lambda: {
		"customer": make_customer().name,
		"scored_on": "2026-01-01",
		"segment": "Loyal",
	},
	"CX Demand Forecast": lambda: {"item_type": "DocType", "item": "CX Lead", "period": "2026-01-01"},
	"CX Duplicate Key": lambda: {
		"record_doctype": "CX Lead",
		"record_name": make_lead(first_name="Keyed").name,
		"match_key": unique("e:"),
	},
	"CX Search Key": lambda: {
		"reference_doctype": "CX Lead",
		"reference_name": make_lead(first_name="Keyed").name,
		"search_key": unique("k"),
	},
	"CX Merge Log": lambda: {
		"record_doctype": "CX Lead",
		"survivor": make_lead().name,
		"merged_records": "x",
	},
	"CX Duplicate Group": lambda: {"record_doctype": "CX Lead", "title": "x", "fingerprint": unique("fp")},
	"CX Job Checkpoint": lambda: {"name": unique("job"), "method": "crm_app.scoring.rescore_all_leads"},
	"CX Reminder Log": lambda: {
		"reminder_key": unique("key"),
		"kind": "Stale Lead",
		"reference_doctype": "CX Lead",
		"reference_name": make_lead().name,
		"user": OTHER_USER,
		"due_on": nowdate(),
	},
	"CX Sales Stage": lambda: {"stage_name": unique("Stage"), "stage_order": 99, "default_probability": 5},
	"CX Sales Target": lambda: {
		"sales_person": make_user(f"{frappe.generate_hash(length=6)}@example.com", "Sales User"),
		"period_type": "Month",
		"period_start": get_first_day(add_months(nowdate(), 1)),
		"target_amount": 100,
	},
	"CX Territory": lambda: {"territory_name": unique("Territory"), "parent_cx_territory": "All Territories"},
	"CX Customer Group": lambda: {"customer_group_name": unique("Group")},
	"CX SLA Policy": lambda: {
		"policy_name": unique("Policy"),
		"time_zone": "Europe/Warsaw",
		"targets": [{"priority": "Low", "first_response_time": 3600, "resolution_time": 7200}],
		"working_hours": [{"weekday": "Monday", "start_time": "09:00:00", "end_time": "17:00:00"}],
	},
}


def link_target(doctype: str) -> str:
	"""An existing record of `doctype` that a forged link can point at."""
	if doctype == "User":
		return OTHER_USER
	if doctype == "DocType":
		return "CX Customer"
	if doctype == "Currency":
		return "EUR"
	if doctype == "ToDo":
		return frappe.get_doc({"doctype": "ToDo", "description": "forged"}).insert().name
	if doctype in FACTORIES:
		return frappe.get_doc({"doctype": doctype, **FACTORIES[doctype]()}).insert().name
	if doctype == "Customer":  # ERPNext's; the newest one is the record's own twin
		return frappe.get_doc({"doctype": "Customer", "customer_name": "Forged twin"}).insert().name
	return frappe.get_all(doctype, pluck="name", limit=1)[0]


def forged_value(df, current=None):
	if df.fieldtype == "Check":
		return 0 if current else 1
	if df.fieldtype in ("Int", "Float", "Currency", "Percent"):
		return FORGED_NUMBER
	if df.fieldtype == "Datetime":
		return FORGED_DATETIME
	if df.fieldtype == "Date":
		return FORGED_DATE
	if df.fieldtype == "Select":
		options = [o for o in (df.options or "").split("\n") if o and o != current and o != df.default]
		return options[-1]
	if df.fieldtype == "Link":
		return link_target(df.options)
	if df.fieldtype == "Dynamic Link":
		return make_lead(first_name="Linked").name
	return FORGED_TEXT


def kept(stored, forged) -> bool:
	if stored is None:
		return False
	if isinstance(forged, int | float) and not isinstance(forged, bool):
		return float(stored or 0) == float(forged)
	if len(str(forged)) == 19 and str(forged)[4] == "-":
		return get_datetime(stored) == get_datetime(forged)
	if len(str(forged)) == 10 and str(forged)[4] == "-":
		return getdate(stored) == getdate(forged)
	return str(stored) == str(forged)


class TestServerOwnsComputedFields(CXTestCase):
	def setUp(self):
		super().setUp()
		make_user(
			FORGER, "Sales Manager", "Support Team", "Marketing User", "CRM Administrator", "Sales User"
		)
		make_user(ADMIN_USER, "System Manager", "Sales Manager", "Support Team")
		make_user(OTHER_USER, "Sales User")

	def parent_doctypes(self) -> list[str]:
		return [d for d in app_doctypes() if not frappe.get_meta(d).istable]

	def test_every_doctype_has_a_factory(self):
		missing = [
			d for d in self.parent_doctypes() if not frappe.get_meta(d).issingle and d not in FACTORIES
		]
		self.assertEqual(missing, [], "add a factory to FACTORIES for each new doctype")

	def test_clients_cannot_create_server_only_records(self):
		for doctype in SERVER_ONLY:
			frappe.set_user(FORGER)
			with self.assertRaises(frappe.PermissionError):
				client_insert({"doctype": doctype, **FACTORIES[doctype]()})
			frappe.set_user(ADMIN_USER)
			with self.assertRaises(frappe.PermissionError):
				client_insert({"doctype": doctype, **FACTORIES[doctype]()})
			frappe.set_user("Administrator")

	def attempt(self, user, action, doc: dict):
		"""Run frappe.client insert/save as `user`; a refusal is fine (nothing was forged)."""
		frappe.set_user(user)
		frappe.db.savepoint("forge")
		try:
			return action(doc)
		except (frappe.ValidationError, frappe.PermissionError):
			frappe.db.rollback(save_point="forge")
			return None
		finally:
			frappe.set_user("Administrator")

	def forge_parent_fields(self, doctype: str, user: str, fields) -> list[str]:
		kept_fields = []
		for df in fields:
			if df.fieldtype in ("Table", "Table MultiSelect"):
				continue
			# insert with the forged value (one the server would not have computed itself)
			computed = frappe.get_doc({"doctype": doctype, **FACTORIES[doctype]()}).insert()
			values = {"doctype": doctype, **FACTORIES[doctype]()}
			forged = forged_value(df, current=computed.get(df.fieldname))
			values[df.fieldname] = forged
			inserted = self.attempt(user, client_insert, values)
			if inserted and kept(frappe.db.get_value(doctype, inserted["name"], df.fieldname), forged):
				kept_fields.append(f"insert {doctype}.{df.fieldname}")
			# save an existing record with the forged value
			doc = frappe.get_doc({"doctype": doctype, **FACTORIES[doctype]()}).insert()
			data = frappe.get_doc(doctype, doc.name).as_dict(convert_dates_to_str=True)
			forged = forged_value(df, current=data.get(df.fieldname))
			data[df.fieldname] = forged
			self.attempt(user, client_save, data)
			if kept(frappe.db.get_value(doctype, doc.name, df.fieldname), forged):
				kept_fields.append(f"save {doctype}.{df.fieldname}")
		return kept_fields

	def forge_child_rows(self, doctype: str, user: str) -> list[str]:
		"""Read-only fields of child rows, and whole read-only tables, through the parent."""
		kept_fields = []
		for table in frappe.get_meta(doctype).get_table_fields():
			child_meta = frappe.get_meta(table.options)
			owned = server_owned_fields(child_meta)
			if table.read_only:
				values = {"doctype": doctype, **FACTORIES[doctype]()}
				doc = frappe.get_doc(values).insert()
				data = frappe.get_doc(doctype, doc.name).as_dict(convert_dates_to_str=True)
				row = {df.fieldname: forged_value(df) for df in owned if df.fieldtype != "Link"}
				data[table.fieldname] = [*data.get(table.fieldname, []), row]
				self.attempt(user, client_save, data)
				stored = frappe.get_all(table.options, {"parent": doc.name}, ["*"])
				if len(stored) > len(doc.get(table.fieldname)):
					kept_fields.append(f"save {doctype}.{table.fieldname} (added row)")
				continue
			for df in owned:
				values = {"doctype": doctype, **FACTORIES[doctype]()}
				if not values.get(table.fieldname):
					continue
				forged = forged_value(df)
				values[table.fieldname][0][df.fieldname] = forged
				inserted = self.attempt(user, client_insert, values)
				if inserted:
					stored = frappe.get_all(table.options, {"parent": inserted["name"]}, pluck=df.fieldname)
					if any(kept(value, forged) for value in stored):
						kept_fields.append(f"insert {doctype}.{table.fieldname}.{df.fieldname}")
		return kept_fields

	def test_forged_read_only_values_are_not_kept(self):
		forged = []
		for doctype in self.parent_doctypes():
			meta = frappe.get_meta(doctype)
			if meta.issingle or doctype in SERVER_ONLY:
				continue
			forged += self.forge_parent_fields(doctype, FORGER, server_owned_fields(meta))
			forged += self.forge_child_rows(doctype, FORGER)
		self.assertEqual(forged, [])

	def test_forged_values_on_settings_are_not_kept(self):
		forged = []
		for doctype in self.parent_doctypes():
			meta = frappe.get_meta(doctype)
			if not meta.issingle:
				continue
			for df in server_owned_fields(meta):
				data = frappe.get_doc(doctype).as_dict(convert_dates_to_str=True)
				value = forged_value(df, current=data.get(df.fieldname))
				data[df.fieldname] = value
				self.attempt(FORGER, client_save, data)
				if kept(frappe.db.get_single_value(doctype, df.fieldname), value):
					forged.append(f"{doctype}.{df.fieldname}")
		self.assertEqual(forged, [])

	def test_system_managers_may_bring_history_but_nothing_else(self):
		issue = self.attempt(
			ADMIN_USER,
			client_insert,
			{
				"doctype": "CX Issue",
				"subject": "Old ticket",
				"status": "Closed",
				"opened_on": FORGED_DATETIME,
			},
		)
		self.assertEqual(get_datetime(issue["opened_on"]), get_datetime(FORGED_DATETIME))
		lead = self.attempt(
			ADMIN_USER, client_insert, {"doctype": "CX Lead", "first_name": "Hist", "lead_score": 999}
		)
		self.assertNotEqual(frappe.db.get_value("CX Lead", lead["name"], "lead_score"), 999)
		for fieldname in HISTORY["CX Issue"]:
			self.assertTrue(frappe.get_meta("CX Issue").get_field(fieldname).read_only)

	def test_history_fields_are_kept_through_data_import_only_for_others(self):
		frappe.set_user(FORGER)
		frappe.flags.in_import = True
		try:
			issue = frappe.get_doc(
				{
					"doctype": "CX Issue",
					"subject": "Imported",
					"status": "Closed",
					"opened_on": FORGED_DATETIME,
				}
			).insert()
		finally:
			frappe.flags.in_import = False
			frappe.set_user("Administrator")
		self.assertEqual(get_datetime(issue.opened_on), get_datetime(FORGED_DATETIME))


class TestRollupsSurviveStaleForms(CXTestCase):
	def test_a_form_opened_before_a_call_does_not_erase_it(self):
		from .factories import make_call_log

		lead = make_lead(first_name="Stale", last_name="Form")
		stale_form = frappe.get_doc("CX Lead", lead.name).as_dict(convert_dates_to_str=True)
		make_call_log(reference_doctype="CX Lead", reference_name=lead.name, call_start=frappe.utils.now())
		follow_up = frappe.get_doc(
			{
				"doctype": "ToDo",
				"reference_type": "CX Lead",
				"reference_name": lead.name,
				"date": add_days(nowdate(), 3),
				"description": "call back",
			}
		).insert()
		after_call = frappe.db.get_value(
			"CX Lead", lead.name, ["last_contacted_on", "next_follow_up", "first_contacted_on"]
		)
		self.assertTrue(all(after_call))
		stale_form["notes"] = "edited in a form opened before the call"
		client_save(stale_form)
		self.assertEqual(
			frappe.db.get_value(
				"CX Lead", lead.name, ["last_contacted_on", "next_follow_up", "first_contacted_on"]
			),
			after_call,
		)
		self.assertTrue(follow_up.name)

	def test_an_opportunity_form_keeps_its_rollups_too(self):
		from .factories import make_call_log

		opp = make_opportunity()
		stale_form = frappe.get_doc("CX Opportunity", opp.name).as_dict(convert_dates_to_str=True)
		make_call_log(reference_doctype="CX Opportunity", reference_name=opp.name)
		contacted = frappe.db.get_value("CX Opportunity", opp.name, "last_contacted_on")
		self.assertTrue(contacted)
		client_save(stale_form)
		self.assertEqual(frappe.db.get_value("CX Opportunity", opp.name, "last_contacted_on"), contacted)


class TestTimeBasedRollups(CXTestCase):
	def test_a_meeting_that_has_passed_becomes_the_last_contact(self):
		from crm_app.activities import schedule_meeting

		lead = make_lead(first_name="Meeting", last_name="Held")
		start = frappe.utils.add_to_date(frappe.utils.now_datetime(), hours=2)
		event = schedule_meeting("CX Lead", lead.name, "Demo", str(start))
		self.assertIsNone(frappe.db.get_value("CX Lead", lead.name, "last_contacted_on"))
		self.assertEqual(frappe.db.get_value("CX Lead", lead.name, "next_follow_up"), getdate(start))
		# Two days later: the meeting was held; nothing about it changed, only the clock moved.
		held = frappe.utils.add_to_date(frappe.utils.now_datetime(), days=-2)
		frappe.db.set_value("Event", event, {"starts_on": held}, update_modified=False)
		frappe.db.set_value("CX Lead", lead.name, "next_follow_up", getdate(held), update_modified=False)

		from crm_app.activities import refresh_time_based_rollups

		refresh_time_based_rollups(commit=False)
		last, upcoming = frappe.db.get_value("CX Lead", lead.name, ["last_contacted_on", "next_follow_up"])
		self.assertEqual(get_datetime(last).replace(microsecond=0), held.replace(microsecond=0))
		self.assertIsNone(upcoming)

	def test_the_refresh_is_a_daily_job(self):
		events = frappe.get_hooks("scheduler_events")
		daily = [*events.get("daily", []), *events.get("daily_long", [])]
		self.assertIn("crm_app.activities.refresh_time_based_rollups", daily)
