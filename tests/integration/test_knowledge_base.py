# ruff: noqa: RUF001
"""The knowledge base on a real site: search in four languages, suggestions on issues under the user's
permissions, votes, articles made from issues, the website pages and the bulk reindex.

The site may hold many more articles (benchmarks/kb_site.py loads 10,000): each test's articles carry a
made-up product name, so they are the only ones that match all of a question.
"""

from unittest.mock import patch

import frappe
from frappe.permissions import add_user_permission
from frappe.utils import set_request
from frappe.website.serve import get_response

from crm_app.cx_support import knowledge

from .factories import CXTestCase, make_customer, make_user

ALICE = "alice.kb@example.com"  # Sales User: restricted to her customers' issues
AGENT = "agent.kb@example.com"  # Support Team
MANAGER = "manager.kb@example.com"

# language: (target title, target body, decoy title, decoy body, an inflected question for the target)
ARTICLES = {
	"en": (
		"Returning a Zorblax coffee machine",
		"<p>To return a coffee machine, open your order and choose <b>Return item</b>. Refunds arrive "
		"within 14 days after the courier collects the machine.</p>",
		"Descaling the Zorblax coffee machine",
		"<p>Descale the machine every month: fill the tank with descaler and run the cleaning program.</p>",
		"how can I return my zorblax machines for a refund?",
	),
	"ru": (
		"Возврат кофемашины Зорблакс",
		"<p>Чтобы вернуть кофемашину, откройте заказ и нажмите «Вернуть товар». Деньги вернутся в течение "
		"14 дней после того, как курьер заберёт машину.</p>",
		"Чистка кофемашины Зорблакс от накипи",
		"<p>Очищайте машину от накипи каждый месяц: залейте средство и запустите программу очистки.</p>",
		"хочу вернуть кофемашину зорблакса, когда вернут деньги?",
	),
	"uk": (
		"Повернення кавоварки Зорблакс",
		"<p>Щоб повернути кавоварку, відкрийте замовлення та натисніть «Повернути товар». Гроші повернуться "
		"протягом 14 днів після того, як кур'єр забере кавоварку.</p>",
		"Очищення кавоварки Зорблакс від накипу",
		"<p>Очищайте кавоварку від накипу щомісяця: залийте засіб і запустіть програму очищення.</p>",
		"як повернути кавоварку зорблакса і отримати гроші",
	),
	"pl": (
		"Zwrot ekspresu do kawy Zorblax",
		"<p>Aby zwrócić ekspres, otwórz zamówienie i wybierz „Zwróć produkt”. Pieniądze wrócą w ciągu 14 dni "
		"od odbioru ekspresu przez kuriera.</p>",
		"Odkamienianie ekspresu Zorblax",
		"<p>Odkamieniaj ekspres co miesiąc: wlej odkamieniacz do zbiornika i uruchom program czyszczenia.</p>",
		"jak zwrócić ekspresy zorblaxa i odzyskać pieniądze",
	),
}


def make_article(title: str, content: str = "", status: str = "Published", **values):
	return frappe.get_doc(
		{"doctype": "CX Article", "title": title, "content": content, "status": status, **values}
	).insert()


def make_issue(subject: str, description: str = "", status: str = "Open", **values):
	issue = frappe.get_doc(
		{"doctype": "CX Issue", "subject": subject, "description": description, **values}
	).insert()
	if status != "Open":
		issue.status = status
		issue.save()
	return issue


def postings_of(doctype: str, name: str) -> dict[str, int]:
	return dict(
		frappe.get_all(
			"CX Search Posting",
			filters={"source_doctype": doctype, "document": name},
			fields=["term", "tf"],
			as_list=True,
		)
	)


def page(path: str, user: str = "Guest"):
	frappe.set_user(user)
	try:
		set_request(method="GET", path=path)
		return get_response()
	finally:
		frappe.set_user("Administrator")
		frappe.local.request = None  # the rate limiter would take the calls that follow for requests


