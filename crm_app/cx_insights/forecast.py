"""Demand forecasts (issue 13, item 5): monthly quantity per item, or item and customer group or territory.

Every week (and when a manager asks: `refresh`) one long job, never two at once (job id and a named lock):

1. reads the quantities sold per item, group and month over `forecast_history_months` complete months,
   summed by the database: ERPNext's submitted Sales Invoice Items, returns netted
   (crm_app/integrations/erpnext/insights_forecast.py) when ERPNext is connected, else the items of won
   CX Opportunities by the month they closed;
2. forecasts each series with the core (crm_app/core/insights/forecast.py): a holdout fit measured as MASE
   against the seasonal naive forecast, then the forecast with its prediction interval;
3. replaces the CX Demand Forecast rows in one transaction: the last months of history and the forecast
   months of each series (a series too short to forecast keeps its history, marked Not Enough History);
4. notes the run in CX Insights Settings (mean MASE of the model and of seasonal naive, or why nothing
   could be forecast).
"""

import uuid
from datetime import date

import frappe
from frappe import _
from frappe.utils import add_days, add_months, cint, get_first_day, getdate, now_datetime

from crm_app import jobs
from crm_app.core.insights import forecast as core
from crm_app.integrations.erpnext.common import integration_enabled
from crm_app.utils import core_message

SETTINGS = "CX Insights Settings"
FORECAST = "CX Demand Forecast"
JOB_KEY = "insights:demand-forecast"
METHOD = "crm_app.cx_insights.forecast.refresh_forecasts"
GROUP_FIELD = {"Item": "", "Item and Customer Group": "customer_group", "Item and Territory": "territory"}
SHOWN_HISTORY_MONTHS = 24  # history rows kept per series: enough for two seasons on the chart
WRITE_CHUNK = 5000
LEVEL = 80  # the prediction interval: four in five months should fall inside it
# Identifiers from this fixed map, never from input.
OPPORTUNITY_GROUP = {
	"": "''",
	"customer_group": "ifnull(customer.customer_group, '')",
	"territory": "ifnull(deal.territory, '')",
}
FORECAST_FIELDS = (
	"name",
	"item_type",
	"item",
	"item_name",
	"customer_group",
	"territory",
	"period",
	"is_forecast",
	"actual",
	"forecast",
	"lower",
	"upper",
	"method",
	"history_months",
	"series_mase",
	"naive_mase",
	"mase_defined",
	"run_on",
	"creation",
	"modified",
	"owner",
	"modified_by",
)


# -- entry points ------------------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
def refresh() -> dict:
	"""Queue a new forecast now (those who may change the insights settings)."""
	frappe.has_permission(SETTINGS, "write", throw=True)
	enqueue_refresh()
	return {"queued": True, "job_id": jobs.job_id(JOB_KEY)}


def weekly() -> None:
	"""scheduler_events weekly_long: sales history grows by the month, so a week is soon enough."""
	enqueue_refresh()


def enqueue_refresh() -> None:
	frappe.enqueue(
		METHOD,
		queue="long",
		timeout=3600,
		job_id=jobs.job_id(JOB_KEY),
		deduplicate=True,
		enqueue_after_commit=True,
	)


def refresh_forecasts(commit: bool = True, today: date | None = None) -> dict | None:
	"""Forecast every series and replace the stored forecasts; None when another run holds the lock."""
	if not jobs.acquire_lock(JOB_KEY):
		return None
	try:
		return _refresh(getdate(today), commit)
	finally:
		jobs.release_lock(JOB_KEY)


# -- the run -----------------------------------------------------------------------------------------


def _refresh(today: date, commit: bool) -> dict:
	settings = frappe.get_cached_doc(SETTINGS)
	history, horizon = cint(settings.forecast_history_months), cint(settings.forecast_horizon_months)
	season = cint(settings.forecast_season_length)
	group = GROUP_FIELD.get(settings.forecast_by or "Item", "")
	try:
		core.check_settings(history_months=history, horizon=horizon, season_length=season, level=LEVEL)
	except core.ForecastError as error:
		note(None, commit, message=settings_message(error))
		return {"series": 0, "note": settings_message(error)}

	last_month = getdate(add_months(get_first_day(today), -1))  # the last complete month
	first_month = getdate(add_months(last_month, -(history - 1)))
	progress(5, _("Reading sales"))
	rows, names = monthly_rows(first_month, today, group)
	_start, series = core.monthly_series(rows, last_month=last_month, history_months=history)
	progress(15, _("{0} series").format(len(series)))
	results = core.forecast_all(
		series,
		last_month=last_month,
		horizon=horizon,
		season_length=season,
		level=LEVEL,
		workers=2 if len(series) > 2000 else 1,
		on_progress=lambda done, total: progress(15 + 70 * done / max(total, 1), _("Forecasting")),
	)
	summary = core.summarize(results, season_length=season, horizon=horizon)
	progress(90, _("Saving"))
	replace_rows(results, names, group)
	note(summary, commit)
	progress(100, _("{0} series forecast").format(summary.forecast))
	return {"series": summary.series, "forecast": summary.forecast, "mase": summary.mase}


