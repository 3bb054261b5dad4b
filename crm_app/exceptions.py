"""Domain exceptions of the Frappe shell; each maps to one kind of bad input, so tests assert on them."""

import frappe


class CXValidationError(frappe.ValidationError):
	pass


class InvalidPhoneError(frappe.InvalidPhoneNumberError):
	pass


class AlreadyConvertedError(CXValidationError):
	pass


class LeadNotConvertibleError(CXValidationError):
	pass


class LostReasonRequiredError(frappe.MandatoryError):
	pass


class OpportunityClosedError(CXValidationError):
	pass


class MissingPartyError(frappe.MandatoryError):
	pass


class InvalidDateRangeError(CXValidationError):
	pass


class InstallConflictError(frappe.ValidationError):
	pass


class DemoDataRefusedError(frappe.ValidationError):
	pass


class ScoringCriterionError(CXValidationError):
	pass


class CompletenessSettingsError(CXValidationError):
	"""A completeness rule naming a field its record type does not have, a weight not above 0, or a
	threshold outside 1-100."""


class InvalidPeriodError(CXValidationError):
	pass


class ClosedPeriodError(CXValidationError):
	pass


class DuplicateTargetError(frappe.DuplicateEntryError):
	pass


class TargetOwnerMissingError(frappe.MandatoryError):
	pass


class InvalidDateTimeError(CXValidationError):
	pass


class ProbabilityRangeError(CXValidationError):
	pass


class MissingExchangeRateError(frappe.MandatoryError):
	pass


class InvalidFilterError(CXValidationError):
	pass


class UnknownSearchQueryError(CXValidationError):
	"""A link search naming a custom query that is not a function's dotted path."""


class InvalidItemTypeError(CXValidationError):
	pass


class CustomerLinkError(CXValidationError):
	pass


class DealDocumentError(CXValidationError):
	"""A deal cannot become, or be linked to, an ERPNext quotation, order, invoice or payment."""


class DealLinkError(CXValidationError):
	"""An ERPNext document names a deal of another customer, or one the user may not see."""


class ItemNotSellableError(CXValidationError):
	pass


class IssuePurchaseError(CXValidationError):
	pass


class ChangedMeanwhileError(frappe.TimestampMismatchError):
	"""A save from a copy older than the record: someone changed it in between."""


class AlreadyLinkedError(DealLinkError):
	"""The document got its deal from someone else a moment ago (two accountants linking it at once)."""


class MergeRefusedError(CXValidationError):
	"""A merge that would lose or mix up data: merging a record into itself, records of different
	customers or ERPNext customers, or a field value that cannot be taken."""


class MergeUndoRefusedError(CXValidationError):
	"""An undo that would lose data: the kept record changed since the merge, or a merged record's name
	is taken again."""


class DuplicateRecordError(CXValidationError):
	"""A Data Import row that matches a record already there (CX Data Quality Settings decide)."""


class ImportFileError(CXValidationError):
	"""An import file the app refuses before any row is read (a CSV that is not UTF-8)."""


class InvalidSLAPolicyError(CXValidationError):
	pass


class IssueEmailError(CXValidationError):
	pass


# Support portal, guest requests and satisfaction ratings (crm_app/cx_support/portal.py, csat.py).
class PortalInputError(CXValidationError):
	"""A portal reply or support request that is empty, too long or without a valid email address."""


class SpamSubmissionError(CXValidationError):
	"""A guest support request refused by the spam check (crm_app/core/service/portal.py)."""


class IssueClosedError(CXValidationError):
	"""A portal reply to a closed issue: the customer opens a new one."""


class RatingLinkError(frappe.PermissionError):
	"""A rating link whose token does not match its issue's current request (tampered or superseded)."""


class RatingNotAwaitedError(CXValidationError):
	"""A rating for an issue not waiting for one: never asked, already rated (a used link), or reopened."""


class RatingInputError(CXValidationError):
	"""A rating outside 1-5 or a comment over 2,000 characters."""


class InvalidSegmentRuleError(CXValidationError):
	"""A segment or trigger rule on a field its record type does not have (or may not use), with an operator
	Frappe does not know, or with a value of the wrong type for the field."""


class InvalidTouchError(CXValidationError):
	"""A campaign touch of a kind that does not exist, on no record, or for a campaign that does not exist."""


# Marketing triggers (crm_app/cx_marketing/triggers.py).
class TriggerActionError(CXValidationError):
	"""A trigger action that cannot run as set up: no recipient, no assignee, no template, a template
	sent from a record type without an email address, an action the record type cannot take."""


class TriggerNeedsERPNextError(TriggerActionError):
	"""A Pricing Rule or Coupon Code action on a site without ERPNext, or naming a Pricing Rule it lacks."""


# Campaign email (crm_app/cx_marketing/sends.py).
class CampaignEmailError(CXValidationError):
	"""A campaign email that cannot be sent as it is: no steps, a template that does not compile, no
	sending account, a bad send window or time zone."""


class CampaignEmailStateError(CXValidationError):
	"""Started while already sending or sent, or paused while not sending: refused, nothing queued twice."""


# Lead capture from the website and email (crm_app/cx_marketing/capture.py).
class LeadCaptureRefusedError(CXValidationError):
	"""A guest's lead refused by the spam check (honeypot, too fast, links, known advertising) or a
	submission the form does not allow (editing a record, a field the form does not have)."""


class LeadCaptureRateLimitedError(LeadCaptureRefusedError):
	"""Too many leads from one address in a short time."""

	http_status_code = 429


# Opens and clicks of campaign email (crm_app/cx_marketing/tracking.py).
class CampaignTrackingLinkError(CXValidationError):
	"""A campaign email's open or click link this site did not issue: a changed signature, message or
	link index, or a campaign email or link that does not exist. Refused; nothing is recorded."""

	http_status_code = 404  # a browser following the link gets Frappe's "Not Found" page, not an error trace


# Analytics (crm_app/cx_insights): settings the figures cannot be made from.
class InsightsSettingsError(CXValidationError):
	"""A weight, horizon or threshold in CX Insights Settings that is negative, zero where a period is
	meant, or a tier table with the same tier or threshold twice."""
