"""Errors that carry a message fit to show a school employee."""


class DomainError(Exception):
    """A rule of the school refused the operation; the message is Russian and shown as is."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class AccessDenied(DomainError):
    """The acting staff member may not do this."""

    def __init__(self, message: str = "Недостаточно прав для этого действия."):
        super().__init__(message)
