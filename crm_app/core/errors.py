"""Domain errors raised by the core; the Frappe shell turns them into translated messages."""


class CoreError(ValueError):
	"""Base class of every error the functional core raises."""


class InvalidPhoneNumber(CoreError):
	def __init__(self, raw: str, reason: str = "invalid"):
		super().__init__(raw)
		self.raw = raw
		self.reason = reason
