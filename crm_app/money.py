"""Money in one currency: every deal carries its amount in the reporting currency too.

Reports, number cards, charts, Kanban totals and campaign figures add `base_amount` and
`base_weighted_amount`, never amounts of different currencies. Each opportunity converts at the rate of
ERPNext's Currency Exchange (the latest on or before its rate date) where ERPNext provides one, else at
the rate entered on the deal; the rate and its date are kept on the deal. The rate date is the day the
deal was last saved while open, and the day it closed once closed.
"""

from datetime import date

import frappe
from frappe import _
from frappe.utils import flt

from crm_app.cx_insights.figures import reconcile
from crm_app.utils import get_settings

# Number cards and charts that add money; they show it in the reporting currency.
MONEY_CARDS = ("CX Open Pipeline Value", "CX Won This Month")
MONEY_CHARTS = (
	"CX Pipeline by Stage",
	"CX Weighted Pipeline by Forecast Category",
	"CX Won Amount by Month",
)


def reporting_currency() -> str:
	return get_settings().default_currency or frappe.db.get_default("currency") or "USD"


def exchange_rate(from_currency: str, to_currency: str, on: date) -> tuple[float, date] | None:
	"""(rate, its date) from Currency Exchange, the latest on or before `on`; the inverse rate if only
	that is kept; None without ERPNext or without a rate. Never asks a web service: a save must not wait
	for the network."""
	if from_currency == to_currency:
		return 1.0, on
	if not frappe.db.exists("DocType", "Currency Exchange"):
		return None
	for source, target, invert in ((from_currency, to_currency, False), (to_currency, from_currency, True)):
		exchange = frappe.qb.DocType("Currency Exchange")
		found = (
			frappe.qb.from_(exchange)
			.select(exchange.exchange_rate, exchange.date)
			.where((exchange.from_currency == source) & (exchange.to_currency == target))
			.where((exchange.date <= on) & (exchange.for_selling == 1))
			.orderby(exchange.date, order=frappe.qb.desc)
			.limit(1)
			.run()
		)
		if found and flt(found[0][0]):
			rate = flt(found[0][0])
			return (1 / rate if invert else rate), found[0][1]
	return None


def report_note() -> str:
	"""The message a report shows above its figures."""
	return _(
		"Amounts in {0}. Deals in other currencies are converted at their own exchange rate, kept on each "
		"deal with its rate date: the day the deal was last saved while open, or the day it closed."
	).format(reporting_currency())


def set_display_currency() -> None:
	"""Money cards and charts show the reporting currency (after install, migrate and a settings change)."""
	currency = reporting_currency()
	for doctype, names in (("Number Card", MONEY_CARDS), ("Dashboard Chart", MONEY_CHARTS)):
		for name in names:
			if frappe.db.exists(doctype, name):
				frappe.db.set_value(doctype, name, "currency", currency, update_modified=False)


def enqueue_recompute() -> None:
	frappe.enqueue(
		"crm_app.money.recompute_base_amounts",
		queue="long",
		timeout=3600,
		job_id="crm_app:recompute_base_amounts",
		deduplicate=True,
		enqueue_after_commit=True,
	)


def recompute_base_amounts() -> None:
	"""Convert every opportunity to the reporting currency again (it changed, or the fields are new), in a
	few set-based statements. Deals in the reporting currency take rate 1; others the Currency Exchange
	rate (from their currency to the reporting one) of their rate date, the closing date or today, where
	ERPNext keeps one. A deal left without a rate (rate 0) counts as 0 until someone enters its rate: its
	form asks for it on the next save."""
	currency = reporting_currency()
	values = {"currency": currency}
	frappe.db.sql(
		"""update `tabCX Opportunity` set base_currency = %(currency)s, exchange_rate = 1,
		exchange_rate_date = null, base_amount = amount, base_weighted_amount = weighted_amount
		where ifnull(currency, '') in ('', %(currency)s)""",
		values,
	)
	if frappe.db.exists("DocType", "Currency Exchange"):
		frappe.db.sql(
			"""update `tabCX Opportunity` opp set opp.exchange_rate = ifnull((
				select ce.exchange_rate from `tabCurrency Exchange` ce
				where ce.from_currency = opp.currency and ce.to_currency = %(currency)s and ce.for_selling = 1
					and ce.date <= coalesce(if(opp.status = 'Open', null, opp.closed_on), curdate())
				order by ce.date desc limit 1), 0)
			where opp.currency != %(currency)s""",
			values,
		)
		frappe.db.sql(  # only the opposite rate is kept: its inverse, as exchange_rate() takes it
			"""update `tabCX Opportunity` opp set opp.exchange_rate = ifnull(1 / (
				select ce.exchange_rate from `tabCurrency Exchange` ce
				where ce.from_currency = %(currency)s and ce.to_currency = opp.currency and ce.for_selling = 1
					and ce.date <= coalesce(if(opp.status = 'Open', null, opp.closed_on), curdate())
					and ce.exchange_rate > 0
				order by ce.date desc limit 1), 0)
			where opp.currency != %(currency)s and opp.exchange_rate = 0""",
			values,
		)
	else:  # a rate entered on a deal converts to the currency it was entered for, not to another one
		frappe.db.sql(
			"""update `tabCX Opportunity` set exchange_rate = 0
			where currency != %(currency)s and ifnull(base_currency, '') != %(currency)s""",
			values,
		)
	frappe.db.sql(
		"""update `tabCX Opportunity` set base_currency = %(currency)s,
		exchange_rate_date = if(exchange_rate > 0,
			coalesce(exchange_rate_date, if(status = 'Open', null, closed_on), curdate()), null),
		base_amount = round(amount * exchange_rate, 2),
		base_weighted_amount = round(weighted_amount * exchange_rate, 2)
		where currency != %(currency)s""",
		values,
	)
	set_display_currency()
	reconcile(["CX Opportunity"], commit=False)  # base amounts were written in SQL, past the documents


def after_setup_wizard(args=None) -> None:
	"""The setup wizard sets the system currency, which is the reporting currency unless CX Settings
	names one: deals entered before it (demo data, imports) are converted again."""
	recompute_base_amounts()
