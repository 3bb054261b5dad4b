"""ERPNext customers and CRM customers, one for one.

- Each ERPNext `Customer` has its `CX Customer` (`Customer.cx_customer` and `CX Customer.erpnext_customer`),
  made as either side is created (two settings) and, for the customers a company already has, by a
  background backfill that matches (tax id, email, name) before it creates.
- Contacts and addresses are shared, never copied: one Contact carries a Dynamic Link to both records.
- Territory and customer group map through CX Settings (a CRM territory or industry of the same name needs
  no mapping row).
"""

import json

import frappe
from frappe import _
from frappe.model.naming import make_autoname
from frappe.utils import cint, now

from crm_app import jobs
from crm_app.core.books.matching import CustomerIndex, CustomerKeys
from crm_app.exceptions import CustomerLinkError
from crm_app.integrations.erpnext.common import integration_enabled, setting
from crm_app.utils import erpnext_installed, get_settings, rollback_to_savepoint

CX, ERP = "CX Customer", "Customer"
CUSTOMER_TYPE = {"Company": "Company", "Individual": "Individual", "Partnership": "Company"}
# The job's checkpoint and named lock (crm_app.jobs): one run at a time, a killed one resumed.
BACKFILL_KEY = "erpnext_customer_backfill"
BACKFILL_JOB = jobs.job_id(BACKFILL_KEY)
BATCH = 2000
# Each side names its twin in this field.
TWIN_FIELD = {CX: "erpnext_customer", ERP: "cx_customer"}


# -- as records are created --------------------------------------------------------------------------


def on_erpnext_customer_insert(customer, method=None) -> None:
	"""Customer after_insert: its CRM customer, unless this app made the Customer for one."""
	if customer.flags.from_crm or customer.get("cx_customer") or not integration_enabled():
		return
	if cint(setting("create_cx_customers", 1)):
		link_or_create_cx_customer(customer)


def on_cx_customer_insert(cx_customer) -> None:
	"""CX Customer after_insert: its ERPNext Customer, unless it came from one."""
	if cx_customer.flags.from_erpnext or cx_customer.get("erpnext_customer") or not integration_enabled():
		return
	if not cint(setting("create_erpnext_customers", 1)):
		return
	# ERPNext may refuse its side (its own validations): the CRM customer is saved all the same, and
	# gets its twin when a quotation is made for it.
	frappe.db.savepoint(TWIN_SAVEPOINT)
	try:
		ensure_erpnext_customer(cx_customer)
	except (frappe.ValidationError, frappe.DuplicateEntryError) as error:
		rollback_to_savepoint(TWIN_SAVEPOINT, error)
		frappe.clear_last_message()
		frappe.msgprint(
			_("Saved. ERPNext did not accept it as a customer yet: {0}").format(error),
			indicator="orange",
			alert=True,
		)


TWIN_SAVEPOINT = "crm_app_erpnext_twin"


def ensure_erpnext_customer(cx_customer) -> str:
	"""The ERPNext Customer of a CRM customer: one not yet linked that matches (tax id, email, name),
	else a new one; contacts shared either way."""
	if cx_customer.get("erpnext_customer"):
		return cx_customer.erpnext_customer
	match = unlinked_twin(cx_customer, among=ERP)
	if match:
		link(cx_customer.name, match)
		cx_customer.erpnext_customer = match
		return match
	customer = frappe.new_doc(ERP)
	customer.update(
		{
			"customer_name": cx_customer.customer_name,
			"customer_type": cx_customer.customer_type or "Company",
			"tax_id": cx_customer.tax_id,
			"website": cx_customer.website,
			"cx_customer": cx_customer.name,
		}
	)
	customer.flags.from_crm = True
	customer.insert(ignore_permissions=True)  # the user may create the CRM customer; its twin follows
	link(cx_customer.name, customer.name)
	cx_customer.erpnext_customer = customer.name
	return customer.name


def link_or_create_cx_customer(customer) -> str:
	match = unlinked_twin(customer, among=CX)
	if not match:
		cx_customer = frappe.new_doc(CX)
		cx_customer.update(_cx_values(customer, Mappings.load()))
		cx_customer.flags.from_erpnext = True
		cx_customer.insert(ignore_permissions=True)
		match = cx_customer.name
	link(match, customer.name)
	customer.cx_customer = match
	return match


def link(cx_customer: str, customer: str) -> None:
	"""Both sides point at each other; contacts and addresses of either are shared with the other."""
	taken = frappe.db.get_value(CX, {"erpnext_customer": customer, "name": ("!=", cx_customer)})
	if taken:
		frappe.throw(
			_("ERPNext customer {0} already belongs to CRM customer {1}.").format(customer, taken),
			CustomerLinkError,
		)
	frappe.db.set_value(CX, cx_customer, "erpnext_customer", customer, update_modified=False)
	frappe.db.set_value(ERP, customer, "cx_customer", cx_customer, update_modified=False)
	share_contacts(ERP, [customer])
	share_contacts(CX, [cx_customer])


