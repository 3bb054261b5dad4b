# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

from frappe.utils.nestedset import NestedSet

ROOT_TERRITORY = "All Territories"


class CXTerritory(NestedSet):
	nsm_parent_field = "parent_cx_territory"

	def on_update(self):
		super().on_update()
		self.validate_one_root()
