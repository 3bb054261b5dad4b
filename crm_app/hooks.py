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
# Cleanup runs after the uninstall, and only when the app is really gone (not on --dry-run).
after_uninstall = "crm_app.install.after_uninstall"

# The wizard sets the system currency, the reporting currency unless CX Settings names another.
setup_wizard_success = "crm_app.money.after_setup_wizard"

# ERPNext may arrive or leave after this app: the glue follows it.
after_app_install = "crm_app.integrations.erpnext.setup.after_app_install"
after_app_uninstall = "crm_app.integrations.erpnext.setup.after_app_uninstall"


# Permissions: the one model of crm_app/permissions.py (README.md, "Permissions")
# -----------
_RULED = ("CX Lead", "CX Opportunity", "CX Customer", "CX Call Log", "CX Issue", "CX Sales Target")
# Their child rows, which Frappe lists to anyone who may read the parent doctype (a document's own rows
# are checked through the parent).
_RULED_CHILDREN = (
	"CX Opportunity Item",
	"CX Opportunity Competitor",
	"CX Opportunity Stage Log",
	"CX Issue Status Log",
)
permission_query_conditions = {
	doctype: "crm_app.permissions.query_conditions" for doctype in (*_RULED, *_RULED_CHILDREN)
}
has_permission = {doctype: "crm_app.permissions.has_permission" for doctype in _RULED}
# A prepared result of an app report is its owner's alone (crm_app/prepared_reports.py).
permission_query_conditions["Prepared Report"] = "crm_app.prepared_reports.query_conditions"
has_permission["Prepared Report"] = "crm_app.prepared_reports.has_permission"

# Frappe's global search (the awesome bar) shows any record of a readable doctype: apply the rules too.
override_whitelisted_methods = {
	"frappe.utils.global_search.search": "crm_app.search.global_search",
	# Number cards and charts of leads, deals and issues read a small tally, not a million rows
	# (crm_app/cx_insights/figures.py); anything the tally cannot answer goes to Frappe's own method.
	"frappe.desk.doctype.number_card.number_card.get_result": "crm_app.cx_insights.figures.number_card_result",
	"frappe.desk.doctype.dashboard_chart.dashboard_chart.get": "crm_app.cx_insights.figures.dashboard_chart_data",
	# Frappe reads a prepared result named in the filters, or another user's, without a check.
	"frappe.desk.query_report.run": "crm_app.prepared_reports.run",
	"frappe.desk.query_report.export_query": "crm_app.prepared_reports.export_query",
}

# With `read_from_replica`, reports and desk figures read a replica only while it runs and keeps up
# (crm_app/replica.py); otherwise that request or job reads the primary.
before_request = ["crm_app.replica.before_request"]
before_job = ["crm_app.replica.before_job"]
# The app's jobs speak the language of the user who started them (crm_app/languages.py); what they send to
# others goes out in each recipient's language.
before_job.append("crm_app.languages.before_job")

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

