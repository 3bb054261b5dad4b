from datetime import date

from crm_app.core.books.deal_books import (
	BY_DOCUMENTS,
	BY_PERSON,
	LOST,
	OPEN,
	WON,
	WON_NEVER,
	WON_WHEN_INVOICED,
	DealDocuments,
	status_from_books,
)
from crm_app.core.books.matching import CustomerIndex, CustomerKeys, DealCandidate, suggest_deal


def test_paid_is_invoiced_less_outstanding():
	assert DealDocuments(invoiced=240, outstanding=40).paid == 200


def test_an_order_or_an_invoice_wins_an_open_deal():
	assert status_from_books(OPEN, "", DealDocuments(orders=1)) == WON
	assert status_from_books(OPEN, "", DealDocuments(invoiced=10)) == WON
	assert status_from_books(OPEN, "", DealDocuments(live_quotations=1)) is None


def test_only_an_invoice_wins_when_set_so_and_never_when_off():
	assert status_from_books(OPEN, "", DealDocuments(orders=1), WON_WHEN_INVOICED) is None
	assert status_from_books(OPEN, "", DealDocuments(invoiced=5), WON_WHEN_INVOICED) == WON
	assert status_from_books(OPEN, "", DealDocuments(orders=1, invoiced=5), WON_NEVER) is None


def test_a_sale_returned_in_full_is_not_won_by_invoices():
	assert status_from_books(OPEN, "", DealDocuments(invoiced=0), WON_WHEN_INVOICED) is None


def test_every_quotation_lost_and_nothing_sold_loses_the_deal():
	assert status_from_books(OPEN, "", DealDocuments(lost_quotations=2)) == LOST
	assert status_from_books(OPEN, "", DealDocuments(lost_quotations=1, live_quotations=1)) is None
	assert status_from_books(OPEN, "", DealDocuments(lost_quotations=1, orders=1)) == WON
	assert status_from_books(OPEN, "", DealDocuments(lost_quotations=2), lose_with_quotations=False) is None


def test_the_documents_take_back_only_what_they_set():
	assert status_from_books(WON, BY_DOCUMENTS, DealDocuments()) == OPEN
	assert status_from_books(LOST, BY_DOCUMENTS, DealDocuments(orders=1)) == WON
	assert status_from_books(WON, BY_DOCUMENTS, DealDocuments(orders=1)) is None
	assert status_from_books(WON, "", DealDocuments()) is None, "an imported win stays"
	# switched off, a lost quotation no longer keeps a documents' win alive: the deal reopens
	assert (
		status_from_books(WON, BY_DOCUMENTS, DealDocuments(lost_quotations=1), lose_with_quotations=False)
		== OPEN
	)


def test_a_person_has_the_last_word():
	assert status_from_books(WON, BY_PERSON, DealDocuments()) is None
	assert status_from_books(OPEN, BY_PERSON, DealDocuments(orders=1)) is None, "reopened by hand stays open"


def test_customers_match_by_tax_id_then_email_then_name():
	index = CustomerIndex(
		[
			("CX-1", CustomerKeys.of("Acme Sp. z o.o.", "OFFICE@acme.pl", "PL 123-456")),
			("CX-2", CustomerKeys.of("Globex", None, None)),
		]
	)
	assert index.match(CustomerKeys.of("Other name", None, "pl123456")) == "CX-1"
	assert index.match(CustomerKeys.of("Other name", "office@ACME.pl ", None)) == "CX-1"
	assert index.match(CustomerKeys.of("  globex ", None, None)) == "CX-2"
	assert index.match(CustomerKeys.of("Initech", None, None)) is None


def test_an_ambiguous_key_matches_nothing_and_a_linked_record_leaves_the_index():
	index = CustomerIndex([("CX-1", CustomerKeys.of("Twin")), ("CX-2", CustomerKeys.of("Twin"))])
	assert index.match(CustomerKeys.of("Twin")) is None
	index = CustomerIndex([("CX-1", CustomerKeys.of("Юлия Ковальчук", "j@k.ua"))])
	assert index.match(CustomerKeys.of("юлия  ковальчук")) == "CX-1"
	index.remove("CX-1")
	assert index.match(CustomerKeys.of("Юлия Ковальчук")) is None


def test_suggestion_prefers_the_deal_of_the_invoices_amount_and_date():
	deals = [
		DealCandidate("small", 1000, date(2026, 11, 1), won=False),
		DealCandidate("right", 5000, date(2026, 11, 20), won=True),
	]
	assert suggest_deal(5000, date(2026, 11, 25), deals)[0] == "right"
	assert suggest_deal(990, date(2026, 11, 2), deals)[0] == "small"
	assert suggest_deal(100_000, date(2020, 1, 1), deals) is None
	assert suggest_deal(100, date(2026, 1, 1), []) is None
