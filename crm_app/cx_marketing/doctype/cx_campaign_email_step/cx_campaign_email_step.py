from frappe.model.document import Document


class CXCampaignEmailStep(Document):
	pass
