"""Issue 15: stages take their forecast category, boards their card fields, and the desk's tallies are
built from the existing records."""

from crm_app.cx_insights.figures import reconcile
from crm_app.install import seed_stage_forecast_categories, set_kanban_card_fields


def execute():
	seed_stage_forecast_categories()
	set_kanban_card_fields()
	reconcile()