doc_events = {
	# The server owns the read-only fields of every app doctype (crm_app/server_fields.py).
	"*": {"before_validate": "crm_app.server_fields.on_before_validate"},
	# A ToDo is an assignment: only someone who may edit a record hands it out. Activities keep each
	# record's last contact, next follow-up and (for leads) score current.
	"ToDo": {
		"validate": "crm_app.permissions.validate_assignment",
		"on_update": ["crm_app.activities.on_todo_change", "crm_app.cx_support.routing.follow_assignment"],
		"after_delete": ["crm_app.activities.on_todo_change", "crm_app.cx_support.routing.follow_assignment"],
	},
	"Event": {
		"on_update": "crm_app.activities.on_event_change",
		"after_delete": "crm_app.activities.on_event_change",
	},
	# on_update runs on insert too: after_insert would refresh every email's record twice.
	"Communication": {
		"on_update": "crm_app.activities.on_communication_change",
		"after_delete": "crm_app.activities.on_communication_change",
	},
	# The desk's tallies follow every change of a lead, deal or issue (on_change runs on insert, save,
	# db_set and delete).
	**{
		doctype: {"on_change": "crm_app.cx_insights.figures.on_change"}
		for doctype in ("CX Lead", "CX Opportunity", "CX Issue")
	},
	# ERPNext (crm_app/integrations/erpnext): each customer has its CRM twin; documents linked to a deal
	# are checked as they are linked and move the deal's figures and status as they are submitted,
	# cancelled or amended. Doctypes that do not exist never fire.
	"Customer": {"after_insert": "crm_app.integrations.erpnext.customers.on_erpnext_customer_insert"},
	"Contact": {"validate": "crm_app.integrations.erpnext.customers.share_links_with_twin"},
	"Address": {"validate": "crm_app.integrations.erpnext.customers.share_links_with_twin"},
	**{
		doctype: {
			"validate": "crm_app.integrations.erpnext.deals.validate_deal_link",
			"before_update_after_submit": "crm_app.integrations.erpnext.deals.validate_deal_link",
			"on_submit": "crm_app.integrations.erpnext.books.on_document_change",
			"on_cancel": "crm_app.integrations.erpnext.books.on_document_change",
			"on_update_after_submit": "crm_app.integrations.erpnext.books.on_document_change",
		}
		for doctype in ("Quotation", "Sales Order", "Sales Invoice")
	},
	"Delivery Note": {
		"validate": "crm_app.integrations.erpnext.deals.validate_deal_link",
		"before_update_after_submit": "crm_app.integrations.erpnext.deals.validate_deal_link",
	},
	"Payment Entry": {
		"validate": "crm_app.integrations.erpnext.deals.validate_deal_link",
		"before_update_after_submit": "crm_app.integrations.erpnext.deals.validate_deal_link",
		"on_submit": "crm_app.integrations.erpnext.books.on_payment_change",
		"on_cancel": "crm_app.integrations.erpnext.books.on_payment_change",
		"on_update_after_submit": "crm_app.integrations.erpnext.books.on_payment_change",
	},
	"Journal Entry": {
		"on_submit": "crm_app.integrations.erpnext.books.on_journal_change",
		"on_cancel": "crm_app.integrations.erpnext.books.on_journal_change",
		"on_update_after_submit": "crm_app.integrations.erpnext.books.on_journal_change",
	},
}


def _also_on(doctype: str, *events: tuple[str, str]) -> None:
	"""Add handlers to doc_events after the ones already there (several domains hook one doctype)."""
	handlers = doc_events.setdefault(doctype, {})
	for event, method in events:
		existing = handlers.get(event)
		handlers[event] = [*([existing] if isinstance(existing, str) else existing or []), method]


# A lead's or customer's contact keeps its numbers in E.164, a local one read in the contact's country
# (crm_app/phones.py); before the duplicate check below, which then sees the number as stored.
_also_on("Contact", ("validate", "crm_app.phones.normalize_contact_phones"))

# Data quality (crm_app/cx_data_quality): a save warns of records it may duplicate, keeps the normalised
# keys that the warning and the bulk scan read, and scores the record's completeness; forms name what is
# missing.
for _doctype in ("CX Lead", "CX Customer", "Contact"):
	_also_on(
		_doctype,
		("validate", "crm_app.cx_data_quality.duplicates.warn_on_save"),
		("validate", "crm_app.cx_data_quality.completeness.set_completeness"),
		("on_update", "crm_app.cx_data_quality.duplicates.refresh_keys"),
		("on_trash", "crm_app.cx_data_quality.duplicates.forget_keys"),
		("onload", "crm_app.cx_data_quality.completeness.add_onload"),
	)
extend_bootinfo = ["crm_app.cx_data_quality.completeness.boot_info"]

