"""The service desk reports, cards, charts and workspace on a small hand-checked set of issues, run the
way the desk runs them. The range is January-February 2021, by month.

Issue  opened            agent  type      priority  customer  responded  resolved           SLA (resp / resol)
I0     2020-12-20 10:00  ava    Bug       High      mine      -          2021-01-10 10:00   -
I1     2021-01-05 10:00  ava    Bug       High      mine      +2 h       +10 h              Gold Met / Met
I2     2021-01-10 08:00  ben    Question  Medium    theirs    +4 h       +48 h              Gold Met / Breached
I3     2021-01-20 09:00  ava    Bug       Medium    theirs    +6 h       open (Replied)     Gold Breached / Breached
I4     2021-02-03 09:00  ben    Question  High      mine      +1 h       +5 h               Silver Met / Met
I5     2021-02-10 09:00  -      Bug       Low       theirs    -          open               Silver At Risk / On Track
I6     2021-03-05 09:00  ava    Bug       Medium    mine      -          open (after the range)
I7     2020-12-01 09:00  ben    Bug       Low       theirs    -          2020-12-05 (before the range)

Ratings: I1 5 "Great" (2021-01-06), I2 2 "Slow" (2021-01-13), I4 4 (2021-02-04), I6 3 (two days ago);
requested on I1, I2, I3 (never rated) and I4. "Mine" are the customers of the restricted sales user.
"""

import json
from datetime import datetime, timedelta

import frappe
from frappe.desk.doctype.dashboard_chart import dashboard_chart as frappe_chart
from frappe.desk.doctype.number_card import number_card as frappe_card
from frappe.desk.query_report import run
from frappe.utils import now_datetime

from crm_app.cx_insights import figures
from crm_app.exceptions import InvalidDateRangeError, InvalidFilterError

from .factories import CXTestCase, make_customer, make_user

AVA, BEN = "ava.support@example.com", "ben.support@example.com"
RITA = "rita.restricted@example.com"  # restricted sales user, account manager of "mine"
RANGE = {"from_date": "2021-01-01", "to_date": "2021-02-28", "periodicity": "Monthly"}
JAN, FEB = "2021-01-01", "2021-02-01"
WORKSPACE = "Service Desk"
REPORTS = (
	"CX Issue Analytics",
	"CX SLA Compliance",
	"CX Response and Resolution Times",
	"CX Agent Performance",
	"CX Customer Satisfaction",
)
H = timedelta(hours=1)


def report(name: str, **filters) -> dict:
	return run(name, filters={**RANGE, **filters}, ignore_prepared_report=True)


def summary(result: dict) -> dict:
	return {item["label"]: item["value"] for item in result["report_summary"]}


def by(rows: list[dict], *fields: str) -> dict:
	"""Rows keyed by their fields' values (as text, "" for none); a period's own row has "" for the
	dimension, its breakdown rows the value."""
	return {tuple(str(row.get(field) or "") for field in fields): row for row in rows}


def pick(row: dict, *fields: str) -> tuple:
	return tuple(row.get(field) for field in fields)


