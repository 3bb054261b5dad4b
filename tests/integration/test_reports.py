"""The five sales reports on a small hand-checked data set in Q1 2021, run the way the desk runs them.

Leads (created in Q1 2021 unless noted; territory "Rpt North City" lies under "Rpt North"):
	L1 ann  North City  Website   New        first contact after 2 h
	L2 ann  North       Website   Qualified  first contact after 4 h
	L3 ann  North       Referral  Converted  never contacted
	L4 bob  South       Website   Qualified  first contact after 10 h, last contact 20 days ago
	L5 bob  South       Referral  Lost
	L6 ann  North       Website   Qualified  created 2020-12-20: outside the period

Opportunities (amount, created -> closed or expected):
	O1  ann North City Website Won   10 000  2021-01-20 -> 2021-02-10  (21 days)
	O2  ann North      Referral Won  20 000  2021-02-01 -> 2021-03-03  (30 days)
	O3  ann North      Lost "Price too high" at Proposal, rival A            5 000  closed 2021-03-10
	O4  bob South      Lost "No budget" at Qualification, rivals A and B    8 000  closed 2021-02-20
	O5  bob South      Open Commit     40 000 at 50 % (20 000 weighted), expected 2021-03-25
	O6  ann North      Open Pipeline   12 000 at 25 % ( 3 000 weighted), expected 2021-02-15
	O7  ann North      Won   6 000  2020-11-01 -> 2021-01-20  (80 days; created before the period)
	O8  ann North      Open Omitted    10 000 at 10 %, expected 2021-03-05: never forecast
	O9  bob South      Lost "Bad timing" 3 000, closed 2021-04-05: outside the period
	O10 ann North      Lost "Bad timing" at Prospecting, no rival, 2 000, closed 2021-01-10

Targets: ann Quarter Q1 90 000 and Month February 15 000 (North); bob Month March 40 000 (South);
a South territory target without a sales person (never a person's target); ann Quarter Q2 (outside).
Activities: ann 2 calls, 1 meeting on L1, 1 email sent on L2 in the period (plus a call in April, a
meeting with no CRM participant and a received email, none counted); bob 1 call.
"""

from datetime import datetime, timedelta

import frappe
from frappe.desk.query_report import run

from .factories import (
	CXTestCase,
	make_call_log,
	make_campaign,
	make_competitor,
	make_customer,
	make_lead,
	make_opportunity,
	make_target,
	make_territory,
	make_user,
)

ANN, BOB, MIA = "ann.reports@example.com", "bob.reports@example.com", "mia.reports@example.com"
NORTH, NORTH_CITY, SOUTH = "Rpt North", "Rpt North City", "Rpt South"
RIVAL_A, RIVAL_B, CAMPAIGN = "Rpt Rival A", "Rpt Rival B", "Rpt Spring Push"
Q1 = {"from_date": "2021-01-01", "to_date": "2021-03-31"}


def report(name: str, **filters) -> dict:
	return run(name, filters={**Q1, **filters}, ignore_prepared_report=True)


def rows(name: str, *fields: str, **filters) -> list[tuple]:
	return [tuple(row.get(field) for field in fields) for row in report(name, **filters)["result"]]


def summary(result: dict) -> dict:
	return {item["label"]: item["value"] for item in result["report_summary"]}


