app_name = "crm_app"
app_title = "CRM App"
app_publisher = "crm_app developers"
app_description = "A CRM on the Frappe desk: leads, customers, opportunities, campaigns and issues"
app_email = "crm_app@example.com"
app_license = "mit"

export_python_type_annotations = True
require_type_annotated_api_methods = True

# Installation
# ------------
before_install = "crm_app.install.before_install"
after_install = "crm_app.install.after_install"
after_migrate = "crm_app.install.after_migrate"
before_uninstall = "crm_app.install.before_uninstall"

# ERPNext may arrive or leave after this app: the glue follows it.
after_app_install = "crm_app.integrations.erpnext.setup.after_app_install"
before_app_uninstall = "crm_app.integrations.erpnext.setup.before_app_uninstall"


# Permissions
# -----------
permission_query_conditions = {
	"CX Lead": "crm_app.permissions.lead_query_conditions",
	"CX Opportunity": "crm_app.permissions.opportunity_query_conditions",
}
has_permission = {
	"CX Lead": "crm_app.permissions.has_lead_permission",
	"CX Opportunity": "crm_app.permissions.has_opportunity_permission",
}

# Link search on a million leads must use indexes, not a five-column LIKE '%...%' scan.
standard_queries = {"CX Lead": "crm_app.queries.lead_query"}

# Contact and Address rows linking to a CX Customer are deleted with it (see CXCustomer.on_trash).
global_search_doctypes = {
	"Default": [
		{"doctype": "CX Customer", "index": 30},
		{"doctype": "CX Lead", "index": 31},
		{"doctype": "CX Opportunity", "index": 32},
		{"doctype": "CX Issue", "index": 33},
	]
}

# Activities keep each record's last contact, next follow-up and (for leads) score current.
doc_events = {
	"ToDo": {
		"on_update": "crm_app.activities.on_todo_change",
		"after_delete": "crm_app.activities.on_todo_change",
	},
	"Event": {
		"on_update": "crm_app.activities.on_event_change",
		"after_delete": "crm_app.activities.on_event_change",
	},
	"Communication": {
		"after_insert": "crm_app.activities.on_communication_change",
		"on_update": "crm_app.activities.on_communication_change",
		"after_delete": "crm_app.activities.on_communication_change",
	},
}

additional_timeline_content = {
	"CX Lead": ["crm_app.activities.call_logs_on_timeline"],
	"CX Customer": ["crm_app.activities.call_logs_on_timeline"],
	"CX Opportunity": ["crm_app.activities.call_logs_on_timeline"],
	"CX Issue": ["crm_app.activities.call_logs_on_timeline"],
}

scheduler_events = {
	"daily": ["crm_app.reminders.send_reminders"],
	# Recency criteria ("no contact for 30 days") change scores with the calendar.
	"daily_long": ["crm_app.scoring.rescore_all_leads"],
}

# A plain file, no build step: activity buttons, Kanban column totals, sales report filters.
app_include_js = ["/assets/crm_app/js/crm_app.js"]
