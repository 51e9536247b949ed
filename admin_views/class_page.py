"""«Мой класс»: the class teacher's page of the class and each student's card (app/services/class_page.py)."""

from flask import current_app, request
from flask_admin import expose
from flask_login import current_user

from admin_views.base import SecureBaseView
from app.clock import app_clock
from app.permissions import Perm
from app.services import access, class_page, finals, journal, journal_marks
from app.services.errors import AccessDenied


class ClassPageView(SecureBaseView):
    """The classes the person may open, a class's period at a glance, and a student's card."""

    required_permission = Perm.JOURNAL_EDIT_OWN

    def is_accessible(self):
        return current_user.is_authenticated and access.can_any(
            current_user, (Perm.JOURNAL_EDIT_OWN, Perm.JOURNAL_VIEW_ALL)
        )

    @expose("/")
    def index(self):
        me = current_user._get_current_object()
        year = journal.current_year()
        classes = finals.class_groups_of(me, year) if year else []
        if not classes and not access.can_view_every_class_finals(me):
            raise AccessDenied("Страница класса — для классного руководителя, заместителя директора и директора.")
        return self.render("classes/index.html", year=year, classes=classes)

    @expose("/<int:class_id>")
    def sheet(self, class_id):
        me = current_user._get_current_object()
        sheet = class_page.class_sheet(
            me, class_id, today=app_clock(current_app).today(), term_id=request.args.get("term")
        )
        return self.render("classes/sheet.html", sheet=sheet, fmt=journal_marks.format_average)

    @expose("/<int:class_id>/student/<int:student_id>")
    def student(self, class_id, student_id):
        me = current_user._get_current_object()
        card = class_page.student_card(
            me, class_id, student_id, today=app_clock(current_app).today(), term_id=request.args.get("term")
        )
        return self.render("classes/student.html", card=card, fmt=journal_marks.format_weight)


def register(admin) -> None:
    admin.add_view(ClassPageView(name="Мой класс", endpoint="class_page", url="/class", category="Журнал"))
