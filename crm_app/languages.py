"""Messages in the recipient's language (the rules: crm_app/core/recipient_language.py).

Every send of the app (reminders and their digest, SLA notices, the customer notifications of issues,
the rating request, campaign email, trigger notifications and emails) reads its recipients' languages
with `read_directory` (one query for all of them), groups them with `group` and renders and queues each
group inside `speaking(language)`: Frappe's own language switch, `frappe.translate.print_language`, which
sets `frappe.local.lang` (what `_()` in Python and Jinja reads, with its per-language translation cache)
and drops the Jinja environment so templates render afresh. `frappe.sendmail` builds the whole mail when
it is called (Frappe's footer and unsubscribe line too), so a mail queued inside the block is in that
language from end to end; a Notification Log inserted inside it (and the email Frappe may send of it)
too.
"""

from collections.abc import Iterable
from contextlib import contextmanager

import frappe
from frappe.translate import get_user_lang, print_language

from crm_app.core import recipient_language as rules
from crm_app.core.recipient_language import Directory, group

__all__ = ["Directory", "group", "read_directory", "site_language", "speaking"]


def site_language() -> str:
	"""The site's default language (System Settings), whatever the language of the request or job."""
	return frappe.db.get_default("lang") or frappe.local.conf.get("lang") or rules.FALLBACK


@contextmanager
def speaking(language: str | None):
	"""Render and send in `language` (None: the site's). Frappe's `print_language` restores the language
	and Jinja environment only when its block ends normally; here they come back after an error too, so a
	send that fails for one group does not leave the next one in its language."""
	previous = (getattr(frappe.local, "lang", None), getattr(frappe.local, "jenv", None))
	try:
		with print_language(language or site_language()):
			yield
	finally:
		frappe.local.lang, frappe.local.jenv = previous


# The language fields of the people the app writes to. Not `language`: Frappe fills a new record's Link
# field from the global default of the same name (System Settings sets `language`), and a contact who
# seemed to have chosen the site's language would then outrank the language of their customer.
CONTACT_LANGUAGE = "preferred_language"


def contact_language_column() -> str:
	"""The Contact's language column (a Custom Field crm_app/install.py adds where Frappe has none), or
	NULL while it does not exist yet (during the install, before the field is made)."""
	return "c.`preferred_language`" if frappe.db.has_column("Contact", CONTACT_LANGUAGE) else "null"


# The branches of `read_directory`'s query, each row (kind, name, email, language, link doctype, link name,
# link language, flag) as Directory.from_rows reads them. Only fixed names are formatted in.
USER_SQL = (
	"select 'User', u.name, u.email, u.language, u.user_type, null, null, u.enabled"
	" from `tabUser` u where u.{key} in %({values})s"
)
CONTACT_SQL = (
	"select 'Contact', c.name, {email}, {language}, dl.link_doctype, dl.link_name,"
	" coalesce(cu.preferred_language, ld.preferred_language), null from {source}"
	" left join `tabDynamic Link` dl on dl.parent = c.name and dl.parenttype = 'Contact'"
	" and dl.link_doctype in ('CX Customer', 'CX Lead')"
	" left join `tabCX Customer` cu on dl.link_doctype = 'CX Customer' and cu.name = dl.link_name"
	" left join `tabCX Lead` ld on dl.link_doctype = 'CX Lead' and ld.name = dl.link_name"
	" where {where}"
)
CUSTOMER_SQL = (
	"select 'CX Customer', cu.name, null, cu.preferred_language, 'Contact', cu.primary_contact, {language}, null"
	" from `tabCX Customer` cu left join `tabContact` c on c.name = cu.primary_contact"
	" where cu.name in %(customers)s"
)
LEAD_SQL = (
	"select 'CX Lead', ld.name, null, ld.preferred_language, null, null, null, null"
	" from `tabCX Lead` ld where ld.name in %(leads)s"
)


def read_directory(
	users: Iterable[str] = (),
	emails: Iterable[str] = (),
	contacts: Iterable[str] = (),
	customers: Iterable[str] = (),
	leads: Iterable[str] = (),
) -> Directory:
	"""What the rules need about these users (by name), addresses (users and contacts who have them),
	contacts, customers and leads, in one query however many there are: a UNION of one indexed read per
	kind asked for. A contact comes with the customers and leads it is linked to, a customer with its
	primary contact."""
	values = {
		"users": tuple(sorted({u for u in users if u})),
		"emails": tuple(sorted({e.strip() for e in emails if e and e.strip()})),
		"contacts": tuple(sorted({c for c in contacts if c})),
		"customers": tuple(sorted({c for c in customers if c})),
		"leads": tuple(sorted({name for name in leads if name})),
	}
	branches = []
	if values["users"]:
		branches.append(USER_SQL.format(key="name", values="users"))
	if values["emails"]:
		branches.append(USER_SQL.format(key="email", values="emails"))
		branches.append(
			CONTACT_SQL.format(
				email="ce.email_id",
				language=contact_language_column(),
				source="`tabContact Email` ce join `tabContact` c on c.name = ce.parent",
				where="ce.email_id in %(emails)s and ce.parenttype = 'Contact'",
			)
		)
	if values["contacts"]:
		branches.append(
			CONTACT_SQL.format(
				email="null",
				language=contact_language_column(),
				source="`tabContact` c",
				where="c.name in %(contacts)s",
			)
		)
	if values["customers"]:
		branches.append(CUSTOMER_SQL.format(language=contact_language_column()))
	if values["leads"]:
		branches.append(LEAD_SQL)
	rows = frappe.db.sql(" union all ".join(branches), values) if branches else ()
	return Directory.from_rows(rows, site_language())


PREPARED_REPORT_JOB = "frappe.core.doctype.prepared_report.prepared_report.generate_report"


def is_app_prepared_report(method: str | None, kwargs: dict | None) -> bool:
	"""Frappe's job computing one of the app's prepared reports: its columns, summary, chart and message
	are worded in the language of the user who asked (the result is theirs alone: prepared_reports.py)."""
	if method != PREPARED_REPORT_JOB or not (kwargs or {}).get("prepared_report"):
		return False
	from crm_app.prepared_reports import app_reports

	report = frappe.db.get_value("Prepared Report", kwargs["prepared_report"], "report_name")
	return report in app_reports()


def before_job(method: str | None = None, kwargs: dict | None = None, transaction_type: str | None = None):
	"""hooks.py `before_job`: the app's background jobs speak the language of the user who started them
	(their progress bar, messages and errors), the scheduler's jobs the site's. Frappe starts every job in
	`lang` of site_config or English. What a job sends to other people is in their languages anyway."""
	if not (str(method or "").startswith("crm_app.") or is_app_prepared_report(method, kwargs)):
		return
	user = getattr(getattr(frappe.local, "session", None), "user", None)
	frappe.local.lang = get_user_lang(user) if user else site_language()
