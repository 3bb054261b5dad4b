"""The service desk's knowledge base: search postings, article search, suggestions on issues, articles made
from issues, and votes on the website.

Text analysis and BM25 ranking are crm_app/core/service/articles.py; this module keeps what it needs in
the database. `CX Search Posting` holds one row per (term, document) of every published article and
every resolved or closed issue: the term's frequency and the document's length, under a covering index
(term, source, document, tf, length), so the postings of a query's terms are one range read of that
index, with no row and no document touched. Each document also keeps its length (`search_length`, 0
when not indexed); the collection figures (count, average length) are one aggregate over that field,
and the document frequencies that pick a long issue's most telling terms (`focus_terms`) are counted on
the same index; both are cached for a while.

Postings exist only for indexed documents (saves, unpublishing, reopening and deletes keep them so in
the same transaction), and every list shown is read again from the documents under its own conditions
(published; resolved or closed and readable by the user), so a draft never comes back even if an SQL
update left postings behind.
"""

from dataclasses import dataclass

import frappe
from frappe import _
from frappe.query_builder.functions import Avg, Count
from frappe.rate_limiter import rate_limit
from frappe.utils import cint, escape_html
from pypika.terms import PseudoColumn

from crm_app.core.service.articles import (
	LANGUAGES,
	ArticleSearchError,
	analyse,
	detect_language,
	document_length,
	document_terms,
	focus_terms,
	issue_query,
	normalise_language,
	rank,
	strip_html,
)
from crm_app.exceptions import CXValidationError
from crm_app.permissions import MANAGER_ROLES
from crm_app.server_fields import insert_as_server

ARTICLE = "CX Article"
ISSUE = "CX Issue"
POSTING = "CX Search Posting"
INDEXED_ISSUE_STATUSES = ("Resolved", "Closed")
MAX_QUERY_LENGTH = 500
MAX_RESULTS = 50
SUGGESTIONS = 5
# Documents ranked beyond those shown, in case some left the index without their hooks (a draft, a
# reopened issue whose postings an SQL update left behind): each list is read again under its conditions.
SLACK = 5
# Similar issues are ranked this deep, then cut to those the user may read.
SIMILAR_CANDIDATES = 50
# A long issue text queries its most telling terms only: one ticket never pulls in half the vocabulary.
FOCUS_TERMS = 24
STATS_TTL = 600
DF_TTL = 3600
REINDEX_JOB_ID = "crm_app:kb-reindex"
BATCH = 500
SNIPPET_WORDS = 32
GUEST_SEARCHES_PER_MINUTE = 30
# Votes are remembered per visitor (user, or a guest's address) this long.
USER_VOTE_TTL = 365 * 24 * 3600
GUEST_VOTE_TTL = 30 * 24 * 3600


class KnowledgeBaseError(CXValidationError):
	pass


def _per_minute(guests: int, users: int):
	def limit() -> int:
		return guests if frappe.session.user == "Guest" else users

	return limit


# Sources: what is indexed of each doctype, and when
# ---------------------------------------------------


@dataclass(frozen=True)
class Source:
	doctype: str
	fields: tuple[str, ...]

	def indexable(self, table):
		"""Criterion: the document belongs in the index."""
		if self.doctype == ARTICLE:
			return table.published == 1
		return table.status.isin(INDEXED_ISSUE_STATUSES)

	def terms(self, row) -> dict[str, int]:
		if self.doctype == ARTICLE:
			return document_terms(
				row.title or "", row.content or "", row.language, category=row.category or ""
			)
		return document_terms(row.subject or "", row.description or "", language_code(row.language))


SOURCES = {
	ARTICLE: Source(ARTICLE, ("title", "content", "language", "category")),
	ISSUE: Source(ISSUE, ("subject", "description", "language")),
}


def language_code(language: str | None) -> str | None:
	"""en/ru/uk/pl for a Language ("ru", "pl-PL"), None for others or none."""
	try:
		return normalise_language(language)
	except ArticleSearchError:
		return None


# Postings
# --------


def write_postings(doctype: str, terms_by_document: dict[str, dict[str, int]]) -> None:
	"""Replace the postings and lengths of these documents with the given terms."""
	if not terms_by_document:
		return
	names = list(terms_by_document)
	_delete_postings(doctype, names)
	# As CX Duplicate Key: UUID_SHORT() names, one statement per 10,000 rows, no sequence round trips.
	next_name = PseudoColumn("uuid_short()")
	lengths = {name: document_length(terms) for name, terms in terms_by_document.items()}
	rows = [
		(next_name, doctype, name, term, tf, lengths[name])
		for name, terms in terms_by_document.items()
		for term, tf in terms.items()
	]
	fields = ("name", "source_doctype", "document", "term", "tf", "document_length")
	frappe.db.bulk_insert(POSTING, fields, rows)
	_set_lengths(doctype, lengths)