# Service desk (crm_app/cx_support)
# - email in and out (mail.py): a reply lands on its issue only from someone who belongs to it, a late one
#   opens a follow-up, the first reply from the desk is the first response;
_also_on(
	"Communication",
	("before_insert", "crm_app.cx_support.mail.before_insert"),
	("validate", "crm_app.cx_support.mail.validate"),
	("after_insert", "crm_app.cx_support.mail.after_insert"),
)
# - knowledge base (knowledge.py): resolved and closed issues are indexed for "similar past issues";
#   CSAT (csat.py): a resolved issue asks its raiser for a rating once;
_also_on(
	"CX Issue",
	("on_update", "crm_app.cx_support.knowledge.on_issue_update"),
	("on_trash", "crm_app.cx_support.knowledge.on_trash"),
	("on_update", "crm_app.cx_support.csat.on_issue_update"),
	("after_delete", "crm_app.cx_support.csat.on_issue_delete"),
)
# - customer notifications (notifications.py): the app's own Notifications go out in each recipient's
#   language, sent just before Frappe would send them in one;
_also_on(
	"CX Issue",
	("after_insert", "crm_app.cx_support.notifications.send_in_recipient_languages"),
	("on_change", "crm_app.cx_support.notifications.send_in_recipient_languages"),
)
# - published articles are pages at /kb/<slug>, a path Frappe's own rules give to its Help Article list;
page_renderer = ["crm_app.cx_support.kb_page.ArticlePage"]
# - a reply whose In-Reply-To the desk never saw still finds its thread by References (inbound.py);
override_doctype_class = {"Email Account": "crm_app.cx_support.inbound.CXEmailAccount"}
# - the portal (portal.py): a customer's contacts see and answer the customer's issues at /support.
has_website_permission = {"CX Issue": "crm_app.cx_support.portal.has_website_permission"}
website_route_rules = [{"from_route": "/support/<name>", "to_route": "support/issue"}]
standard_portal_menu_items = [{"title": "Support", "route": "/support", "reference_doctype": "CX Issue"}]
# Frappe counts any doctype for anyone: counts of app doctypes and emails follow the user's permissions.
override_whitelisted_methods["frappe.client.get_count"] = "crm_app.cx_support.portal.get_count"

# A CSV that is not UTF-8 would import Cyrillic as gibberish: refused before any row is read.
doc_events["Data Import"] = {"validate": "crm_app.cx_data_quality.imports.check_import_file"}

# A record in a duplicate group or the key table can still be deleted (a merge deletes one); its keys and
# open groups go with it (duplicates.forget_keys).
ignore_links_on_delete = ["CX Duplicate Member", "CX Duplicate Key"]

# The deal field on ERPNext's selling documents offers the customer's open and won deals only.
doctype_js = {
	doctype: "public/js/erpnext_deal_link.js"
	for doctype in ("Quotation", "Sales Order", "Delivery Note", "Sales Invoice", "Payment Entry")
}

additional_timeline_content = {
	"CX Lead": ["crm_app.activities.call_logs_on_timeline"],
	"CX Customer": ["crm_app.activities.call_logs_on_timeline"],
	"CX Opportunity": ["crm_app.activities.call_logs_on_timeline"],
	"CX Issue": ["crm_app.activities.call_logs_on_timeline"],
}

