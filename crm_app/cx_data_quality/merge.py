"""Merge duplicates of a lead, customer or contact into one record, and undo a merge.

Why not Frappe's `rename_doc(merge=True)`: it moves links without recording which rows it moved (so a
merge cannot be undone or audited), finds Dynamic Links through a cached map of the doctypes each
field has pointed to (rows written since by SQL or a bulk import can be missed), handles one record at a
time without a choice of values, and leaves child rows (a contact's emails and phones) with the deleted
record. What is reused from Frappe: its discovery of Link fields from the meta (`get_link_fields`, which
includes custom fields and other apps' doctypes), its list of Dynamic Link fields, and its Deleted
Document, which keeps each merged record whole until an undo brings it back under its own name.

One transaction: every reference moved is logged in `CX Merge Log` before the merged records are
deleted; anything still pointing at them then makes Frappe refuse the delete, and nothing is written.
"""

import json

import frappe
from frappe import _
from frappe.model.dynamic_links import get_dynamic_links
from frappe.model.rename_doc import get_link_fields
from frappe.utils import format_datetime, get_fullname, now_datetime
from pypika.terms import PseudoColumn

from crm_app.core.quality.matching import prepare
from crm_app.cx_data_quality.duplicates import GROUP_DOCTYPE, SOURCES, party_of, write_keys
from crm_app.exceptions import ChangedMeanwhileError, MergeRefusedError, MergeUndoRefusedError
from crm_app.server_fields import insert_as_server, save_as_server

LOG_DOCTYPE = "CX Merge Log"
MERGEABLE = tuple(SOURCES)
# References that Frappe keeps in Data fields, not Link or Dynamic Link: (doctype, type field, name field).
DATA_REFERENCES = (
	("File", "attached_to_doctype", "attached_to_name"),
	("Version", "ref_doctype", "docname"),
	("Energy Point Log", "reference_doctype", "reference_name"),
	("Notification Log", "document_type", "document_name"),
	("Email Queue", "reference_doctype", "reference_name"),
)
# The app's own bookkeeping about records: recomputed or kept as history, never moved.
NOT_MOVED = frozenset(
	{"CX Duplicate Key", "CX Duplicate Member", LOG_DOCTYPE, "CX Merge Log Row", "Deleted Document"}
	# a segment keeps one live stay per record: the merged record's stays go with it (on_trash), the
	# kept record stays in its own segments and joins the others at their next resolution
	| {"CX Segment Member"}
)
# Fields a person may take from a merged record; the rest are the system's.
NOT_CHOOSABLE = frozenset(
	{"Table", "Table MultiSelect", "HTML", "Button", "Section Break", "Column Break", "Tab Break", "Fold"}
)


@frappe.whitelist(methods=["POST"])
def merge_records(
	doctype: str,
	keep: str,
	merge: list[str] | str,
	values_from: dict | str | None = None,
	seen_modified: dict | str | None = None,
	duplicate_group: str | None = None,
) -> str:
	"""Merge the `merge` records into `keep`; `values_from` maps a field to the record whose value the
	kept record takes; `seen_modified` (record → its `modified` when the user looked) refuses a merge of
	records someone changed meanwhile. Returns the CX Merge Log."""
	merge = _validate_request(doctype, keep, merge)
	values_from = _as_dict(values_from, "values_from")
	records = _lock_and_check(doctype, [keep, *merge], _as_dict(seen_modified, "seen_modified"))
	survivor = records[keep]
	merged = [records[name] for name in merge]
	_refuse_conflicts(survivor, merged)
	before = _apply_chosen_values(survivor, records, values_from)

	moves = []
	for name in merge:
		moves += _move_references(doctype, name, keep)
	moves += _copy_child_rows(survivor, merged)
	before |= _union_system_columns(survivor, merged)

	deleted = {}
	for record in merged:
		frappe.delete_doc(doctype, record.name, ignore_permissions=True, delete_permanently=False)
		deleted[record.name] = _deleted_document(doctype, record.name)

	survivor.flags.cx_skip_duplicate_check = True
	save_as_server(survivor, ignore_permissions=True)  # rollups recompute from what it now has
	survivor.add_comment(
		"Edit", _("merged {0} into this record").format(", ".join(frappe.bold(n) for n in merge))
	)
	log = _write_log(doctype, keep, merge, moves, deleted, before, duplicate_group)
	if duplicate_group and frappe.db.exists(GROUP_DOCTYPE, duplicate_group):
		frappe.db.set_value(
			GROUP_DOCTYPE,
			duplicate_group,
			{"status": "Merged", "reviewed_by": frappe.session.user, "reviewed_on": now_datetime()},
		)
	return log