def remove_postings(doctype: str, names: list[str]) -> None:
	if names:
		_delete_postings(doctype, names)
		_set_lengths(doctype, dict.fromkeys(names, 0))


def _delete_postings(doctype: str, names: list[str]) -> None:
	posting = frappe.qb.DocType(POSTING)
	frappe.qb.from_(posting).delete().where(posting.source_doctype == doctype).where(
		posting.document.isin(names)
	).run()


def _set_lengths(doctype: str, lengths: dict[str, int]) -> None:
	if len(lengths) == 1:
		table = frappe.qb.DocType(doctype)
		[(name, length)] = lengths.items()
		frappe.qb.update(table).set(table.search_length, length).where(table.name == name).run()
	else:
		updates = {name: {"search_length": length} for name, length in lengths.items()}
		frappe.db.bulk_update(doctype, updates, chunk_size=BATCH, update_modified=False)
	frappe.cache.delete_value(_stats_key(doctype))


def index_document(doc) -> None:
	"""(Re)index one article or issue if it belongs in the index, else take it out."""
	source = SOURCES[doc.doctype]
	if _belongs(doc):
		terms = source.terms(doc)
		write_postings(doc.doctype, {doc.name: terms})
		doc.search_length = document_length(terms)
	elif doc.get("search_length"):
		remove_postings(doc.doctype, [doc.name])
		doc.search_length = 0


def _belongs(doc) -> bool:
	if doc.doctype == ARTICLE:
		return bool(doc.published)
	return doc.status in INDEXED_ISSUE_STATUSES


def _needs_indexing(doc) -> bool:
	"""Whether a save changed what the index holds of the document."""
	if _belongs(doc) != bool(doc.get("search_length")):
		return True
	before = doc.get_doc_before_save()
	if not _belongs(doc) or not before:
		return _belongs(doc)
	return any(doc.get(field) != before.get(field) for field in SOURCES[doc.doctype].fields)


def on_article_update(doc) -> None:
	"""CX Article on_update: a published article is (re)indexed, an unpublished one taken out."""
	if _needs_indexing(doc):
		index_document(doc)


def on_issue_update(doc, method=None) -> None:
	"""doc_events CX Issue on_update: a resolved or closed issue is indexed for "similar past issues";
	one reopened is taken out."""
	if _needs_indexing(doc):
		index_document(doc)


def on_trash(doc, method=None) -> None:
	"""on_trash of articles and issues: their postings go with them."""
	remove_postings(doc.doctype, [doc.name])


# Collection figures
# ------------------


def _stats_key(doctype: str) -> str:
	return f"crm_app:kb-stats:{doctype}"


def collection_stats(doctype: str) -> tuple[int, float]:
	"""(number of indexed documents, their average length), from the cache or one aggregate query."""
	stats = frappe.cache.get_value(_stats_key(doctype))
	if stats is None:
		table = frappe.qb.DocType(doctype)
		query = frappe.qb.from_(table).select(Count("*"), Avg(table.search_length))
		query = query.where(table.search_length > 0)
		if doctype == ARTICLE:
			query = query.where(table.published == 1)  # the (published, search_length) index
		count, average = query.run()[0]
		stats = (int(count or 0), float(average or 0))
		frappe.cache.set_value(_stats_key(doctype), stats, expires_in_sec=STATS_TTL)
	return stats


def _df_key(doctype: str) -> str:
	return frappe.cache.make_key(f"crm_app:kb-df:{doctype}")


def document_frequencies(doctype: str, terms) -> dict[str, int]:
	"""Term → number of indexed documents holding it, for these terms only.

	Counted on the covering index, and kept in the cache for DF_TTL: they only choose which terms of a
	long issue are queried (the ranking counts the postings it reads), so an hour-old figure does no
	harm. Terms found nowhere are not kept, so a new article's words count at once."""
	terms = list(terms)
	if not terms:
		return {}
	key = _df_key(doctype)
	cached = frappe.cache.hmget(key, terms)
	found = {term: int(value) for term, value in zip(terms, cached, strict=True) if value is not None}
	missing = [term for term in terms if term not in found]
	if missing:
		posting = frappe.qb.DocType(POSTING)
		counted = dict(
			frappe.qb.from_(posting)
			.select(posting.term, Count("*"))
			.where(posting.term.isin(missing))
			.where(posting.source_doctype == doctype)
			.groupby(posting.term)
			.run()
		)
		if counted:
			pipe = frappe.cache.pipeline()
			pipe.hset(key, mapping=counted)
			pipe.ttl(key)
			if pipe.execute()[-1] < 0:  # a new hash: it expires as a whole, DF_TTL after its first write
				frappe.cache.expire(key, DF_TTL)
		found.update(counted)
	return found


