# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

import re

import frappe
from frappe import _
from frappe.utils import cint, now_datetime
from frappe.website.website_generator import WebsiteGenerator
from unidecode import unidecode

from crm_app.cx_support import knowledge

ROUTE_PREFIX = "kb"
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


class CXArticle(WebsiteGenerator):
	"""A knowledge-base article; published ones are website pages at /kb/<slug> and are searched."""

	website = frappe._dict(page_title_field="title", condition_field="published")

	def validate(self):
		self.published = int(self.status == "Published")
		if not self.published:
			self.published_on = None
		elif not self.published_on or self.has_value_changed("published"):
			self.published_on = now_datetime()
		super().validate()  # the route, on first publication

	def make_route(self) -> str:
		"""kb/<title in ASCII>, made unique; kept afterwards so links to the article keep working."""
		slug = _NOT_SLUG.sub("-", unidecode(self.title or "").lower()).strip("-")[:100].strip("-")
		route = f"{ROUTE_PREFIX}/{slug or self.name}"
		if frappe.db.exists(self.doctype, {"route": route, "name": ("!=", self.name)}):
			route = f"{route}-{self.name}"
		return route

	def on_update(self):
		super().on_update()
		knowledge.on_article_update(self)

	def on_trash(self):
		super().on_trash()
		knowledge.on_trash(self)

	def get_context(self, context):
		# kb_page.ArticlePage shows published articles only; this holds for any other way to the page.
		if not self.published:
			raise frappe.PageDoesNotExistError
		context.no_cache = 1
		context.parents = [{"route": ROUTE_PREFIX, "title": _("Knowledge Base")}]
		if self.category:
			context.parents.append(
				{"route": f"{ROUTE_PREFIX}?category={self.category}", "title": self.category}
			)
		context.metatags = {"title": self.title, "description": knowledge.snippet(self.content, set())}


def get_list_context(context=None):
	"""/list/cx-article and its API read published articles only, and only what their page shows."""
	return {"title": _("Knowledge Base"), "get_list": get_published_list, "no_breadcrumbs": True}


def get_published_list(
	doctype, txt=None, filters=None, limit_start=0, limit_page_length=20, order_by=None, **kwargs
):
	return frappe.get_all(
		"CX Article",
		filters={"published": 1},
		fields=["name", "title", "route", "category", "language", "published_on"],
		or_filters={"title": ("like", f"%{txt}%")} if txt else None,
		order_by="published_on desc",
		start=max(cint(limit_start), 0),
		limit=min(max(cint(limit_page_length), 1), 100),
	)


def on_doctype_update():
	# The collection figures of the search (count and average length of published articles) read this
	# index alone; the knowledge-base home lists a category's published articles from the other.
	frappe.db.add_index("CX Article", ["published", "search_length"], "published_length_index")
	frappe.db.add_index("CX Article", ["published", "category"], "published_category_index")
	frappe.db.add_index("CX Article", ["published", "published_on"], "published_on_index")