scheduler_events = {
	# Tallies catch up with writes that bypassed the documents (bulk loads, SQL) and lost deltas.
	"hourly": ["crm_app.cx_insights.figures.reconcile_job"],
	# A job whose worker was killed (rescore, customer backfill, reminders) is queued again and resumes.
	"cron": {
		"*/3 * * * *": ["crm_app.jobs.resume_interrupted_jobs"],
		# Issues turning At Risk or Breached: fields brought up to date, alerts sent once, reassigned.
		"*/5 * * * *": ["crm_app.cx_support.sla.escalate_due_issues"],
	},
	"daily_long": [
		# Reminders can be many on a big site: the long queue has no five-minute limit.
		"crm_app.reminders.send_reminders",
		# Held meetings become last contacts and passed follow-ups move on, without anyone saving.
		"crm_app.activities.refresh_time_based_rollups",
		# Recency criteria ("no contact for 30 days") change scores with the calendar; the campaign
		# figures catch up with bulk loads that bypass the documents.
		"crm_app.scoring.nightly_rescore",
		"crm_app.campaigns.refresh_all_campaign_rollups",
		# Restricted users' lists are planned from these (crm_app/db_statistics.py).
		"crm_app.db_statistics.refresh_optimizer_statistics",
	],
}

# A plain file, no build step: activity buttons, Kanban column totals, sales report filters.
app_include_js = ["/assets/crm_app/js/crm_app.js", "/assets/crm_app/js/profile360.js"]

# The 360 panel of customers and leads (crm_app/cx_sales/profile.py): each function returns the timeline
# sources it adds for a record ([] when it has none), and the kinds of entry it shows. Web form
# submissions, once captured, come in here too.
cx_profile_sources = ["crm_app.integrations.erpnext.profile.timeline_sources"]
cx_profile_kinds = ["crm_app.integrations.erpnext.profile.kinds"]

# Holidays of SLA policies beyond their own rows: ERPNext's Holiday List where it is installed.
cx_sla_holiday_sources = ["crm_app.integrations.erpnext.sla.holiday_dates"]

# Customer notifications of issues render the shipped, editable Email Templates (cx_support/notifications.py).
jinja = {
	"methods": [
		"crm_app.cx_support.notifications.cx_issue_email",
		"crm_app.cx_support.notifications.cx_issue_email_subject",
	]
}

# Marketing (crm_app/cx_marketing). Each part keeps its wiring in its own block below.
# - lead capture (capture.py):
# every Web Form on CX Lead posts through capture.accept_web_form (rate limit, spam check, the form's own
# fields, one with an open lead's email is a comment on that lead); a guest never loads a record through a
# form; the form page gets the UTM/honeypot/stamp script (read once per worker), and every website page keeps
# the first landing's UTM values;
# email: a lead from an email splits the sender's name, a known sender's email threads onto their open lead;
# a captured lead's possible duplicates are noted on it, and its owner is the user a rule assigns it to.
override_whitelisted_methods["frappe.website.doctype.web_form.web_form.accept"] = (
	"crm_app.cx_marketing.capture.accept_web_form"
)
override_whitelisted_methods["frappe.website.doctype.web_form.web_form.get_form_data"] = (
	"crm_app.cx_marketing.capture.get_form_data"
)
update_website_context = ["crm_app.cx_marketing.capture.add_form_script"]
web_include_js = ["/assets/crm_app/js/utm_capture.js"]
_also_on(
	"CX Lead",
	("before_insert", "crm_app.cx_marketing.capture.before_lead_insert"),
	("validate", "crm_app.cx_marketing.capture.validate_lead"),
	("after_insert", "crm_app.cx_marketing.capture.after_lead_insert"),
)
_also_on("Communication", ("before_insert", "crm_app.cx_marketing.capture.thread_onto_open_lead"))
_also_on("ToDo", ("on_update", "crm_app.cx_marketing.capture.on_assignment"))
# - segments (segments.py):
# Segments marked Refresh Daily are resolved again every day (one long job per segment).
scheduler_events["daily_long"].append("crm_app.cx_marketing.segments.refresh_auto_segments")
# A deleted record leaves its segments with its stays (no stale email kept); members never block a delete.
ignore_links_on_delete.append("CX Segment Member")
for _doctype in ("CX Lead", "CX Customer", "Contact"):
	_also_on(_doctype, ("on_trash", "crm_app.cx_marketing.segments.forget_member"))
