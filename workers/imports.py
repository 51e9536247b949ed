"""The import job: check or apply one uploaded spreadsheet (thin: app.services.imports.engine)."""

from app.services.imports import engine
from workers.context import job_context


def run_import(job_id: int, action: str, *, school: str) -> str:
    """Check (`action` "check") or apply ("apply") import job `job_id`; return its status."""
    with job_context(school) as settings:
        try:
            return engine.run(job_id, action, settings=settings)
        except Exception:
            engine.fail(job_id, "Загрузка прервана ошибкой сервера: ничего не применено. Попробуйте ещё раз.")
            raise
