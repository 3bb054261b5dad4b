"""/kb: the knowledge base's home page. Categories, the newest articles, a category's articles
(?category=), and search results (?q=, optionally ?language=en|ru|uk|pl)."""

import frappe
from frappe import _
from frappe.query_builder.functions import Count

from crm_app.cx_support.knowledge import ARTICLE, MAX_QUERY_LENGTH, find_articles, page_search_allowed

no_cache = 1
CATEGORY_ARTICLES = 200
NEWEST = 10


def get_context(context):
	form = frappe.form_dict
	query = str(form.q or "").strip()[:MAX_QUERY_LENGTH]
	category = str(form.category or "").strip()
	language = str(form.language or "").strip() or None
	context.title = _("Knowledge Base")
	context.q, context.category = query, category
	context.categories = published_categories()
	context.results, context.articles, context.message = [], [], ""
	if query:
		if not page_search_allowed():
			context.message = _("Too many searches from your address. Please try again in a minute.")
		else:
			try:
				context.results = find_articles(query, language, limit=20)
			except frappe.ValidationError:
				frappe.clear_messages()
				context.message = _(
					"The knowledge base has articles in English, Russian, Ukrainian and Polish."
				)
			if not context.results and not context.message:
				context.message = _("No article matches your question. Try other words.")
	elif category:
		context.title = category
		context.parents = [{"route": "kb", "title": _("Knowledge Base")}]
		context.articles = frappe.get_all(
			ARTICLE,
			filters={"published": 1, "category": category},
			fields=["title", "route"],
			order_by="title asc",
			limit=CATEGORY_ARTICLES,
		)
	else:
		context.articles = frappe.get_all(
			ARTICLE,
			filters={"published": 1},
			fields=["title", "route", "category"],
			order_by="published_on desc",
			limit=NEWEST,
		)
	return context


def published_categories() -> list[dict]:
	"""Categories that have published articles, with their counts, by name."""
	article = frappe.qb.DocType(ARTICLE)
	counts = dict(
		frappe.qb.from_(article)
		.select(article.category, Count("*"))
		.where(article.published == 1)
		.where(article.category.isnotnull())
		.groupby(article.category)
		.run()
	)
	if not counts:
		return []
	rows = frappe.get_all(
		"CX Article Category",
		filters={"name": ("in", list(counts))},
		fields=["name", "description"],
		order_by="name asc",
	)
	return [{**row, "count": counts[row.name]} for row in rows]
