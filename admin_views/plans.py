"""«Тематическое планирование»: the year's journals with their plans and hours; a journal's plan, import, approval."""

import json

from flask import current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.peewee.filters import FilterEqual
from flask_login import current_user

from admin_views.base import SecureBaseView
from admin_views.school import SchoolView, SubjectField, YearField
from app.clock import app_clock
from app.models import CurriculumHours, SchoolYear, Subject
from app.services import access, journal, plans
from app.services.errors import AccessDenied, DomainError, NotFound

VIEW_CODES = (journal.EDIT_PERMISSION, access.VIEW_ALL, journal.CHECK_PERMISSION)
# An uploaded plan is a spreadsheet of a few hundred rows: a few hundred kilobytes at most.
MAX_UPLOAD = 5 * 1024 * 1024


def _me():
    return current_user._get_current_object()


def _clock():
    return app_clock(current_app)


class PlansView(SecureBaseView):
    """The plans of this year's journals (the deputy's list, a teacher's own), and one journal's plan."""

    codes = VIEW_CODES

    def is_accessible(self):
        return current_user.is_authenticated and access.can_any(current_user, self.codes)

    @expose("/")
    def index(self):
        me, clock = _me(), _clock()
        year = journal.current_year()
        every = plans.plan_lines(me, year, today=clock.today()) if year else []
        shown = request.args.get("show", "")
        shown = shown if shown in plans.LINE_FILTERS else ""
        grade = request.args.get("grade", "")
        return self.render(
            "journal/plans.html",
            year=year,
            every=every,
            lines=plans.filter_lines(every, shown, grade),
            counts=plans.line_counts(every),
            filters=plans.LINE_FILTERS,
            shown=shown,
            grades=sorted({line.journal.group.grade for line in every if line.journal.group.grade is not None}),
            grade=grade,
            today=clock.today(),
            approves=access.can_approve_plans(me),
        )

    def _page(self, journal_row, *, preview=None, status=200):
        me, clock = _me(), _clock()
        plan = plans.plan_of(journal_row.id)
        rows = plans.rows_of(plan)
        (line,) = plans.plan_lines(me, journal_row.year, today=clock.today(), journal_ids=[journal_row.id]) or (None,)
        editable = access.can_edit_plan(me, journal_row) and not (plan and plan.is_approved)
        return self.render(
            "journal/plan.html",
            journal_row=journal_row,
            plan=plan,
            rows=rows,
            used=plans.usage(plan.id) if plan else {},
            line=line,
            editable=editable,
            teaches=access.can_edit_plan(me, journal_row),
            approves=access.can_approve_plans(me),
            parallel=[j for j in plans.parallel_journals(journal_row) if access.can_edit_plan(me, j)] if rows else [],
            last_year=plans.last_year_journals(journal_row) if editable else [],
            preview=preview,
            preview_json=json.dumps([row.raw for row in preview.rows], ensure_ascii=False) if preview else "",
            status_labels=plans.STATUS_LABELS,
            approved_by=plan.approved_by.short_name if plan and plan.approved_by_id else "",
            clock=clock,
        ), status

    def _journal(self, journal_id):
        found = plans.get_journal(journal_id)
        plans.ensure_can_view(_me(), found)
        return found

    @expose("/<int:journal_id>")
    def plan(self, journal_id):
        return self._page(self._journal(journal_id))

    @expose("/<int:journal_id>/preview", methods=["POST"])
    def preview(self, journal_id):
        found = self._journal(journal_id)
        upload = request.files.get("file")
        try:
            plans.ensure_can_edit(_me(), found)
            if upload is None or not upload.filename:
                raise DomainError("Выберите файл плана (XLSX или CSV).")
            data = upload.stream.read(MAX_UPLOAD + 1)
            if len(data) > MAX_UPLOAD:
                raise DomainError("Файл плана больше 5 МБ: это не похоже на тематический план.")
            preview = plans.preview_file(_me(), found, upload.filename, data)
        except AccessDenied:
            raise
        except DomainError as exc:
            flash(exc.message, "error")
            return self._page(found, status=400)
        return self._page(found, preview=preview)

    def _done(self, journal_id, action, success: str):
        try:
            action()
        except (AccessDenied, NotFound):
            raise
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(success, "success")
        return redirect(url_for(".plan", journal_id=journal_id), 303)

    @expose("/<int:journal_id>/apply", methods=["POST"])
    def apply(self, journal_id):
        found = self._journal(journal_id)
        me, clock = _me(), _clock()

        def run():
            plans.ensure_can_edit(me, found)
            plans.apply_rows(me, found, plans.rows_from_text(request.form.get("rows")), clock=clock)

        return self._done(found.id, run, "Тематический план загружен.")

    @expose("/<int:journal_id>/copy", methods=["POST"])
    def copy(self, journal_id):
        found = self._journal(journal_id)
        me, clock = _me(), _clock()
        targets = request.form.getlist("target")

        def run():
            copied = plans.copy_to_parallel(me, found, targets, clock=clock)
            flash("План скопирован: " + ", ".join(str(j.group) for j in copied) + ".", "success")

        return self._done(found.id, run, "Копирование завершено.")

    @expose("/<int:journal_id>/copy-from", methods=["POST"])
    def copy_from(self, journal_id):
        found = self._journal(journal_id)
        me, clock = _me(), _clock()
        return self._done(
            found.id,
            lambda: plans.copy_from_last_year(me, found, request.form.get("source"), clock=clock),
            "План прошлого учебного года перенесён в журнал (без дат).",
        )

    @expose("/<int:journal_id>/approve", methods=["POST"])
    def approve(self, journal_id):
        found = self._journal(journal_id)
        me, clock = _me(), _clock()
        return self._done(
            found.id,
            lambda: plans.approve_plan(me, found, request.form.get("comment"), clock=clock),
            "План утверждён.",
        )

    @expose("/<int:journal_id>/return", methods=["POST"])
    def send_back(self, journal_id):
        found = self._journal(journal_id)
        me, clock = _me(), _clock()
        return self._done(
            found.id,
            lambda: plans.return_plan(me, found, request.form.get("comment"), clock=clock),
            "План возвращён учителю на доработку.",
        )


class CurriculumHoursView(SchoolView):
    """«Учебный план»: a subject's hours per year in a grade, kept by the timetable's keeper."""

    joined_models = (SchoolYear, Subject)
    column_list = ("year", "subject", "grade", "hours")
    column_sortable_list = [("year", SchoolYear.start_date), ("subject", Subject.name), "grade", "hours"]
    column_default_sort = [(SchoolYear.start_date, True), ("grade", False), (Subject.name, False)]
    column_filters = [FilterEqual(SchoolYear.name, "Учебный год"), FilterEqual(CurriculumHours.grade, "Параллель")]
    form_columns = ("year", "subject", "grade", "hours")
    form_overrides = {"year": YearField, "subject": SubjectField}

    def get_query(self):
        return (
            super()
            .get_query()
            .select_extend(SchoolYear, Subject)
            .join_from(CurriculumHours, SchoolYear)
            .join_from(CurriculumHours, Subject)
        )

    def validate_model(self, model, is_created):
        plans.validate_curriculum(model)


def register(admin) -> None:
    """Register the plans under the «Журнал» menu."""
    admin.add_view(
        PlansView(name="Тематическое планирование", endpoint="journal_plans", url="/journal/plans", category="Журнал")
    )


def register_curriculum(admin) -> None:
    """Register the curriculum's hours under the «Школа» menu (after the school's own pages)."""
    admin.add_view(CurriculumHoursView(CurriculumHours, name="Учебный план (часы)", category="Школа"))