class ReportData(CXTestCase):
	def setUp(self):
		super().setUp()
		make_user(ANN, "Sales User")
		make_user(BOB, "Sales User")
		make_user(MIA, "Sales Manager")
		make_territory(NORTH, is_group=1)
		make_territory(NORTH_CITY, parent=NORTH)
		make_territory(SOUTH)
		for name in (RIVAL_A, RIVAL_B):
			make_competitor(name)
		make_campaign(CAMPAIGN)
		self.fixes: list[tuple[str, str, dict]] = []
		self.leads = self.make_leads()
		self.deals = self.make_opportunities()
		self.make_targets()
		self.make_activities()
		# Controllers and activity hooks have run; now pin every figure the reports read.
		for doctype, name, values in self.fixes:
			frappe.db.set_value(doctype, name, values, update_modified=False)

	def tearDown(self):
		super().tearDown()
		frappe.clear_document_cache("CX Settings", "CX Settings")

	def lead(self, owner, created, status, territory, source, first_contact_hours=None, **values):
		doc = make_lead(
			first_name="Report",
			last_name=f"Lead {len(self.fixes)}",
			lead_owner=owner,
			territory=territory,
			source=source,
			campaign=values.pop("campaign", None),
		)
		created = datetime.fromisoformat(created)
		first = created + timedelta(hours=first_contact_hours) if first_contact_hours is not None else None
		values = {
			"creation": created,
			"status": status,
			"first_contacted_on": first,
			"last_contacted_on": first,
			"next_follow_up": None,
			**values,
		}
		self.fixes.append(("CX Lead", doc.name, values))
		return doc.name

	def make_leads(self) -> dict:
		return {
			"L1": self.lead(ANN, "2021-01-05 10:00", "New", NORTH_CITY, "Website", 2, campaign=CAMPAIGN),
			"L2": self.lead(ANN, "2021-01-10 09:00", "Qualified", NORTH, "Website", 4),
			"L3": self.lead(
				ANN, "2021-02-01 08:00", "Converted", NORTH, "Referral", customer=make_customer().name
			),
			"L4": self.lead(
				BOB,
				"2021-02-15 08:00",
				"Qualified",
				SOUTH,
				"Website",
				10,
				last_contacted_on=frappe.utils.now_datetime() - timedelta(days=20),
			),
			"L5": self.lead(BOB, "2021-03-01 08:00", "Lost", SOUTH, "Referral"),
			"L6": self.lead(ANN, "2020-12-20 08:00", "Qualified", NORTH, "Website", 1),
		}

	def deal(self, owner, created, status, amount, territory, **values):
		competitors = values.pop("competitors", ())
		doc = make_opportunity(
			opportunity_owner=owner,
			territory=territory,
			sales_stage=values.pop("stage", "Prospecting"),
			competitors=[{"competitor": name} for name in competitors],
		)
		probability = values.pop("probability", 100 if status == "Won" else 0)
		pinned = {
			"creation": datetime.fromisoformat(created),
			"status": status,
			"amount": amount,
			"probability": probability,
			"weighted_amount": amount * probability / 100,
			"base_amount": amount,  # in the reporting currency (make_opportunity's currency)
			"base_weighted_amount": amount * probability / 100,
			"forecast_category": {"Won": "Closed", "Lost": "Omitted"}.get(status),
			"expected_close_date": values.get("closed_on"),
			"last_contacted_on": None,
			"next_follow_up": None,
			"source": None,
			"campaign": None,
			**values,
		}
		self.fixes.append(("CX Opportunity", doc.name, pinned))
		return doc.name

	def make_opportunities(self) -> dict:
		return {
			"O1": self.deal(
				ANN,
				"2021-01-20 10:00",
				"Won",
				10_000,
				NORTH_CITY,
				closed_on="2021-02-10",
				source="Website",
				campaign=CAMPAIGN,
			),
			"O2": self.deal(
				ANN, "2021-02-01 10:00", "Won", 20_000, NORTH, closed_on="2021-03-03", source="Referral"
			),
			"O3": self.deal(
				ANN,
				"2021-02-05 10:00",
				"Lost",
				5_000,
				NORTH,
				closed_on="2021-03-10",
				lost_reason="Price too high",
				stage="Proposal",
				competitors=[RIVAL_A],
			),
			"O4": self.deal(
				BOB,
				"2021-01-15 10:00",
				"Lost",
				8_000,
				SOUTH,
				closed_on="2021-02-20",
				lost_reason="No budget",
				stage="Qualification",
				competitors=[RIVAL_A, RIVAL_B],
			),
			"O5": self.deal(
				BOB,
				"2021-03-01 10:00",
				"Open",
				40_000,
				SOUTH,
				expected_close_date="2021-03-25",
				probability=50,
				forecast_category="Commit",
			),
			"O6": self.deal(
				ANN,
				"2021-01-02 10:00",
				"Open",
				12_000,
				NORTH,
				expected_close_date="2021-02-15",
				probability=25,
				forecast_category="Pipeline",
			),
			"O7": self.deal(ANN, "2020-11-01 10:00", "Won", 6_000, NORTH, closed_on="2021-01-20"),
			"O8": self.deal(
				ANN,
				"2021-03-02 10:00",
				"Open",
				10_000,
				NORTH,
				expected_close_date="2021-03-05",
				probability=10,
				forecast_category="Omitted",
			),
			"O9": self.deal(
				BOB,
				"2021-03-15 10:00",
				"Lost",
				3_000,
				SOUTH,
				closed_on="2021-04-05",
				lost_reason="Bad timing",
			),
			"O10": self.deal(
				ANN,
				"2021-01-03 10:00",
				"Lost",
				2_000,
				NORTH,
				closed_on="2021-01-10",
				lost_reason="Bad timing",
			),
		}

	def make_targets(self):
		# Q1 2021 is a closed period: the form refuses it, so these are written as history.
		for values in (
			{"sales_person": ANN, "territory": NORTH, "period_start": "2021-01-01", "target_amount": 90_000},
			{
				"sales_person": ANN,
				"territory": NORTH,
				"period_type": "Month",
				"period_start": "2021-02-01",
				"target_amount": 15_000,
			},
			{
				"sales_person": BOB,
				"territory": SOUTH,
				"period_type": "Month",
				"period_start": "2021-03-01",
				"target_amount": 40_000,
			},
			{"territory": SOUTH, "period_start": "2021-01-01", "target_amount": 99_999},
			{"sales_person": ANN, "territory": NORTH, "period_start": "2021-04-01", "target_amount": 50_000},
		):
			make_target(history=True, **values)

	def make_activities(self):
		l1, l2, l4 = self.leads["L1"], self.leads["L2"], self.leads["L4"]
		for caller, doctype, name, start in (
			(ANN, "CX Lead", l1, "2021-01-06 10:00"),
			(ANN, "CX Opportunity", self.deals["O6"], "2021-02-03 11:00"),
			(ANN, "CX Lead", l1, "2021-04-02 09:00"),
			(BOB, "CX Lead", l4, "2021-02-16 15:00"),
		):
			make_call_log(reference_doctype=doctype, reference_name=name, caller=caller, call_start=start)
		for starts_on, participants in (
			("2021-02-01 10:00", [{"reference_doctype": "CX Lead", "reference_docname": l1}]),
			("2021-02-02 10:00", []),
		):
			event = frappe.get_doc(
				{
					"doctype": "Event",
					"subject": "Report meeting",
					"event_type": "Private",
					"starts_on": starts_on,
					"event_participants": participants,
				}
			).insert()
			self.fixes.append(("Event", event.name, {"owner": ANN}))
		for direction, date in (("Sent", "2021-02-02 09:00"), ("Received", "2021-02-03 09:00")):
			email = frappe.get_doc(
				{
					"doctype": "Communication",
					"communication_type": "Communication",
					"communication_medium": "Email",
					"sent_or_received": direction,
					"sender": ANN if direction == "Sent" else "client@example.com",
					"user": ANN,
					"recipients": "client@example.com" if direction == "Sent" else ANN,
					"subject": "Our offer",
					"reference_doctype": "CX Lead",
					"reference_name": l2,
				}
			).insert(ignore_permissions=True)
			self.fixes.append(("Communication", email.name, {"communication_date": date}))

	def restrict_to_ann(self):
		"""ann becomes a restricted sales user; bob's open O5 is assigned to her."""
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)
		frappe.get_doc(
			{
				"doctype": "ToDo",
				"allocated_to": ANN,
				"reference_type": "CX Opportunity",
				"reference_name": self.deals["O5"],
				"description": "help close",
			}
		).insert(ignore_permissions=True)
		frappe.set_user(ANN)


