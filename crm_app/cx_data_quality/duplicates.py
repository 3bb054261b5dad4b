"""Duplicates of leads, customers and contacts: the live warning on save, the keys it reads, the bulk scan.

The algorithm is crm_app/core/quality (no frappe); this module reads records into `Party` objects,
keeps `CX Duplicate Key` current, and turns the scan's groups into `CX Duplicate Group` rows to review.
"""

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterator

import frappe
from frappe import _
from frappe.utils import escape_html, get_link_to_form, now_datetime
from pypika.terms import PseudoColumn

from crm_app.core.quality.matching import Party, Prepared, find_duplicates, matches_for, prepare
from crm_app.exceptions import DuplicateRecordError

KEY_DOCTYPE = "CX Duplicate Key"
GROUP_DOCTYPE = "CX Duplicate Group"
SCAN_JOB_ID = "crm_app:duplicate-scan"
BATCH = 5_000
# The live check reads at most this many records per key (a common name is shared by thousands) and
# scores at most LIVE_CANDIDATE_LIMIT of them, those sharing the most keys with the record saved.
LIVE_KEY_LIMIT = 10
LIVE_CANDIDATE_LIMIT = 10


# Reading records as parties
# --------------------------


def _lead_party(row) -> Party:
	person = " ".join(filter(None, (row.first_name, row.last_name))) or (row.lead_name or "")
	if person == (row.organization_name or ""):
		person = ""  # a lead known by its organisation only
	return Party(
		ref=row.name,
		person=person,
		organisation=row.organization_name or "",
		emails=(row.email,) if row.email else (),
		phones=tuple(filter(None, (row.mobile_no, row.phone))),
		city=row.city or "",
	)


def _customer_party(row) -> Party:
	individual = row.customer_type == "Individual"
	return Party(
		ref=row.name,
		person=row.customer_name if individual else "",
		organisation="" if individual else row.customer_name,
		emails=(row.email_id,) if row.email_id else (),
		phones=(row.mobile_no,) if row.mobile_no else (),
	)


def _contact_party(row, emails=(), phones=()) -> Party:
	return Party(
		ref=row.name,
		person=" ".join(filter(None, (row.first_name, row.middle_name, row.last_name))),
		organisation=row.company_name or "",
		emails=tuple(dict.fromkeys(filter(None, (row.email_id, *emails)))),
		phones=tuple(dict.fromkeys(filter(None, (row.mobile_no, row.phone, *phones)))),
	)


SOURCES = {
	"CX Lead": (
		("first_name", "last_name", "lead_name", "organization_name", "email", "mobile_no", "phone", "city"),
		_lead_party,
	),
	"CX Customer": (("customer_name", "customer_type", "email_id", "mobile_no"), _customer_party),
	"Contact": (
		("first_name", "middle_name", "last_name", "company_name", "email_id", "mobile_no", "phone"),
		_contact_party,
	),
}
WATCHED_FIELDS = {doctype: fields for doctype, (fields, _) in SOURCES.items()}


def party_of(doc) -> Party:
	"""A document being saved, as the detector reads it."""
	fields, build = SOURCES[doc.doctype]
	row = frappe._dict({field: doc.get(field) for field in fields}, name=doc.name or "")
	if doc.doctype == "Contact":
		return build(
			row,
			emails=[entry.email_id for entry in doc.get("email_ids") or []],
			phones=[entry.phone for entry in doc.get("phone_nos") or []],
		)
	return build(row)


def parties(doctype: str, names: list[str] | None = None, after: str = "", limit: int = BATCH) -> list[Party]:
	"""Records of a doctype as parties: the named ones, or a batch in name order after `after`."""
	fields, build = SOURCES[doctype]
	if names is not None and not names:
		return []
	table = frappe.qb.DocType(doctype)
	query = frappe.qb.from_(table).select(table.name, *(table[field] for field in fields)).orderby(table.name)
	if names is not None:
		query = query.where(table.name.isin(names))
	else:
		query = query.where(table.name > after).limit(limit)
	rows = query.run(as_dict=True)
	if doctype != "Contact" or not rows:
		return [build(row) for row in rows]
	wanted = [row.name for row in rows]
	emails, phones = defaultdict(list), defaultdict(list)
	for entry in frappe.get_all(
		"Contact Email",
		filters={"parent": ("in", wanted), "parenttype": "Contact"},
		fields=["parent", "email_id"],
	):
		emails[entry.parent].append(entry.email_id)
	for entry in frappe.get_all(
		"Contact Phone",
		filters={"parent": ("in", wanted), "parenttype": "Contact"},
		fields=["parent", "phone"],
	):
		phones[entry.parent].append(entry.phone)
	return [build(row, emails[row.name], phones[row.name]) for row in rows]


