"""Pre-install safety check: nothing this app creates may already belong to another app."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Conflict:
	kind: str  # "DocType" or "Module Def"
	name: str
	owner: str  # the module (for a doctype) or app (for a module) that holds it now


def find_install_conflicts(
	*,
	app_name: str,
	app_modules: Iterable[str],
	app_doctypes: Iterable[str],
	site_modules: Mapping[str, str],
	site_doctypes: Mapping[str, str],
) -> list[Conflict]:
	"""Return what the app would create that already exists on the site under another owner.

	`site_modules` maps module name -> app name; `site_doctypes` maps doctype name -> module name.
	A doctype in one of the app's own modules is ours (a reinstall or migrate), not a conflict.
	"""
	own_modules = set(app_modules)
	conflicts = [
		Conflict("Module Def", module, site_modules[module])
		for module in sorted(own_modules)
		if module in site_modules and site_modules[module] != app_name
	]
	conflicts += [
		Conflict("DocType", doctype, site_doctypes[doctype])
		for doctype in sorted(set(app_doctypes))
		if doctype in site_doctypes and site_doctypes[doctype] not in own_modules
	]
	return conflicts
