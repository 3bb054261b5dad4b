"""Install, migrate and uninstall hooks: safety check, roles, seed data and a clean uninstall."""

import json
from pathlib import Path

import frappe
from frappe import _

from crm_app.core.errors import _lt
from crm_app.core.install_check import find_install_conflicts
from crm_app.cx_data_quality import completeness, search_keys
from crm_app.cx_support import csat, portal
from crm_app.cx_support.notifications import create_issue_notifications
from crm_app.cx_support.routing import ISSUE_RULES
from crm_app.exceptions import InstallConflictError
from crm_app.integrations.erpnext.fields import drop_indexes
from crm_app.integrations.erpnext.setup import setup_erpnext_integration
from crm_app.languages import CONTACT_LANGUAGE
from crm_app.money import set_display_currency
from crm_app.utils import app_modules

APP = "crm_app"
APP_ROOT = Path(__file__).parent
# Roles ERPNext and Frappe CRM already use with the same meaning, then the ones only this app adds.
SHARED_ROLES = ("Sales User", "Sales Manager", "Support Team", "Accounts User", "Accounts Manager")
OWN_ROLES = ("Marketing User", "CRM Administrator")
CREATED_ROLES_KEY = "crm_app_created_roles"
# Frappe indexes Event Participants only by parent; meeting counts for scoring and activity rollups look
# participants up by record, which without this scans the table on every lead save (47 ms at 300k rows).
PARTICIPANT_INDEX = "cx_participant_reference_index"
# Frappe indexes ToDo by record, not by assignee; the restricted sales user's rule reads a user's
# assignments on every list and permission check.
TODO_INDEX = "cx_todo_assignee_index"

# Masters the app seeds: their names are the app's words (marked for the template; their doctypes are
# "translated doctypes", whose names the desk shows in the user's language).
SEED = {
	"CX Lead Source": (
		"source_name",
		[
			_lt("Website"),
			_lt("Referral"),
			_lt("Email Campaign"),
			_lt("Cold Call"),
			_lt("Trade Show"),
			_lt("Social Media"),
			_lt("Partner"),
			_lt("Advertisement"),
			_lt("Existing Customer"),
		],
	),
	"CX Industry": (
		"industry_name",
		[
			_lt("Manufacturing"),
			_lt("Retail"),
			_lt("Healthcare"),
			_lt("Education"),
			_lt("Financial Services"),
			_lt("Technology"),
			_lt("Hospitality"),
			_lt("Logistics"),
			_lt("Construction"),
			_lt("Agriculture"),
			_lt("Government"),
			_lt("Non Profit"),
		],
	),
	"CX Lost Reason": (
		"lost_reason",
		[
			_lt("Price too high"),
			_lt("Chose a competitor"),
			_lt("No budget"),
			_lt("No decision"),
			_lt("Bad timing"),
			_lt("Missing features"),
		],
	),
	"CX Issue Type": (
		"issue_type",
		[_lt("Question"), _lt("Problem"), _lt("Feature Request"), _lt("Complaint"), _lt("Billing")],
	),
}
# Stage, order, default probability and the forecast category an open deal in it takes (a manager may
# change both per stage; a rep may still move a deal to another category).
SALES_STAGES = (
	(_lt("Prospecting"), 10, 10, "Pipeline"),
	(_lt("Qualification"), 20, 20, "Pipeline"),
	(_lt("Needs Analysis"), 30, 40, "Best Case"),
	(_lt("Proposal"), 40, 60, "Best Case"),
	(_lt("Negotiation"), 50, 80, "Commit"),
)
ROOT_TERRITORY = _lt("All Territories")
# The Kanban view shows a board's name through __(): marked for the template.
KANBAN_BOARDS = (
	(_lt("CX Leads by Status"), "CX Lead", "status"),
	(_lt("CX Opportunities by Stage"), "CX Opportunity", "sales_stage"),
)
# Frappe's own card fields; amount, close date, score and owner are added by crm_app.js.
KANBAN_CARD_FIELDS = {
	"CX Leads by Status": ["organization_name"],
	"CX Opportunities by Stage": ["party_name"],
}


