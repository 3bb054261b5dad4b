# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class CXSearchPosting(Document):
	"""One term of a published article or resolved issue (crm_app/cx_support/knowledge.py); written by the
	server only."""


def on_doctype_update():
	# Terms are compared byte for byte: the core already folded what should meet, and the default
	# collation would merge more (й and и, ß and ss) than the ranking knows about.
	collation = frappe.db.sql(
		"""select collation_name from information_schema.columns
		where table_schema = database() and table_name = 'tabCX Search Posting' and column_name = 'term'"""
	)
	if collation and collation[0][0] != "utf8mb4_bin":
		frappe.db.sql_ddl(
			"alter table `tabCX Search Posting` modify `term` varchar(64) character set utf8mb4 collate utf8mb4_bin"
		)
	# Covering: the postings of a query's terms, with their documents' lengths, and the document
	# frequencies are read from the index alone.
	frappe.db.sql_ddl("alter table `tabCX Search Posting` drop index if exists `term_lookup_index`")
	frappe.db.add_index(
		"CX Search Posting",
		["term", "source_doctype", "document", "tf", "document_length"],
		"term_postings_index",
	)
	# A document's postings are replaced on each save.
	frappe.db.add_index("CX Search Posting", ["source_doctype", "document"], "document_index")