# Give each Contact and Address linked to one side a Dynamic Link to the twin record, set-based. The new
# link's name derives from the old link and the twin, so a second run adds nothing.
_SHARE_SQL = {
	ERP: """insert ignore into `tabDynamic Link` (name, creation, modified, owner, modified_by, docstatus,
			idx, parent, parenttype, parentfield, link_doctype, link_name, link_title)
		select concat('cx', left(md5(concat(link.name, ':', record.cx_customer)), 12)), %(now)s, %(now)s,
			'Administrator', 'Administrator', 0, link.idx + 100, link.parent, link.parenttype, link.parentfield,
			'CX Customer', record.cx_customer, link.link_title
		from `tabDynamic Link` link join `tabCustomer` record on record.name = link.link_name
		where link.link_doctype = 'Customer' and link.parenttype in ('Contact', 'Address')
			and link.link_name in %(names)s and ifnull(record.cx_customer, '') != ''
			and not exists (select 1 from `tabDynamic Link` other where other.parent = link.parent
				and other.link_doctype = 'CX Customer' and other.link_name = record.cx_customer)""",
	CX: """insert ignore into `tabDynamic Link` (name, creation, modified, owner, modified_by, docstatus,
			idx, parent, parenttype, parentfield, link_doctype, link_name, link_title)
		select concat('cx', left(md5(concat(link.name, ':', record.erpnext_customer)), 12)), %(now)s, %(now)s,
			'Administrator', 'Administrator', 0, link.idx + 100, link.parent, link.parenttype, link.parentfield,
			'Customer', record.erpnext_customer, link.link_title
		from `tabDynamic Link` link join `tabCX Customer` record on record.name = link.link_name
		where link.link_doctype = 'CX Customer' and link.parenttype in ('Contact', 'Address')
			and link.link_name in %(names)s and ifnull(record.erpnext_customer, '') != ''
			and not exists (select 1 from `tabDynamic Link` other where other.parent = link.parent
				and other.link_doctype = 'Customer' and other.link_name = record.erpnext_customer)""",
}


def share_contacts(from_doctype: str, names: list[str]) -> None:
	"""Contacts and addresses of these records (of `from_doctype`) are shared with their twins."""
	if names:
		frappe.db.sql(_SHARE_SQL[from_doctype], {"now": now(), "names": tuple(names)})


def unlinked_twin(record, among: str) -> str | None:
	"""The record of doctype `among` (CX Customer or Customer) not yet linked to a twin that matches
	`record` by tax id, email or name; None when there is none, or several equally good."""
	keys = CustomerKeys.of(record.customer_name, record.get("email_id"), record.get("tax_id"))
	unlinked = {TWIN_FIELD[among]: ("is", "not set")}
	candidates = set()
	for field, value in (
		("tax_id", record.get("tax_id")),
		("email_id", record.get("email_id")),
		("customer_name", record.customer_name),
	):
		if value:
			candidates.update(frappe.get_all(among, {field: value, **unlinked}, pluck="name"))
	if not candidates:
		return None
	rows = frappe.get_all(
		among, {"name": ("in", list(candidates))}, ["name", "customer_name", "email_id", "tax_id"]
	)
	index = CustomerIndex(
		(row.name, CustomerKeys.of(row.customer_name, row.email_id, row.tax_id)) for row in rows
	)
	return index.match(keys)


# -- territories and customer groups -----------------------------------------------------------------


class Mappings:
	def __init__(self, territories: dict, industries: dict, default_territory: str | None):
		self.territories, self.industries, self.default_territory = territories, industries, default_territory

	@classmethod
	def load(cls) -> "Mappings":
		settings = get_settings()
		territories = {name: name for name in frappe.get_all("CX Territory", pluck="name")}
		industries = {name: name for name in frappe.get_all("CX Industry", pluck="name")}
		by_group = {}
		for row in settings.get("customer_maps") or []:
			if row.map_from == "Territory" and row.territory:
				territories[row.erpnext_value] = row.territory
			elif row.map_from == "Customer Group" and row.industry:
				by_group[row.erpnext_value] = row.industry
		mappings = cls(territories, industries, settings.default_territory)
		mappings.by_group = by_group
		return mappings

	def territory(self, erpnext_territory: str | None) -> str | None:
		return self.territories.get(erpnext_territory or "") or self.default_territory

	def industry(self, customer_group: str | None, industry: str | None) -> str | None:
		return self.by_group.get(customer_group or "") or self.industries.get(industry or "")


