# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class CXDemandForecast(Document):
	"""A month of an item's demand history or forecast; written by the server only (crm_app/cx_insights/forecast.py)."""


def on_doctype_update():
	# The report reads one run's rows of one series, in month order.
	frappe.db.add_index("CX Demand Forecast", ["run_on", "item", "period"], "run_item_period_index")