@frappe.whitelist()
def merge_preview(doctype: str, names: list[str] | str) -> dict:
	"""What the merge dialog shows: the fields whose values differ between the records, and when each
	record was last changed (sent back with the merge, which refuses records changed meanwhile)."""
	if doctype not in MERGEABLE:
		frappe.throw(_("Only leads, customers and contacts can be merged here."), MergeRefusedError)
	names = _as_list(names)
	if not isinstance(names, list) or not 1 < len(names) <= 20 or not all(isinstance(n, str) for n in names):
		frappe.throw(_("Choose between two and twenty records to merge."), MergeRefusedError)
	docs = [frappe.get_doc(doctype, name) for name in names]
	for doc in docs:
		doc.check_permission("read")
		doc.apply_fieldlevel_read_permissions()
	fields = []
	for df in docs[0].meta.fields:
		if df.fieldtype in NOT_CHOOSABLE or df.read_only or df.hidden:
			continue
		if not docs[0].has_permlevel_access_to(df.fieldname, df, permission_type="write"):
			continue
		values = {doc.name: doc.get(df.fieldname) for doc in docs}
		if len({str(v) for v in values.values() if v not in (None, "", 0)}) > 1:
			fields.append({"fieldname": df.fieldname, "label": _(df.label), "values": values})
	return {
		"fields": fields,
		"modified": {doc.name: str(doc.modified) for doc in docs},
		"titles": {doc.name: doc.get_title() or doc.name for doc in docs},
	}


def _as_list(value) -> list | None:
	"""A list sent as JSON by the desk, a single name, or a list from Python callers."""
	if isinstance(value, str):
		try:
			return frappe.parse_json(value) if value.lstrip().startswith("[") else [value]
		except ValueError:
			return None
	return value


def _as_dict(value, name: str) -> dict:
	"""A dict sent as JSON by the desk, or as a dict by Python callers."""
	if isinstance(value, str):
		try:
			value = frappe.parse_json(value)
		except ValueError:
			value = None
	if value is None:
		return {}
	if not isinstance(value, dict):
		frappe.throw(_("{0} must be a mapping of field to record.").format(name), MergeRefusedError)
	return value


def _validate_request(doctype: str, keep: str, merge) -> list[str]:
	if doctype not in MERGEABLE:
		frappe.throw(
			_("Only leads, customers and contacts can be merged here, not {0}.").format(frappe.bold(doctype)),
			MergeRefusedError,
		)
	merge = _as_list(merge)
	if not isinstance(merge, list) or not merge or not all(isinstance(n, str) and n for n in merge):
		frappe.throw(_("Name the records to merge into {0}.").format(frappe.bold(keep)), MergeRefusedError)
	if keep in merge:
		frappe.throw(
			_("A record cannot be merged into itself ({0}).").format(frappe.bold(keep)), MergeRefusedError
		)
	if len(set(merge)) != len(merge):
		frappe.throw(_("Each record can be merged once."), MergeRefusedError)
	return merge


def _lock_and_check(doctype: str, names: list[str], seen_modified: dict) -> dict:
	"""Lock the rows in one order (two merges of overlapping records wait, never deadlock), then check
	that each exists as this doctype, that the user may change it, and that nobody changed it since the
	user looked."""
	label = _(doctype)
	for name in sorted(names):
		if not frappe.db.get_value(doctype, name, "name", for_update=True):
			frappe.throw(
				_("{0} {1} does not exist; records of another kind cannot be merged into a {0}.").format(
					label, frappe.bold(name)
				),
				frappe.DoesNotExistError,
			)
	records = {name: frappe.get_doc(doctype, name) for name in names}
	for name, record in records.items():
		record.check_permission("write")
		if name != names[0]:
			record.check_permission("delete")
		seen = seen_modified.get(name)
		if seen and str(record.modified) != str(seen):
			frappe.throw(
				_(
					"{0} {1} was changed by {2} at {3}, after you opened the merge. Look at it again, then merge."
				).format(
					label,
					frappe.bold(name),
					get_fullname(record.modified_by),
					format_datetime(record.modified),
				),
				ChangedMeanwhileError,
			)
	return records


