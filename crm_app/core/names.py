"""Person and organisation names."""


def full_name(first: str | None, last: str | None, organization: str | None = None) -> str:
	"""A lead's display name: the person when known, else the organisation."""
	person = " ".join(part.strip() for part in (first, last) if part and part.strip())
	return person or (organization or "").strip()
