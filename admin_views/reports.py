"""«Отчёты»: the report list and each report on screen, as XLSX and as PDF — thin pages over app/services/reports."""

import io

from flask import current_app, send_file, url_for
from flask import request as http
from flask_admin import expose
from flask_login import current_user

from admin_views.base import SecureBaseView
from app.clock import app_clock
from app.documents import PDF_MIME, XLSX_MIME, cell_text, report_pdf, report_xlsx, rows_html
from app.formats import format_date
from app.models import SchoolSettings, SchoolYear
from app.permissions import Perm
from app.services import access
from app.services.errors import AccessDenied, DomainError, NotFound
from app.services.reports import registry


def _me():
    return current_user._get_current_object()


class ReportsView(SecureBaseView):
    """The reports the person may open; a report's form, its table, and its files."""

    required_permission = Perm.REPORTS_VIEW

    def is_accessible(self):
        return current_user.is_authenticated and access.can_open_reports(current_user)

    @expose("/")
    def index(self):
        year = registry.chosen_year(http.args) if http.args.get("year") else SchoolYear.current()
        kinds = registry.visible(_me(), year)
        chosen = {"year": year.id} if year is not None and not year.is_current else {}
        return self.render("reports/index.html", year=year, kinds=kinds, years=registry.years(), chosen=chosen)

    def _kind(self, code):
        year = registry.chosen_year(http.args)
        return registry.get_kind(_me(), code, year), year

    @expose("/<code>/")
    def report(self, code):
        kind, year = self._kind(code)
        clock = app_clock(current_app)
        settings = SchoolSettings.load()
        fields = registry.form(kind, _me(), http.args, year=year, today=clock.today(), settings=settings)
        document, error = None, None
        if registry.wants_report(kind, http.args):
            try:
                document = registry.build(kind, _me(), http.args, clock=clock, settings=settings)
            except (AccessDenied, NotFound):
                raise
            except DomainError as exc:
                error = exc.message
        params = {f.name: f.value for f in fields}
        if not year.is_current:
            params["year"] = year.id
        return self.render(
            "reports/report.html",
            kind=kind,
            year=year,
            fields=fields,
            report=document,
            error=error,
            xlsx_url=url_for(".xlsx", code=kind.code, **params),
            pdf_url=url_for(".pdf", code=kind.code, **params),
            cell_text=cell_text,
            rows_html=rows_html,
        )

    def _file(self, code, draw, mimetype: str, suffix: str):
        kind, _year = self._kind(code)
        clock = app_clock(current_app)
        document = registry.build(kind, _me(), http.args, clock=clock)
        name = f"{document.filename}-{format_date(clock.today())}.{suffix}"
        response = send_file(io.BytesIO(draw(document)), mimetype=mimetype, as_attachment=True, download_name=name)
        response.headers["Cache-Control"] = "no-store"
        return response

    @expose("/<code>/xlsx")
    def xlsx(self, code):
        return self._file(code, report_xlsx, XLSX_MIME, "xlsx")

    @expose("/<code>/pdf")
    def pdf(self, code):
        return self._file(code, report_pdf, PDF_MIME, "pdf")


def register(admin) -> None:
    admin.add_view(ReportsView(name="Отчёты", endpoint="reports", url="/reports"))