def _cx_values(customer, mappings: Mappings) -> dict:
	return {
		"customer_name": customer.customer_name,
		"customer_type": CUSTOMER_TYPE.get(customer.customer_type, "Company"),
		"territory": mappings.territory(customer.territory),
		"industry": mappings.industry(customer.customer_group, customer.get("industry")),
		"tax_id": customer.get("tax_id"),
		"website": customer.get("website"),
		"account_manager": customer.get("account_manager"),
		"primary_contact": customer.get("customer_primary_contact"),
		"primary_address": customer.get("customer_primary_address"),
		"primary_address_display": customer.get("primary_address"),
		"email_id": customer.get("email_id"),
		"mobile_no": customer.get("mobile_no"),
		"disabled": customer.get("disabled") or 0,
		"erpnext_customer": customer.name,
	}


# -- the customers a company already has -------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
def queue_customer_backfill() -> str:
	"""CX Settings > Link Existing ERPNext Customers. One run at a time per site."""
	frappe.get_doc("CX Settings").check_permission("write")
	if not integration_enabled():
		frappe.throw(_("Turn on Connect to ERPNext first."), CustomerLinkError)
	enqueue_backfill()
	return BACKFILL_JOB


def enqueue_backfill(after_commit: bool = False) -> None:
	frappe.enqueue(
		"crm_app.integrations.erpnext.customers.backfill_customers",
		queue="long",
		timeout=3600,
		job_id=BACKFILL_JOB,
		deduplicate=True,
		enqueue_after_commit=after_commit,
	)


def backfill_customers(batch_size: int = BATCH) -> dict | None:
	"""Give every ERPNext Customer without one its CX Customer, in batches: matched by tax id, email or
	name among CRM customers not yet linked, else created in one bulk insert per batch. Idempotent: a
	second run finds nothing to do. One run at a time (a MariaDB named lock: None when another holds it);
	a run killed midway is resumed by crm_app.jobs and finishes with the money refresh even when its
	batches were all done. Returns the counts."""
	if not integration_enabled():
		return {"matched": 0, "created": 0}
	return jobs.run_resumable(
		BACKFILL_KEY,
		"crm_app.integrations.erpnext.customers.backfill_customers",
		{},  # the batch size is tuning, not identity
		lambda run: _backfill(run, batch_size),
	)


def _backfill(run: "jobs.Run", batch_size: int) -> dict:
	mappings = Mappings.load()
	index = CustomerIndex(
		(row.name, CustomerKeys.of(row.customer_name, row.email_id, row.tax_id))
		for row in frappe.get_all(
			CX,
			{"erpnext_customer": ("is", "not set")},
			["name", "customer_name", "email_id", "tax_id"],
			order_by="creation asc",
		)
	)
	total = frappe.db.count(ERP, {"cx_customer": ("is", "not set")})
	done = matched = created = 0
	# Customers are picked by their missing link, so a resumed run starts from the first name again: one
	# added meanwhile under an earlier name is not skipped, and the linked ones cost nothing.
	after = ""
	while True:
		batch = frappe.db.sql(
			"""select name, customer_name, customer_type, customer_group, territory, industry, tax_id,
				website, account_manager, customer_primary_contact, customer_primary_address,
				primary_address, email_id, mobile_no, disabled
			from `tabCustomer` where ifnull(cx_customer, '') = '' and name > %s order by name limit %s""",
			(after, batch_size),
			as_dict=True,
		)
		if not batch:
			break
		after = batch[-1].name
		pairs, new_rows = [], []
		for customer in batch:
			match = index.match(CustomerKeys.of(customer.customer_name, customer.email_id, customer.tax_id))
			if match:
				index.remove(match)  # one ERPNext customer per CRM customer
				pairs.append((match, customer.name))
			else:
				new_rows.append(customer)
		matched += len(pairs)
		created += len(new_rows)
		_bulk_link(pairs, _bulk_create(new_rows, mappings))
		done += len(batch)
		run.save(after)  # commits with the batch: how far it got, for the checkpoint's reader
		frappe.db.commit()
		frappe.publish_progress(
			done * 100 / max(total, 1),
			title=_("Linking ERPNext customers"),
			description=_("{0} of {1}").format(done, total),
			doctype="CX Settings",
			docname="CX Settings",
		)
	if done or run.resumed:  # a run killed after its last batch left the money figures to refresh
		from crm_app.integrations.erpnext.books import refresh_all_customer_money

		refresh_all_customer_money()
		frappe.db.commit()
	return {"matched": matched, "created": created}


