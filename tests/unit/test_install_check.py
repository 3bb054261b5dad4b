from crm_app.core.install_check import Conflict, find_install_conflicts


def check(site_modules=None, site_doctypes=None):
	return find_install_conflicts(
		app_name="crm_app",
		app_modules=["CX Sales", "CX Support"],
		app_doctypes=["CX Lead", "CX Issue"],
		site_modules=site_modules or {},
		site_doctypes=site_doctypes or {},
	)


def test_fresh_site_has_no_conflicts():
	assert check({"Core": "frappe", "CRM": "erpnext"}, {"Lead": "CRM", "CRM Lead": "FCRM"}) == []


def test_reinstall_of_own_records_is_not_a_conflict():
	assert check({"CX Sales": "crm_app"}, {"CX Lead": "CX Sales", "CX Issue": "CX Support"}) == []


def test_doctype_owned_by_another_module_conflicts():
	assert check(site_doctypes={"CX Lead": "Custom"}) == [Conflict("DocType", "CX Lead", "Custom")]


def test_module_owned_by_another_app_conflicts():
	assert check(site_modules={"CX Support": "helpdesk_fork"}) == [
		Conflict("Module Def", "CX Support", "helpdesk_fork")
	]
