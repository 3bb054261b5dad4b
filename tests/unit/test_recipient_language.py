"""Which language a message goes out in (crm_app/core/recipient_language.py)."""

from crm_app.core import recipient_language as rules
from crm_app.core.recipient_language import Directory


def test_a_customer_email_takes_the_contact_then_the_customer_then_the_site_language():
	assert rules.customer_email_language("pl", "uk", default="ru") == "pl"
	assert rules.customer_email_language(None, "uk", default="ru") == "uk"
	assert rules.customer_email_language("", " ", default="ru") == "ru"
	assert rules.customer_email_language(None, None, default=None) == "en"


def test_the_conversation_comes_after_the_customer_and_before_the_site():
	assert rules.customer_email_language(None, "uk", default="en", conversation="pl") == "uk"
	assert rules.customer_email_language(None, None, default="en", conversation="pl") == "pl"
	assert rules.customer_email_language("ru", None, default="en", conversation="pl") == "ru"


def test_several_parties_are_tried_in_order():
	assert rules.customer_email_language(None, [None, "", "pl", "uk"], default="en") == "pl"


def test_a_desk_user_reads_their_own_language_else_the_site_one():
	assert rules.user_language("uk", "en") == "uk"
	assert rules.user_language(None, "pl") == "pl"


def test_group_sends_once_per_language_each_recipient_once():
	languages = {"a": "uk", "b": "en", "c": "uk", "d": "pl"}
	assert rules.group(["a", "b", "c", "a", "d"], languages.get) == {
		"uk": ["a", "c"],
		"en": ["b"],
		"pl": ["d"],
	}
	assert rules.group([], languages.get) == {}


def directory() -> Directory:
	rows = [
		("User", "olena@desk.example", "Olena@desk.example", "uk", "System User", None, None, 1),
		("User", "john@desk.example", "john@desk.example", None, "System User", None, None, 1),
		("User", "gone@desk.example", "gone@desk.example", "pl", "System User", None, None, 0),
		("User", "portal@customer.example", "portal@customer.example", "ru", "Website User", None, None, 1),
		# a contact with its own language, linked to a customer and a lead
		("Contact", "Marta", "marta@customer.example", "pl", "CX Lead", "LEAD-1", "ru", None),
		("Contact", "Marta", "marta@customer.example", "pl", "CX Customer", "CUST-1", "uk", None),
		# a contact without one: its customer's, before its lead's
		("Contact", "Ivan", "ivan@customer.example", None, "CX Lead", "LEAD-2", "ru", None),
		("Contact", "Ivan", "ivan@customer.example", None, "CX Customer", "CUST-2", "uk", None),
		("Contact", "Nobody", None, None, None, None, None, None),
		("Contact", "Portal", "portal@customer.example", None, "CX Customer", "CUST-2", "uk", None),
		("CX Customer", "CUST-1", None, "uk", "Contact", "Marta", "pl", None),
		("CX Customer", "CUST-3", None, None, "Contact", "Nobody", None, None),
		("CX Customer", "CUST-4", None, "ru", "Contact", None, None, None),
		("CX Lead", "LEAD-3", None, "pl", None, None, None, None),
	]
	return Directory.from_rows(rows, "en")


def test_directory_users():
	found = directory()
	assert found.user("olena@desk.example") == "uk"
	assert found.user("john@desk.example") == "en"  # no language: the site's
	assert found.user("unknown@desk.example") == "en"
	assert found.users["gone@desk.example"].enabled is False


def test_directory_contacts_and_parties():
	found = directory()
	assert found.contact("Marta") == "pl"
	assert found.contact("Ivan") == "uk"  # the customer's before the lead's
	assert found.contact("Nobody") == "en"
	assert found.contact("Nobody", party=("CX Customer", "CUST-4")) == "ru"
	assert found.contact("Nobody", conversation="pl") == "pl"
	assert found.contact(None) == "en"
	assert found.party("CX Customer", "CUST-1") == "pl"  # its primary contact's
	assert found.party("CX Customer", "CUST-3") == "en"
	assert found.party("CX Customer", "CUST-3", conversation="uk") == "uk"
	assert found.party("CX Customer", "CUST-4") == "ru"
	assert found.party("CX Lead", "LEAD-3") == "pl"
	assert found.party("CX Lead", "missing") == "en"


def test_directory_addresses():
	found = directory()
	# a desk user's address: their language, whatever the mail is about; case does not matter
	assert found.address("OLENA@desk.example", party=("CX Customer", "CUST-4")) == "uk"
	# a disabled or portal user's address is not a desk user's: their contact, else what the mail is about
	assert found.address("gone@desk.example", party=("CX Lead", "LEAD-3")) == "pl"
	assert found.address("portal@customer.example") == "uk"
	assert found.address("marta@customer.example") == "pl"
	assert found.address("ivan@customer.example", party=("CX Customer", "CUST-4")) == "ru"
	# the contact the mail is about, when its address has no contact of its own
	assert found.address("new@customer.example", contact="Marta") == "pl"
	assert found.address("new@customer.example", party=("CX Customer", "CUST-4")) == "ru"
	assert found.address("new@customer.example", conversation="uk") == "uk"
	assert found.address(None) == "en"


def test_an_empty_directory_answers_the_site_language():
	empty = Directory.from_rows([], None)
	assert empty.default == "en"
	assert Directory.from_rows([], "uk").address("someone@example.com") == "uk"
