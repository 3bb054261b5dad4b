"""Segment resolution at scale, printed (never asserted): a segment over a million Contacts.

Run with the bench's python on a site of its own that has crm_app (it adds a million contacts):
	CRM_APP_SITE=bench-mkt.localhost ~/frappe-bench/env/bin/python benchmarks/marketing_segments.py \
		[--contacts 1000000] [--plans]

Seeds --contacts Contacts with `crm_app.demo.bulk_load` (fixed names BENCH-CONTACT-0000001..., so a second
run only tops up): first/last/full name, email_id (the column segments read; no Contact Email rows, which
segments do not use), gender Female/Male alternating, company "Company <i % 1000>" and one of ten
designations by i % 10 (Intern for i % 10 == 0). Every run first puts the designations back to that
state, deletes the segments earlier runs left (and waits --settle seconds for InnoDB to purge their rows),
and makes a new segment "Bench Contacts not Interns <timestamp>" (Contact, rule designation != Intern:
nine in ten contacts match), left on the site for a look in the desk.

Prints:
1. The live count (`rules.count_matching` as Administrator, through frappe.get_list) in seconds.
2. The first resolution (every match joins: INSERT ... SELECT of ~900,000 members): seconds, rows/s.
3. The second resolution after 1% of the contacts changed (half of them become Interns and leave, the
   Interns among them stop being Interns and join): seconds, joined, left.
4. Under each resolution, the seconds of each statement it sent (captured from frappe.db.sql) and, with
   --plans, MariaDB's plan of it (EXPLAIN, replayed with the same parameters): the live count before
   (the members after are that count - left + joined), the UPDATE of the leavers (picked from the
   segment's index, joined to their records by primary key), the INSERT ... SELECT of the joiners.
Before the resolutions: MariaDB's version, innodb_buffer_pool_size (the server's, shared by its sites) and
the member table's indexes.
Goal: the resolution of a segment over 1,000,000 contacts under 5 s.
"""

import argparse
import json
import os
import time

import frappe
from frappe.query_builder.functions import Max
from frappe.utils import now_datetime

SEGMENT_NAME = "Bench Contacts not Interns"
PREFIX = "BENCH-CONTACT-"
DESIGNATIONS = (
	"Intern",
	"Manager",
	"Director",
	"Engineer",
	"Analyst",
	"Designer",
	"Sales",
	"Support",
	"Buyer",
	"Owner",
)
FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Ken", "Margaret", "Linus", "Radia")
LAST = (
	"Lovelace",
	"Hopper",
	"Turing",
	"Dijkstra",
	"Liskov",
	"Knuth",
	"Thompson",
	"Hamilton",
	"Torvalds",
	"Perlman",
)
FIELDS = (
	"name",
	"first_name",
	"last_name",
	"full_name",
	"email_id",
	"gender",
	"company_name",
	"designation",
	"status",
	"creation",
	"modified",
	"owner",
	"modified_by",
)


def contact_name(i: int) -> str:
	return f"{PREFIX}{i:07d}"


