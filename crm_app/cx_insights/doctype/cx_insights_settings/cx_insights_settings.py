# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint

from crm_app.exceptions import InsightsSettingsError

WEIGHTS = (
	"weight_revenue",
	"weight_cost_of_goods",
	"weight_acquisition",
	"weight_support",
	"weight_late_payment",
)
RATES = ("support_hour_rate", "late_payment_annual_rate", "loyalty_points_per_unit")
PERIODS = (
	"value_history_days",
	"value_horizon_days",
	"forecast_history_months",
	"forecast_horizon_months",
	"forecast_season_length",
)
THRESHOLDS = ("conversion_min_decided", "conversion_min_per_class")


class CXInsightsSettings(Document):
	def validate(self):
		self.validate_not_negative()
		self.validate_periods()
		self.validate_tiers()
		self.validate_actions()

	def validate_not_negative(self):
		for fieldname in WEIGHTS + RATES + THRESHOLDS:
			label = _(self.meta.get_label(fieldname))
			value = self.get(fieldname)
			# checked before Frappe's cast, which would store text such as "high" as 0 without a word
			try:
				number = float(value or 0)
			except (TypeError, ValueError):
				self.refuse(_("{0} must be a number, not {1}.").format(label, frappe.bold(value)))
			if number < 0 or number != number or number in (float("inf"), float("-inf")):
				self.refuse(_("{0} must be a number of 0 or more.").format(label))

	def validate_periods(self):
		for fieldname in PERIODS:
			if cint(self.get(fieldname)) < 1:
				self.refuse(_("{0} must be at least 1.").format(_(self.meta.get_label(fieldname))))
		if cint(self.forecast_season_length) > cint(self.forecast_history_months):
			self.refuse(_("The season cannot be longer than the forecast's history."))

	def validate_tiers(self):
		names, thresholds = set(), set()
		for tier in self.loyalty_tiers:
			name = (tier.tier_name or "").strip().casefold()
			if name in names or tier.min_points in thresholds:
				self.refuse(
					_("Row {0}: each loyalty tier needs its own name and its own points.").format(tier.idx)
				)
			if cint(tier.min_points) < 0:
				self.refuse(_("Row {0}: a tier cannot start below 0 points.").format(tier.idx))
			names.add(name)
			thresholds.add(tier.min_points)
		self.loyalty_tiers.sort(key=lambda tier: cint(tier.min_points))
		for index, tier in enumerate(self.loyalty_tiers, start=1):
			tier.idx = index

	def validate_actions(self):
		seen = set()
		for action in self.loyalty_actions:
			if action.action in seen:
				self.refuse(_("Row {0}: {1} has points twice.").format(action.idx, _(action.action)))
			if cint(action.points) < 0:
				self.refuse(_("Row {0}: points cannot be negative.").format(action.idx))
			seen.add(action.action)

	@staticmethod
	def refuse(message: str):
		frappe.throw(message, InsightsSettingsError, title=_("Insights Settings"))