def app_doctypes() -> list[str]:
	return sorted(json.loads(path.read_text())["name"] for path in APP_ROOT.glob("*/doctype/*/*.json"))


def before_install():
	"""Abort before anything is written when a doctype or module we create belongs to someone else."""
	conflicts = find_install_conflicts(
		app_name=APP,
		app_modules=list(app_modules()),
		app_doctypes=app_doctypes(),
		site_modules=dict(frappe.get_all("Module Def", fields=["name", "app_name"], as_list=True)),
		site_doctypes=dict(frappe.get_all("DocType", fields=["name", "module"], as_list=True)),
	)
	if conflicts:
		lines = "".join(f"<li>{_(c.kind)} {frappe.bold(c.name)}: {c.owner}</li>" for c in conflicts)
		frappe.throw(
			_("crm_app cannot be installed: these already exist on the site and belong elsewhere:")
			+ f"<ul>{lines}</ul>"
			+ _("Nothing was changed. Remove or rename them, then install again."),
			InstallConflictError,
			title=_("Install Conflict"),
		)
	remember_missing_roles()


def remember_missing_roles() -> None:
	"""Note which roles this install brings: syncing our doctypes creates the roles their permissions
	name, so afterwards they all exist and only now can we tell ours from those another app made."""
	missing = [role for role in (*SHARED_ROLES, *OWN_ROLES) if not frappe.db.exists("Role", role)]
	previous = json.loads(frappe.db.get_global(CREATED_ROLES_KEY) or "[]")
	frappe.db.set_global(CREATED_ROLES_KEY, json.dumps(sorted({*previous, *missing})))


def after_install():
	create_roles()
	seed_masters()
	create_kanban_boards()
	set_default_settings()
	create_assignment_rules()
	set_default_scoring()
	add_indexes_on_frappe_tables()
	set_display_currency()
	setup_erpnext_integration(link_customers=True)  # an ERPNext site's existing customers
	completeness.install_defaults()  # indexes, the Contact field, default rules; records scored
	setup_support_portal()
	create_issue_notifications()
	set_insights_defaults(installing=True)
	add_contact_language_field()
	search_keys.enqueue_backfill()  # names in any alphabet: keys of the records the site already has


def after_migrate():
	create_roles()
	add_indexes_on_frappe_tables()
	completeness.add_indexes()
	set_display_currency()
	setup_erpnext_integration()
	setup_support_portal()
	set_insights_defaults()
	add_contact_language_field()
	search_keys.enqueue_backfill()  # keys of records written without their hooks (bulk loads)


# The language of emails to a contact (crm_app/core/recipient_language.py: a contact's language comes
# first, then its customer's or lead's). Frappe's Contact has no such field: the app adds it, unless
# another app already gives Contact a field of that name, which is then used as it is.
CONTACT_LANGUAGE_FIELD = {
	"fieldname": CONTACT_LANGUAGE,
	"label": "Language",
	"fieldtype": "Link",
	"options": "Language",
	"insert_after": "gender",
	"description": "The language of emails to this contact (notifications, surveys, campaign and trigger emails). Empty: the language of their customer or lead, else the site's default language.",
	"module": "CX Sales",  # Frappe's uninstall deletes the custom fields of the app's modules too
	"is_system_generated": 1,
}


def add_contact_language_field() -> None:
	from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

	field = frappe.get_meta("Contact").get_field(CONTACT_LANGUAGE_FIELD["fieldname"])
	if field and (
		not field.get("is_custom_field") or field.get("module") != CONTACT_LANGUAGE_FIELD["module"]
	):
		return  # someone else's field: used as it is
	create_custom_fields({"Contact": [dict(CONTACT_LANGUAGE_FIELD)]}, ignore_validate=True)


def remove_contact_language_field() -> None:
	"""Only the app's own definition goes; Frappe keeps the column."""
	filters = {"dt": "Contact", "fieldname": CONTACT_LANGUAGE_FIELD["fieldname"]}
	frappe.db.delete("Custom Field", {**filters, "module": CONTACT_LANGUAGE_FIELD["module"]})
	frappe.clear_cache(doctype="Contact")