def _bulk_create(customers: list, mappings: Mappings) -> list[tuple[str, str]]:
	"""One INSERT for the batch: the rows travel as one JSON parameter that MariaDB's JSON_TABLE unpacks
	(building a multi-row INSERT in Python costs more than the database's work)."""
	if not customers:
		return []
	names = _reserve_names(len(customers))
	rows = [
		{"name": name, **_cx_values(customer, mappings)}
		for name, customer in zip(names, customers, strict=True)
	]
	frappe.db.sql(
		"""insert into `tabCX Customer` (name, creation, modified, owner, modified_by, docstatus, naming_series,
			customer_name, customer_type, territory, industry, tax_id, website, account_manager,
			primary_contact, primary_address, primary_address_display, email_id, mobile_no, disabled,
			erpnext_customer)
		select row.name, %(now)s, %(now)s, %(user)s, %(user)s, 0, %(series)s, row.customer_name,
			row.customer_type, row.territory, row.industry, row.tax_id, row.website, row.account_manager,
			row.primary_contact, row.primary_address, row.primary_address_display, row.email_id,
			row.mobile_no, row.disabled, row.erpnext_customer
		from json_table(%(rows)s, '$[*]' columns (
			name varchar(140) path '$.name',
			customer_name varchar(140) path '$.customer_name',
			customer_type varchar(140) path '$.customer_type',
			territory varchar(140) path '$.territory',
			industry varchar(140) path '$.industry',
			tax_id varchar(140) path '$.tax_id',
			website varchar(140) path '$.website',
			account_manager varchar(140) path '$.account_manager',
			primary_contact varchar(140) path '$.primary_contact',
			primary_address varchar(140) path '$.primary_address',
			primary_address_display text path '$.primary_address_display',
			email_id varchar(140) path '$.email_id',
			mobile_no varchar(140) path '$.mobile_no',
			disabled int path '$.disabled',
			erpnext_customer varchar(140) path '$.erpnext_customer'
		)) as row""",
		{
			"now": now(),
			"user": frappe.session.user,
			"series": SERIES,
			"rows": json.dumps(rows, default=str),
		},
	)
	return [(name, customer.name) for name, customer in zip(names, customers, strict=True)]


SERIES, SERIES_KEY = "CX-CUST-.#####", "CX-CUST-"


def _reserve_names(count: int) -> list[str]:
	"""`count` names of the CX Customer series at once, as make_autoname would give them one by one."""
	first = make_autoname(SERIES, CX)  # takes the series' row lock and moves it by one
	digits = len(first) - len(SERIES_KEY)
	start = int(first[len(SERIES_KEY) :])
	if count > 1:
		series = frappe.qb.DocType("Series")
		frappe.qb.update(series).set(series.current, series.current + count - 1).where(
			series.name == SERIES_KEY
		).run()
	return [f"{SERIES_KEY}{number:0{digits}d}" for number in range(start, start + count)]


def _bulk_link(matched: list[tuple[str, str]], created: list[tuple[str, str]]) -> None:
	"""Created CRM customers already name their ERPNext customer; matched ones are set one by one (by
	primary key). ERPNext's side follows in one UPDATE ... JOIN on the twin index."""
	pairs = matched + created
	if not pairs:
		return
	cx_customer = frappe.qb.DocType(CX)
	for cx, erp in matched:
		frappe.qb.update(cx_customer).set(cx_customer.erpnext_customer, erp).where(
			cx_customer.name == cx
		).run()
	frappe.db.sql(
		"""update `tabCustomer` customer join `tabCX Customer` cx on cx.erpnext_customer = customer.name
		set customer.cx_customer = cx.name where customer.name in %s""",
		(tuple(erp for _cx, erp in pairs),),
	)
	share_contacts(ERP, [erp for _cx, erp in pairs])
	share_contacts(CX, [cx for cx, _erp in pairs])


def share_links_with_twin(doc, method=None) -> None:
	"""Contact / Address validate: a link to either customer brings the link to its twin, so a contact
	added on one side shows on the other."""
	if not integration_enabled():
		return
	present = {(link.link_doctype, link.link_name) for link in doc.links}
	for link_doctype, link_name in list(present):
		if link_doctype not in TWIN_FIELD:
			continue
		twin = frappe.db.get_value(link_doctype, link_name, TWIN_FIELD[link_doctype])
		twin_doctype = ERP if link_doctype == CX else CX
		if twin and (twin_doctype, twin) not in present:
			doc.append("links", {"link_doctype": twin_doctype, "link_name": twin})
			present.add((twin_doctype, twin))


def forget_erpnext_twin(cx_customer) -> None:
	"""CX Customer on_trash: the ERPNext Customer stays, no longer pointing at it."""
	if erpnext_installed() and frappe.db.has_column(ERP, "cx_customer"):
		customer = frappe.qb.DocType(ERP)
		frappe.qb.update(customer).set(customer.cx_customer, None).where(
			customer.cx_customer == cx_customer.name
		).run()