class SupportData(CXTestCase):
	def setUp(self):
		super().setUp()
		# The reports read every issue of the site: start from none (the rollback brings them back).
		frappe.db.delete("CX Issue Status Log", {"parenttype": "CX Issue"})
		frappe.db.delete("CX Issue")
		make_user(AVA, "Support Team")
		make_user(BEN, "Support Team")
		make_user(RITA, "Sales User")
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)
		for name in ("Rpt Bug", "Rpt Question"):
			if not frappe.db.exists("CX Issue Type", name):
				frappe.get_doc({"doctype": "CX Issue Type", "issue_type": name}).insert()
		self.mine = make_customer(customer_name="Rita's Customer", account_manager=RITA).name
		self.theirs = make_customer(customer_name="Someone Else's Customer").name
		t = datetime.fromisoformat
		self.issues = {
			"I0": self.issue("I0", t("2020-12-20 10:00"), AVA, "Rpt Bug", "High", self.mine, "Resolved",
				resolved=t("2021-01-10 10:00")),
			"I1": self.issue("I1", t("2021-01-05 10:00"), AVA, "Rpt Bug", "High", self.mine, "Closed",
				responded=2 * H, resolved=10 * H, sla=("Rpt Gold", "Met", "Met", "Met"),
				rating=(5, "Great", t("2021-01-06 09:00")), requested=t("2021-01-05 20:00")),
			"I2": self.issue("I2", t("2021-01-10 08:00"), BEN, "Rpt Question", "Medium", self.theirs, "Resolved",
				responded=4 * H, resolved=48 * H, sla=("Rpt Gold", "Met", "Breached", "Breached"),
				rating=(2, "Slow", t("2021-01-13 09:00")), requested=t("2021-01-12 09:00")),
			"I3": self.issue("I3", t("2021-01-20 09:00"), AVA, "Rpt Bug", "Medium", self.theirs, "Replied",
				responded=6 * H, sla=("Rpt Gold", "Breached", "Breached", "Breached"),
				requested=t("2021-01-21 09:00")),
			"I4": self.issue("I4", t("2021-02-03 09:00"), BEN, "Rpt Question", "High", self.mine, "Closed",
				responded=1 * H, resolved=5 * H, sla=("Rpt Silver", "Met", "Met", "Met"),
				rating=(4, None, t("2021-02-04 09:00")), requested=t("2021-02-03 14:00")),
			"I5": self.issue("I5", t("2021-02-10 09:00"), None, "Rpt Bug", "Low", self.theirs, "Open",
				sla=("Rpt Silver", "At Risk", "On Track", "At Risk")),
			"I6": self.issue("I6", t("2021-03-05 09:00"), AVA, "Rpt Bug", "Medium", self.mine, "Open",
				rating=(3, "Fine", now_datetime() - timedelta(days=2))),
			"I7": self.issue("I7", t("2020-12-01 09:00"), BEN, "Rpt Bug", "Low", self.theirs, "Closed",
				resolved=t("2020-12-05 09:00")),
		}  # fmt: skip
		figures.reconcile(["CX Issue"], commit=False)  # the timestamps above bypassed the documents

	def tearDown(self):
		super().tearDown()
		frappe.clear_document_cache("CX Settings", "CX Settings")

	def issue(self, label, opened, agent, issue_type, priority, customer, status, **values) -> str:
		"""An issue, then its history and figures pinned as a site would have written them."""
		doc = frappe.get_doc(
			{"doctype": "CX Issue", "subject": f"Report issue {label}", "customer": customer}
		)
		doc.insert()
		resolved = values.get("resolved")
		if isinstance(resolved, timedelta):
			resolved = opened + resolved
		responded = values.get("responded")
		policy, response, resolution, overall = values.get("sla") or (None, None, None, None)
		rating, comment, rated_on = values.get("rating") or (0, None, None)
		frappe.db.set_value(
			"CX Issue",
			doc.name,
			{
				"status": status,
				"agent": agent,
				"issue_type": issue_type,
				"priority": priority,
				"opened_on": opened,
				"first_responded_on": opened + responded if responded else None,
				"resolved_on": resolved,
				"closed_on": resolved if status == "Closed" else None,
				"sla_policy": policy,
				"response_status": response,
				"resolution_status": resolution,
				"sla_status": overall,
				"response_by": opened + H if policy else None,
				"resolution_by": opened + 8 * H if policy else None,
				"csat_rating": rating,
				"csat_comment": comment,
				"csat_rated_on": rated_on,
				"csat_requested_on": values.get("requested"),
			},
			update_modified=False,
		)
		return doc.name

	def drop_others_issues(self):
		"""Delete every issue the restricted user may not see (what the report must hide from them)."""
		theirs = frappe.get_all("CX Issue", filters={"customer": ("!=", self.mine)}, pluck="name")
		theirs += frappe.get_all("CX Issue", filters={"customer": ("is", "not set")}, pluck="name")
		frappe.db.delete("CX Issue Status Log", {"parent": ("in", theirs)})
		frappe.db.delete("CX Issue", {"name": ("in", theirs)})


