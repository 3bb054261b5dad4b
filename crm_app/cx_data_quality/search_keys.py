"""Names in any alphabet: the key table behind link search, the list's name filter and the global search.

The fold is crm_app/core/quality/search_keys.py (plain Python, the skeletons duplicate detection uses).
This module keeps `CX Search Key` current, one row per folded word of each lead's, customer's and
contact's name (on save, rename and delete; a backfill job after install and migrate for records written
without their hooks), and looks keys up: the names of records whose words start with what the user
typed, in any alphabet, among the records `frappe.get_list` shows that user.
"""

import frappe
from frappe.query_builder import Criterion
from pypika.terms import ExistsCriterion

from crm_app import jobs
from crm_app.core.quality.search_keys import query_prefixes, record_keys, record_words
from crm_app.permissions import RawCriterion, match_conditions

KEY_DOCTYPE = "CX Search Key"
# The words of these fields are a record's keys. A lead is found by its person and by its organisation,
# as its link search finds it (crm_app/queries.py).
NAME_FIELDS = {
	"CX Lead": ("lead_name", "first_name", "last_name", "organization_name"),
	"CX Customer": ("customer_name",),
	"Contact": ("full_name", "first_name", "middle_name", "last_name"),
}
TITLE_FIELDS = {"CX Lead": "lead_name", "CX Customer": "customer_name", "Contact": "full_name"}
BACKFILL_KEY = "search-key-backfill"
BACKFILL_METHOD = "crm_app.cx_data_quality.search_keys.backfill"
BATCH = 5_000
INSERT_CHUNK = 5_000  # rows per INSERT statement
# A look-up reads this many key rows beyond the page: a record two of whose words start with the typed
# prefix comes once per word. Each row read costs a restricted user a probe of the record.
DUPLICATE_ROOM = 5
# Raise when the fold or NAME_FIELDS change: the next migrate then rebuilds every record's keys instead of
# only adding those of records that have none.
KEY_VERSION = "1"
VERSION_GLOBAL = "cx_search_key_version"


# Keeping the keys
# ----------------


def keys_of(doctype: str, values) -> tuple[str, ...]:
	"""The keys of a record (a document or a row with the NAME_FIELDS of its doctype)."""
	return record_keys(*(values.get(field) for field in NAME_FIELDS[doctype]))


def write_keys(doctype: str, wanted: dict[str, tuple[str, ...]]) -> None:
	"""Bring the stored keys of these records (name -> keys) to the wanted ones, touching only rows that
	changed (each row carries its record's words too). As for duplicate keys (duplicates.write_keys),
	stored rows are read without locks and stale ones deleted by primary key, so that two records saved
	at once never lock each other's index gap."""
	if not wanted:
		return
	key = frappe.qb.DocType(KEY_DOCTYPE)
	stored: dict[tuple[str, str, str], list[int]] = {}
	for row_name, reference_name, search_key, words in (
		frappe.qb.from_(key)
		.select(key.name, key.reference_name, key.search_key, key.words)
		.where(key.reference_doctype == doctype)
		.where(key.reference_name.isin(list(wanted)))
		.run()
	):
		stored.setdefault((reference_name, search_key, words or ""), []).append(row_name)
	rows = {
		(name, search_key, record_words(keys)): None for name, keys in wanted.items() for search_key in keys
	}
	stale = [
		row_name
		for row, row_names in stored.items()
		for index, row_name in enumerate(row_names)
		if row not in rows or index > 0  # a key stored twice keeps one row
	]
	for start in range(0, len(stale), 1_000):
		frappe.qb.from_(key).delete().where(key.name.isin(stale[start : start + 1_000])).run()
	new = [(doctype, *row) for row in rows if row not in stored]
	for start in range(0, len(new), INSERT_CHUNK):
		_insert(new[start : start + INSERT_CHUNK])


def _insert(rows: list[tuple[str, str, str, str]]) -> None:
	"""One multi-row INSERT. Names are UUID_SHORT(), MariaDB's increasing 64-bit number, as for duplicate
	keys: Frappe's sequence for an autoincrement doctype writes once per row. Written as parameterised SQL
	rather than through the query builder, which spends more time rendering a backfill's rows than
	MariaDB spends storing them."""
	frappe.db.sql(
		"insert into `tabCX Search Key` "
		"(`name`, `reference_doctype`, `reference_name`, `search_key`, `words`) values "
		+ ", ".join(["(uuid_short(), %s, %s, %s, %s)"] * len(rows)),
		[value for row in rows for value in row],
	)