class TestSearch(CXTestCase):
	def setUp(self):
		super().setUp()
		self.targets = {}
		for language, (title, body, decoy_title, decoy_body, _question) in ARTICLES.items():
			self.targets[language] = make_article(title, body, language=language).name
			make_article(decoy_title, decoy_body, language=language)

	def test_an_inflected_question_finds_its_article_in_each_language(self):
		for language, (*_texts, question) in ARTICLES.items():
			with self.subTest(language=language):
				results = knowledge.search_articles(question)
				self.assertEqual(results[0]["name"], self.targets[language], results[:3])
				self.assertTrue(results[0]["route"].startswith("/kb/"))
				self.assertTrue(results[0]["snippet"])

	def test_the_language_filter_keeps_one_language(self):
		results = knowledge.search_articles("zorblax зорблакс", language="pl", limit=50)
		languages = set(
			frappe.get_all("CX Article", {"name": ("in", [r["name"] for r in results])}, pluck="language")
		)
		self.assertEqual(languages, {"pl"})

	def test_a_long_question_is_cut_and_nonsense_finds_nothing(self):
		self.assertEqual(knowledge.search_articles("x" * 5000), [])
		self.assertEqual(knowledge.search_articles(""), [])
		padded = ARTICLES["en"][4] + " " + "lorem " * 200
		self.assertEqual(knowledge.search_articles(padded)[0]["name"], self.targets["en"])

	def test_an_unknown_language_is_refused(self):
		with self.assertRaises(frappe.ValidationError):
			knowledge.search_articles("coffee", language="de")

	def test_postings_follow_the_article(self):
		article = frappe.get_doc("CX Article", self.targets["en"])
		self.assertIn("zorblax", postings_of("CX Article", article.name))
		self.assertGreater(article.search_length, 0)
		article.content = "<p>Ship the grinder back in its box.</p>"
		article.save()
		terms = postings_of("CX Article", article.name)
		self.assertIn("grinder", terms)
		self.assertNotIn("courier", terms)
		article.delete()
		self.assertEqual(postings_of("CX Article", article.name), {})


class TestDrafts(CXTestCase):
	QUESTION = "quuxbrill kettle leaking"

	def setUp(self):
		super().setUp()
		self.draft = make_article("Quuxbrill kettle is leaking", "<p>Tighten the quuxbrill lid.</p>", "Draft")

	def test_a_draft_is_not_indexed_found_suggested_or_shown(self):
		self.assertEqual(postings_of("CX Article", self.draft.name), {})
		self.assertEqual(knowledge.search_articles(self.QUESTION), [])
		issue = make_issue("Quuxbrill kettle leaking", "The quuxbrill kettle leaks")
		self.assertEqual(knowledge.suggest_for_issue(issue.name)["articles"], [])
		self.assertEqual(frappe.db.get_value("CX Article", self.draft.name, "route"), None)

	def test_an_unpublished_article_leaves_search_and_website(self):
		self.draft.status = "Published"
		self.draft.save()
		route = self.draft.route
		self.assertTrue(route.startswith("kb/quuxbrill-kettle-is-leaking"))
		self.assertTrue(self.draft.published_on)
		self.assertEqual(knowledge.search_articles(self.QUESTION)[0]["name"], self.draft.name)
		response = page(f"/{route}")
		self.assertEqual(response.status_code, 200)
		self.assertTrue(
			"Tighten the quuxbrill lid" in response.get_data(as_text=True), "the article is shown"
		)

		self.draft.status = "Draft"
		self.draft.save()
		self.assertEqual(postings_of("CX Article", self.draft.name), {})
		self.assertEqual(frappe.db.get_value("CX Article", self.draft.name, "search_length"), 0)
		self.assertEqual(knowledge.search_articles(self.QUESTION), [])
		response = page(f"/{route}")
		self.assertEqual(response.status_code, 404)
		self.assertFalse(
			"Tighten the quuxbrill lid" in response.get_data(as_text=True), "the draft is not shown"
		)
		self.assertEqual(self.draft.route, route, "the address is kept for a later publication")

	def test_stale_postings_of_a_draft_are_never_returned(self):
		# Postings left behind (say, by an SQL update) are filtered by the article's own state.
		frappe.db.set_value("CX Article", self.draft.name, "search_length", 0)
		knowledge.write_postings("CX Article", {self.draft.name: {"quuxbrill": 3}})
		self.assertEqual(knowledge.search_articles(self.QUESTION), [])

	def test_guests_read_published_articles_on_the_website_only(self):
		published = make_article("Quuxbrill warranty", "<p>Two years.</p>")
		self.assertEqual(page(f"/{published.route}").status_code, 200)
		frappe.set_user("Guest")
		try:
			self.assertFalse(frappe.has_permission("CX Article", "read", published.name))
		finally:
			frappe.set_user("Administrator")

	def test_the_home_page_lists_categories_and_searches(self):
		category = frappe.get_doc(
			{"doctype": "CX Article Category", "category_name": "Quuxbrill Kettles"}
		).insert()
		make_article("Quuxbrill kettle descaling", "<p>Use vinegar.</p>", category=category.name)
		home = page("/kb").get_data(as_text=True)
		self.assertIn("Quuxbrill Kettles", home)
		found = page("/kb?q=quuxbrill+descaling").get_data(as_text=True)
		self.assertIn("Quuxbrill kettle descaling", found)
		self.assertNotIn("Quuxbrill kettle is leaking", found)
		listed = page(f"/kb?category={category.name}").get_data(as_text=True)
		self.assertIn("Quuxbrill kettle descaling", listed)


