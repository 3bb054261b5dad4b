"""ERPNext installed after the app, then removed: every existing opportunity stays valid.

Runs only on its own site (scripts/test.sh creates `crm-test-arrival.localhost` with crm_app alone and
sets CRM_APP_ARRIVAL=1), because it installs and removes ERPNext through the CLI.
"""

import os
import unittest

import frappe

from .factories import CXTestCase, erpnext_master, make_opportunity
from .site_cli import bench, fresh_read

ARRIVAL = os.environ.get("CRM_APP_ARRIVAL") == "1"


def item_rows(opportunity: str) -> list[tuple[str, str]]:
	return [(row.item_type, row.item) for row in frappe.get_doc("CX Opportunity", opportunity).items]


@unittest.skipUnless(ARRIVAL, "needs its own site: scripts/test.sh runs it on crm-test-arrival.localhost")
class TestERPNextArrivesAndLeaves(CXTestCase):
	def test_opportunities_survive_erpnext_coming_and_going(self):
		self.assertNotIn("erpnext", frappe.get_installed_apps())
		frappe.get_doc(
			{
				"doctype": "CX Product",
				"product_code": "ARR-WIDGET",
				"product_name": "Widget",
				"standard_rate": 7,
			}
		).insert()
		before = make_opportunity(items=[{"item": "ARR-WIDGET", "qty": 3}])
		self.assertEqual(item_rows(before.name), [("CX Product", "ARR-WIDGET")])
		frappe.db.commit()

		result = bench("install-app", "erpnext")
		self.assertEqual(result.returncode, 0, (result.stdout + result.stderr)[-3000:])
		fresh_read()
		self.assertIn("erpnext", frappe.get_installed_apps())
		self.assertTrue(
			frappe.db.exists("Custom Field", {"dt": "Sales Invoice", "fieldname": "cx_opportunity"})
		)
		self.assertTrue(
			frappe.db.exists("Custom Field", {"dt": "CX Customer", "fieldname": "erpnext_customer"})
		)
		self.assertEqual(
			frappe.db.get_single_value("CX Settings", "erpnext_enabled"), 1, "switched on by itself"
		)
		old = frappe.get_doc("CX Opportunity", before.name)
		old.notes = "saved after ERPNext arrived"
		old.save()  # the CX Product row is still a valid link
		self.assertEqual(item_rows(before.name), [("CX Product", "ARR-WIDGET")])
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": "ARR-ERP-ITEM",
				"item_name": "ERP Gadget",
				"item_group": erpnext_master(
					"Item Group", "All Item Groups", item_group_name=None, is_group=1
				),
				"stock_uom": erpnext_master("UOM", "Nos", uom_name=None),
				"is_stock_item": 0,
			}
		).insert()
		after = make_opportunity(items=[{"item": "ARR-ERP-ITEM", "qty": 2, "rate": 5}])
		self.assertEqual(item_rows(after.name), [("Item", "ARR-ERP-ITEM")])
		frappe.db.commit()

		result = bench("uninstall-app", "erpnext", "--yes", "--no-backup", "--force")
		self.assertEqual(result.returncode, 0, (result.stdout + result.stderr)[-3000:])
		fresh_read()
		self.assertNotIn("erpnext", frappe.get_installed_apps())
		self.assertFalse(
			frappe.db.exists("Custom Field", {"dt": "CX Customer", "fieldname": "erpnext_customer"})
		)
		self.assertFalse(frappe.db.exists("Custom Field", {"dt": "Sales Invoice"}))
		for name in (before.name, after.name):
			doc = frappe.get_doc("CX Opportunity", name)
			doc.notes = "saved after ERPNext left"
			doc.save()
		self.assertEqual(item_rows(after.name), [("CX Product", "ARR-ERP-ITEM")])
		self.assertEqual(frappe.db.get_value("CX Product", "ARR-ERP-ITEM", "product_name"), "ERP Gadget")
		frappe.db.commit()