def fetch_postings(
	doctype: str, terms, language: str | None = None
) -> tuple[dict[str, list[tuple[str, int]]], dict[str, int]]:
	"""The postings of these terms and the lengths of their documents, in one statement.

	Without a language it reads the covering index alone (the posting carries its document's length);
	joining each posting to its document costs more than everything else a suggestion does. Postings
	exist only for indexed documents, and callers still read the documents they show under their
	conditions (published, resolved), so stale ones are never shown. With a language (articles), each
	posting's article is joined for its language: STRAIGHT_JOIN, postings first, as the optimiser would
	otherwise read the postings of every published article."""
	if not terms:
		return {}, {}
	values = {"terms": tuple(terms), "doctype": doctype, "language": language}
	source = "`tabCX Search Posting` p"
	if language:
		source += " straight_join `tabCX Article` d on d.name = p.document and d.published = 1"
		source += " and d.language = %(language)s"
	where = "p.term in %(terms)s and p.source_doctype = %(doctype)s"
	# One row per term, its postings packed by the server: thousands of rows through PyMySQL cost more
	# than the query itself.
	frappe.db.sql("set session group_concat_max_len = 16777216")
	rows = frappe.db.sql(
		f"""select p.term, count(*),
			group_concat(p.document, char(31), p.tf, char(31), p.document_length separator '\x1e')
		from {source} where {where} group by p.term""",  # nosemgrep: constant SQL, values are parameters
		values,
	)
	postings: dict[str, list[tuple[str, int]]] = {}
	lengths: dict[str, int] = {}
	leftover = []
	for term, count, packed in rows:
		entries = [item.split("\x1f") for item in (packed or "").split("\x1e")]
		if len(entries) != count or any(len(entry) != 3 for entry in entries):
			leftover.append(term)  # a name with a separator in it: read this term's rows one by one
			continue
		postings[term] = [(document, int(tf)) for document, tf, _length in entries]
		lengths.update((document, int(length)) for document, _tf, length in entries)
	if leftover:
		for term, document, tf, length in frappe.db.sql(
			f"select p.term, p.document, p.tf, p.document_length from {source} where {where}",  # nosemgrep
			{**values, "terms": tuple(leftover)},
		):
			postings.setdefault(term, []).append((document, tf))
			lengths[document] = length
	return postings, lengths


def ranked(
	doctype: str, query, limit: int, language: str | None = None, focus: bool = False
) -> list[tuple[str, float]]:
	"""The best `limit` documents of the doctype for the query (terms or term → weight), best first.
	Callers read the ones they show under their own conditions: ask for a few more than you show."""
	if not query:
		return []
	n_docs, avg_len = collection_stats(doctype)
	if focus:
		query = focus_terms(query, document_frequencies(doctype, query), n_docs, max_terms=FOCUS_TERMS)
	postings, lengths = fetch_postings(doctype, query, language)
	if not postings:
		return []
	return rank(query, postings, lengths, n_docs, avg_len or 1.0, limit=limit)


# Search
# ------


def find_articles(query: str, language: str | None = None, limit: int = 10) -> list[dict]:
	"""Published articles for a question, best first: name, title, route, snippet (plain text)."""
	query = (query or "")[:MAX_QUERY_LENGTH]
	limit = min(max(cint(limit), 1), MAX_RESULTS)
	try:
		language = normalise_language(language)
	except ArticleSearchError:
		frappe.throw(
			_("The knowledge base has articles in these languages only: {0}").format(", ".join(LANGUAGES)),
			KnowledgeBaseError,
		)
	terms = analyse(query, language)
	found = ranked(ARTICLE, terms, limit + SLACK, language=language)
	rows = _article_rows([name for name, _score in found], ("content",))
	return [
		{
			"name": name,
			"title": rows[name].title,
			"route": f"/{rows[name].route}",
			"snippet": snippet(rows[name].content, set(terms), rows[name].language),
		}
		for name, _score in found
		if name in rows
	][:limit]


@frappe.whitelist(allow_guest=True)
@rate_limit(limit=_per_minute(guests=GUEST_SEARCHES_PER_MINUTE, users=600), seconds=60)
def search_articles(query: str, language: str | None = None, limit: int = 10) -> list[dict]:
	"""Published articles for a question (the website's search box and the API); anyone may ask."""
	return find_articles(query, language, limit)


