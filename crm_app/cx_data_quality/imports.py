"""Data Import of leads, customers and contacts: files that would bring in garbled text are refused.

Frappe reads a CSV that is not UTF-8 as Windows-1250, then Windows-1252: a Cyrillic file saved in
Windows-1251 (Excel's default in Ukraine and Russia) then imports without an error, as Latin gibberish.
Rows themselves are checked by the records' own validation (phones) and by the duplicate check
(duplicates.warn_on_save), one transaction per row, as Frappe's importer runs them.
"""

import frappe
from frappe import _

from crm_app.cx_data_quality.duplicates import SOURCES
from crm_app.exceptions import ImportFileError


def check_import_file(doc, method=None) -> None:
	"""doc_events validate of Data Import."""
	if doc.reference_doctype not in SOURCES or not doc.import_file:
		return
	if not doc.import_file.lower().endswith(".csv") or not doc.has_value_changed("import_file"):
		return
	file = frappe.get_doc("File", {"file_url": doc.import_file})
	if isinstance(file.get_content(), bytes):  # Frappe could not read it as UTF-8 text
		frappe.throw(
			_(
				"{0} is not saved as UTF-8, so its letters would be imported garbled. Save it again as CSV UTF-8 (in Excel: Save As, CSV UTF-8), or upload it as an Excel file."
			).format(frappe.bold(file.file_name)),
			ImportFileError,
			title=_("File Encoding"),
		)