FUNNEL = ("step", "count", "from_previous", "from_first")


class TestSalesFunnel(ReportData):
	def test_steps_and_conversions(self):
		result = report("CX Sales Funnel")
		self.assertEqual(
			[tuple(row[f] for f in FUNNEL) for row in result["result"]],
			[
				("Leads", 5, None, 100.0),
				("Qualified", 3, 60.0, 60.0),
				("Opportunities", 9, 300.0, 180.0),
				("Won", 3, 33.3, 60.0),
			],
		)
		self.assertEqual(summary(result)["Won Amount"], 36_000)
		self.assertEqual(result["chart"]["data"]["datasets"][0]["values"], [5, 3, 9, 3])

	def test_owner_territory_source_and_campaign_filters(self):
		counts = lambda **f: [row[1] for row in rows("CX Sales Funnel", *FUNNEL, **f)]  # noqa: E731
		self.assertEqual(counts(owner=BOB), [2, 1, 3, 0])
		self.assertEqual(counts(territory=NORTH), [3, 2, 6, 3])  # North City is inside North
		self.assertEqual(counts(territory=NORTH_CITY), [1, 0, 1, 1])
		self.assertEqual(counts(source="Website"), [3, 2, 1, 1])
		self.assertEqual(counts(campaign=CAMPAIGN), [1, 0, 1, 1])

	def test_restricted_user_counts_own_and_assigned_records_only(self):
		self.restrict_to_ann()
		counts = lambda **f: [row[1] for row in rows("CX Sales Funnel", *FUNNEL, **f)]  # noqa: E731
		self.assertEqual(counts(), [3, 2, 7, 3])  # her opportunities and the assigned O5
		self.assertEqual(counts(owner=BOB), [0, 0, 1, 0])
		frappe.set_user(MIA)
		self.assertEqual(counts(), [5, 3, 9, 3])

	def test_backwards_period_is_refused(self):
		from crm_app.exceptions import InvalidDateRangeError

		with self.assertRaises(InvalidDateRangeError):
			report("CX Sales Funnel", from_date="2021-03-31", to_date="2021-01-01")