class TestSuggestions(CXTestCase):
	def setUp(self):
		super().setUp()
		make_user(ALICE, "Sales User")
		self.mine = make_customer(customer_name="Blorptang Mine", account_manager=ALICE)
		self.other = make_customer(customer_name="Blorptang Other")
		text = "The blorptang printer jams on the second page of every invoice"
		self.readable = make_issue("Blorptang printer jams", text, "Resolved", customer=self.mine.name)
		self.hidden = make_issue("Blorptang printer jam again", text, "Closed", customer=self.other.name)
		self.current = make_issue("Blorptang printer jamming", text, customer=self.mine.name)
		self.article = make_article(
			"Clearing a Blorptang printer jam", "<p>Open the tray, pull the page.</p>"
		)

	def names(self, user: str) -> tuple[list[str], list[str]]:
		frappe.set_user(user)
		try:
			found = knowledge.suggest_for_issue(self.current.name)
		finally:
			frappe.set_user("Administrator")
		return [a["name"] for a in found["articles"]], [i["name"] for i in found["issues"]]

	def test_resolved_issues_and_published_articles_are_suggested(self):
		articles, issues = self.names("Administrator")
		self.assertEqual(articles[0], self.article.name)
		self.assertEqual(set(issues[:2]), {self.readable.name, self.hidden.name})
		self.assertNotIn(self.current.name, issues, "an issue is not similar to itself")

	def test_a_restricted_user_gets_no_similar_issue_they_cannot_read(self):
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)
		articles, issues = self.names(ALICE)
		self.assertIn(self.readable.name, issues)
		self.assertNotIn(self.hidden.name, issues)
		self.assertEqual(articles[0], self.article.name)

	def test_an_issue_the_user_may_not_read_is_refused(self):
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)
		frappe.set_user(ALICE)
		with self.assertRaises(frappe.PermissionError):
			knowledge.suggest_for_issue(self.hidden.name)

	def test_issues_enter_the_index_when_resolved_and_leave_it_when_reopened_or_deleted(self):
		self.assertEqual(postings_of("CX Issue", self.current.name), {})
		self.assertIn("blorptang", postings_of("CX Issue", self.readable.name))
		self.readable.status = "Open"
		self.readable.save()
		self.assertEqual(postings_of("CX Issue", self.readable.name), {})
		self.assertEqual(self.readable.search_length, 0)
		self.assertIn("blorptang", postings_of("CX Issue", self.hidden.name))
		frappe.delete_doc("CX Issue", self.hidden.name, force=True)
		self.assertEqual(postings_of("CX Issue", self.hidden.name), {})

	def test_a_long_issue_queries_its_most_telling_terms(self):
		long_text = self.current.description + " " + " ".join(f"word{i}" for i in range(300))
		self.current.db_set("description", long_text)
		articles, issues = self.names("Administrator")
		self.assertEqual(articles[0], self.article.name)
		self.assertIn(self.readable.name, issues)