# Keys
# ----


def write_keys(doctype: str, records: list[Prepared]) -> None:
	"""Bring the stored keys of these records to their current ones, touching only the keys that changed.

	The stored keys are read without locks and stale ones deleted by primary key: a DELETE by record
	would lock the index gap where a new record's keys go, and two leads saved at once then deadlocked
	on each other's gap (the load test found it). Most saves change no key and write nothing."""
	if not records:
		return
	key = frappe.qb.DocType(KEY_DOCTYPE)
	names = [record.ref for record in records]
	stored: dict[tuple[str, str], list[str]] = defaultdict(list)
	for name, record_name, match_key in (
		frappe.qb.from_(key)
		.select(key.name, key.record_name, key.match_key)
		.where(key.record_doctype == doctype)
		.where(key.record_name.isin(names))
		.run()
	):
		stored[(record_name, match_key)].append(name)
	wanted = {(record.ref, match_key) for record in records for match_key in record.lookup_keys}
	stale = [
		name
		for pair, stored_names in stored.items()
		for index, name in enumerate(stored_names)
		if pair not in wanted or index > 0  # a key stored twice keeps one row
	]
	if stale:
		frappe.qb.from_(key).delete().where(key.name.isin(stale)).run()
	# Frappe names an autoincrement doctype's rows from a sequence it creates without a cache, one write
	# per row: too slow for millions of keys. UUID_SHORT() is MariaDB's increasing 64-bit number, unique on
	# the server and far above any value the sequence will reach.
	next_name = PseudoColumn("uuid_short()")
	rows = [
		(next_name, doctype, record.ref, match_key)
		for record in records
		for match_key in dict.fromkeys(record.lookup_keys)
		if (record.ref, match_key) not in stored
	]
	if rows:
		frappe.db.bulk_insert(
			KEY_DOCTYPE, ("name", "record_doctype", "record_name", "match_key"), rows, chunk_size=10_000
		)


def forget_keys(doc, method=None) -> None:
	"""doc_events on_trash: a deleted record is nobody's duplicate; open groups with it go (the next scan
	files what is left of them), reviewed ones stay as history."""
	key = frappe.qb.DocType(KEY_DOCTYPE)
	frappe.qb.from_(key).delete().where(key.record_doctype == doc.doctype).where(
		key.record_name == doc.name
	).run()
	member = frappe.qb.DocType("CX Duplicate Member")
	group = frappe.qb.DocType(GROUP_DOCTYPE)
	open_groups = (
		frappe.qb.from_(member)
		.join(group)
		.on(group.name == member.parent)
		.select(group.name)
		.where(member.record_doctype == doc.doctype)
		.where(member.record_name == doc.name)
		.where(group.status == "Open")
		.run(pluck=True)
	)
	_drop_stale_groups(open_groups)


def refresh_keys(doc, method=None) -> None:
	"""doc_events on_update: keep the record's keys current when what they are made of changed."""
	if not _watched_fields_changed(doc):
		return
	write_keys(doc.doctype, [prepare(party_of(doc))])


def _watched_fields_changed(doc) -> bool:
	if doc.is_new() or not doc.get_doc_before_save():
		return True
	if any(doc.has_value_changed(field) for field in WATCHED_FIELDS[doc.doctype]):
		return True
	if doc.doctype == "Contact":
		before = doc.get_doc_before_save()
		return _contact_channels(before) != _contact_channels(doc)
	return False


