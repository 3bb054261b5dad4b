"""The website page of a knowledge-base article, at /kb/<slug>.

Frappe's own route rule "/kb/<category>" (its Help Article list) maps every such path to that list before
any document is looked up, so articles have a renderer of their own (the `page_renderer` hook, asked
first). It takes the paths that are an article's route (the path as requested is still in
`frappe.local.path`) and leaves every other one to Frappe: a published article is shown, an unpublished
one answers 404.
"""

import frappe
from frappe.website.page_renderers.document_page import DocumentPage
from frappe.website.page_renderers.not_found_page import NotFoundPage


class ArticlePage(DocumentPage):
	def can_render(self) -> bool:
		path = (getattr(frappe.local, "path", None) or "").strip("/")
		if not path.startswith("kb/"):
			return False
		article = frappe.db.get_value("CX Article", {"route": path}, ["name", "published"], as_dict=True)
		if not article:
			return False
		self.path, self.doctype, self.docname = path, "CX Article", article.name
		self.published = bool(article.published)
		return True

	def render(self):
		if not self.published:
			return NotFoundPage(self.path).render()
		return super().render()
