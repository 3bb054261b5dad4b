"""Service desk on existing sites: the ready issue Assignment Rules and the customer notifications with
their Email Templates (new sites get them at install); records a manager already has are left alone."""

from crm_app.cx_support.notifications import create_issue_notifications
from crm_app.install import create_assignment_rules


def execute():
	create_assignment_rules()
	create_issue_notifications()
