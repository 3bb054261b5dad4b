"""Knowledge-base figures on a real site, printed (never asserted). Run with the bench's python:
	CRM_APP_SITE=crm-kb.localhost ~/frappe-bench/env/bin/python benchmarks/kb_site.py [--articles 10000]

Loads `--articles` published synthetic articles (made as in benchmarks/kb_search.py from the labelled set
plus filler words), `--resolved` resolved issues for "similar past issues" and `--issues` open issues to
suggest for, all in bulk with fixed names (kb-bench-..., CX-ISS-KBB-..., CX-ISS-KBQ-...), so a second run
only tops up; their postings are written through the shell's own `write_postings`. Then prints, as a
Support Team agent, the time of `suggest_for_issue` over the open issues, cold (the process's term cache,
the cached collection figures and document frequencies dropped before each call) and warm (the same call
again), and the time of `search_articles` for the labelled questions. The goal is a suggestion under
100 ms.
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

import frappe

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kb_search import load, percentiles, synthetic_collection

from crm_app.core.service.articles import strip_html, term
from crm_app.cx_support import knowledge

AGENT = "kb.bench.agent@example.com"
ARTICLE_PREFIX, RESOLVED_PREFIX, OPEN_PREFIX = "kb-bench-", "CX-ISS-KBB-", "CX-ISS-KBQ-"
BATCH = 1000


def missing(doctype: str, names: list[str]) -> set[str]:
	table = frappe.qb.DocType(doctype)
	present = set()
	for start in range(0, len(names), 5000):
		chunk = names[start : start + 5000]
		present.update(
			frappe.qb.from_(table).select(table.name).where(table.name.isin(chunk)).run(pluck=True)
		)
	return set(names) - present


def stamp() -> dict:
	now = frappe.utils.now_datetime()
	return {"creation": now, "modified": now, "owner": "Administrator", "modified_by": "Administrator"}


def load_articles(docs: list[tuple]) -> int:
	"""docs: (id, title, body, language, category); the missing ones are inserted and indexed."""
	names = {f"{ARTICLE_PREFIX}{i:05d}": doc for i, doc in enumerate(docs)}
	todo = sorted(missing("CX Article", list(names)))
	for category in {doc[4] for doc in docs}:
		if not frappe.db.exists("CX Article Category", category):
			frappe.get_doc({"doctype": "CX Article Category", "category_name": category}).insert()
	fields = (
		*stamp(),
		"name",
		"title",
		"content",
		"language",
		"category",
		"status",
		"published",
		"published_on",
		"route",
		"author",
	)
	for start in range(0, len(todo), BATCH):
		batch = todo[start : start + BATCH]
		base = tuple(stamp().values())
		rows = [
			(
				*base,
				name,
				names[name][1],
				f"<p>{names[name][2]}</p>",
				names[name][3],
				names[name][4],
				"Published",
				1,
				base[0],
				f"kb/{name}",
				"Administrator",
			)
			for name in batch
		]
		frappe.db.bulk_insert("CX Article", fields, rows)
		source = knowledge.SOURCES["CX Article"]
		knowledge.write_postings(
			"CX Article",
			{
				name: source.terms(
					frappe._dict(
						title=names[name][1],
						content=names[name][2],
						language=names[name][3],
						category=names[name][4],
					)
				)
				for name in batch
			},
		)
		frappe.db.commit()
	return len(todo)


def load_issues(prefix: str, texts: list[tuple[str, str]], status: str) -> int:
	names = {f"{prefix}{i:05d}": text for i, text in enumerate(texts)}
	todo = sorted(missing("CX Issue", list(names)))
	fields = (*stamp(), "name", "naming_series", "subject", "description", "status", "priority", "opened_on")
	for start in range(0, len(todo), BATCH):
		batch = todo[start : start + BATCH]
		base = tuple(stamp().values())
		rows = [
			(
				*base,
				name,
				"CX-ISS-.YYYY.-",
				names[name][0][:140],
				f"<p>{names[name][1]}</p>",
				status,
				"Medium",
				base[0],
			)
			for name in batch
		]
		frappe.db.bulk_insert("CX Issue", fields, rows)
		if status in knowledge.INDEXED_ISSUE_STATUSES:
			source = knowledge.SOURCES["CX Issue"]
			knowledge.write_postings(
				"CX Issue",
				{
					name: source.terms(
						frappe._dict(subject=names[name][0], description=names[name][1], language=None)
					)
					for name in batch
				},
			)
		frappe.db.commit()
	return len(todo)


def timed(fn, *args) -> float:
	started = time.perf_counter()
	fn(*args)
	return (time.perf_counter() - started) * 1000


def forget_caches() -> None:
	term.cache_clear()
	for doctype in knowledge.SOURCES:
		frappe.cache.delete_value(knowledge._stats_key(doctype))
		frappe.cache.delete(knowledge._df_key(doctype))
	frappe.local.cache = {}
	frappe.local.document_cache = {}


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--articles", type=int, default=10_000)
	parser.add_argument("--resolved", type=int, default=2_000)
	parser.add_argument("--issues", type=int, default=100)
	parser.add_argument("--seed", type=int, default=7)
	args = parser.parse_args()

	os.chdir(Path(os.environ.get("CRM_APP_BENCH", Path.home() / "frappe-bench")) / "sites")
	frappe.init(site=os.environ["CRM_APP_SITE"], sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		run(args)
	finally:
		frappe.destroy()


def run(args) -> None:
	articles, questions = load()
	rng = random.Random(args.seed)
	started = time.perf_counter()
	docs = synthetic_collection(articles, args.articles, rng)
	added = load_articles(docs)
	bodies = [strip_html(article["body"]) for article in articles]
	# Issues as customers write them: a question, with a description of two articles' worth of text.
	issue_texts = [
		(q["question"], " ".join(rng.sample(bodies, 2)) + " " + q["question"])
		for q in (questions * (max(args.resolved, args.issues) // len(questions) + 1))
	]
	added_resolved = load_issues(RESOLVED_PREFIX, issue_texts[: args.resolved], "Resolved")
	added_open = load_issues(OPEN_PREFIX, issue_texts[-args.issues :], "Open")
	loading = time.perf_counter() - started
	print(
		f"Loaded {added} articles, {added_resolved} resolved and {added_open} open issues in {loading:.1f} s "
		f"(fixed names: a re-run tops up)"
	)
	published, avg_len = knowledge.collection_stats("CX Article")
	resolved, _avg = knowledge.collection_stats("CX Issue")
	postings = frappe.db.count("CX Search Posting")
	print(
		f"Site: {published} published articles (average length {avg_len:.0f}), {resolved} indexed issues, {postings} postings"
	)

	if not frappe.db.exists("User", AGENT):
		user = frappe.get_doc(
			{"doctype": "User", "email": AGENT, "first_name": "KB Agent", "send_welcome_email": 0}
		)
		user.append("roles", {"role": "Support Team"})
		user.insert(ignore_permissions=True)
		frappe.db.commit()

	open_issues = [f"{OPEN_PREFIX}{i:05d}" for i in range(args.issues)]
	frappe.set_user(AGENT)
	cold, warm = [], []
	for name in open_issues:
		forget_caches()
		cold.append(timed(knowledge.suggest_for_issue, name))
		warm.append(timed(knowledge.suggest_for_issue, name))
	print(f"\nsuggest_for_issue over {len(open_issues)} issues, ms, as a Support Team agent:")
	print(f"  cold  {percentiles(cold)}")
	print(f"  warm  {percentiles(warm)}")

	search = [timed(knowledge.search_articles, q["question"]) for q in questions]
	search += [timed(knowledge.search_articles, q["question"]) for q in questions]
	print(f"search_articles over {len(questions)} questions (twice), ms:")
	print(f"  all   {percentiles(search)}")
	frappe.set_user("Administrator")


if __name__ == "__main__":
	main()