FORECAST = ("month", "owner", "pipeline", "best_case", "commit", "closed", "total", "target", "attainment")


class TestPipelineForecast(ReportData):
	def test_weighted_amounts_by_month_owner_and_category_against_targets(self):
		result = report("CX Pipeline Forecast")
		self.assertEqual(
			[tuple(row[f] for f in FORECAST) for row in result["result"]],
			[
				("Jan 2021", ANN, 0, 0, 0, 6_000, 6_000, 30_000, 20.0),
				("Feb 2021", ANN, 3_000, 0, 0, 10_000, 13_000, 15_000, 66.7),
				("Mar 2021", ANN, 0, 0, 0, 20_000, 20_000, 30_000, 66.7),
				("Mar 2021", BOB, 0, 0, 20_000, 0, 20_000, 40_000, 0.0),
			],
		)
		self.assertEqual(
			summary(result),
			{
				"Open Weighted": 23_000,
				"Commit": 20_000,
				"Closed": 36_000,
				"Target": 115_000,
				"Attainment (%)": 31.3,
			},
		)
		chart = result["chart"]
		self.assertEqual(chart["data"]["labels"], ["Jan 2021", "Feb 2021", "Mar 2021"])
		values = {dataset["name"]: dataset["values"] for dataset in chart["data"]["datasets"]}
		self.assertEqual(values["Closed"], [6_000, 10_000, 20_000])
		self.assertEqual(values["Commit"], [0, 0, 20_000])
		self.assertEqual(values["Target"], [30_000, 15_000, 70_000])

	def test_owner_and_territory_filters(self):
		self.assertEqual(
			rows("CX Pipeline Forecast", *FORECAST, owner=BOB),
			[("Mar 2021", BOB, 0, 0, 20_000, 0, 20_000, 40_000, 0.0)],
		)
		north = rows("CX Pipeline Forecast", "month", "owner", "closed", "target", territory=NORTH)
		self.assertEqual(
			north,
			[
				("Jan 2021", ANN, 6_000, 30_000),
				("Feb 2021", ANN, 10_000, 15_000),
				("Mar 2021", ANN, 20_000, 30_000),
			],
		)
		self.assertEqual(
			rows("CX Pipeline Forecast", "month", "closed", "target", territory=NORTH_CITY),
			[("Feb 2021", 10_000, 0)],  # O1; ann's targets are set for North, not North City
		)

	def test_one_month_period(self):
		self.assertEqual(
			rows(
				"CX Pipeline Forecast",
				"month",
				"owner",
				"closed",
				"target",
				from_date="2021-02-01",
				to_date="2021-02-28",
			),
			[("Feb 2021", ANN, 10_000, 15_000)],
		)

	def test_restricted_user_sees_own_and_assigned_deals_and_own_targets(self):
		self.restrict_to_ann()
		self.assertEqual(
			rows("CX Pipeline Forecast", "month", "owner", "commit", "closed", "target"),
			[
				("Jan 2021", ANN, 0, 6_000, 30_000),
				("Feb 2021", ANN, 0, 10_000, 15_000),
				("Mar 2021", ANN, 0, 20_000, 30_000),
				("Mar 2021", BOB, 20_000, 0, 0),
			],
		)


