"""The language a message goes out in: the recipient's, never the language of whoever caused it.

- A desk user reads in their own language (`User.language`), else the site's default language.
- A customer (or lead) reads in their contact's language; else the language of the customer or lead
  the mail is about, or that the contact belongs to (customers before leads); else the language of the
  conversation (an issue's language, detected from what they wrote); else the site's default.
- An address is a desk user when an enabled desk (System) user has it; else a contact who has it;
  else only what the mail is about decides (its contact, customer or lead, its conversation).

`Directory` holds what the site knows about a send's recipients (read in one query,
crm_app/languages.py) and answers these rules; `group` turns a send to many people into one send per
language, so that each message is rendered once per language and not once per person.

Plain Python: nothing here imports frappe.
"""

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

CUSTOMER = "CX Customer"
LEAD = "CX Lead"
# A contact linked to both a customer and a lead (a converted lead) reads in the customer's language.
PARTY_ORDER = (CUSTOMER, LEAD)
DESK_USER = "System User"
FALLBACK = "en"

T = TypeVar("T", bound=Hashable)


def clean(language: str | None) -> str | None:
	"""A language code as stored (`uk`, `pt-BR`), or None when there is none."""
	language = (language or "").strip()
	return language or None


def first_language(*candidates: str | None, default: str | None) -> str:
	"""The first language set among `candidates`, in the order given; else `default` (else English)."""
	for candidate in candidates:
		if clean(candidate):
			return clean(candidate)
	return clean(default) or FALLBACK


def user_language(language: str | None, default: str | None) -> str:
	"""A desk user's language: their own, else the site's."""
	return first_language(language, default=default)


def customer_email_language(
	contact: str | None = None,
	party: str | Iterable[str | None] | None = None,
	default: str | None = None,
	conversation: str | None = None,
) -> str:
	"""The language of an email to a customer or lead: the contact's, else the customer's or lead's
	(`party`: one language, or several in order of preference), else the conversation's, else `default`
	(the site's)."""
	parties = [party] if party is None or isinstance(party, str) else list(party)
	return first_language(contact, *parties, conversation, default=default)


def group(recipients: Iterable[T], language_of: Callable[[T], str]) -> dict[str, list[T]]:
	"""Recipients by language, each once, in the order first met (languages too)."""
	groups: dict[str, list[T]] = {}
	seen: set[T] = set()
	for recipient in recipients:
		if recipient in seen:
			continue
		seen.add(recipient)
		groups.setdefault(language_of(recipient), []).append(recipient)
	return groups


# -- what the site knows about a send's recipients ----------------------------------------------------


@dataclass(frozen=True)
class User:
	name: str
	email: str | None
	language: str | None
	enabled: bool
	desk: bool  # an enabled System User: reads the desk in their language


@dataclass(frozen=True)
class Contact:
	name: str
	language: str | None
	parties: tuple[tuple[str, str, str | None], ...] = ()  # (doctype, name, language) of its links


