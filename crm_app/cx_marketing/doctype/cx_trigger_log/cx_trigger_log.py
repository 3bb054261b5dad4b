"""One firing of a trigger for one record under one condition, written by the trigger run only."""

import frappe
from frappe.model.document import Document

# A record fires once per trigger and condition: the run's INSERT ... SELECT skips pairs already here,
# and this index refuses a second row whatever writes it.
UNIQUE_FIRING = ("cx_trigger", "reference_doctype", "reference_name", "condition_hash")


class CXTriggerLog(Document):
	pass


def on_doctype_update():
	frappe.db.add_unique("CX Trigger Log", UNIQUE_FIRING, constraint_name="unique_firing")
	# The run reads its pending rows in id order.
	frappe.db.add_index("CX Trigger Log", ["cx_trigger", "status"], index_name="trigger_status")
