"""Routing of issues: Frappe's Assignment Rules pick the agent; the issue's `agent` follows its open
assignment, and an agent's open load is one indexed count (shown on the issue and in the reports)."""

import frappe

ISSUE = "CX Issue"
OPEN_STATUSES = ("Open", "Replied", "On Hold")


def follow_assignment(todo, method=None) -> None:
	"""ToDo on_update/after_delete: the issue's agent is its newest open assignee."""
	if todo.reference_type != ISSUE or not todo.reference_name:
		return
	assignees = frappe.get_all(
		"ToDo",
		filters={"reference_type": ISSUE, "reference_name": todo.reference_name, "status": "Open"},
		pluck="allocated_to",
		order_by="creation desc",
	)
	agent = assignees[0] if assignees else None
	current = frappe.db.get_value(ISSUE, todo.reference_name, "agent")
	if agent and agent != current:
		frappe.db.set_value(ISSUE, todo.reference_name, "agent", agent, update_modified=False)


def open_load(agent: str | None) -> int:
	"""Open issues of an agent (the `agent` + status index)."""
	if not agent:
		return 0
	return frappe.db.count(ISSUE, {"agent": agent, "status": ("in", OPEN_STATUSES)})


# Ready rules, disabled until a manager picks the agents (created at install, editable).
ISSUE_RULES = (
	("CX Urgent Issues - Load Balancing", "Load Balancing", 'priority == "Urgent" and status == "Open"'),
	("CX Billing Issues - Round Robin", "Round Robin", 'issue_type == "Billing" and status == "Open"'),
	("CX Ukrainian Issues - Round Robin", "Round Robin", 'language == "uk" and status == "Open"'),
	("CX Russian Issues - Round Robin", "Round Robin", 'language == "ru" and status == "Open"'),
	("CX Polish Issues - Round Robin", "Round Robin", 'language == "pl" and status == "Open"'),
	(
		"CX Key Customer Issues - Load Balancing",
		"Load Balancing",
		'customer in ("Replace with customer IDs",) and status == "Open"',
	),
)
