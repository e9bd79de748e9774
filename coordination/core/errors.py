"""Domain errors. Messages are lazy translations, rendered in the user's language."""
from __future__ import annotations


class DomainError(Exception):
    """A rule refused the request. `field` names the form/API field at fault, if any."""

    status = 400

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class ValidationError(DomainError):
    """Input that cannot be accepted as it is. `code`, if any, says why in a word a program can
    act on (the duty app's "already_checked_in", "unconfirmed_check_out", …)."""

    def __init__(self, message, field: str | None = None, code: str | None = None):
        super().__init__(message, field)
        self.code = code


class Unprocessable(ValidationError):
    """A value of the form the API document allows, refused by a rule it can only state in words: a
    phone number that does not exist, a date too far from today, a range too long (422, not 400)."""

    status = 422


class Conflict(DomainError):
    """The request clashes with what is already stored (duplicate phone, second team…)."""

    status = 409


class NotFound(DomainError):
    """Unknown, or outside the user's scope: both look the same to the user."""

    status = 404


class RateLimited(DomainError):
    status = 429