# Read-only links that say who a record is elsewhere; the kept record takes them when it has none.
IDENTITY_LINKS = {"CX Customer": ("erpnext_customer", "lead")}


def _refuse_conflicts(survivor, merged) -> None:
	"""Records that belong to different parties elsewhere cannot become one here."""
	if survivor.doctype == "CX Lead" and not survivor.customer:
		converted = next((record for record in merged if record.customer), None)
		if converted:
			frappe.throw(
				_("{0} is converted to customer {1}: keep that lead, and merge the others into it.").format(
					frappe.bold(converted.name), frappe.bold(converted.customer)
				),
				MergeRefusedError,
			)
	for field, message in (
		("customer", _("{0} and {1} were converted to different customers; merge the customers first.")),
		(
			"erpnext_customer",
			_(
				"{0} and {1} are linked to different ERPNext customers. Merge those first (Rename on the ERPNext customer, with Merge with existing, which also moves its ledger entries); the CRM customers then share one and can be merged."
			),
		),
		("user", _("{0} and {1} belong to different users.")),
	):
		if not survivor.meta.has_field(field) and field != "user":
			continue
		for record in merged:
			mine, theirs = survivor.get(field), record.get(field)
			if mine and theirs and mine != theirs:
				frappe.throw(
					message.format(frappe.bold(survivor.name), frappe.bold(record.name)), MergeRefusedError
				)


def _apply_chosen_values(survivor, records: dict, values_from: dict) -> dict:
	"""Take each chosen field's value from the chosen record (never a value sent by the client), and fill
	the kept record's empty fields from the merged ones. Returns the kept record's changed fields as
	they were."""
	before = {}
	for field, source in values_from.items():
		df = survivor.meta.get_field(field) if isinstance(field, str) else None
		if (
			not df
			or df.fieldtype in NOT_CHOOSABLE
			or df.read_only
			or df.hidden
			or source not in records
			or not survivor.has_permlevel_access_to(df.fieldname, df, permission_type="write")
		):
			frappe.throw(
				_("The value of {0} cannot be taken from {1}.").format(
					frappe.bold(str(field)), frappe.bold(str(source))
				),
				MergeRefusedError,
			)
		value = records[source].get(field)
		if survivor.get(field) != value:
			before.setdefault(field, survivor.get(field))
			survivor.set(field, value)
	for field in IDENTITY_LINKS.get(survivor.doctype, ()):
		source = next((r for r in records.values() if r.name != survivor.name and r.get(field)), None)
		if survivor.meta.has_field(field) and not survivor.get(field) and source:
			before[field] = None
			survivor.set(field, source.get(field))
	for df in survivor.meta.fields:
		if df.fieldtype in NOT_CHOOSABLE or df.read_only or df.hidden or df.fieldname in values_from:
			continue
		if not survivor.has_permlevel_access_to(df.fieldname, df, permission_type="write"):
			continue
		if survivor.get(df.fieldname):
			continue
		for record in records.values():
			if record.name != survivor.name and record.get(df.fieldname):
				before.setdefault(df.fieldname, survivor.get(df.fieldname))
				survivor.set(df.fieldname, record.get(df.fieldname))
				break
	return before