REP = (
	"owner",
	"leads",
	"response_hours",
	"converted",
	"conversion_rate",
	"won",
	"lost",
	"win_rate",
	"won_amount",
	"average_deal",
	"cycle_days",
	"calls",
	"meetings",
	"emails",
	"activities",
	"target",
	"attainment",
)


class TestRepPerformance(ReportData):
	def test_figures_per_owner(self):
		result = report("CX Rep Performance")
		self.assertEqual(
			[tuple(row[f] for f in REP) for row in result["result"]],
			[
				(ANN, 3, 3.0, 1, 33.3, 3, 2, 60.0, 36_000, 12_000, 43.7, 2, 1, 1, 4, 75_000, 48.0),
				(BOB, 2, 10.0, 0, 0.0, 0, 1, 0.0, 0, 0, None, 1, 0, 0, 1, 40_000, 0.0),
			],
		)
		expected = {"Won Amount": 36_000, "Target": 115_000, "Attainment (%)": 31.3, "Win Rate (%)": 50.0}
		if "erpnext" in frappe.get_installed_apps():
			expected["Invoiced"] = 0  # no invoices here: ERPNext's books beside the won amount
		self.assertEqual(summary(result), expected)
		datasets = result["chart"]["data"]["datasets"]
		self.assertEqual(result["chart"]["data"]["labels"], [ANN, BOB])
		self.assertEqual([d["values"] for d in datasets], [[36_000, 0], [75_000, 40_000]])

	def test_contact_before_the_lead_was_entered_counts_as_an_immediate_response(self):
		name = self.lead(BOB, "2021-03-05 08:00", "New", SOUTH, "Website", -30)
		frappe.db.set_value("CX Lead", name, self.fixes[-1][2], update_modified=False)
		bob = rows("CX Rep Performance", "owner", "leads", "response_hours", owner=BOB)
		self.assertEqual(bob, [(BOB, 3, 5.0)])  # (10 h + 0 h) / 2 leads contacted

	def test_owner_and_territory_filters(self):
		self.assertEqual([row[0] for row in rows("CX Rep Performance", *REP, owner=BOB)], [BOB])
		ann = rows("CX Rep Performance", *REP, territory=NORTH_CITY)
		# In North City: L1 and O1; activities are not narrowed by territory; targets are for North.
		self.assertEqual(ann, [(ANN, 1, 2.0, 0, 0.0, 1, 0, 100.0, 10_000, 10_000, 21.0, 2, 1, 1, 4, 0, None)])

	def test_restricted_user_sees_only_their_row(self):
		self.restrict_to_ann()
		self.assertEqual([row[0] for row in rows("CX Rep Performance", *REP)], [ANN])
		self.assertEqual([row[0] for row in rows("CX Rep Performance", *REP, owner=BOB)], [ANN])