def setup_support_portal() -> None:
	"""The portal's indexes and the editable rating email (crm_app/cx_support/portal.py, csat.py)."""
	portal.add_indexes()
	csat.install_email_template()


def add_indexes_on_frappe_tables() -> None:
	frappe.db.add_index("Event Participants", ["reference_doctype", "reference_docname"], PARTICIPANT_INDEX)
	frappe.db.add_index("ToDo", ["allocated_to", "reference_type", "reference_name", "status"], TODO_INDEX)


def create_roles() -> None:
	for role in (*SHARED_ROLES, *OWN_ROLES):
		if not frappe.db.exists("Role", role):
			frappe.get_doc({"doctype": "Role", "role_name": role, "desk_access": 1}).insert(
				ignore_permissions=True
			)


def seed_masters() -> None:
	for doctype, (fieldname, values) in SEED.items():
		for value in values:
			insert_if_missing(doctype, value, {fieldname: value})
	insert_if_missing("CX Territory", ROOT_TERRITORY, {"territory_name": ROOT_TERRITORY, "is_group": 1})
	for stage, order, probability, category in SALES_STAGES:
		insert_if_missing(
			"CX Sales Stage",
			stage,
			{
				"stage_name": stage,
				"stage_order": order,
				"default_probability": probability,
				"forecast_category": category,
			},
		)


def seed_stage_forecast_categories() -> None:
	"""Stages seeded before they had a forecast category all read the field's default, Pipeline: while
	every one of them still does, nobody chose, and they take the default categories."""
	stages = [stage for stage, *_rest in SALES_STAGES]
	current = frappe.get_all("CX Sales Stage", {"name": ("in", stages)}, pluck="forecast_category")
	if set(current) - {"Pipeline", "", None}:
		return
	for stage, _order, _probability, category in SALES_STAGES:
		frappe.db.set_value("CX Sales Stage", stage, "forecast_category", category)


def insert_if_missing(doctype: str, name: str, values: dict) -> None:
	if not frappe.db.exists(doctype, name):
		frappe.get_doc({"doctype": doctype, **values}).insert(ignore_permissions=True)


def set_kanban_card_fields() -> None:
	"""Boards made before they had card fields take the default ones (fields a user chose are kept)."""
	for board_name, fields in KANBAN_CARD_FIELDS.items():
		if frappe.db.get_value("Kanban Board", board_name, "fields") in ("", "[]", None):
			frappe.db.set_value("Kanban Board", board_name, "fields", json.dumps(fields))


def create_kanban_boards() -> None:
	from crm_app.cx_sales.doctype.cx_sales_stage.cx_sales_stage import ordered_stages

	for board_name, doctype, fieldname in KANBAN_BOARDS:
		if frappe.db.exists("Kanban Board", board_name):
			continue
		if fieldname == "sales_stage":
			values = ordered_stages()
		else:
			values = frappe.get_meta(doctype).get_field(fieldname).options.split("\n")
		board = frappe.get_doc(
			{
				"doctype": "Kanban Board",
				"kanban_board_name": board_name,
				"reference_doctype": doctype,
				"field_name": fieldname,
				"private": 0,
				"show_labels": 0,
				"fields": json.dumps(KANBAN_CARD_FIELDS[board_name]),
			}
		)
		for value in values:
			board.append("columns", {"column_name": value, "status": "Active", "indicator": "Gray"})
		board.insert(ignore_permissions=True)


