from frappe.model.document import Document


class CXTriggerAction(Document):
	pass