def _move_references(doctype: str, old: str, new: str) -> list[tuple]:
	"""Point every reference to `old` at `new`, and return what moved: (doctype, row, field, old, kind)."""
	moves = []

	def move(table: str, field: str, kind: str, type_field: str | None = None) -> None:
		if table in NOT_MOVED or not frappe.db.table_exists(table):
			return
		ref = frappe.qb.DocType(table)
		condition = ref[field] == old
		if type_field:
			condition &= ref[type_field] == doctype
		rows = frappe.qb.from_(ref).select(ref.name).where(condition).run(pluck=True)
		if rows:
			frappe.qb.update(ref).set(ref[field], new).where(ref.name.isin(rows)).run()
			moves.extend((table, row, field, old, kind) for row in rows)

	for link in get_link_fields(doctype):
		if not link.get("issingle"):
			move(link["parent"], link["fieldname"], "Link")
	for link in get_dynamic_links():
		if not frappe.get_meta(link.parent).issingle:
			move(link.parent, link.fieldname, "Dynamic Link", type_field=link.options)
	for table, type_field, field in DATA_REFERENCES:
		move(table, field, "Reference", type_field=type_field)
	return moves


def _copy_child_rows(survivor, merged) -> list[tuple]:
	"""A contact's emails, phones and links go with it into the kept record, once each; the merged
	record's own rows stay in its Deleted Document for an undo."""
	moves = []
	for table in survivor.meta.get_table_fields():
		child_meta = frappe.get_meta(table.options)
		compared = [df.fieldname for df in child_meta.fields if df.fieldtype not in NOT_CHOOSABLE]
		flags = [
			df.fieldname
			for df in child_meta.fields
			if df.fieldtype == "Check" and df.fieldname.startswith("is_primary")
		]
		have = {tuple(row.get(f) for f in compared) for row in survivor.get(table.fieldname)}
		for record in merged:
			for row in record.get(table.fieldname):
				values = {f: row.get(f) for f in compared}
				if tuple(values.values()) in have:
					continue
				have.add(tuple(values.values()))
				for flag in flags:  # the kept record's primary email or phone stays primary
					if values.get(flag) and any(r.get(flag) for r in survivor.get(table.fieldname)):
						values[flag] = 0
				copy = survivor.append(table.fieldname, values)
				copy.name = frappe.generate_hash(length=10)
				moves.append((table.options, copy.name, "parent", record.name, "Child Copy"))
	return moves


def _union_system_columns(survivor, merged) -> dict:
	"""Tags and assignees of the merged records join the kept record's."""
	before = {}
	for column in ("_user_tags", "_assign"):
		current = survivor.get(column)
		if column == "_user_tags":
			tags = [t for t in (current or "").split(",") if t]
			for record in merged:
				tags += [t for t in (record.get(column) or "").split(",") if t and t not in tags]
			combined = ",".join(tags) if tags else current
		else:
			open_todos = frappe.get_all(
				"ToDo",
				filters={
					"reference_type": survivor.doctype,
					"reference_name": survivor.name,
					"status": "Open",
				},
				pluck="allocated_to",
			)
			combined = json.dumps(sorted(set(open_todos))) if open_todos else current
		if combined != current:
			before[column] = current
			frappe.db.set_value(survivor.doctype, survivor.name, column, combined, update_modified=False)
			survivor.set(column, combined)
	return before


def _deleted_document(doctype: str, name: str) -> str:
	return frappe.db.get_value(
		"Deleted Document",
		{"deleted_doctype": doctype, "deleted_name": name},
		"name",
		order_by="creation desc",
	)


def _write_log(doctype, keep, merge, moves, deleted, before, duplicate_group) -> str:
	log = insert_as_server(
		frappe.get_doc(
			{
				"doctype": LOG_DOCTYPE,
				"record_doctype": doctype,
				"survivor": keep,
				"merged_records": "\n".join(merge),
				"status": "Merged",
				"duplicate_group": duplicate_group
				if duplicate_group and frappe.db.exists(GROUP_DOCTYPE, duplicate_group)
				else None,
				"merged_by": frappe.session.user,
				"merged_on": now_datetime(),
				"moved_count": len(moves),
				"deleted_documents": json.dumps(deleted, indent=1),
				"survivor_before": json.dumps(before, indent=1, default=str),
				"survivor_modified": frappe.db.get_value(doctype, keep, "modified"),
			}
		),
		ignore_permissions=True,
	)
	rows = [
		(PseudoColumn("uuid()"), log.name, "moves", LOG_DOCTYPE, index, table, row, field, old, kind)
		for index, (table, row, field, old, kind) in enumerate(moves, start=1)
	]
	frappe.db.bulk_insert(
		"CX Merge Log Row",
		(
			"name",
			"parent",
			"parentfield",
			"parenttype",
			"idx",
			"ref_doctype",
			"ref_name",
			"fieldname",
			"old_value",
			"kind",
		),
		rows,
		chunk_size=5_000,
	)
	return log.name