def _contact_channels(doc) -> tuple:
	return (
		sorted(entry.email_id or "" for entry in doc.get("email_ids") or []),
		sorted(entry.phone or "" for entry in doc.get("phone_nos") or []),
	)


# The live check
# --------------


def possible_duplicates(doc) -> list[tuple[Prepared, object]]:
	"""Records of the same doctype that the saved values match, best first (no permission applied)."""
	record = prepare(party_of(doc))
	if not record.lookup_keys:
		return []
	shared = Counter()
	for key, name in _records_with_keys(doc.doctype, record.lookup_keys):
		if name != (doc.name or ""):
			# A shared mailbox or phone says far more than a shared name, which thousands may carry.
			shared[name] += KEY_WEIGHT.get(key[:2], 1)
	if not shared:
		return []
	# Records that share the most keys first: the likely ones, when a common name is shared by many.
	names = [name for name, _count in shared.most_common(LIVE_CANDIDATE_LIMIT)]
	candidates = [prepare(party) for party in parties(doc.doctype, names=names)]
	return matches_for(record, candidates)


KEY_WEIGHT = {"e:": 4, "p:": 4, "c:": 2}


def _records_with_keys(doctype: str, keys) -> list[tuple[str, str]]:
	"""One indexed range read per key, each capped, in one statement: a common name costs no more than a
	rare one."""
	per_key = "(select match_key, record_name from `tabCX Duplicate Key` where match_key = %s and record_doctype = %s limit %s)"
	values = []
	for key in keys:
		values += [key, doctype, LIVE_KEY_LIMIT]
	return frappe.db.sql(" union all ".join([per_key] * len(keys)), values)


def warn_on_save(doc, method=None) -> None:
	"""doc_events validate: tell the user, before the record is saved, that it may be there already.
	A row of a Data Import that matches is refused instead (its row in the import log says which record
	it matches), unless CX Data Quality Settings let imports bring duplicates in."""
	if frappe.flags.in_install or frappe.flags.in_migrate or frappe.flags.in_patch:
		return
	if frappe.flags.cx_skip_duplicate_check or doc.flags.cx_skip_duplicate_check:
		return
	if not _watched_fields_changed(doc):
		return
	found = possible_duplicates(doc)
	if not found:
		return
	if frappe.flags.in_import and _refuse_duplicates_on_import():
		frappe.throw(
			_("Not imported: this row may be a record that is already here.")
			+ f"<ul>{''.join(describe_matches(doc.doctype, found))}</ul>"
			+ _("Merge them, or let imports bring duplicates in (CX Data Quality Settings) and merge later."),
			DuplicateRecordError,
			title=_("Possible Duplicate"),
		)
	frappe.msgprint(
		_("This may be a record that is already here:")
		+ f"<ul>{''.join(describe_matches(doc.doctype, found))}</ul>",
		title=_("Possible Duplicate"),
		indicator="orange",
	)


def _refuse_duplicates_on_import() -> bool:
	setting = frappe.db.get_single_value("CX Data Quality Settings", "duplicates_on_import")
	return (setting or "Refuse") == "Refuse"


def describe_matches(doctype: str, found) -> list[str]:
	"""The matches as list items: a record is named and linked only if the user may read it; the
	others are counted without a name."""
	names = [other.ref for other, _ in found]
	title_field = TITLE_FIELDS[doctype]
	readable = {
		row.name: row.get(title_field) or row.name
		for row in frappe.get_list(
			doctype, filters={"name": ("in", names)}, fields=["name", title_field], limit=len(names)
		)
	}
	items = [
		f"<li>{get_link_to_form(doctype, other.ref, escape_html(readable[other.ref]))}: "
		f"{escape_html(describe_reasons(match.reasons))} ({round(match.score * 100)}%)</li>"
		for other, match in found
		if other.ref in readable
	]
	hidden = len(names) - len(items)
	if hidden:
		items.append("<li>" + _("{0} more that you may not open").format(hidden) + "</li>")
	return items


TITLE_FIELDS = {"CX Lead": "lead_name", "CX Customer": "customer_name", "Contact": "full_name"}


