"""Frappe CRM (app `crm`) and crm_app on one site: both apps' doctypes, workspaces and roles side by side,
crm_app's lead conversion through Frappe CRM's Contact override, and Frappe CRM still working after
crm_app is uninstalled; crm_app then goes back in, this time after crm.

Skipped unless `crm` is installed on the suite's site. scripts/test.sh makes such a site (crm_app first,
then crm) when the bench has apps/crm; see CRM_APP_TEST_FCRM there. Runs before test_z_install_cycle,
which then uninstalls and reinstalls crm_app once more, with crm present.
"""

import importlib
import unittest

import frappe

from crm_app.install import OWN_ROLES, SHARED_ROLES

from .factories import CXTestCase, make_lead, make_user
from .site_cli import bench, fresh_read

CRM_INSTALLED = "crm" in frappe.get_installed_apps()
CX_DOCTYPES = ("CX Lead", "CX Customer", "CX Opportunity", "CX Issue")
FCRM_DOCTYPES = ("CRM Lead", "CRM Deal", "CRM Organization", "CRM Task")
SALES_USER = "coexist.sales@example.com"


def app_of(doctype: str) -> str | None:
	module = frappe.db.get_value("DocType", doctype, "module")
	return frappe.db.get_value("Module Def", module, "app_name") if module else None


def crm_migrate_blocker() -> str | None:
	"""Why `bench migrate` cannot run on a site with Frappe CRM on this bench, if it cannot: an import error
	in one of Frappe CRM's own after_migrate hooks (a Frappe CRM release needing a newer Frappe)."""
	for path in frappe.get_hooks("after_migrate", app_name="crm"):
		try:
			importlib.import_module(path.rsplit(".", 1)[0])
		except ImportError as exc:
			return f"Frappe CRM's after_migrate hook {path} does not import on this Frappe: {exc}"
	return None


def make_crm_lead(first_name: str = "Grace", **values):
	return frappe.get_doc(
		{"doctype": "CRM Lead", "first_name": first_name, "last_name": "Hopper", **values}
	).insert()


@unittest.skipUnless(CRM_INSTALLED, "Frappe CRM (app crm) is not installed on this site")
class TestCoexistenceWithFrappeCRM(CXTestCase):
	def assert_crm_app_intact(self):
		for doctype in CX_DOCTYPES:
			self.assertEqual(app_of(doctype), "crm_app", doctype)
			self.assertTrue(frappe.db.table_exists(doctype), doctype)
		workspace = frappe.get_doc("Workspace", "Customer Relations")
		self.assertEqual(workspace.module, "CX Sales")
		self.assertTrue(workspace.public)
		for role in (*SHARED_ROLES, *OWN_ROLES):
			self.assertTrue(frappe.db.exists("Role", role), role)
		self.assertTrue(
			frappe.db.exists("DocPerm", {"parent": "CX Lead", "role": "Sales User", "read": 1}),
			"crm_app's Sales User permission on CX Lead",
		)

	def assert_crm_intact(self):
		for doctype in FCRM_DOCTYPES:
			self.assertEqual(app_of(doctype), "crm", doctype)
			self.assertTrue(frappe.db.table_exists(doctype), doctype)
		self.assertEqual(frappe.db.get_value("Workspace", "Frappe CRM", "module"), "FCRM")
		for role in ("Sales User", "Sales Manager"):
			self.assertTrue(frappe.db.exists("Role", role), role)
			self.assertTrue(
				frappe.db.exists("DocPerm", {"parent": "CRM Lead", "role": role, "read": 1}),
				f"Frappe CRM's {role} permission on CRM Lead",
			)
		self.assertTrue(frappe.db.exists("CRM Lead Status", "New"), "Frappe CRM's default lead statuses")

	def assert_crm_works(self):
		"""A CRM Lead goes through Frappe CRM's own validation, and a sales user lists it through Frappe
		CRM's permission hook (own or assigned records)."""
		user = make_user(SALES_USER, "Sales User")
		frappe.set_user(user)
		lead = make_crm_lead(email="grace.hopper@example.com", lead_owner=user)
		self.assertEqual(lead.lead_name, "Grace Hopper")
		self.assertEqual(lead.status, "New")
		self.assertIn(lead.name, frappe.get_list("CRM Lead", pluck="name"))
		frappe.set_user("Administrator")

	def test_both_apps_side_by_side(self):
		self.assertIn("crm_app", frappe.get_installed_apps())
		self.assert_crm_app_intact()
		self.assert_crm_intact()
		cx_lead = make_lead(email="ada@example.com")
		crm_lead = make_crm_lead(email="grace@example.com")
		self.assertTrue(frappe.db.exists("CX Lead", cx_lead.name))
		self.assertTrue(frappe.db.exists("CRM Lead", crm_lead.name))
		self.assertNotEqual(cx_lead.name, crm_lead.name)

	def test_conversion_through_frappe_crm_contact_override(self):
		"""Frappe CRM replaces Contact's controller and validates every Contact: crm_app's conversion,
		which creates one, must still work and link it to the CX Customer."""
		from crm_app.cx_sales.doctype.cx_lead.conversion import convert_lead

		lead = make_lead(email="ada.convert@example.com", mobile_no="+447400123456")
		result = convert_lead(lead.name)
		customer = frappe.get_doc("CX Customer", result["customer"])
		self.assertTrue(customer.primary_contact)
		contact = frappe.get_doc("Contact", customer.primary_contact)
		self.assertIn(
			("CX Customer", customer.name), [(link.link_doctype, link.link_name) for link in contact.links]
		)

	def test_uninstall_leaves_frappe_crm_working_then_reinstall_after_it(self):
		frappe.db.commit()
		result = bench("uninstall-app", "crm_app", "--yes", "--no-backup", "--force")
		self.assertEqual(result.returncode, 0, result.stderr[-2000:])
		try:
			fresh_read()
			self.assertNotIn("crm_app", frappe.get_installed_apps())
			self.assertIn("crm", frappe.get_installed_apps())
			self.assertFalse(frappe.db.exists("DocType", "CX Lead"))
			self.assertFalse(frappe.db.exists("Workspace", "Customer Relations"))
			self.assert_crm_intact()
			self.assert_crm_works()
		finally:
			frappe.db.rollback()
			result = bench("install-app", "crm_app")
			fresh_read()
		self.assertEqual(result.returncode, 0, result.stderr[-2000:])
		self.assertEqual(frappe.get_installed_apps()[-2:], ["crm", "crm_app"])
		self.assert_crm_app_intact()
		self.assert_crm_intact()
		self.assert_crm_works()

	def test_migrate_with_both_apps(self):
		blocker = crm_migrate_blocker()
		if blocker:
			self.skipTest(blocker)
		frappe.db.commit()
		result = bench("migrate")
		self.assertEqual(result.returncode, 0, result.stderr[-2000:])
		fresh_read()
		self.assert_crm_app_intact()
		self.assert_crm_intact()