# - campaign email (sends.py):
# Due sends start, the Email Queue's outcome reaches the send log, drip steps go on (every five minutes).
scheduler_events["cron"].setdefault("*/5 * * * *", []).append("crm_app.cx_marketing.sends.run_due_sends")
# A reply to a campaign email marks its member Replied; a delivery failure report, Bounced.
_also_on("Communication", ("after_insert", "crm_app.cx_marketing.sends.on_communication"))
# The send log never blocks deleting a member.
ignore_links_on_delete.append("CX Campaign Email Recipient")
# - campaign results and attribution (results.py):
# A person's touches go with them (deleted record, no stale email kept); they never block a delete.
ignore_links_on_delete.append("CX Campaign Touch")
for _doctype in ("CX Lead", "CX Customer", "Contact"):
	_also_on(_doctype, ("on_trash", "crm_app.cx_marketing.results.forget_touches"))
# - triggers (triggers.py):
# Enabled triggers are evaluated in bulk every quarter hour (one long job per trigger, never two at once).
scheduler_events["cron"].setdefault("*/15 * * * *", []).append(
	"crm_app.cx_marketing.triggers.evaluate_enabled_triggers"
)
# A trigger's log keeps what was done for a record, and never blocks deleting the record.
ignore_links_on_delete.append("CX Trigger Log")

# Insights (issue 13): figures made by nightly jobs from plain functions in crm_app/core/insights/.
# - customer value (value.py): RFM segments, expected purchases and value, probability of being active.
scheduler_events["daily_long"].append("crm_app.cx_insights.value.nightly_refresh")
# A customer's segment history goes with them and never blocks a delete.
ignore_links_on_delete.append("CX RFM Snapshot")
_also_on("CX Customer", ("on_trash", "crm_app.cx_insights.value.forget_snapshots"))
# - loyalty (loyalty.py): points (ERPNext's Loyalty Program where present) and tiers, tier changes noted.
scheduler_events["daily_long"].append("crm_app.cx_insights.loyalty.nightly")
# - lead conversion (conversion.py): retrained every week, open leads rescored every night.
scheduler_events.setdefault("weekly_long", []).append("crm_app.cx_insights.conversion.enqueue_retrain")
scheduler_events["daily_long"].append("crm_app.cx_insights.conversion.enqueue_rescore")
# - demand forecast (forecast.py): every week, from invoice lines (ERPNext) or won deals' items.
scheduler_events.setdefault("weekly_long", []).append("crm_app.cx_insights.forecast.weekly")

# Cross-alphabet search (issue 12)
# Names typed in any alphabet (Юлия Ковальчук = Yuliia Kovalchuk = Julia Kowalczuk) through the folded words
# of CX Search Key (crm_app/cx_data_quality/search_keys.py): kept on save, rename and delete of leads,
# customers and contacts (a backfill job after install and migrate for the rest); the key table never
# blocks a delete.
for _doctype in ("CX Lead", "CX Customer", "Contact"):
	_also_on(
		_doctype,
		("on_update", "crm_app.cx_data_quality.search_keys.refresh_keys"),
		("after_rename", "crm_app.cx_data_quality.search_keys.follow_rename"),
		("on_trash", "crm_app.cx_data_quality.search_keys.forget_keys"),
	)
ignore_links_on_delete.append("CX Search Key")
# Link fields' dropdowns: key matches first, then Frappe's own results, under the user's permissions.
override_whitelisted_methods["frappe.desk.search.search_link"] = "crm_app.queries.search_link"
# The lead and customer lists' name box (name_filter.py): looked up in the keys for that request only.
before_request.append("crm_app.cx_data_quality.name_filter.before_request")
for _doctype in ("CX Lead", "CX Customer"):
	permission_query_conditions[_doctype] = [
		permission_query_conditions[_doctype],
		"crm_app.cx_data_quality.name_filter.condition",
	]
# The awesome bar: crm_app.search.global_search (overridden above) adds the key matches.