# Undo
# ----


@frappe.whitelist(methods=["POST"])
def undo_merge(merge_log: str) -> str:
	"""Bring the merged records back under their own names and point every moved reference at them
	again; the kept record gets its earlier values back. Refused if the kept record changed since."""
	log = frappe.get_doc(LOG_DOCTYPE, merge_log)
	log.check_permission("write")
	if log.status != "Merged":
		frappe.throw(_("This merge was undone already."), MergeUndoRefusedError)
	doctype, keep = log.record_doctype, log.survivor
	frappe.db.get_value(doctype, keep, "name", for_update=True)  # one undo at a time
	survivor = frappe.get_doc(doctype, keep)
	survivor.check_permission("write")
	if str(survivor.modified) != str(log.survivor_modified):
		frappe.throw(
			_(
				"{0} was changed by {1} at {2}, after the merge; undoing it now would lose that change. Copy what you need from the merged records' Deleted Documents instead."
			).format(
				frappe.bold(keep), get_fullname(survivor.modified_by), format_datetime(survivor.modified)
			),
			MergeUndoRefusedError,
		)
	for name, deleted in json.loads(log.deleted_documents or "{}").items():
		_restore(doctype, name, deleted)
	_move_back(log.name, keep)
	survivor.reload()
	for field, value in json.loads(log.survivor_before or "{}").items():
		if field.startswith("_"):
			frappe.db.set_value(doctype, keep, field, value, update_modified=False)
		else:
			survivor.set(field, value)
	survivor.flags.cx_skip_duplicate_check = True
	save_as_server(survivor, ignore_permissions=True)
	survivor.add_comment("Edit", _("undid the merge of {0}").format(log.merged_records.replace("\n", ", ")))
	log.db_set({"status": "Undone", "undone_by": frappe.session.user, "undone_on": now_datetime()})
	if log.duplicate_group and frappe.db.exists(GROUP_DOCTYPE, log.duplicate_group):
		frappe.db.set_value(GROUP_DOCTYPE, log.duplicate_group, "status", "Open")
	return log.name


def _restore(doctype: str, name: str, deleted_document: str) -> None:
	"""The record back exactly as it was deleted, children included, under its own name. Written row by
	row rather than inserted: an insert would run Assignment Rules, notifications and lookups again as if
	the record were new. What follows a record's existence (the desk's tallies, its duplicate keys) is
	brought up to date."""
	if frappe.db.exists(doctype, name):
		frappe.throw(
			_("{0} {1} exists again; the merge cannot be undone over it.").format(
				_(doctype), frappe.bold(name)
			),
			MergeUndoRefusedError,
		)
	deleted = frappe.get_doc("Deleted Document", deleted_document)
	doc = frappe.get_doc(json.loads(deleted.data))
	doc.db_insert()
	for child in doc.get_all_children():
		child.db_insert()
	doc.run_method("on_change")
	write_keys(doctype, [prepare(party_of(doc))])
	deleted.db_set({"restored": 1, "new_name": name})


def _move_back(log_name: str, keep: str) -> None:
	rows = frappe.get_all(
		"CX Merge Log Row",
		filters={"parent": log_name, "parenttype": LOG_DOCTYPE},
		fields=["ref_doctype", "ref_name", "fieldname", "old_value", "kind"],
		order_by="idx desc",
	)
	for row in rows:
		ref = frappe.qb.DocType(row.ref_doctype)
		if row.kind == "Child Copy":
			frappe.qb.from_(ref).delete().where(ref.name == row.ref_name).where(ref.parent == keep).run()
		else:
			frappe.qb.update(ref).set(ref[row.fieldname], row.old_value).where(
				ref.name == row.ref_name
			).where(ref[row.fieldname] == keep).run()