def describe_reasons(codes) -> str:
	"""The detector's reason codes in the user's language."""
	words = {
		"same_name": _("same name"),
		"same_email": _("same email"),
		"same_phone": _("same phone"),
		"same_company": _("same company"),
		"same_city": _("same city"),
	}
	described = []
	for code in codes:
		kind, _sep, value = code.partition(":")
		described.append(
			_("similar name ({0}%)").format(value) if kind == "similar_name" else words.get(kind, kind)
		)
	return ", ".join(described)


# The bulk scan
# -------------


@frappe.whitelist(methods=["POST"])
def start_scan() -> dict:
	"""Queue a scan of every lead, customer and contact; one at a time per site."""
	frappe.has_permission(GROUP_DOCTYPE, "write", throw=True)
	frappe.enqueue(
		"crm_app.cx_data_quality.duplicates.run_scan",
		queue="long",
		timeout=4 * 3600,
		job_id=SCAN_JOB_ID,
		deduplicate=True,
	)
	return {"queued": True}


def run_scan(doctypes: tuple[str, ...] = tuple(SOURCES)) -> dict[str, int]:
	"""Read every record in batches (refreshing its keys), find the groups, file the new ones for review."""
	found = {}
	for step, doctype in enumerate(doctypes):
		prepared, parties_by_ref = [], {}
		for party, record in _prepare_all(doctype, step, len(doctypes)):
			prepared.append(record)
			parties_by_ref[party.ref] = party
		_progress(step + 0.8, len(doctypes), _("Comparing {0}").format(_(doctype)))
		groups = find_duplicates((), prepared=prepared)
		found[doctype] = _file_groups(doctype, groups, parties_by_ref)
		frappe.db.commit()  # nosemgrep: each doctype's groups are complete on their own
	_progress(len(doctypes), len(doctypes), _("Done"))
	return found


def _prepare_all(doctype: str, step: int, steps: int) -> Iterator[tuple[Party, Prepared]]:
	total = frappe.db.count(doctype) or 1
	after, done = "", 0
	while batch := parties(doctype, after=after):
		prepared = [prepare(party) for party in batch]
		write_keys(doctype, prepared)
		frappe.db.commit()  # nosemgrep: keys are rebuilt batch by batch, each batch whole
		yield from zip(batch, prepared, strict=True)
		after, done = batch[-1].ref, done + len(batch)
		_progress(step + 0.8 * min(done / total, 1), steps, _("Reading {0}: {1}").format(_(doctype), done))


def _progress(done: float, total: int, description: str) -> None:
	frappe.publish_progress(
		done * 100 / total, title=_("Finding duplicates"), description=description, task_id=SCAN_JOB_ID
	)


def fingerprint(doctype: str, refs) -> str:
	return hashlib.sha1("\x1f".join([doctype, *sorted(refs)]).encode()).hexdigest()


def _file_groups(doctype: str, groups, parties_by_ref: dict[str, Party]) -> int:
	"""Insert the groups not filed before; drop open ones the scan no longer finds. Reviewed ones stay."""
	existing = {
		row.fingerprint: row
		for row in frappe.get_all(
			GROUP_DOCTYPE, filters={"record_doctype": doctype}, fields=["name", "fingerprint", "status"]
		)
	}
	dismissed_members = _dismissed_members(doctype)
	stamp = {"creation": now_datetime(), "modified": now_datetime()}
	stamp |= {"owner": frappe.session.user, "modified_by": frappe.session.user}
	group_rows, member_rows, found = [], [], set()
	for group in groups:
		key = fingerprint(doctype, group.refs)
		found.add(key)
		if key in existing or _all_dismissed_together(group.refs, dismissed_members):
			continue
		name = key[:12]
		members = [parties_by_ref[ref] for ref in group.refs]
		group_rows.append(
			{
				**stamp,
				"name": name,
				"title": _group_title([_title(party) for party in members]),
				"record_doctype": doctype,
				"status": "Open",
				"match_score": group.score * 100,
				"size": len(members),
				"detected_on": stamp["creation"],
				"fingerprint": key,
				"reasons": describe_reasons(_group_reasons(group.pairs)),
			}
		)
		best = _best_match_per_record(group.pairs)
		member_rows.extend(
			{
				**stamp,
				"name": frappe.generate_hash(length=12),
				"parent": name,
				"parentfield": "members",
				"parenttype": GROUP_DOCTYPE,
				"idx": index,
				"record_doctype": doctype,
				"record_name": party.ref,
				"title": _title(party),
				"email": ", ".join(party.emails),
				"phone": ", ".join(party.phones),
				"match_score": best[party.ref].score * 100,
				"reasons": describe_reasons(best[party.ref].reasons),
			}
			for index, party in enumerate(members, start=1)
		)
	for doctype_name, rows in ((GROUP_DOCTYPE, group_rows), ("CX Duplicate Member", member_rows)):
		if rows:
			fields = list(rows[0])
			frappe.db.bulk_insert(
				doctype_name, fields, [[row[f] for f in fields] for row in rows], chunk_size=5_000
			)
	_drop_stale_groups(
		[row.name for key, row in existing.items() if row.status == "Open" and key not in found]
	)
	return len(group_rows)


