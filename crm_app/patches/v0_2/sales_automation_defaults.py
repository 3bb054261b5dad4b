"""Sites installed before sales automation get its ready assignment rules and starter scoring."""

from crm_app.install import create_assignment_rules, set_default_scoring


def execute():
	create_assignment_rules()
	set_default_scoring(rescore=True)  # existing leads get their scores