class TestSupportReports(SupportData):
	def test_issue_analytics_counts_opened_resolved_and_the_backlog(self):
		result = report("CX Issue Analytics", group_by="Issue Type")
		rows = by(result["result"], "period_start", "issue_type")
		fields = ("opened", "resolved", "backlog")
		self.assertEqual(pick(rows[JAN, ""], *fields), (3, 3, 1))
		self.assertEqual(pick(rows[JAN, "Rpt Bug"], *fields), (2, 2, 1))
		self.assertEqual(pick(rows[JAN, "Rpt Question"], *fields), (1, 1, 0))
		self.assertEqual(pick(rows[FEB, ""], *fields), (2, 1, 2))
		self.assertEqual(pick(rows[FEB, "Rpt Bug"], *fields), (1, 0, 2))
		self.assertEqual(pick(rows[FEB, "Rpt Question"], *fields), (1, 1, 0))
		self.assertEqual(rows[JAN, "Rpt Bug"]["indent"], 1)
		self.assertEqual(rows[JAN, ""]["indent"], 0)
		self.assertEqual(summary(result), {"Open at Start": 1, "Opened": 5, "Resolved": 4, "Open at End": 2})
		datasets = result["chart"]["data"]["datasets"]
		self.assertEqual([d["values"] for d in datasets], [[3, 2], [3, 1], [1, 2]])

	def test_issue_analytics_by_agent_and_day(self):
		result = report("CX Issue Analytics", group_by="Agent", periodicity="Daily", to_date="2021-01-10")
		rows = by(result["result"], "period_start", "agent")
		self.assertEqual(len([row for row in result["result"] if row["indent"] == 0]), 10)
		self.assertEqual(pick(rows["2021-01-05", AVA], "opened", "resolved", "backlog"), (1, 1, 1))
		self.assertEqual(pick(rows["2021-01-10", AVA], "opened", "resolved", "backlog"), (0, 1, 0))
		self.assertEqual(pick(rows["2021-01-10", BEN], "opened", "resolved", "backlog"), (1, 0, 1))
		self.assertEqual(rows["2021-01-10", AVA]["label"], "ava.support")

	def test_sla_compliance_per_policy_and_priority(self):
		result = report("CX SLA Compliance")
		rows = by(result["result"], "sla_policy", "priority")
		self.assertEqual(
			[(row["sla_policy"], row["priority"]) for row in result["result"]],
			[("Rpt Gold", "High"), ("Rpt Gold", "Medium"), ("Rpt Silver", "High"), ("Rpt Silver", "Low")],
		)
		response = ("response_targets", "response_met", "response_breached", "response_running")
		resolution = ("resolution_targets", "resolution_met", "resolution_breached", "resolution_running")
		gold_medium = rows["Rpt Gold", "Medium"]
		self.assertEqual(gold_medium["issues"], 2)
		self.assertEqual(pick(gold_medium, *response, "response_compliance"), (2, 1, 1, 0, 50.0))
		self.assertEqual(pick(gold_medium, *resolution, "resolution_compliance"), (2, 0, 2, 0, 0.0))
		silver_low = rows["Rpt Silver", "Low"]
		self.assertEqual(pick(silver_low, *response, "response_compliance"), (1, 0, 0, 1, None))
		self.assertEqual(rows["Rpt Gold", "High"]["resolution_compliance"], 100.0)
		self.assertEqual(
			summary(result),
			{
				"Issues Under a Policy": 5,
				"First Response Compliance (%)": 75.0,
				"Resolution Compliance (%)": 50.0,
				"Breached Targets": 3,
			},
		)
		by_agent = by(report("CX SLA Compliance", group_by="Agent")["result"], "sla_policy", "agent")
		self.assertEqual(by_agent["Rpt Gold", AVA]["response_compliance"], 50.0)
		self.assertEqual(by_agent["Rpt Silver", ""]["group_label"], "Not Assigned")
		self.assertEqual(len(report("CX SLA Compliance", sla_policy="Rpt Silver")["result"]), 2)

	def test_response_and_resolution_times_in_calendar_hours(self):
		result = report("CX Response and Resolution Times", group_by="Agent")
		rows = by(result["result"], "period_start", "agent")
		jan = rows[JAN, ""]
		self.assertEqual(pick(jan, "response_count", "response_average", "response_median"), (3, 4.0, 4.0))
		self.assertAlmostEqual(jan["response_p90"], 5.6)
		self.assertEqual(pick(jan, "resolution_count", "resolution_median"), (3, 48.0))
		self.assertAlmostEqual(jan["resolution_average"], 187.33)
		self.assertAlmostEqual(jan["resolution_p90"], 412.8)
		self.assertEqual(
			pick(rows[JAN, AVA], "response_count", "response_median", "resolution_median"), (2, 4.0, 257.0)
		)
		self.assertEqual(pick(rows[FEB, BEN], "response_median", "resolution_median"), (1.0, 5.0))
		self.assertEqual(
			summary(result),
			{
				"Median First Response (Hours)": 3.0,
				"90th Percentile First Response (Hours)": 5.4,
				"Median Resolution (Hours)": 29.0,
				"90th Percentile Resolution (Hours)": 367.2,
			},
		)
		self.assertIn("Calendar hours", result["message"])

	def test_agent_performance(self):
		result = report("CX Agent Performance")
		rows = by(result["result"], "agent")
		fields = (
			"assigned", "resolved", "open_now", "median_response", "median_resolution",
			"sla_met", "sla_breached", "sla_compliance", "average_rating", "ratings",
		)  # fmt: skip
		self.assertEqual(pick(rows[AVA,], *fields), (2, 2, 2, 4.0, 257.0, 1, 1, 50.0, 5.0, 1))
		self.assertEqual(pick(rows[BEN,], *fields), (2, 2, 0, 2.5, 26.5, 1, 1, 50.0, 3.0, 2))
		self.assertEqual(pick(rows["",], *fields), (1, 0, 1, None, None, 0, 0, None, None, 0))
		self.assertEqual(rows["",]["agent_name"], "Not Assigned")
		self.assertEqual(result["result"][-1]["agent"], None)  # the unassigned last
		self.assertEqual(
			summary(result),
			{"Assigned": 5, "Resolved": 4, "Open Now": 3, "SLA Compliance (%)": 50.0, "Average Rating": 3.67},
		)
		self.assertEqual([row["agent"] for row in report("CX Agent Performance", agent=BEN)["result"]], [BEN])

	def test_customer_satisfaction_views(self):
		result = report("CX Customer Satisfaction")
		rows = by(result["result"], "agent")
		self.assertEqual(
			pick(rows[AVA,], "ratings", "average_rating", "satisfied", "rated_5"), (1, 5.0, 100.0, 1)
		)
		self.assertEqual(
			pick(rows[BEN,], "ratings", "average_rating", "satisfied", "rated_2", "rated_4"),
			(2, 3.0, 50.0, 1, 1),
		)
		self.assertEqual(result["chart"]["data"]["datasets"][0]["values"], [0, 1, 0, 1, 1])
		self.assertEqual(
			summary(result),
			{"Ratings": 3, "Average Rating": 3.67, "Satisfied (%)": 66.7, "Response Rate (%)": 75.0},
		)
		periods = report("CX Customer Satisfaction", view="Per Period")["result"]
		self.assertEqual([pick(row, "ratings", "average_rating") for row in periods], [(2, 3.5), (1, 4.0)])
		comments = report("CX Customer Satisfaction", view="Latest Comments")["result"]
		self.assertEqual(
			[pick(row, "issue", "rating", "comment") for row in comments],
			[(self.issues["I2"], 2, "Slow"), (self.issues["I1"], 5, "Great")],
		)

	def test_bad_filters_are_refused_in_words(self):
		for name, filters, error in (
			("CX Issue Analytics", {"group_by": "Colour"}, InvalidFilterError),
			("CX Issue Analytics", {"periodicity": "Hourly"}, InvalidFilterError),
			("CX Customer Satisfaction", {"view": "Everything"}, InvalidFilterError),
			("CX SLA Compliance", {"from_date": "2021-03-01"}, InvalidDateRangeError),
			("CX Issue Analytics", {"from_date": "2000-01-01", "periodicity": "Daily"}, InvalidFilterError),
			("CX Issue Analytics", {"group_by": ["Agent"]}, InvalidFilterError),
		):
			with self.subTest(report=name, filters=filters), self.assertRaises(error):
				report(name, **filters)

	def test_default_filters_are_the_last_30_days(self):
		for name in REPORTS:
			with self.subTest(report=name):
				result = run(name, filters={}, ignore_prepared_report=True)
				self.assertIsNotNone(result["result"])
		ratings = run("CX Customer Satisfaction", filters={}, ignore_prepared_report=True)
		self.assertEqual(summary(ratings)["Ratings"], 1)  # I6, rated two days ago