def refresh_keys(doc, method=None) -> None:
	"""doc_events on_update (insert too): the record's keys, when a field they are made of changed."""
	before = None if doc.is_new() else doc.get_doc_before_save()
	if before is not None and not any(doc.has_value_changed(field) for field in NAME_FIELDS[doc.doctype]):
		return
	write_keys(doc.doctype, {doc.name: keys_of(doc.doctype, doc)})


def forget_keys(doc, method=None) -> None:
	"""doc_events on_trash: a deleted record's keys go with it."""
	key = frappe.qb.DocType(KEY_DOCTYPE)
	frappe.qb.from_(key).delete().where(key.reference_doctype == doc.doctype).where(
		key.reference_name == doc.name
	).run()


def follow_rename(doc, method=None, old: str | None = None, new: str | None = None, merge=False) -> None:
	"""doc_events after_rename. Frappe has already pointed the keys' Dynamic Link at the new name (and,
	in a merge, moved the old record's keys onto the one kept): the record gets exactly its own keys
	again, and none stays on the old name."""
	key = frappe.qb.DocType(KEY_DOCTYPE)
	if old and old != new:
		frappe.qb.from_(key).delete().where(key.reference_doctype == doc.doctype).where(
			key.reference_name == old
		).run()
	name = new or doc.name
	row = frappe.db.get_value(doc.doctype, name, list(NAME_FIELDS[doc.doctype]), as_dict=True)
	if row:
		write_keys(doc.doctype, {name: keys_of(doc.doctype, row)})


# Backfill
# --------


def enqueue_backfill() -> None:
	"""After install and migrate: keys for records that have none (bulk loads, imports through SQL, the
	records a site had before this app), or every record's again when KEY_VERSION changed. One run at a
	time per site, on the long queue."""
	frappe.enqueue(
		BACKFILL_METHOD,
		queue="long",
		timeout=4 * 3600,
		job_id=jobs.job_id(BACKFILL_KEY),
		deduplicate=True,
		enqueue_after_commit=True,
	)


def backfill(batch_size: int = BATCH) -> dict[str, int] | None:
	"""Write the missing keys of every lead, customer and contact in batches, each committed with its
	cursor (a killed run is resumed by crm_app.jobs). Idempotent: a second run writes nothing. Returns
	how many records got keys, per doctype; None when another run holds the lock."""
	return jobs.run_resumable(
		BACKFILL_KEY, BACKFILL_METHOD, {}, lambda run: _backfill(run, max(int(batch_size), 1))
	)


def _backfill(run: "jobs.Run", batch_size: int) -> dict[str, int]:
	rebuild = (frappe.db.get_global(VERSION_GLOBAL) or "") != KEY_VERSION
	doctypes = list(NAME_FIELDS)
	done_doctype, _sep, after = run.cursor.partition("\x1f")
	start = doctypes.index(done_doctype) if done_doctype in doctypes else 0
	keyed: dict[str, int] = {}
	for doctype in doctypes[start:]:
		after = after if doctype == done_doctype else ""
		keyed[doctype] = 0
		while batch := _records(doctype, after, batch_size, only_unkeyed=not rebuild):
			wanted = {row.name: keys_of(doctype, row) for row in batch}
			write_keys(doctype, wanted)
			after = batch[-1].name
			keyed[doctype] += sum(1 for keys in wanted.values() if keys)
			run.save(f"{doctype}\x1f{after}")
			frappe.db.commit()  # nosemgrep: each batch is whole on its own, with its cursor
	frappe.db.set_global(VERSION_GLOBAL, KEY_VERSION)
	return keyed


def _records(doctype: str, after: str, limit: int, only_unkeyed: bool) -> list:
	"""The next records in name order; only those without a key when `only_unkeyed` (an index probe per
	record: a site whose records all have keys is read in seconds)."""
	table, key = frappe.qb.DocType(doctype), frappe.qb.DocType(KEY_DOCTYPE)
	query = (
		frappe.qb.from_(table)
		.select(table.name, *(table[field] for field in NAME_FIELDS[doctype]))
		.where(table.name > after)
		.orderby(table.name)
		.limit(limit)
	)
	if only_unkeyed:
		query = query.where(
			ExistsCriterion(
				frappe.qb.from_(key)
				.select(key.name)
				.where(key.reference_doctype == doctype)
				.where(key.reference_name == table.name)
			).negate()
		)
	return query.run(as_dict=True)