class TestVotes(CXTestCase):
	def setUp(self):
		super().setUp()
		self.article = make_article("Zorblax grinder settings", "<p>Turn the dial.</p>")
		frappe.local.request_ip = "203.0.113.7"

	def tearDown(self):
		frappe.local.request_ip = None
		super().tearDown()

	def counts(self) -> tuple[int, int]:
		return tuple(
			frappe.db.get_value("CX Article", self.article.name, ["helpful_count", "not_helpful_count"])
		)

	def vote_as(self, user: str, helpful: int, ip: str = "203.0.113.7") -> dict:
		frappe.set_user(user)
		frappe.local.request_ip = ip
		try:
			return knowledge.vote(self.article.name, helpful)
		finally:
			frappe.set_user("Administrator")

	def test_a_visitor_counts_once(self):
		self.assertTrue(self.vote_as("Guest", 1)["counted"])
		self.assertFalse(self.vote_as("Guest", 1)["counted"])
		self.assertFalse(self.vote_as("Guest", 0)["counted"])
		self.assertTrue(self.vote_as("Guest", 0, ip="198.51.100.2")["counted"])
		make_user(AGENT, "Support Team")
		self.assertTrue(self.vote_as(AGENT, 1)["counted"])
		self.assertFalse(self.vote_as(AGENT, 1, ip="198.51.100.9")["counted"])
		self.assertEqual(self.counts(), (2, 1))

	def test_drafts_and_missing_articles_take_no_votes(self):
		draft = make_article("Zorblax draft", "<p>x</p>", "Draft")
		frappe.set_user("Guest")
		try:
			for name in (draft.name, "no-such-article"):
				with self.assertRaises(frappe.DoesNotExistError):
					knowledge.vote(name, 1)
		finally:
			frappe.set_user("Administrator")
		self.assertEqual(frappe.db.get_value("CX Article", draft.name, "helpful_count"), 0)

	def test_a_vote_is_zero_or_one(self):
		with self.assertRaises(frappe.ValidationError):
			self.vote_as("Guest", 5)
		self.assertEqual(self.counts(), (0, 0))

	def test_clients_cannot_write_the_counts(self):
		from frappe.client import save

		make_user(MANAGER, "Sales Manager")
		data = self.article.as_dict(convert_dates_to_str=True)
		data.update(helpful_count=99, not_helpful_count=99)
		frappe.set_user(MANAGER)
		try:
			save(data)
		finally:
			frappe.set_user("Administrator")
		self.assertEqual(self.counts(), (0, 0))