def _drop_stale_groups(names: list[str]) -> None:
	for start in range(0, len(names), 1_000):
		chunk = names[start : start + 1_000]
		frappe.db.delete("CX Duplicate Member", {"parent": ("in", chunk), "parenttype": GROUP_DOCTYPE})
		frappe.db.delete(GROUP_DOCTYPE, {"name": ("in", chunk)})


def _title(party: Party) -> str:
	return party.person or party.organisation or party.ref


def _best_match_per_record(pairs) -> dict:
	best = {}
	for left, right, match in pairs:
		for ref in (left, right):
			if ref not in best or match.score > best[ref].score:
				best[ref] = match
	return best


def _group_reasons(pairs) -> list[str]:
	"""What the group's pairs share; of name similarities, the weakest."""
	codes = {code for _, _, match in pairs for code in match.reasons}
	similar = [code for code in codes if code.startswith("similar_name:")]
	weakest = min(similar, key=lambda code: int(code.split(":")[1]), default=None)
	return sorted(code for code in codes if not code.startswith("similar_name:")) + (
		[weakest] if weakest else []
	)


def _group_title(titles: list[str]) -> str:
	first = titles[0]
	return first if len(titles) == 1 else _("{0} and {1} more").format(first, len(titles) - 1)


def _dismissed_members(doctype: str) -> dict[str, set[str]]:
	"""Record → every record a reviewer said is a different party from it."""
	rows = frappe.get_all(
		"CX Duplicate Member",
		filters={"parenttype": GROUP_DOCTYPE, "parent": ("in", _group_names(doctype, "Dismissed"))},
		fields=["parent", "record_name"],
	)
	by_group = defaultdict(set)
	for row in rows:
		by_group[row.parent].add(row.record_name)
	result = defaultdict(set)
	for members in by_group.values():
		for member in members:
			result[member] |= members
	return result


def _group_names(doctype: str, status: str) -> list[str]:
	return frappe.get_all(
		GROUP_DOCTYPE, filters={"record_doctype": doctype, "status": status}, pluck="name"
	) or [""]


def _all_dismissed_together(refs: list[str], dismissed: dict[str, set[str]]) -> bool:
	return bool(dismissed) and all(set(refs) <= dismissed.get(ref, set()) for ref in refs)


# Review
# ------


@frappe.whitelist(methods=["POST"])
def review_group(name: str, decision: str) -> str:
	"""Confirm a group (they are one party) or dismiss it (they are not: the scan will not file it again)."""
	group = frappe.get_doc(GROUP_DOCTYPE, name)
	group.check_permission("write")
	status = {"confirm": "Confirmed", "dismiss": "Dismissed", "reopen": "Open"}.get(decision)
	if not status:
		frappe.throw(_("Unknown decision {0}.").format(escape_html(decision)), frappe.ValidationError)
	if group.status == "Merged":
		frappe.throw(_("This group is merged already."), frappe.ValidationError)
	group.db_set({"status": status, "reviewed_by": frappe.session.user, "reviewed_on": now_datetime()})
	return status