def page_search_allowed() -> bool:
	"""The knowledge-base page's own budget of guest searches per address and minute (the API has
	Frappe's rate limiter, which keys on the method called)."""
	if frappe.session.user != "Guest":
		return True
	key = frappe.cache.make_key(f"crm_app:kb-page-search:{frappe.local.request_ip or 'unknown'}")
	count = frappe.cache.incr(key)
	if count == 1:
		frappe.cache.expire(key, 60)
	return count <= GUEST_SEARCHES_PER_MINUTE


def _article_rows(names: list[str], extra: tuple[str, ...] = ()) -> dict:
	if not names:
		return {}
	table = frappe.qb.DocType(ARTICLE)
	fields = [table.name, table.title, table.route, table.language, *(table[field] for field in extra)]
	rows = (
		frappe.qb.from_(table)
		.select(*fields)
		.where(table.name.isin(names))
		.where(table.published == 1)
		.run(as_dict=True)
	)
	return {row.name: row for row in rows}


def snippet(content: str | None, terms: set[str], language: str | None = None) -> str:
	"""A few dozen words of the article around the first word the query matched (else its start)."""
	words = strip_html(content or "").split()
	match = 0
	for position, word in enumerate(words[:2000] if terms else ()):
		if terms.intersection(analyse(word, language)):
			match = position
			break
	start = max(match - SNIPPET_WORDS // 4, 0)
	excerpt = " ".join(words[start : start + SNIPPET_WORDS])
	return ("… " if start else "") + excerpt + (" …" if start + SNIPPET_WORDS < len(words) else "")


# Suggestions on an issue
# -----------------------


def _readable_issue(issue: str):
	if not issue or not isinstance(issue, str):
		raise frappe.DoesNotExistError(_("No such issue."))
	doc = frappe.get_doc(ISSUE, issue)
	doc.check_permission("read")
	return doc


@frappe.whitelist(methods=["GET"])
def suggest_for_issue(issue: str) -> dict:
	"""Published articles and similar resolved issues (only those the user may read) for an issue."""
	doc = _readable_issue(issue)
	query = issue_query(doc.subject or "", doc.description or "", language_code(doc.language))
	found = ranked(ARTICLE, query, SUGGESTIONS + SLACK, focus=True)
	rows = _article_rows([name for name, _score in found])
	articles = [
		{"name": name, "title": rows[name].title, "route": f"/{rows[name].route}"}
		for name, _score in found
		if name in rows
	]
	similar = ranked(ISSUE, query, SIMILAR_CANDIDATES + 1, focus=True)
	candidates = [name for name, _score in similar if name != doc.name]
	readable = {}
	if candidates:
		# The user's own list rules (roles, User Permissions, restricted sales users) decide.
		readable = {
			row.name: row
			for row in frappe.get_list(
				ISSUE,
				filters={"name": ("in", candidates), "status": ("in", INDEXED_ISSUE_STATUSES)},
				fields=["name", "subject", "status"],
				limit=len(candidates),
			)
		}
	issues = [
		{"name": name, "subject": readable[name].subject, "status": readable[name].status}
		for name in candidates
		if name in readable
	]
	return {"articles": articles[:SUGGESTIONS], "issues": issues[:SUGGESTIONS]}


# Articles from issues
# --------------------


@frappe.whitelist(methods=["POST"])
def make_article_from_issue(issue: str) -> str:
	"""A draft article from an issue (its subject, description and last reply); returns its name."""
	doc = _readable_issue(issue)
	frappe.has_permission(ARTICLE, "create", throw=True)
	parts = [doc.description or ""]
	reply = frappe.get_all(
		"Communication",
		filters={
			"reference_doctype": ISSUE,
			"reference_name": doc.name,
			"communication_type": "Communication",
			"sent_or_received": "Sent",
		},
		fields=["content"],
		order_by="creation desc",
		limit=1,
	)
	if reply and reply[0].content:
		parts.append(f"<h3>{escape_html(_('Answer'))}</h3>{reply[0].content}")
	content = "".join(parts)
	language = language_code(doc.language) or detect_language(f"{doc.subject} {strip_html(content)}")
	article = frappe.get_doc(
		{
			"doctype": ARTICLE,
			"title": doc.subject,
			"content": content,
			"language": language,
			"status": "Draft",
			"source_issue": doc.name,
		}
	)
	insert_as_server(article)  # the source issue is read-only: set here, never by a client
	return article.name


# Votes
# -----


@frappe.whitelist(allow_guest=True, methods=["POST"])
@rate_limit(limit=_per_minute(guests=20, users=120), seconds=60)
def vote(article: str, helpful: int) -> dict:
	"""'Was this helpful?': counted once per visitor (a user, or a guest's address) and article."""
	if str(helpful).strip() not in ("0", "1"):
		frappe.throw(_("A vote is 1 (helpful) or 0 (not helpful)."), KnowledgeBaseError)
	table = frappe.qb.DocType(ARTICLE)
	published = (
		frappe.qb.from_(table)
		.select(table.name)
		.where(table.name == article)
		.where(table.published == 1)
		.run(pluck=True)
	)
	if not published:
		# The same words for a draft and a missing article.
		raise frappe.DoesNotExistError(_("This article is not published."))
	if frappe.session.user == "Guest":
		visitor, ttl = f"ip:{frappe.local.request_ip or 'unknown'}", GUEST_VOTE_TTL
	else:
		visitor, ttl = f"user:{frappe.session.user}", USER_VOTE_TTL
	key = frappe.cache.make_key(f"crm_app:kb-vote:{published[0]}:{visitor}")
	# SET NX: of two votes at once, one is counted.
	counted = bool(frappe.cache.set(key, 1, ex=ttl, nx=True))
	if counted:
		column = table.helpful_count if cint(helpful) else table.not_helpful_count
		frappe.qb.update(table).set(column, column + 1).where(table.name == published[0]).run()
	return {"counted": counted}


# The bulk reindex
# ----------------


@frappe.whitelist(methods=["POST"])
def start_reindex() -> dict:
	"""Queue a rebuild of the whole search index (managers only); one at a time per site."""
	if not MANAGER_ROLES & set(frappe.get_roles()):
		raise frappe.PermissionError(_("Only managers rebuild the knowledge-base index."))
	frappe.enqueue(
		"crm_app.cx_support.knowledge.run_reindex",
		queue="long",
		timeout=4 * 3600,
		job_id=REINDEX_JOB_ID,
		deduplicate=True,
	)
	return {"queued": True}


def run_reindex(commit: bool = True, names: dict[str, list[str]] | None = None) -> dict[str, int]:
	"""Index every published article and resolved or closed issue again, in batches, and drop the
	postings of the documents that left the index without their hooks (a status set by SQL, a bulk
	load). `names` (doctype → names) limits the run to those documents."""
	done = {}
	for step, source in enumerate(SOURCES.values()):
		only = None if names is None else names.get(source.doctype, [])
		if only == []:
			continue
		done[source.doctype] = _reindex_source(source, step, len(SOURCES), commit, only)
	_progress(len(SOURCES), len(SOURCES), _("Done"))
	return done


def _reindex_source(source: Source, step: int, steps: int, commit: bool, only: list[str] | None) -> int:
	doctype = source.doctype
	table, posting = frappe.qb.DocType(doctype), frappe.qb.DocType(POSTING)
	scope = table.name.isin(only) if only else None
	indexed = frappe.qb.from_(table).select(table.name).where(source.indexable(table))
	stale = frappe.qb.from_(posting).delete().where(posting.source_doctype == doctype)
	stale = stale.where(posting.document.notin(indexed))
	left = frappe.qb.update(table).set(table.search_length, 0).where(table.search_length > 0)
	left = left.where(~source.indexable(table))
	if only:
		stale, left = stale.where(posting.document.isin(only)), left.where(scope)
	stale.run()
	left.run()
	frappe.cache.delete_value(_stats_key(doctype))
	frappe.cache.delete(_df_key(doctype))
	batches = frappe.qb.from_(table).where(source.indexable(table))
	if only:
		batches = batches.where(scope)
	total = batches.select(Count("*")).run()[0][0] or 1
	after, done = "", 0
	while True:
		rows = (
			batches.select(table.name, *(table[field] for field in source.fields))
			.where(table.name > after)
			.orderby(table.name)
			.limit(BATCH)
			.run(as_dict=True)
		)
		if not rows:
			return done
		write_postings(doctype, {row.name: source.terms(row) for row in rows})
		if commit:
			frappe.db.commit()  # nosemgrep: each batch is whole on its own
		after, done = rows[-1].name, done + len(rows)
		_progress(step + min(done / total, 1), steps, _("{0}: {1} indexed").format(_(doctype), done))


def _progress(done: float, total: int, description: str) -> None:
	frappe.publish_progress(
		done * 100 / total, title=_("Rebuilding the knowledge-base index"), description=description
	)