class TestArticleFromIssue(CXTestCase):
	def setUp(self):
		super().setUp()
		self.agent = make_user(f"agent.{frappe.generate_hash(length=6)}@example.com", "Support Team")
		self.mine = make_customer(customer_name="Wuzzle Mine")
		self.other = make_customer(customer_name="Wuzzle Other")
		self.issue = make_issue(
			"Wuzzle router keeps rebooting",
			"<p>It reboots every hour.</p>",
			"Resolved",
			customer=self.mine.name,
		)

	def tearDown(self):
		frappe.cache.hdel("user_permissions", self.agent)
		super().tearDown()

	def test_a_draft_is_made_from_the_issue_and_its_last_reply(self):
		frappe.db.set_value("CX Issue", self.issue.name, "language", "uk")
		frappe.get_doc(
			{
				"doctype": "Communication",
				"communication_type": "Communication",
				"communication_medium": "Email",
				"sent_or_received": "Sent",
				"subject": "Re: Wuzzle router",
				"content": "<p>Update the firmware to 2.1.</p>",
				"reference_doctype": "CX Issue",
				"reference_name": self.issue.name,
			}
		).insert(ignore_permissions=True)
		frappe.set_user(self.agent)
		try:
			name = knowledge.make_article_from_issue(self.issue.name)
		finally:
			frappe.set_user("Administrator")
		article = frappe.get_doc("CX Article", name)
		self.assertEqual(article.title, "Wuzzle router keeps rebooting")
		self.assertEqual(
			(article.status, article.source_issue, article.language), ("Draft", self.issue.name, "uk")
		)
		self.assertIn("reboots every hour", article.content)
		self.assertIn("Update the firmware", article.content)
		self.assertEqual(article.author, self.agent)
		self.assertEqual(postings_of("CX Article", name), {})

	def test_a_user_who_may_not_read_the_issue_is_refused(self):
		add_user_permission("CX Customer", self.other.name, self.agent)
		frappe.set_user(self.agent)
		try:
			with self.assertRaises(frappe.PermissionError):
				knowledge.make_article_from_issue(self.issue.name)
		finally:
			frappe.set_user("Administrator")
		self.assertFalse(frappe.db.exists("CX Article", {"source_issue": self.issue.name}))

	def test_a_user_who_may_not_create_articles_is_refused(self):
		reader = make_user("reader.kb@example.com", "Sales User")
		frappe.set_user(reader)
		try:
			with self.assertRaises(frappe.PermissionError):
				knowledge.make_article_from_issue(self.issue.name)
		finally:
			frappe.set_user("Administrator")


class TestReindex(CXTestCase):
	def test_the_job_rebuilds_postings_and_lengths(self):
		article = make_article("Frobnitz pump priming", "<p>Prime the frobnitz pump before first use.</p>")
		issue = make_issue("Frobnitz pump will not prime", "No water", "Resolved")
		draft = make_article("Frobnitz draft", "<p>frobnitz</p>", "Draft")
		# Lost postings of a published article, and stale ones of a draft.
		frappe.db.delete("CX Search Posting", {"document": ("in", [article.name, issue.name])})
		frappe.db.set_value("CX Article", article.name, "search_length", 0)
		knowledge.write_postings("CX Article", {draft.name: {"frobnitz": 1}})
		# Limited to this test's documents: the site may hold 10,000 benchmark articles.
		names = {"CX Article": [article.name, draft.name], "CX Issue": [issue.name]}
		with patch.object(frappe, "publish_progress") as progress:
			done = knowledge.run_reindex(commit=False, names=names)
		self.assertEqual(done, {"CX Article": 1, "CX Issue": 1})
		self.assertTrue(progress.called)
		self.assertIn("frobnitz", postings_of("CX Article", article.name))
		self.assertIn("frobnitz", postings_of("CX Issue", issue.name))
		self.assertEqual(postings_of("CX Article", draft.name), {})
		self.assertEqual(frappe.db.get_value("CX Article", draft.name, "search_length"), 0)
		self.assertGreater(frappe.db.get_value("CX Article", article.name, "search_length"), 0)
		self.assertEqual(knowledge.search_articles("frobnitz pump")[0]["name"], article.name)

	def test_only_managers_start_it(self):
		make_user(AGENT, "Support Team")
		make_user(MANAGER, "Sales Manager")
		with patch.object(frappe, "enqueue") as enqueue:
			frappe.set_user(AGENT)
			try:
				with self.assertRaises(frappe.PermissionError):
					knowledge.start_reindex()
				frappe.set_user(MANAGER)
				knowledge.start_reindex()
			finally:
				frappe.set_user("Administrator")
		enqueue.assert_called_once()
		self.assertEqual(enqueue.call_args.kwargs["job_id"], knowledge.REINDEX_JOB_ID)
		self.assertTrue(enqueue.call_args.kwargs["deduplicate"])
		self.assertEqual(enqueue.call_args.kwargs["queue"], "long")
