"""Connects pytest to a real Frappe site: CRM_APP_BENCH (bench folder) and CRM_APP_SITE (site name).

scripts/test.sh creates the site fresh and sets both; run by hand with the bench's python:
	CRM_APP_SITE=crm-test.localhost ~/frappe-bench/env/bin/python -m pytest tests/integration
"""

import os
from pathlib import Path

import pytest

BENCH = Path(os.environ.get("CRM_APP_BENCH", Path.home() / "frappe-bench"))
SITE = os.environ.get("CRM_APP_SITE")


def pytest_configure(config):
	if not SITE:
		raise pytest.UsageError("CRM_APP_SITE is not set: run the integration suite through scripts/test.sh")
	import frappe

	os.chdir(BENCH / "sites")
	frappe.init(site=SITE, sites_path=".")
	frappe.connect()
	frappe.flags.in_test = True
	frappe.set_user("Administrator")


def pytest_unconfigure(config):
	import frappe

	if getattr(frappe.local, "site", None):
		frappe.destroy()