LOST = ("label", "count", "count_share", "amount", "amount_share")


class TestLostOpportunityAnalysis(ReportData):
	def test_by_reason(self):
		result = report("CX Lost Opportunity Analysis", group_by="Reason")
		self.assertEqual(
			[tuple(row[f] for f in LOST) for row in result["result"]],
			[
				("No budget", 1, 33.3, 8_000, 53.3),
				("Price too high", 1, 33.3, 5_000, 33.3),
				("Bad timing", 1, 33.3, 2_000, 13.3),
			],
		)
		self.assertEqual(summary(result)["Lost Deals"], 3)
		self.assertEqual(summary(result)["Lost Amount"], 15_000)
		self.assertEqual(result["chart"]["type"], "pie")

	def test_by_competitor_counts_a_deal_under_each_rival(self):
		self.assertEqual(
			rows("CX Lost Opportunity Analysis", *LOST, group_by="Competitor"),
			[
				(RIVAL_A, 2, 66.7, 13_000, 86.7),
				(RIVAL_B, 1, 33.3, 8_000, 53.3),
				("Not Set", 1, 33.3, 2_000, 13.3),
			],
		)

	def test_by_stage_lost_at(self):
		self.assertEqual(
			rows("CX Lost Opportunity Analysis", "label", "count", "amount", group_by="Stage"),
			[("Qualification", 1, 8_000), ("Proposal", 1, 5_000), ("Prospecting", 1, 2_000)],
		)

	def test_owner_and_territory_filters(self):
		expected = [("Price too high", 1, 50.0, 5_000, 71.4), ("Bad timing", 1, 50.0, 2_000, 28.6)]
		self.assertEqual(rows("CX Lost Opportunity Analysis", *LOST, owner=ANN), expected)
		self.assertEqual(rows("CX Lost Opportunity Analysis", *LOST, territory=NORTH), expected)
		self.assertEqual(rows("CX Lost Opportunity Analysis", *LOST, territory=NORTH_CITY), [])

	def test_restricted_user(self):
		self.restrict_to_ann()
		self.assertEqual(
			[row[0] for row in rows("CX Lost Opportunity Analysis", *LOST)], ["Price too high", "Bad timing"]
		)


STALE = ("record_type", "record", "owner", "days_idle", "amount")


class TestStalePipeline(ReportData):
	def setUp(self):
		super().setUp()
		frappe.db.set_single_value("CX Settings", {"stale_lead_days": 25, "stale_opportunity_days": 14})
		self.o5_idle = (frappe.utils.getdate() - frappe.utils.getdate("2021-03-01")).days

	def stale(self, **filters) -> list[tuple]:
		result = run("CX Stale Pipeline", filters=filters, ignore_prepared_report=True)
		self.summary = summary(result)
		return [tuple(row.get(f) for f in STALE) for row in result["result"]]

	def test_thresholds_from_settings(self):
		# bob's lead was contacted 20 days ago: under the 25 days set for leads.
		self.assertEqual(
			self.stale(owner=BOB), [("CX Opportunity", self.deals["O5"], BOB, self.o5_idle, 40_000)]
		)
		self.assertEqual(self.summary["Stale Leads"], 0)
		self.assertEqual(self.summary["Stale Opportunities"], 1)
		self.assertEqual(self.summary["Stale Pipeline Amount"], 40_000)

	def test_days_filter_oldest_first_and_type(self):
		self.assertEqual(
			self.stale(owner=BOB, days=14),
			[
				("CX Opportunity", self.deals["O5"], BOB, self.o5_idle, 40_000),
				("CX Lead", self.leads["L4"], BOB, 20, None),
			],
		)
		self.assertEqual(
			self.stale(owner=BOB, days=21), [("CX Opportunity", self.deals["O5"], BOB, self.o5_idle, 40_000)]
		)
		self.assertEqual(
			self.stale(owner=BOB, days=14, record_type="CX Lead"),
			[("CX Lead", self.leads["L4"], BOB, 20, None)],
		)

	def test_territory_and_period_filters(self):
		names = lambda **f: {row[1] for row in self.stale(**f)}  # noqa: E731
		leads, deals = self.leads, self.deals
		self.assertEqual(
			names(territory=NORTH), {leads["L1"], leads["L2"], leads["L6"], deals["O6"], deals["O8"]}
		)
		self.assertEqual(names(territory=NORTH_CITY), {leads["L1"]})
		self.assertEqual(
			names(territory=NORTH, from_date="2021-01-01", to_date="2021-01-31"),
			{leads["L1"], leads["L2"], deals["O6"]},
		)

	def test_restricted_user_sees_own_and_assigned(self):
		self.restrict_to_ann()
		names = {row[1] for row in self.stale(days=14)}
		self.assertIn(self.deals["O5"], names)  # assigned to her
		self.assertNotIn(self.leads["L4"], names)
		self.assertTrue(names >= {self.leads["L1"], self.deals["O6"]})


