"""Issue 10: record completeness on existing sites: the Contact field, the default rules, and every
lead, customer and contact scored by a background job."""

from crm_app.cx_data_quality.completeness import install_defaults


def execute():
	install_defaults()