def contact_rows(first: int, count: int, now):
	for i in range(first, first + count):
		given, family = FIRST[i % 10], LAST[(i // 10) % 10]
		yield (
			contact_name(i),
			given,
			family,
			f"{given} {family}",
			f"{given.lower()}.{family.lower()}.{i}@example.com",
			"Female" if i % 2 else "Male",
			f"Company {i % 1000}",
			DESIGNATIONS[i % 10],
			"Passive",
			now,
			now,
			"Administrator",
			"Administrator",
		)


def seed(total: int) -> None:
	from crm_app.demo import bulk_load, index_chunks

	for gender in ("Female", "Male"):
		if not frappe.db.exists("Gender", gender):
			frappe.get_doc({"doctype": "Gender", "gender": gender}).insert(ignore_permissions=True)
	existing = frappe.db.count("Contact", {"name": ("like", f"{PREFIX}%")})
	if existing >= total:
		print(f"Contacts: {existing:,} already there")
		return
	start = time.perf_counter()
	now = now_datetime()
	inserted = bulk_load(
		"Contact",
		FIELDS,
		(contact_rows(first, count, now) for first, count in index_chunks(existing + 1, total)),
		say=print,
		total=total - existing,
	)
	print(f"Contacts: seeded {inserted:,} in {time.perf_counter() - start:.1f} s")


def reset_designations(total: int) -> None:
	"""Every bench contact back to DESIGNATIONS[i % 10]: only the rows a previous run changed."""
	contact = frappe.qb.DocType("Contact")
	changed = (
		frappe.qb.from_(contact)
		.select(contact.name, contact.designation)
		.where(contact.name.like(f"{PREFIX}%") & (contact.modified_by == "bench-changed"))
		.run()
	)
	by_designation: dict[str, list[str]] = {}
	for name, _designation in changed:
		by_designation.setdefault(DESIGNATIONS[int(name[len(PREFIX) :]) % 10], []).append(name)
	for designation, names in by_designation.items():
		for start in range(0, len(names), 5000):
			frappe.qb.update(contact).set(contact.designation, designation).set(
				contact.modified_by, "Administrator"
			).where(contact.name.isin(names[start : start + 5000])).run()
	frappe.db.commit()
	if changed:
		print(f"Reset {len(changed):,} contacts changed by the previous run")


def change_one_percent(total: int) -> tuple[int, int]:
	"""1% of the contacts change: half of them (not Interns) become Interns, the Interns among the others
	stop being Interns. Returns (expected leavers, expected joiners)."""
	contact = frappe.qb.DocType("Contact")
	step = 100
	to_intern = [contact_name(i) for i in range(1, total + 1, step * 2) if i % 10]
	from_intern = [contact_name(i) for i in range(10, total + 1, step * 2) if not i % 10]
	for start in range(0, len(to_intern), 5000):
		frappe.qb.update(contact).set(contact.designation, "Intern").set(
			contact.modified_by, "bench-changed"
		).where(contact.name.isin(to_intern[start : start + 5000])).run()
	for start in range(0, len(from_intern), 5000):
		frappe.qb.update(contact).set(contact.designation, "Manager").set(
			contact.modified_by, "bench-changed"
		).where(contact.name.isin(from_intern[start : start + 5000])).run()
	frappe.db.commit()
	return len(to_intern), len(from_intern)


def drop_segment(name: str) -> None:
	from crm_app.cx_marketing import segments

	start = time.perf_counter()
	key = segments.segment_key(name)
	m = frappe.qb.DocType("CX Segment Member")
	up_to = frappe.qb.from_(m).select(Max(m.name)).where(m.segment_key == key).run()[0][0]
	deleted = segments.delete_stays(name, up_to, segment_key=key) if up_to else 0
	frappe.delete_doc("CX Segment", name, ignore_permissions=True)
	frappe.db.commit()
	print(f"Deleted segment {name} and its {deleted:,} stays in {time.perf_counter() - start:.1f} s")


def fresh_segment(settle: float) -> str:
	"""A segment of its own name each run: a million index entries of a deleted namesake, not yet purged
	by InnoDB, would sit in the very index range the resolution reads."""
	leftovers = frappe.get_all(
		"CX Segment", filters={"segment_name": ("like", f"{SEGMENT_NAME}%")}, pluck="name"
	)
	for name in leftovers:
		drop_segment(name)
	if leftovers:
		wait_for_purge(settle=settle)
	doc = frappe.get_doc(
		{
			"doctype": "CX Segment",
			"segment_name": f"{SEGMENT_NAME} {now_datetime():%Y%m%d%H%M%S}",
			"segment_of": "Contact",
			"filters_json": json.dumps([["Contact", "designation", "!=", "Intern"]]),
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	return doc.name


def history_length() -> int | None:
	"""InnoDB's undo history still to purge; None when the site's database user may not read it."""
	try:
		rows = frappe.db.sql(
			"select `count` from information_schema.innodb_metrics where name = 'trx_rseg_history_len'"
		)
	except Exception:
		return None
	return int(rows[0][0]) if rows else None


def wait_for_purge(limit: int = 10_000, most: float = 300, settle: float = 60) -> None:
	"""InnoDB purges deleted rows in the background; timing a resolution while it purges a million rows
	measures the purge. Wait (at most `most` seconds) until little is left, or `settle` seconds when the
	history length cannot be read."""
	start = time.perf_counter()
	left = history_length()
	if left is None:
		time.sleep(settle)
		print(f"Waited {settle:.0f} s for InnoDB's purge (its history length is not readable here)")
		return
	while left > limit and time.perf_counter() - start < most:
		time.sleep(2)
		left = history_length() or 0
	print(f"InnoDB history list: {left:,} (waited {time.perf_counter() - start:.0f} s for the purge)")


class Capture:
	"""Records the statements frappe.db.sql runs, to EXPLAIN them afterwards."""

	def __init__(self):
		self.statements: list[tuple[str, object, float]] = []
		self._sql = frappe.db.sql

	def __enter__(self):
		def sql(query, values=(), *args, **kwargs):
			text = str(query).strip()
			start = time.perf_counter()
			result = self._sql(query, values, *args, **kwargs)
			if text.lower().startswith(("insert", "update", "select count", "select `name`", "commit")):
				self.statements.append((text, values, time.perf_counter() - start))
			return result

		frappe.db.sql = sql
		return self

	def __exit__(self, *exc):
		frappe.db.sql = self._sql


def explain(statements, plans: bool) -> None:
	for query, values, seconds in statements:
		print(f"   {seconds:7.2f} s  {' '.join(query.split())[:160]}")
		if not plans or query.lower().startswith("commit"):
			continue
		for row in frappe.db.sql("EXPLAIN " + query, values, as_dict=True):
			print(
				f"      {row.get('table')!s:<14} type={row.get('type')!s:<7} key={row.get('key')!s:<22} "
				f"rows={row.get('rows')!s:<9} {row.get('Extra') or ''}"
			)


def timed_resolution(segment: str, label: str, plans: bool) -> dict:
	from crm_app.cx_marketing import segments

	with Capture() as capture:
		start = time.perf_counter()
		result = segments.resolve(segment)
		seconds = time.perf_counter() - start
	moved = result["joined"] + result["left"]
	print(
		f"{label}: {seconds:.2f} s  joined {result['joined']:,}  left {result['left']:,}  "
		f"members {result['members']:,}  ({moved / seconds:,.0f} rows/s)"
	)
	explain(capture.statements, plans)
	return result


def print_server() -> None:
	"""What the figures depend on: the buffer pool (shared by every site of the server) and the member
	table's indexes, each of which every joining member is written to."""
	pool = frappe.db.sql("select @@innodb_buffer_pool_size")[0][0]
	print(
		f"MariaDB {frappe.db.sql('select version()')[0][0]}, innodb_buffer_pool_size {int(pool) / 2**20:,.0f} MB"
	)
	indexes: dict[str, list[str]] = {}
	for row in frappe.db.sql("show index from `tabCX Segment Member`", as_dict=True):
		indexes.setdefault(row.Key_name, []).append(row.Column_name)
	print("Member table indexes: " + "; ".join(f"{k} ({', '.join(v)})" for k, v in indexes.items()))


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	parser.add_argument("--contacts", type=int, default=1_000_000)
	parser.add_argument("--plans", action="store_true")
	parser.add_argument("--settle", type=float, default=120, help="seconds to let InnoDB purge deleted rows")
	args = parser.parse_args()

	site = os.environ.get("CRM_APP_SITE")
	if not site:
		raise SystemExit("Set CRM_APP_SITE to a site of its own (it adds a million contacts)")
	os.chdir(os.path.join(os.environ.get("CRM_APP_BENCH", os.path.expanduser("~/frappe-bench")), "sites"))
	frappe.init(site=site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		run(args)
	finally:
		frappe.destroy()


def run(args) -> None:
	from crm_app.cx_marketing import rules

	seed(args.contacts)
	reset_designations(args.contacts)
	segment = fresh_segment(args.settle)
	total = frappe.db.count("Contact")
	print(f"Contacts on the site: {total:,}")
	print_server()

	rule = [["Contact", "designation", "!=", "Intern"]]
	start = time.perf_counter()
	live = rules.count_matching("Contact", rule, "Administrator")
	print(f"Live count (frappe.get_list, Administrator): {live:,} in {time.perf_counter() - start:.2f} s")

	first = timed_resolution(segment, "First resolution (all joining)", args.plans)
	leaving, joining = change_one_percent(args.contacts)
	print(f"Changed 1%: {leaving:,} contacts became Interns, {joining:,} stopped being Interns")
	second = timed_resolution(segment, "Second resolution (1% changed)", args.plans)
	start = time.perf_counter()
	live = rules.count_matching("Contact", rule, "Administrator")
	print(
		f"Live count after: {live:,} in {time.perf_counter() - start:.2f} s "
		f"(members {second['members']:,}; first run had {first['members']:,})"
	)


if __name__ == "__main__":
	main()