class TestWorkspaceFigures(CXTestCase):
	CARDS = ("CX Hot Leads", "CX Follow-ups Due", "CX Won This Month")
	CHARTS = ("CX Weighted Pipeline by Forecast Category", "CX Won Amount by Month")
	REPORTS = (
		"CX Sales Funnel",
		"CX Pipeline Forecast",
		"CX Rep Performance",
		"CX Lost Opportunity Analysis",
		"CX Stale Pipeline",
	)

	def card(self, name: str) -> float:
		"""The card's figure as the desk computes it (dynamic filters evaluated for today)."""
		from frappe.desk.doctype.number_card.number_card import get_result

		doc = frappe.get_doc("Number Card", name)
		dynamic = [
			[*f[:3], frappe.utils.today(), *f[4:]] for f in frappe.parse_json(doc.dynamic_filters_json)
		]
		return get_result(doc, frappe.parse_json(doc.filters_json) + dynamic)

	def test_workspace_shows_the_cards_charts_and_reports_and_uninstall_removes_them(self):
		workspace = frappe.get_doc("Workspace", "Customer Relations")
		self.assertTrue(set(self.CARDS) <= {row.number_card_name for row in workspace.number_cards})
		self.assertTrue(set(self.CHARTS) <= {row.chart_name for row in workspace.charts})
		self.assertTrue(
			set(self.REPORTS) <= {row.link_to for row in workspace.links if row.link_type == "Report"}
		)
		# Uninstall deletes Number Cards, Dashboard Charts and Reports of the app's modules.
		for doctype, names in (
			("Number Card", self.CARDS),
			("Dashboard Chart", self.CHARTS),
			("Report", self.REPORTS),
		):
			for name in names:
				self.assertEqual(frappe.db.get_value(doctype, name, "module"), "CX Sales", name)

	def test_cards_count_what_their_labels_say(self):
		before = {name: self.card(name) for name in self.CARDS}
		today = frappe.utils.getdate()
		hot = make_lead(first_name="Hot", last_name="Lead")
		make_lead(first_name="Due", last_name="Lead")
		frappe.db.set_value("CX Lead", hot.name, {"score_band": "Hot", "next_follow_up": today})
		lost = make_lead(first_name="Lost", last_name="Hot Lead")
		frappe.db.set_value(
			"CX Lead", lost.name, {"score_band": "Hot", "status": "Lost", "next_follow_up": today}
		)
		won = make_opportunity(amount=1_234)
		frappe.db.set_value(
			"CX Opportunity", won.name, {"status": "Won", "closed_on": today, "amount": 1_234}
		)
		old = make_opportunity(amount=999)
		frappe.db.set_value(
			"CX Opportunity", old.name, {"status": "Won", "closed_on": frappe.utils.add_months(today, -1)}
		)
		after = {name: self.card(name) for name in self.CARDS}
		self.assertEqual(after["CX Hot Leads"] - before["CX Hot Leads"], 1)
		self.assertEqual(after["CX Follow-ups Due"] - before["CX Follow-ups Due"], 1)
		self.assertEqual(after["CX Won This Month"] - before["CX Won This Month"], 1_234)
