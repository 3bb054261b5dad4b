"""The owner and assignee indexes of restricted lists on existing sites (new sites get them from each
doctype's `on_doctype_update`, which a migrate runs only when the doctype's JSON changed)."""

from crm_app.cx_sales.doctype.cx_lead.cx_lead import on_doctype_update as lead_indexes
from crm_app.cx_sales.doctype.cx_opportunity.cx_opportunity import on_doctype_update as opportunity_indexes


def execute():
	lead_indexes()
	opportunity_indexes()
