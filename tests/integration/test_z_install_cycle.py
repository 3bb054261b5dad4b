"""Uninstall leaves no trace, the install-safety check refuses a clash, reinstall and migrate are clean.

Runs last (file name) on the suite's own fresh site, through the same CLI a user runs.
"""

import frappe

from crm_app.install import PARTICIPANT_INDEX, TODO_INDEX, app_doctypes
from crm_app.integrations.erpnext.fields import INVOICE_INDEX

from .factories import CXTestCase
from .site_cli import bench, fresh_read


def leftovers() -> dict:
	doctypes = app_doctypes()
	found = {
		"doctypes": frappe.get_all("DocType", {"name": ("like", "CX %")}, pluck="name"),
		"modules": frappe.get_all(
			"Module Def", {"name": ("in", frappe.get_module_list("crm_app"))}, pluck="name"
		),
		"tables": frappe.db.sql("show tables like 'tabCX %%'", pluck=True),
		"workspace": frappe.get_all("Workspace", {"name": "Customer Relations"}, pluck="name"),
		"roles": frappe.get_all(
			"Role", {"name": ("in", ["CRM Administrator", "Marketing User"])}, pluck="name"
		),
		"scheduled jobs": frappe.get_all(
			"Scheduled Job Type", {"method": ("like", "crm_app.%")}, pluck="name"
		),
		"indexes": frappe.db.sql(
			"show index from `tabEvent Participants` where key_name = %s", PARTICIPANT_INDEX
		)
		+ frappe.db.sql("show index from `tabToDo` where key_name = %s", TODO_INDEX)
		+ (
			frappe.db.sql("show index from `tabSales Invoice` where key_name = %s", INVOICE_INDEX)
			if frappe.db.table_exists("Sales Invoice")
			else ()
		),
	}
	for doctype, field in (
		("DocPerm", "parent"),
		("Custom DocPerm", "parent"),
		("Custom Field", "dt"),
		("Property Setter", "doc_type"),
		("Kanban Board", "reference_doctype"),
		("Number Card", "document_type"),
		("Dashboard Chart", "document_type"),
		("Assignment Rule", "document_type"),
	):
		found[doctype] = frappe.get_all(doctype, {field: ("in", doctypes)}, pluck="name")
	from crm_app.integrations.erpnext.fields import custom_fields

	found["ERPNext integration fields"] = [
		f"{doctype}-{row['fieldname']}"
		for doctype, rows in custom_fields().items()
		for row in rows
		if frappe.db.exists("Custom Field", {"dt": doctype, "fieldname": row["fieldname"]})
	]
	found["Kanban Board Column"] = frappe.db.sql(
		"""select name from `tabKanban Board Column`
		where parent not in (select name from `tabKanban Board`)"""
	)
	return {key: value for key, value in found.items() if value}


def schema_snapshot() -> list:
	return frappe.db.sql(
		"""select table_name, column_name, column_type, column_default
		from information_schema.columns where table_schema = database() and table_name like 'tabCX %%'
		order by table_name, column_name""",
		as_list=True,
	) + frappe.db.sql(
		"""select doc_type, field_name, property, value from `tabProperty Setter`
		where doc_type like 'CX %%' order by doc_type, field_name, property""",
		as_list=True,
	)


def data_snapshot() -> dict:
	"""What an uninstall could delete: the app's traces on other doctypes, roles, jobs, settings."""
	from crm_app.install import TRACES

	doctypes = app_doctypes()
	found = {"installed": sorted(frappe.get_installed_apps())}
	for doctype, field in TRACES:
		if frappe.db.table_exists(doctype):
			found[doctype] = frappe.db.count(doctype, {field: ("in", doctypes)})
	found["roles"] = sorted(
		frappe.get_all(
			"Role", {"name": ("in", ["CRM Administrator", "Marketing User", "Sales User"])}, pluck="name"
		)
	)
	found["scheduled jobs"] = frappe.db.count("Scheduled Job Type", {"method": ("like", "crm_app.%")})
	found["indexes"] = [
		bool(frappe.db.has_index("tabEvent Participants", PARTICIPANT_INDEX)),
		bool(frappe.db.has_index("tabToDo", TODO_INDEX)),
	]
	found["tables"] = len(frappe.db.sql("show tables like 'tabCX %%'"))
	found["doctypes"] = frappe.db.count("DocType", {"name": ("like", "CX %")})
	found["leads"] = frappe.db.count("CX Lead")
	found["products"] = frappe.db.count("CX Product")
	if frappe.db.has_column("CX Opportunity Item", "item_type"):
		found["item rows"] = frappe.db.sql(
			"select item_type, count(*) from `tabCX Opportunity Item` group by item_type order by item_type"
		)
	return found