def monthly_rows(start: date, today: date, group: str) -> tuple[list[tuple], dict]:
	"""((item type, item, group), month, quantity) rows and {(item type, item): item name}."""
	end = getdate(add_days(get_first_day(today), -1))  # this month is not complete
	if integration_enabled():
		from crm_app.integrations.erpnext.insights_forecast import monthly_quantities

		summed = monthly_quantities(start, end, group)
	else:
		summed = opportunity_quantities(start, end, group)
	rows = [
		((kind, item, value), date(year, month, 1), qty) for kind, item, value, year, month, qty in summed
	]
	return rows, item_names({(kind, item) for kind, item, *_rest in summed})


def opportunity_quantities(start: date, end: date, group: str) -> list[tuple]:
	"""(item type, item, group, year, month, quantity) of won deals' items by the month the deal closed."""
	group_column = OPPORTUNITY_GROUP[group]
	return frappe.db.sql(
		f"""select line.item_type, line.item, {group_column} as group_value, year(deal.closed_on),
			month(deal.closed_on), sum(line.qty)
		from `tabCX Opportunity Item` line
		join `tabCX Opportunity` deal on deal.name = line.parent
		left join `tabCX Customer` customer on customer.name = deal.customer
		where deal.status = 'Won' and deal.closed_on between %(start)s and %(end)s
			and line.parenttype = 'CX Opportunity' and ifnull(line.item, '') != ''
		group by line.item_type, line.item, group_value, year(deal.closed_on), month(deal.closed_on)""",
		{"start": start, "end": end},
	)


def item_names(items: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
	names: dict[tuple[str, str], str] = {}
	by_type: dict[str, list[str]] = {}
	for kind, item in items:
		by_type.setdefault(kind, []).append(item)
	for kind, codes in by_type.items():
		if not kind or not frappe.db.exists("DocType", kind):
			continue
		meta = frappe.get_meta(kind)
		title = meta.title_field or ("item_name" if meta.has_field("item_name") else "name")
		for offset in range(0, len(codes), WRITE_CHUNK):
			for name, label in frappe.get_all(
				kind,
				filters={"name": ("in", codes[offset : offset + WRITE_CHUNK])},
				fields=["name", title],
				as_list=True,
			):
				names[(kind, name)] = label
	return names


def replace_rows(results, names: dict, group: str) -> None:
	"""The stored forecasts, all replaced in the run's transaction: readers see the old set or the new."""
	frappe.db.delete(FORECAST)
	now, user = now_datetime(), frappe.session.user
	batch: list[tuple] = []
	for result in results:
		for row in series_rows(result, names, group):
			batch.append((*row, now, now, now, user, user))
			if len(batch) >= WRITE_CHUNK:
				frappe.db.bulk_insert(FORECAST, FORECAST_FIELDS, batch)
				batch = []
	if batch:
		frappe.db.bulk_insert(FORECAST, FORECAST_FIELDS, batch)


def series_rows(result, names: dict, group: str):
	kind, item, group_value = result.key
	common = (
		kind,
		item,
		names.get((kind, item)) or item,
		group_value if group == "customer_group" and group_value else None,
		group_value if group == "territory" and group_value else None,
	)
	method = result.method if result.status == core.FORECAST else core.NOT_ENOUGH_HISTORY
	accuracy = (
		method,
		len(result.history),
		result.mase or 0,
		result.naive_mase or 0,
		int(result.mase is not None and result.naive_mase is not None),
	)
	first = core.month_number(result.first_month)
	shown = result.history[-SHOWN_HISTORY_MONTHS:]
	offset = len(result.history) - len(shown)
	for index, quantity in enumerate(shown):
		period = core.month_start(first + offset + index)
		yield (uuid.uuid4().hex, *common, period, 0, quantity, 0, 0, 0, *accuracy)
	for period, mean, lower, upper in zip(
		result.forecast_months(), result.mean, result.lower, result.upper, strict=False
	):
		yield (uuid.uuid4().hex, *common, period, 1, 0, mean, lower, upper, *accuracy)


def note(summary, commit: bool, message: str | None = None) -> None:
	values = {"forecast_last_run": now_datetime()}
	if summary is not None:
		values["forecast_mase"] = summary.mase or 0
		values["forecast_naive_mase"] = summary.naive_mase or 0
		message = summary_message(summary)
	values["forecast_note"] = message
	for fieldname, value in values.items():
		frappe.db.set_single_value(SETTINGS, fieldname, value)
	frappe.clear_document_cache(SETTINGS, SETTINGS)
	if commit:
		frappe.db.commit()


def summary_message(summary) -> str:
	if not summary.series:
		return _("No sales in the history window: nothing to forecast.")
	text = _("{0} series: {1} forecast, {2} with less than {3} months of sales (not enough history).").format(
		summary.series, summary.forecast, summary.not_enough_history, summary.min_history_months
	)
	if summary.mase is not None:
		text += " " + _(
			"Holdout MASE {0} against {1} for the seasonal naive forecast (lower is better; {2} series measured)."
		).format(round(summary.mase, 3), round(summary.naive_mase, 3), summary.scored)
	return text


def settings_message(error: core.ForecastError) -> str:
	"""The core's reason, in the user's language (a note on the settings: plain text)."""
	return core_message(error, escape=False)


def progress(percent: float, description: str) -> None:
	frappe.publish_progress(
		percent, title=_("Demand forecast"), doctype=SETTINGS, docname=SETTINGS, description=description
	)