# Look-up
# -------


def key_criterion(doctype: str, prefixes: tuple[tuple[str, ...], ...], name_column) -> Criterion:
	"""`name_column IN (records of `doctype` whose keys match every typed word)`."""
	key = frappe.qb.DocType(KEY_DOCTYPE)
	return name_column.isin(_matching_keys(doctype, prefixes).select(key.reference_name))


def _matching_keys(doctype: str, prefixes: tuple[tuple[str, ...], ...]):
	"""The key rows that match: one range read of the lookup index per prefix of the most selective
	typed word, the other words checked on the record's words in the same index entry."""
	key = frappe.qb.DocType(KEY_DOCTYPE)
	first, *others = _narrowest_first(doctype, prefixes)
	query = (
		frappe.qb.from_(key)
		.where(key.reference_doctype == doctype)
		.where(Criterion.any(key.search_key.like(f"{prefix}%") for prefix in first))
	)
	for alternatives in others:
		query = query.where(
			Criterion.any(
				key.words.like(pattern)
				for prefix in alternatives
				for pattern in (f"{prefix}%", f"% {prefix}%")
			)
		)
	return query


def _narrowest_first(doctype: str, prefixes: tuple[tuple[str, ...], ...]) -> list[tuple[str, ...]]:
	"""The typed words, the one with the fewest keys first: the look-up reads its range. The longest word
	is no guide (first names are long and common): with two words or more, MariaDB's own estimate of
	each word's range (EXPLAIN's index dives, which read no range) decides."""
	if len(prefixes) < 2:
		return list(prefixes)
	sizes = []
	for alternatives in prefixes:
		likes = " or ".join(["`search_key` like %s"] * len(alternatives))
		plan = frappe.db.sql(
			f"explain select 1 from `tabCX Search Key` where `reference_doctype` = %s and ({likes})",
			[doctype, *(f"{prefix}%" for prefix in alternatives)],
			as_dict=True,
		)
		sizes.append(int(plan[0].get("rows") or 0) if plan else 0)
	order = sorted(range(len(prefixes)), key=lambda position: (sizes[position], position))
	return [prefixes[position] for position in order]


def matching_names(
	doctype: str, text: str, limit: int, filters=None, reference_doctype: str | None = None
) -> list[str]:
	"""Names of records whose name matches `text` in any alphabet, among those `frappe.get_list` shows
	the session user with these filters (roles, User Permissions, shares, the app's rules), in key order
	(a word typed whole before longer ones), at most `limit`. [] when the text has nothing to look up."""
	query = lookup_query(doctype, text, limit, filters, reference_doctype)
	if query is None:
		return []
	# A record with two words starting with the same typed prefix comes twice (the query reads a few more).
	return list(dict.fromkeys(query.run(pluck=True)))[:limit]


def lookup_query(doctype: str, text: str, limit: int, filters=None, reference_doctype: str | None = None):
	"""The statement `matching_names` runs; None when there is nothing to look up."""
	prefixes = query_prefixes(text)
	if not prefixes or limit <= 0 or doctype not in NAME_FIELDS:
		return None
	key = frappe.qb.DocType(KEY_DOCTYPE)
	query = (
		_matching_keys(doctype, prefixes)
		.select(key.reference_name)
		.orderby(key.search_key)
		.orderby(key.words)
		.orderby(key.reference_name)
		.limit(limit + min(limit, DUPLICATE_ROOM))
	)
	if filters or not sees_every_record(doctype):
		# What the user may see, as the very statement frappe.get_list would run (not run here: it is
		# the sub-query each key found is checked against, by primary key).
		visible = frappe.get_list(
			doctype,
			filters=filters,
			fields=[f"`tab{doctype}`.`name`"],
			order_by="",
			limit_page_length=0,
			reference_doctype=reference_doctype,
			run=0,
		)
		reference_name = key.reference_name.get_sql(quote_char="`", with_namespace=True)
		query = query.where(RawCriterion(f"{reference_name} in ({visible})"))
	return query


def sees_every_record(doctype: str) -> bool:
	"""Whether `frappe.get_list` adds no condition for the session user: read by role (not through
	shares alone, which get_list adds as a condition of its own), no User Permission, no owner-only
	right, no rule of the app. The key index then answers alone; the records' rows are read only for
	the page shown, through frappe.get_list again."""
	return bool(
		frappe.has_permission(doctype, "read", ignore_share_permissions=True)
		and match_conditions(doctype) is None
	)