def linked_invoice_books() -> dict | None:
	"""On an ERPNext site with a company: a submitted invoice linked to a deal, and what the books hold."""
	if "erpnext" not in frappe.get_installed_apps() or not frappe.db.exists("Company", "Wind Power LLC"):
		return None
	customer = frappe.get_doc({"doctype": "CX Customer", "customer_name": "Uninstall Books"}).insert()
	item = frappe.get_all("Item", {"is_stock_item": 0, "disabled": 0}, pluck="name", limit=1)[0]
	deal = frappe.get_doc(
		{
			"doctype": "CX Opportunity",
			"title": "Uninstall deal",
			"customer": customer.name,
			"currency": "USD",
			"items": [{"item_type": "Item", "item": item, "qty": 2, "rate": 150}],
		}
	).insert()
	from crm_app.integrations.erpnext.deals import make_sales_invoice

	invoice = make_sales_invoice(deal.name)
	invoice.insert()
	invoice.submit()
	frappe.db.commit()
	return invoice_books(invoice.name)


def invoice_books(invoice: str) -> dict:
	return {
		"invoice": invoice,
		"totals": frappe.db.get_value(
			"Sales Invoice", invoice, ["docstatus", "grand_total", "outstanding_amount"], as_dict=True
		),
		"gl": frappe.get_all(
			"GL Entry",
			{"voucher_no": invoice},
			["account", "debit", "credit", "is_cancelled"],
			order_by="account",
		),
	}


class TestInstallCycle(CXTestCase):
	def test_a_dry_run_uninstall_changes_nothing(self):
		from .factories import make_lead, make_opportunity, make_product

		lead = make_lead(first_name="Dry", last_name="Run")
		frappe.get_doc(
			{"doctype": "ToDo", "reference_type": "CX Lead", "reference_name": lead.name, "description": "x"}
		).insert()
		frappe.get_doc(
			{
				"doctype": "Comment",
				"comment_type": "Comment",
				"reference_doctype": "CX Lead",
				"reference_name": lead.name,
				"content": "keep me",
			}
		).insert()
		frappe.get_doc(
			{"doctype": "Version", "ref_doctype": "CX Lead", "docname": lead.name, "data": "{}"}
		).insert()
		make_opportunity(lead=lead.name, items=[{**make_product(), "qty": 1, "rate": 5}])
		frappe.db.commit()
		before = data_snapshot()
		apps = ["crm_app", *(["erpnext"] if "erpnext" in before["installed"] else [])]
		for app in apps:
			result = bench("uninstall-app", app, "--dry-run")
			self.assertEqual(result.returncode, 0, result.stderr[-2000:])
			fresh_read()
			self.assertEqual(data_snapshot(), before, f"uninstall-app {app} --dry-run")

	def test_uninstall_conflict_reinstall_migrate(self):
		self.assertTrue(frappe.db.exists("Scheduled Job Type", {"method": ("like", "crm_app.%")}))
		books = linked_invoice_books()
		self.assertTrue(frappe.db.has_index("tabEvent Participants", PARTICIPANT_INDEX))
		self.assertTrue(frappe.db.has_index("tabToDo", TODO_INDEX))
		frappe.db.commit()
		result = bench("uninstall-app", "crm_app", "--yes", "--no-backup", "--force")
		self.assertEqual(result.returncode, 0, result.stderr[-2000:])
		fresh_read()
		self.assertEqual(leftovers(), {})
		self.assertNotIn("crm_app", frappe.get_installed_apps())
		if books:
			self.assertEqual(invoice_books(books["invoice"]), books, "the linked invoice is intact")

		# Another app's (here: a custom) doctype with one of our names blocks the install.
		frappe.get_doc(
			{
				"doctype": "DocType",
				"name": "CX Campaign",
				"module": "Custom",
				"custom": 1,
				"fields": [{"fieldname": "title", "fieldtype": "Data", "label": "Title"}],
				"permissions": [{"role": "System Manager", "read": 1}],
			}
		).insert()
		frappe.db.commit()
		try:
			result = bench("install-app", "crm_app")
			self.assertNotEqual(result.returncode, 0)
			self.assertIn("cannot be installed", result.stdout + result.stderr)
			fresh_read()
			self.assertFalse(frappe.db.exists("Module Def", "CX Sales"))
			self.assertFalse(frappe.db.exists("DocType", "CX Lead"))
			self.assertNotIn("crm_app", frappe.get_installed_apps())
		finally:
			frappe.delete_doc("DocType", "CX Campaign", force=True)
			frappe.db.commit()

		result = bench("install-app", "crm_app")
		self.assertEqual(result.returncode, 0, result.stderr[-2000:])
		fresh_read()
		self.assertIn("crm_app", frappe.get_installed_apps())
		self.assertTrue(frappe.db.exists("Workspace", "Customer Relations"))
		self.assertTrue(frappe.db.has_index("tabEvent Participants", PARTICIPANT_INDEX))
		self.assertTrue(frappe.db.has_index("tabToDo", TODO_INDEX))
		board = frappe.get_doc("Kanban Board", "CX Opportunities by Stage")
		columns = [column.column_name for column in board.columns]
		self.assertEqual(len(columns), len(set(columns)), "each stage is one Kanban column")

		self.assertEqual(bench("migrate").returncode, 0)
		fresh_read()
		first = schema_snapshot()
		self.assertEqual(bench("migrate").returncode, 0)
		fresh_read()
		self.assertEqual(schema_snapshot(), first)
