# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class CXDuplicateKey(Document):
	"""One normalised key of a lead, customer or contact (crm_app/cx_data_quality/duplicates.py); written by the server only."""


def on_doctype_update():
	# The live check asks "which records of this doctype have any of these keys"; a save replaces a
	# record's keys.
	# Covering (the record's name is in it): a lookup reads the index only, never the rows.
	frappe.db.sql_ddl("alter table `tabCX Duplicate Key` drop index if exists `match_key_doctype_index`")
	frappe.db.add_index(
		"CX Duplicate Key", ["match_key", "record_doctype", "record_name"], "match_key_lookup_index"
	)
	frappe.db.add_index("CX Duplicate Key", ["record_doctype", "record_name(140)"], "record_index")