@dataclass
class Directory:
	"""Languages of users, contacts, customers and leads, keyed as they were read. Missing entries
	(a record deleted since) count as records without a language."""

	default: str = FALLBACK
	users: dict[str, User] = field(default_factory=dict)
	contacts: dict[str, Contact] = field(default_factory=dict)
	# (doctype, name) -> (language, primary contact) of a customer or lead
	parties: dict[tuple[str, str], tuple[str | None, str | None]] = field(default_factory=dict)
	user_by_email: dict[str, str] = field(default_factory=dict)  # lower-case address -> user
	contacts_by_email: dict[str, list[str]] = field(default_factory=dict)  # lower-case -> contacts

	@classmethod
	def from_rows(cls, rows: Iterable[tuple], default: str | None) -> "Directory":
		"""Rows of the one query (crm_app/languages.py `read_directory`), each
		(kind, name, email, language, link_doctype, link_name, link_language, flag):

		- ("User", name, email, language, user type, None, None, enabled)
		- ("Contact", name, email or None, language, party doctype or None, party name, party language, None):
		  one row per email and link of the contact
		- ("CX Customer" / "CX Lead", name, None, language, "Contact", primary contact, its language, None)
		"""
		directory = cls(default=clean(default) or FALLBACK)
		contact_links: dict[str, dict[tuple[str, str], str | None]] = {}
		contact_languages: dict[str, str | None] = {}
		for kind, name, email, language, link_doctype, link_name, link_language, flag in rows:
			address = (email or "").strip().lower()
			if kind == "User":
				desk = bool(flag) and link_doctype == DESK_USER
				directory.users[name] = User(name, email, clean(language), bool(flag), desk)
				if address and desk:
					directory.user_by_email.setdefault(address, name)
			elif kind == "Contact":
				contact_languages[name] = clean(language)
				links = contact_links.setdefault(name, {})
				if link_doctype in PARTY_ORDER and link_name:
					links[(link_doctype, link_name)] = clean(link_language)
				if address:
					names = directory.contacts_by_email.setdefault(address, [])
					if name not in names:
						names.append(name)
			elif kind in PARTY_ORDER:
				directory.parties[(kind, name)] = (clean(language), link_name or None)
				if link_name and link_name not in contact_languages:
					contact_languages[link_name] = clean(link_language)
					contact_links.setdefault(link_name, {})
		for name, language in contact_languages.items():
			links = sorted(contact_links.get(name, {}).items(), key=lambda item: _party_rank(item[0]))
			parties = tuple((doctype, party, lang) for (doctype, party), lang in links)
			directory.contacts[name] = Contact(name, language, parties)
		for names in directory.contacts_by_email.values():
			names.sort()
		return directory

	# -- the rules --------------------------------------------------------------------------------------

	def user(self, name: str | None) -> str:
		"""A desk user's language (a user unknown here: the site's)."""
		found = self.users.get(name or "")
		return user_language(found.language if found else None, self.default)

	def contact(
		self, name: str | None, party: tuple[str, str] | None = None, conversation: str | None = None
	) -> str:
		"""A contact's language; else that of `party` (the customer or lead the mail is about), else of the
		customers and leads the contact belongs to, else the conversation's, else the site's."""
		return self._customer([name] if name else [], party, conversation)

	def party(self, doctype: str, name: str | None, conversation: str | None = None) -> str:
		"""An email to a customer's or lead's own address: its primary contact's language, else its own,
		else the conversation's, else the site's."""
		primary = self.parties.get((doctype, name or ""), (None, None))[1]
		return self._customer([primary] if primary else [], (doctype, name or ""), conversation)

	def address(
		self,
		email: str | None,
		contact: str | None = None,
		party: tuple[str, str] | None = None,
		conversation: str | None = None,
	) -> str:
		"""An address's language. A desk user's address: their language. Else as `contact` with the
		contact the mail is about (`contact`) and the contacts that have this address."""
		address = (email or "").strip().lower()
		user = self.user_by_email.get(address)
		if user:
			return self.user(user)
		contacts = [name for name in (contact, *self.contacts_by_email.get(address, ())) if name]
		return self._customer(list(dict.fromkeys(contacts)), party, conversation)

	def _customer(self, contacts: list[str], party: tuple[str, str] | None, conversation: str | None) -> str:
		found = [self.contacts[name] for name in contacts if name in self.contacts]
		return customer_email_language(
			next((c.language for c in found if c.language), None),
			[self._party_language(party), *(lang for c in found for _doctype, _name, lang in c.parties)],
			self.default,
			conversation,
		)

	def _party_language(self, party: tuple[str, str] | None) -> str | None:
		if not party or not party[1]:
			return None
		return self.parties.get(party, (None, None))[0]


def _party_rank(key: tuple[str, str]) -> tuple[int, str]:
	doctype, name = key
	return (PARTY_ORDER.index(doctype) if doctype in PARTY_ORDER else len(PARTY_ORDER), name)
