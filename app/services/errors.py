"""Errors that carry a message fit to show a school employee (DESIGN 10).

Services raise these; one handler registered by the factory (app/web.py) turns them into a
response: the Russian error page, or `{"error": …, "field": …}` JSON for the APIs, with the
subclass's HTTP status. Views need no try/except of their own unless they answer differently.
"""


class DomainError(Exception):
    """A rule of the school refused the operation; the message is Russian and shown as is."""

    status = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class BadInput(DomainError):
    """The request itself is malformed (a JSON body that is not an object, a field of the wrong type)."""


class AccessDenied(DomainError):
    """The acting staff member may not do this."""

    status = 403

    def __init__(self, message: str = "Недостаточно прав для этого действия.", field: str | None = None):
        super().__init__(message, field)


class NotFound(DomainError):
    """The record does not exist — or the person may not know that it does (same answer for both)."""

    status = 404

    def __init__(self, message: str = "Запись не найдена.", field: str | None = None):
        super().__init__(message, field)


class EditConflict(DomainError):
    """Someone else changed the record after it was opened; nothing was written."""

    status = 409

    def __init__(self, message: str, current: dict | None = None):
        super().__init__(message)
        self.current = current or {}
