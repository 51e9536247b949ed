"""«Сведения о персональных данных»: a person's subject-access record (152-ФЗ, art. 14), as a page and a PDF."""

import io

from flask import abort, current_app, send_file, url_for
from flask_admin import expose
from flask_login import current_user

from admin_views.base import SecureBaseView
from app.clock import app_clock
from app.documents import PDF_MIME, cell_text, report_pdf, rows_html
from app.formats import format_date
from app.models import SchoolSettings
from app.permissions import Perm
from app.services import privacy


def _report(kind: str, person_id: int):
    if kind not in privacy.KINDS:
        abort(404)
    return privacy.subject_access_report(
        current_user._get_current_object(),
        kind,
        person_id,
        clock=app_clock(current_app),
        school_name=SchoolSettings.load().name,
    )


class PersonDetails:
    """A person's details page links to their subject-access record, for those who may produce it."""

    details_template = "privacy/person_details.html"
    subject_access_kind = ""

    def subject_access_url(self, person) -> str | None:
        """Return the URL of the person's subject-access record, or None for those who may not produce it."""
        if not privacy.can_produce(current_user):
            return None
        return url_for("privacy.record", kind=self.subject_access_kind, person_id=person.id)


class SubjectAccessView(SecureBaseView):
    """The record of everything held about one student, guardian or staff member; the administrator only."""

    required_permission = Perm.PRIVACY_SUBJECT_ACCESS

    def is_visible(self):
        # Opened from a person's page, not from the menu.
        return False

    @expose("/")
    def index(self):
        abort(404)

    @expose("/<kind>/<int:person_id>/")
    def record(self, kind, person_id):
        report = _report(kind, person_id)
        return self.render(
            "privacy/record.html",
            report=report,
            pdf_url=url_for(".pdf", kind=kind, person_id=person_id),
            cell_text=cell_text,
            rows_html=rows_html,
        )

    @expose("/<kind>/<int:person_id>/pdf")
    def pdf(self, kind, person_id):
        report = _report(kind, person_id)
        name = f"{report.filename}-{format_date(app_clock(current_app).today())}.pdf"
        response = send_file(io.BytesIO(report_pdf(report)), mimetype=PDF_MIME, as_attachment=True, download_name=name)
        response.headers["Cache-Control"] = "no-store"
        return response


def register(admin) -> None:
    """Register this area's views."""
    admin.add_view(SubjectAccessView(name="Сведения о персональных данных", endpoint="privacy", url="/privacy"))
