"""Issue 16: the heavy reports become prepared reports on existing sites too. Migrate syncs a report's
JSON but keeps the site's `prepared_report` (Frappe leaves it to the site), so set it once from the JSON."""

from crm_app.prepared_reports import sync_prepared_flags


def execute():
	sync_prepared_flags()