# Ready rules an administrator only has to give users to and enable (Frappe needs users to enable one).
ASSIGNMENT_RULES = (
	(
		"CX New Leads - Round Robin",
		"CX Lead",
		"Round Robin",
		'status == "New"',
		'status in ("Converted", "Lost")',
	),
	(
		"CX Hot Leads - Load Balancing",
		"CX Lead",
		"Load Balancing",
		'score_band == "Hot"',
		'status in ("Converted", "Lost")',
	),
	(
		"CX Leads by Territory - Round Robin",
		"CX Lead",
		"Round Robin",
		'territory == "Europe" and status == "New"',
		'status in ("Converted", "Lost")',
	),
	(
		"CX Leads by Source - Round Robin",
		"CX Lead",
		"Round Robin",
		'source == "Website" and status == "New"',
		'status in ("Converted", "Lost")',
	),
	(
		"CX Opportunities - Load Balancing",
		"CX Opportunity",
		"Load Balancing",
		'status == "Open"',
		'status != "Open"',
	),
	(
		"CX Issues - Round Robin",
		"CX Issue",
		"Round Robin",
		'status == "Open"',
		'status in ("Resolved", "Closed")',
	),
	# Issues by priority, type, language and customer (crm_app/cx_support/routing.py): listed after the
	# catch-all rule above, so their priority is higher and Frappe tries them first.
	*(
		(name, "CX Issue", rule, condition, 'status in ("Resolved", "Closed")')
		for name, rule, condition in ISSUE_RULES
	),
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def create_assignment_rules() -> None:
	for priority, (name, doctype, rule, condition, close_condition) in enumerate(ASSIGNMENT_RULES):
		if frappe.db.exists("Assignment Rule", name):
			continue
		doc = frappe.get_doc(
			{
				"doctype": "Assignment Rule",
				"name": name,
				"document_type": doctype,
				"description": _("Assign new {0} records. Pick the users, then uncheck Disabled.").format(
					_(doctype)
				),
				"assign_condition": condition,
				"close_condition": close_condition,
				"rule": rule,
				"priority": priority,
				"disabled": 1,
				"assignment_days": [{"day": day} for day in WEEKDAYS],
			}
		)
		doc.flags.ignore_mandatory = True  # users are the administrator's choice
		doc.insert(ignore_permissions=True)


# A starting point for scoring; managers change it in CX Scoring Settings.
DEFAULT_CRITERIA = (
	{"criterion_type": "Field", "fieldname": "email", "operator": "is set", "points": 10},
	{"criterion_type": "Field", "fieldname": "mobile_no", "operator": "is set", "points": 5},
	{
		"criterion_type": "Field",
		"fieldname": "status",
		"operator": "equals",
		"value": "Qualified",
		"points": 20,
	},
	{
		"criterion_type": "Field",
		"fieldname": "source",
		"operator": "in",
		"value": "Referral, Partner",
		"points": 15,
	},
	{"criterion_type": "Activity", "activity": "Call", "min_count": 1, "within_days": 30, "points": 10},
	{"criterion_type": "Activity", "activity": "Meeting", "min_count": 1, "within_days": 30, "points": 20},
	{"criterion_type": "Activity", "activity": "Email", "min_count": 2, "within_days": 30, "points": 10},
	{"criterion_type": "No Contact", "within_days": 30, "points": -10},
)


def set_default_scoring(rescore: bool = False) -> None:
	settings = frappe.get_single("CX Scoring Settings")
	if settings.criteria:
		return
	settings.hot_threshold = settings.hot_threshold or 50
	settings.warm_threshold = settings.warm_threshold or 20
	for row in DEFAULT_CRITERIA:
		settings.append("criteria", row)
	settings.flags.skip_rescore = not rescore  # a fresh site has no leads to rescore
	settings.save(ignore_permissions=True)


def set_default_settings() -> None:
	settings = frappe.get_single("CX Settings")
	settings.default_sales_stage = settings.default_sales_stage or SALES_STAGES[0][0]
	settings.default_territory = settings.default_territory or ROOT_TERRITORY
	settings.save(ignore_permissions=True)


DEFAULT_LOYALTY_TIERS = (("Bronze", 0), ("Silver", 1000), ("Gold", 5000))


def set_insights_defaults(installing: bool = False) -> None:
	"""CX Insights Settings stored once with three loyalty tiers to start from. When the app is installed
	Frappe has already stored the Single's defaults (installer.init_singles, before after_install) without
	the tiers; on a migrated site the settings are set up once, while nothing of them is stored (tiers an
	admin removed since stay removed)."""
	if frappe.db.get_singles_dict("CX Insights Settings") and not installing:
		return
	settings = frappe.get_single("CX Insights Settings")
	if not settings.loyalty_tiers:
		for tier_name, min_points in DEFAULT_LOYALTY_TIERS:
			settings.append("loyalty_tiers", {"tier_name": tier_name, "min_points": min_points})
	settings.save(ignore_permissions=True)


# Records outside our modules that point at our doctypes; Frappe's uninstall does not remove them.
TRACES = (
	("Custom DocPerm", "parent"),
	("Custom Field", "dt"),
	("Property Setter", "doc_type"),
	("Client Script", "dt"),
	("Kanban Board", "reference_doctype"),
	("List View Settings", "name"),
	("Report", "ref_doctype"),
	("Number Card", "document_type"),
	("Dashboard Chart", "document_type"),
	("Notification", "document_type"),
	("Assignment Rule", "document_type"),
	("Dynamic Link", "link_doctype"),
	("Event Participants", "reference_doctype"),
	("Communication Link", "link_doctype"),
	("ToDo", "reference_type"),
	("Comment", "reference_doctype"),
	("Version", "ref_doctype"),
	("DocShare", "share_doctype"),
	("Tag Link", "document_type"),
	("User Permission", "allow"),
	("Energy Point Log", "reference_doctype"),
	("Notification Log", "document_type"),
)


def after_uninstall():
	"""Remove what the app leaves on other doctypes, once the app is really gone. Frappe runs the
	uninstall hooks on `uninstall-app --dry-run` too, where the app stays installed: then nothing is
	touched."""
	if APP in frappe.get_installed_apps():
		return
	doctypes = app_doctypes()
	for trace_doctype, fieldname in TRACES:
		if frappe.db.table_exists(trace_doctype):
			delete_records(trace_doctype, {fieldname: ("in", doctypes)})
	frappe.db.delete("__UserSettings", {"doctype": ("in", doctypes)})
	remove_created_roles(doctypes)
	remove_scheduled_jobs()
	frappe.db.sql_ddl(
		"alter table `tabEvent Participants` drop index if exists cx_participant_reference_index"
	)
	frappe.db.sql_ddl("alter table `tabToDo` drop index if exists cx_todo_assignee_index")
	drop_indexes()  # ERPNext's tables, where ERPNext stays
	completeness.remove_contact_field()
	remove_contact_language_field()
	portal.drop_indexes()  # the support portal's, on Contact and Contact Email
	frappe.db.commit()


def remove_scheduled_jobs() -> None:
	"""Frappe's uninstall keeps the app's Scheduled Job Types until the next migrate; with the scheduler on,
	they would run in between against tables that are gone."""
	for name in frappe.get_all("Scheduled Job Type", {"method": ("like", "crm_app.%")}, pluck="name"):
		frappe.delete_doc("Scheduled Job Type", name, ignore_permissions=True, force=True)


def delete_records(doctype: str, filters: dict) -> None:
	"""Delete matching records with their child rows; orphaned children (e.g. Kanban Board Column)
	would otherwise reattach to a record recreated under the same name on reinstall."""
	if frappe.get_meta(doctype).get_table_fields():
		for name in frappe.get_all(doctype, filters=filters, pluck="name"):
			frappe.delete_doc(doctype, name, ignore_permissions=True, force=True, ignore_on_trash=True)
	else:
		frappe.db.delete(doctype, filters)


def remove_created_roles(own_doctypes: list[str]) -> None:
	"""Delete the roles this app created, unless another app's doctypes now grant them rights."""
	created = json.loads(frappe.db.get_global(CREATED_ROLES_KEY) or "[]")
	for role in created:
		used_elsewhere = any(
			frappe.db.exists(perm_doctype, {"role": role, "parent": ("not in", own_doctypes)})
			for perm_doctype in ("DocPerm", "Custom DocPerm")
		)
		if not used_elsewhere and frappe.db.exists("Role", role):
			frappe.delete_doc("Role", role, ignore_permissions=True, force=True)
	frappe.db.delete("DefaultValue", {"parent": "__global", "defkey": CREATED_ROLES_KEY})