class TestRestrictedSalesUser(SupportData):
	VARIANTS = (
		{},
		{"group_by": "Agent"},
		{"group_by": "Priority", "periodicity": "Daily", "to_date": "2021-01-15"},
		{"view": "Per Period"},
		{"view": "Latest Comments"},
	)

	def shown(self) -> dict:
		return {
			(name, json.dumps(variant)): {
				key: result.get(key) for key in ("result", "chart", "report_summary", "message")
			}
			for name in REPORTS
			for variant in self.VARIANTS
			for result in [report(name, **variant)]
		}

	def test_a_restricted_sales_user_sees_only_the_issues_of_their_customers(self):
		frappe.set_user(RITA)
		restricted = self.shown()
		analytics = report("CX Issue Analytics")
		self.assertEqual(summary(analytics)["Opened"], 2)  # I1 and I4
		comments = report("CX Customer Satisfaction", view="Latest Comments")["result"]
		self.assertEqual([row["issue"] for row in comments], [self.issues["I1"]])
		frappe.set_user("Administrator")
		self.assertEqual(summary(report("CX Issue Analytics"))["Opened"], 5)
		self.drop_others_issues()
		for key, shown in self.shown().items():
			with self.subTest(report=key):
				self.assertEqual(restricted[key], shown)

	def test_a_support_agent_sees_every_issue(self):
		frappe.get_doc("User", AVA).add_roles("Sales User")  # Support Team lifts the restriction
		frappe.set_user(AVA)
		self.assertEqual(summary(report("CX Issue Analytics"))["Opened"], 5)


