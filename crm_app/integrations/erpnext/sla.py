"""Holidays of an SLA policy from ERPNext's Holiday List (hooked in through `cx_sla_holiday_sources`)."""

import frappe


def holiday_dates(policy) -> list:
	holiday_list = policy.get("holiday_list")
	if not holiday_list or not frappe.db.exists("DocType", "Holiday List"):
		return []
	return frappe.get_all(
		"Holiday", filters={"parenttype": "Holiday List", "parent": holiday_list}, pluck="holiday_date"
	)
