# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class CXSearchKey(Document):
	"""One folded word of a lead's, customer's or contact's name (crm_app/cx_data_quality/search_keys.py);
	written by the server only."""


def on_doctype_update():
	# A look-up reads the keys of one doctype that start with a prefix, in key order, and only as far as
	# the page needs; the other typed words are checked on the record's words in the same entry. The
	# index covers the read (the record's name is in it): the rows are never touched. The record index
	# serves a save's rewrite of its keys and the backfill.
	frappe.db.add_index(
		"CX Search Key",
		["reference_doctype", "search_key", "words", "reference_name"],
		"search_words_lookup_index",
	)
	frappe.db.add_index(
		"CX Search Key", ["reference_doctype", "reference_name", "search_key"], "search_key_record_index"
	)
	frappe.db.sql_ddl("alter table `tabCX Search Key` drop index if exists `search_key_lookup_index`")