class TestCardsChartsAndWorkspace(SupportData):
	def card_args(self, card_name: str) -> tuple[dict, list]:
		card = frappe.get_doc("Number Card", card_name)
		doc = {
			"document_type": card.document_type,
			"function": card.function,
			"aggregate_function_based_on": card.aggregate_function_based_on,
		}
		return doc, json.loads(card.filters_json or "[]")

	def assert_widgets_say_what_frappe_says(self):
		page = frappe.get_doc("Workspace", WORKSPACE)
		found = {}
		for link in page.number_cards:
			doc, filters = self.card_args(link.number_card_name)
			ours = figures.number_card_result(json.dumps(doc), json.dumps(filters))
			self.assertEqual(ours, frappe_card.get_result(json.dumps(doc), json.dumps(filters)), link.label)
			found[link.number_card_name] = ours
		for link in page.charts:
			chart = frappe.get_doc("Dashboard Chart", link.chart_name)
			# Frappe caches a chart's data under its name alone, whoever asks: the app's charts are not
			# answered from that cache (a restricted user would read the figures of whoever came first).
			ours = figures.dashboard_chart_data(chart_name=chart.name, filters=chart.filters_json)
			frappes = frappe_chart.get(chart_name=chart.name, filters=chart.filters_json, refresh=1)
			self.assertEqual(ours, frappes, link.chart_name)
			found[link.chart_name] = ours
		return found

	def test_cards_and_charts_answer_with_frappes_figures(self):
		everyone = self.assert_widgets_say_what_frappe_says()
		self.assertGreaterEqual(everyone["CX Breached Open Issues"], 1)  # I3
		self.assertGreaterEqual(everyone["CX At Risk Issues"], 1)  # I5
		self.assertGreaterEqual(everyone["CX Open Issues"], 3)
		self.assertGreater(everyone["CX Average Rating"], 0)
		self.assertIn("At Risk", everyone["CX SLA Status of Open Issues"]["labels"])
		frappe.set_user(RITA)  # issues of her customers only: Frappe's own method answers
		mine = self.assert_widgets_say_what_frappe_says()
		self.assertEqual(mine["CX Open Issues"], 1)  # I6
		self.assertEqual(mine["CX Breached Open Issues"], 0)
		self.assertEqual(mine["CX Average Rating"], 3.0)  # I6

	def test_the_workspace_loads_with_its_widgets_and_links(self):
		from frappe.desk.desktop import get_desktop_page

		page = get_desktop_page(json.dumps({"name": WORKSPACE, "title": WORKSPACE, "public": 1}))
		self.assertEqual(len(page["cards"]["items"]), 2)
		reports = [
			link.link_to for card in page["cards"]["items"] for link in card["links"] if link.is_query_report
		]
		self.assertEqual(sorted(reports), sorted(REPORTS))
		self.assertEqual(len(page["number_cards"]["items"]), 4)
		self.assertEqual(len(page["charts"]["items"]), 2)
		shortcuts = {item.link_to for item in page["shortcuts"]["items"]}
		self.assertTrue({"CX Issue", "CX SLA Policy"} <= shortcuts)
		if frappe.db.exists("DocType", "CX Article"):
			self.assertIn("CX Article", shortcuts)
