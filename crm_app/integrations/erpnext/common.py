"""When the integration acts, and the settings it reads."""

import frappe

from crm_app.utils import erpnext_installed, get_settings


def integration_enabled() -> bool:
	"""ERPNext is installed and CX Settings > ERPNext > Connect to ERPNext is on (it is by default)."""
	if not erpnext_installed():
		return False
	value = get_settings().get("erpnext_enabled")
	return value is None or bool(int(value))


def setting(fieldname: str, default=None):
	value = get_settings().get(fieldname)
	return default if value is None else value


def default_company() -> str | None:
	return (
		setting("erpnext_company")
		or frappe.defaults.get_user_default("Company")
		or frappe.db.get_single_value("Global Defaults", "default_company")
	)


def json_list(value) -> list | None:
	"""A list sent as JSON or as a list; None for anything else (bad JSON included)."""
	if isinstance(value, str):
		try:
			value = frappe.parse_json(value)
		except ValueError:
			return None
	return value if isinstance(value, list) else None
