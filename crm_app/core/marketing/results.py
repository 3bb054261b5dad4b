"""A campaign's ratios from its figures (plain Python, no frappe): ROI, cost per lead, cost per won deal.

Amounts are in one currency (the shell converts the campaign's cost to the reporting currency first).
A ratio over nothing is unknown (None), not zero: a campaign without cost has no ROI, one without
leads no cost per lead.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class CampaignRatios:
	roi_percent: float | None  # (won amount - actual cost) / actual cost, in per cent
	invoiced_roi_percent: float | None  # the same on invoiced revenue (ERPNext)
	cost_per_lead: float | None
	cost_per_won_deal: float | None


def roi_percent(revenue: float, cost: float) -> float | None:
	"""(revenue - cost) / cost in per cent, rounded to 2 places; None without a cost."""
	if not cost or cost <= 0:
		return None
	return round((revenue - cost) / cost * 100, 2)


def cost_per(cost: float, count: int) -> float | None:
	if not count or cost is None or cost < 0:
		return None
	return round(cost / count, 2)


def campaign_ratios(
	*, actual_cost: float, won_amount: float, invoiced_amount: float | None, leads: int, won_deals: int
) -> CampaignRatios:
	"""invoiced_amount None: no ERPNext, so no invoiced ROI (0 invoiced is a real -100 %)."""
	return CampaignRatios(
		roi_percent=roi_percent(won_amount or 0.0, actual_cost),
		invoiced_roi_percent=None if invoiced_amount is None else roi_percent(invoiced_amount, actual_cost),
		cost_per_lead=cost_per(actual_cost, leads) if actual_cost else None,
		cost_per_won_deal=cost_per(actual_cost, won_deals) if actual_cost else None,
	)
