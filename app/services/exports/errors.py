"""Why an export stopped: a message for the administrator, or a sign that another exporter took over."""


class ExportError(Exception):
    """The export failed for a reason the administrator should read (Russian message, shown as is)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ClaimLost(Exception):
    """Another exporter took over this run (our claim lapsed): stop without touching it."""


class FullNeeded(Exception):
    """A daily package cannot continue anything the portal holds for this school code and year: send a full.

    `reason` (Russian) says why, for the run's history.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class DeliveryDeferred(ExportError):
    """The portal may take the package later (no answer, 5xx, 408, 429): try again after a wait.

    `problem` (Russian) says what went wrong; `retry_after` is the wait in seconds the portal asked
    for in its Retry-After header, or None.
    """

    def __init__(self, problem: str, retry_after: float | None = None):
        super().__init__(problem)
        self.problem = problem
        self.retry_after = retry_after
