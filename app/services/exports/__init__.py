"""Exports to the portal (R5): package format, builder, transports, runs, schedule.

The functions other areas call are gathered here: `request_export` (a person asks),
`request_full_export` (the year transition asks, R5.3), `overview` (how exports stand).
"""

from app.services.exports.errors import ClaimLost, ExportError
from app.services.exports.planner import overview, tick
from app.services.exports.runs import package_for_download, process, request_export, request_full_export
from app.services.exports.settings import get_settings, update_settings

__all__ = [
    "ClaimLost",
    "ExportError",
    "get_settings",
    "overview",
    "package_for_download",
    "process",
    "request_export",
    "request_full_export",
    "tick",
    "update_settings",
]
