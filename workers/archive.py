"""The year archive's job: build the PDFs and the manifest of one archive build (thin: app.services.archive)."""

from app.services import archive
from workers.context import job_context


def build_archive(build_id: int, *, school: str) -> str:
    """Build archive build `build_id` (a PDF per class and the manifest); return its status."""
    with job_context(school) as settings:
        return archive.build(build_id, settings=settings)
