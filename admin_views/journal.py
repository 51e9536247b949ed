"""The class journal's pages: today's lessons, the grid, the lesson panel, print, finals, substitutions, planning."""

import calendar
import datetime as dt
import re

from flask import (
    current_app,
    flash,
    jsonify,
    redirect,
    request,
    send_file,
    url_for,
)
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields import DateField

from admin_views.base import SecureBaseView, SecureModelView, Writes
from admin_views.forms import WeightField
from app.clock import app_clock
from app.documents import PDF_MIME
from app.formats import month_label, month_name
from app.ids import MAX_ID, parse_id
from app.json_body import json_object
from app.models import (
    ABSENCE_REASONS,
    FINAL_VALUES,
    ClassGroup,
    HomeworkFile,
    Lesson,
    SchoolSettings,
    Subject,
    Term,
    WorkType,
)
from app.models.finals import FINAL_COMMENT_MAX
from app.permissions import Perm
from app.services import (
    access,
    finals,
    groups,
    journal,
    journal_files,
    journal_marks,
    journal_planning,
    journal_print,
    plan_rows,
    school,
    work_types,
)
from app.services.errors import AccessDenied, DomainError, EditConflict, NotFound

VIEW_CODES = (journal.EDIT_PERMISSION, access.VIEW_ALL)
STAFFING_CODES = (journal.CHECK_PERMISSION, journal.SCHEDULE_PERMISSION)


def _me():
    return current_user._get_current_object()


def _clock():
    return app_clock(current_app)


# The dates a page may be asked about: wide enough for any school year, far from the calendar's ends
# (a day before 0001-01-01 or after 9999-12-31 does not exist, so «the previous day» would fail).
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)
ISO_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def _parse_day(value, default: dt.date) -> dt.date:
    """Return the page's ?date=, or `default` with a Russian note when it is not a sane date."""
    if not value:
        return default
    day = None
    if isinstance(value, str) and ISO_DAY_RE.match(value):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        flash(f"Дата «{value[:20]}» не распознана: показан {default:%d.%m.%Y}.", "warning")
        return default
    return day


def _parse_month(value) -> dt.date | None:
    """Return the first day of a YYYY-MM month within the sane range, else None."""
    found = ISO_MONTH_RE.match(value or "")
    if not found or not 1 <= int(found.group(2)) <= 12:
        return None
    start = dt.date(int(found.group(1)), int(found.group(2)), 1)
    return start if FIRST_DAY <= start <= LAST_DAY else None


def _choice_id(value) -> int:
    """Coerce a select's value: a record id, 0 for «none» (0 or empty), -1 for anything that cannot be an id."""
    if value in (None, "", 0, "0"):
        return 0
    return parse_id(value) or -1


def _flash_form_errors(form) -> None:
    for field_name, errors in form.errors.items():
        label = getattr(getattr(form, field_name, None), "label", None)
        for error in errors:
            flash(f"{label.text}: {error}" if label is not None and field_name != "csrf_token" else error, "error")


def _upload_root():
    return journal_files.upload_root(current_app.config["INSTANCE_PATH"])


def _work_types():
    # In the order the administrator entered them: the list starts with the everyday kind.
    return list(WorkType.select().where(WorkType.active == True).order_by(WorkType.id))  # noqa: E712


def _script_config(**extra) -> dict:
    """Return what the page's script needs: the entry rules (from the server), work types, URLs; not the cells."""
    config = {
        **journal_marks.entry_rules(),
        "workTypes": [
            {
                "id": w.id,
                "name": w.name[:1].upper() + w.name[1:],
                "weight": journal_marks.format_weight(w.default_weight),
            }
            for w in _work_types()
        ],
        "urls": {
            "addMark": url_for("journal.api_add_mark"),
            "mark": url_for("journal.api_change_mark", mark_id=0),
            "deleteMark": url_for("journal.api_delete_mark", mark_id=0),
            "absence": url_for("journal.api_absence"),
            "cell": url_for("journal.api_cell"),
        },
    }
    config.update(extra)
    return config


# The short headers of the class's finals page, narrow enough for 15 subjects × 7 columns on a page.
TERM_SHORT = {"quarter": "ч.", "trimester": "тр.", "half": "пол."}
YEAR_SHORT = {"year": "Год", "exam": "Экз.", "final": "Итог"}
# Finals that call for attention on the class's page.
WEAK_FINALS = {"2", "1", "нз", "н/а"}


def short_label(column) -> str:
    """Return a final-mark column's short header: «1 ч.», «2 пол.», «Год», «Экз.», «Итог»."""
    if column.term is not None:
        return f"{column.term.number} {TERM_SHORT.get(column.term.kind, '')}".strip()
    return YEAR_SHORT[column.kind]


def _typed_finals(form, prefix: str = "value-") -> dict[str, str]:
    """Return {student id as sent: text} from a finals form's `value-<id>` (or `comment-<id>`) fields."""
    return {key[len(prefix) :]: value for key, value in form.items() if key.startswith(prefix)}


class JournalMixin:
    """Open to everyone who fills or reads the journal."""

    codes = VIEW_CODES

    def is_accessible(self):
        return current_user.is_authenticated and access.can_any(current_user, self.codes)


class TodayView(JournalMixin, SecureBaseView):
    """«Сегодня»: a teacher's lessons of a day, substitutions included, with what each still lacks."""

    codes = (journal.EDIT_PERMISSION,)

    @expose("/")
    def index(self):
        today = _clock().today()
        day = _parse_day(request.args.get("date"), today)
        lessons = journal.day_lessons(_me(), day, today=today)
        return self.render(
            "journal/today.html",
            day=day,
            today=today,
            lessons=lessons,
            prev_day=max(day - dt.timedelta(days=1), FIRST_DAY),
            next_day=min(day + dt.timedelta(days=1), LAST_DAY),
        )


class LessonForm(FlaskForm):
    version = HiddenField()
    topic = TextAreaField("Тема урока")
    homework = TextAreaField("Домашнее задание")
    held = BooleanField("Урок проведён")
    cancelled = BooleanField("Урок отменён (не состоится)")
    cancel_reason = StringField("Причина отмены")
    teacher_id = SelectField("Урок провёл (замена)", coerce=_choice_id, validate_choice=False)
    replacement_subject_id = SelectField("Предмет при замене", coerce=_choice_id, validate_choice=False)
    confirm_busy = BooleanField("Всё равно назначить: учитель занят в это время")
    # The plan row the panel proposed: the lesson takes it when saved, while it is still free.
    plan_row_id = HiddenField()


class JournalView(JournalMixin, SecureBaseView):
    """The class journals: the list, the grid, the lesson panel, files, print, final marks and the grid's cell saves."""

    # --- the list of journals --------------------------------------------------------------

    @expose("/")
    def index(self):
        year = journal.chosen_year(request.args.get("year"))
        entries = journal.journals_for(_me(), year)
        term = journal.default_term(year, _clock().today()) if year else None
        cards: dict[int, dict] = {}
        for entry in entries:
            cards.setdefault(entry.group.id, {"group": entry.group, "entries": []})["entries"].append(entry)
        me = _me()
        sees_all = access.can_view_every_class_finals(me)
        return self.render(
            "journal/index.html",
            year=year,
            years=journal.all_years(),
            term=term,
            groups=list(cards.values()),
            kind_labels=groups.GROUP_KIND_LABELS,
            # The deputy and the head reach every class's finals from one list; a class teacher, their classes'.
            all_class_finals=sees_all,
            led_classes=finals.class_groups_of(me, year) if year and not sees_all else [],
        )

    # --- the grid --------------------------------------------------------------------------

    @expose("/grid/<int:journal_id>/<int:term_id>")
    def grid(self, journal_id, term_id):
        book = journal.get_journal(journal_id)
        term = Term.get_or_none(Term.id == term_id)
        journal.ensure_may_open_journal(_me(), book)
        if term is None or term.year_id != book.year_id:
            raise NotFound("Такого периода в учебном году журнала нет.")
        grid = journal_marks.build_grid(_me(), book, term.start_date, term.end_date, clock=_clock())
        months = []
        day = term.start_date.replace(day=1)
        while day <= term.end_date:
            months.append(day)
            day = (day + dt.timedelta(days=32)).replace(day=1)
        return self.render(
            "journal/grid.html",
            grid=grid,
            term=term,
            terms=grid.terms,
            months=months,
            month_name=month_name,
            lesson_url=lambda lesson_id: url_for(".lesson", lesson_id=lesson_id),
            jconfig=_script_config(cells=grid.cells_data()),
            any_editable=any(c.editable for c in grid.lessons),
            start_lesson=grid.start_lesson_id(),
            print_periods=journal_print.periods(book, SchoolSettings.load()),
        )

    @expose("/print/<int:journal_id>/<month>")
    def print_month(self, journal_id, month):
        book = journal.get_journal(journal_id)
        journal.ensure_may_open_journal(_me(), book)
        start = _parse_month(month)
        if start is None:
            raise NotFound("Такого месяца нет: укажите месяц как ГГГГ-ММ.")
        end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
        grid = journal_marks.build_grid(_me(), book, start, end, clock=_clock())
        return self.render(
            "journal/print.html",
            grid=grid,
            month_label=month_label(start),
            rules=journal_marks.entry_rules(),
        )

    @expose("/print-pdf/<int:journal_id>")
    def print_pdf(self, journal_id):
        """The journal printed like the paper one (PDF) for ?period= (a month «2026-11», «term-<id>» or «year»)."""
        period = request.args.get("period", "")
        data, name = journal_print.journal_pdf(
            _me(), journal_id, period if isinstance(period, str) else "", clock=_clock(), settings=SchoolSettings.load()
        )
        response = current_app.response_class(data, mimetype=PDF_MIME)
        response.headers["Content-Disposition"] = journal_files.content_disposition(name).replace(
            "attachment", "inline", 1
        )
        response.headers["Cache-Control"] = "private, no-store"
        return response

    # --- final marks -----------------------------------------------------------------------

    @expose("/finals/<int:journal_id>", methods=["GET", "POST"])
    def finals_page(self, journal_id):
        """A journal's finals: students × periods with averages and recommendations; one column edited at a time."""
        me = _me()
        book = journal.get_journal(journal_id)
        journal.ensure_may_open_journal(me, book)
        settings = SchoolSettings.load()
        typed, comments, error, status = {}, {}, None, 200
        column_key = request.form.get("column", "") if request.method == "POST" else request.args.get("column")
        if request.method == "POST":
            typed, comments = _typed_finals(request.form), _typed_finals(request.form, "comment-")
            try:
                count = finals.save_finals(
                    me,
                    book.id,
                    column_key,
                    typed,
                    reason=request.form.get("reason"),
                    comments=comments,
                    settings=settings,
                    clock=_clock(),
                )
            except (AccessDenied, NotFound):
                raise
            except DomainError as exc:
                # Nothing was written: the form comes back with what was typed and the message beside the field.
                error, status = exc, 400
            else:
                flash(f"Сохранено итоговых отметок: {count}.", "success")
                return redirect(url_for(".finals_page", journal_id=book.id, column=column_key), 303)
        sheet = finals.final_sheet(me, book, settings=settings)
        selected = sheet.column(column_key) if column_key else None
        if column_key and selected is None:
            flash(f"Столбца «{column_key[:20]}» в итоговых отметках нет: показан другой.", "warning")
        if selected is None:
            selected = finals.default_column(sheet, _clock().today())
        terms = [c.term for c in sheet.columns if c.term is not None]
        grid_term = selected.term if selected is not None and selected.term is not None else (terms or [None])[-1]
        return self.render(
            "journal/finals.html",
            book=book,
            sheet=sheet,
            selected=selected,
            editing=selected is not None and selected.editable,
            may_set=access.can_set_finals(me, book),
            typed=typed,
            comments=comments if request.method == "POST" else {},
            error=error,
            reason=request.form.get("reason", "") if request.method == "POST" else "",
            reasons=finals.REASON_LABELS,
            values=FINAL_VALUES,
            comment_max=FINAL_COMMENT_MAX,
            grid_term=grid_term,
            fmt=journal_marks.format_average,
        ), status

    @expose("/class-finals/")
    def class_finals_list(self):
        """The classes whose finals page the person may open: every class for the deputy and the head."""
        me = _me()
        year = journal.chosen_year(request.args.get("year"))
        classes = finals.class_groups_of(me, year) if year else []
        if not classes and not access.can_view_every_class_finals(me):
            raise AccessDenied("Итоговые отметки класса видят классный руководитель, заместитель директора и директор.")
        by_grade: dict[int, list] = {}
        for class_group in classes:
            by_grade.setdefault(class_group.grade, []).append(class_group)
        return self.render("journal/class_finals_list.html", year=year, by_grade=by_grade)

    @expose("/class-finals/<int:class_id>")
    def class_finals_page(self, class_id):
        """A class's finals: students × subjects × periods, printable on one landscape page."""
        report = finals.class_finals(_me(), class_id, settings=SchoolSettings.load())
        return self.render(
            "journal/class_finals.html",
            report=report,
            year=report.class_group.year,
            short_label=short_label,
            weak=WEAK_FINALS,
        )

    # --- the lesson panel ------------------------------------------------------------------

    @expose("/lesson/<int:lesson_id>", methods=["GET", "POST"])
    def lesson(self, lesson_id):
        me, clock = _me(), _clock()
        lesson = journal.get_lesson(lesson_id)
        journal.ensure_can_see(me, lesson)
        term = lesson.term if lesson.term_id else None
        editable = journal.may_edit(me, lesson, term)
        staffing = journal.may_substitute(me, lesson, term)
        form = LessonForm()
        if not staffing:
            del form.teacher_id
            del form.replacement_subject_id
            del form.confirm_busy
        else:
            candidates = list(journal.substitute_candidates())
            if lesson.teacher_id not in {s.id for s in candidates}:
                candidates.insert(0, lesson.teacher)
            form.teacher_id.choices = [(s.id, s.full_name) for s in candidates]
            form.replacement_subject_id.choices = [(0, "— тот же предмет —")] + [
                (s.id, s.name) for s in Subject.select().order_by(Subject.name) if s.id != lesson.subject_id
            ]
        conflict = busy = None
        status = 200
        if request.method == "POST":
            if not (editable or staffing):
                raise AccessDenied("Этот урок доступен вам только для чтения.")
            if form.validate_on_submit():
                changes = {}
                if editable:
                    changes.update(
                        topic=form.topic.data,
                        homework=form.homework.data,
                        held=form.held.data,
                        cancelled=form.cancelled.data,
                        cancel_reason=form.cancel_reason.data,
                        plan_row_id=form.plan_row_id.data or None,
                    )
                if staffing and "teacher_id" in request.form:
                    changes["teacher_id"] = form.teacher_id.data
                if staffing and "replacement_subject_id" in request.form:
                    changes["replacement_subject_id"] = form.replacement_subject_id.data or None
                confirm = bool(staffing and form.confirm_busy.data)
                try:
                    journal.save_lesson(me, lesson.id, form.version.data, changes, clock=clock, confirm_busy=confirm)
                except EditConflict as exc:
                    conflict = exc
                    status = 409
                    lesson = Lesson.get_by_id(lesson.id)
                    # The user has now seen the other change: saving again is a deliberate choice.
                    form.version.data = str(lesson.version)
                except journal.TeacherBusy as exc:
                    # Nothing is saved; the form keeps what was typed and now asks for the confirmation.
                    busy = exc
                    status = 409
                except AccessDenied:
                    raise
                except DomainError as exc:
                    flash(exc.message, "error")
                    status = 400
                else:
                    flash("Урок сохранён.", "success")
                    upload = request.files.get("file")
                    if editable and upload is not None and upload.filename:
                        self._attach(lesson, upload)
                    return redirect(url_for(".lesson", lesson_id=lesson.id), 303)
            else:
                _flash_form_errors(form)
                status = 400
        else:
            form.version.data = str(lesson.version)
            form.topic.data = lesson.topic or ""
            form.homework.data = lesson.homework or ""
            form.held.data = bool(lesson.held)
            form.cancelled.data = bool(lesson.cancelled)
            form.cancel_reason.data = lesson.cancel_reason or ""
            if staffing:
                form.teacher_id.data = lesson.teacher_id
                form.replacement_subject_id.data = lesson.replacement_subject_id or 0
        plan, plan_current, plan_proposed = journal.proposed_plan_rows(lesson)
        if request.method == "GET" and editable and plan_proposed:
            # The topic and homework come from the plan's next row; the teacher may still change them.
            form.plan_row_id.data = str(plan_proposed[0].id)
            form.topic.data = form.topic.data or plan_rows.topic_of(plan_proposed[:1]) or ""
            form.homework.data = form.homework.data or plan_rows.homework_of(plan_proposed[:1]) or ""
        students, cells, cells_html = journal_marks.lesson_sheet(lesson, clock=clock)
        files = list(HomeworkFile.select().where(HomeworkFile.lesson == lesson.id).order_by(HomeworkFile.id))
        effective = lesson.replacement_subject or lesson.subject
        future = lesson.date > clock.today()
        return (
            self.render(
                "journal/lesson.html",
                lesson=lesson,
                term=term,
                form=form,
                editable=editable,
                staffing=staffing,
                future=future,
                conflict=conflict,
                busy=busy,
                current=journal.lesson_values(lesson),
                students=students,
                cells_html=cells_html,
                files=files,
                effective_subject=effective,
                counting_journal=journal.counting_journal(lesson),
                history=journal.changes_since(lesson, 0, clock)[-10:],
                plan=plan,
                plan_current=plan_current,
                plan_proposed=plan_proposed[:1],
                plan_rows=plan_rows.rows_of(plan) if plan and editable else [],
                field_labels=journal.LESSON_FIELD_LABELS,
                describe=journal.describe_value,
                absence_reasons=ABSENCE_REASONS,
                cancel_reasons=journal.CANCEL_REASONS,
                jconfig=_script_config(cells=cells),
                max_mb=SchoolSettings.load().upload_max_mb,
                allowed_label=journal_files.ALLOWED_LABEL,
                human_size=journal_files.human_size,
                accept=",".join(journal_files.ALLOWED_TYPES),
            ),
            status,
        )

    @expose("/lesson/<int:lesson_id>/plan", methods=["POST"])
    def lesson_plan(self, lesson_id):
        """Skip the lesson's plan row, merge the next one into it, or choose another row."""
        try:
            journal.change_lesson_plan(
                _me(),
                lesson_id,
                request.form.get("version"),
                request.form.get("action"),
                request.form.get("row_id"),
                clock=_clock(),
            )
        except (AccessDenied, NotFound):
            raise
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash("Строка тематического плана урока изменена.", "success")
        return redirect(url_for(".lesson", lesson_id=lesson_id), 303)

    def _attach(self, lesson, upload) -> None:
        try:
            record = journal_files.add_file(_me(), lesson.id, upload.stream, upload.filename, _upload_root())
        except DomainError as exc:
            flash(f"Файл «{journal_files.clean_name(upload.filename)}» не прикреплён: {exc.message}", "error")
        else:
            flash(f"Файл «{record.original_name}» прикреплён.", "success")

    @expose("/files/<int:file_id>")
    def download(self, file_id):
        record, path = journal_files.file_for_download(_me(), file_id, _upload_root())
        response = send_file(path, mimetype=record.content_type, conditional=True, etag=record.sha256, max_age=0)
        response.headers["Content-Disposition"] = journal_files.content_disposition(record.original_name)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-store"
        return response

    @expose("/files/<int:file_id>/delete", methods=["POST"])
    def delete_file(self, file_id):
        record = HomeworkFile.get_or_none(HomeworkFile.id == file_id)
        journal_files.remove_file(_me(), file_id, _upload_root())
        flash(f"Файл «{record.original_name}» удалён.", "success")
        return redirect(url_for(".lesson", lesson_id=record.lesson_id), 303)

    # --- the grid's cell saves (JSON) ------------------------------------------------------
    # A refused save raises DomainError, which the application's one handler answers as
    # {"error", "field"} with its status; only a conflict answers differently (it carries the cell).

    def _cell_answer(self, lesson, student_id, status=200):
        # `lesson` is the row the save read (with its journal and term): the reply reads it no more.
        return jsonify(cell=journal_marks.cell_state(_me(), lesson, student_id, clock=_clock())), status

    def _conflict(self, exc, body):
        try:
            lesson, student = journal_marks.ensure_cell_visible(
                _me(), body.id("lesson", "урок"), body.id("student", "ученик")
            )
            cell = journal_marks.cell_state(_me(), lesson, student.id, clock=_clock())
        except DomainError:
            cell = None
        return jsonify(error=exc.message, field=exc.field, cell=cell), exc.status

    @expose("/api/cell")
    def api_cell(self):
        lesson_id, student_id = parse_id(request.args.get("lesson")), parse_id(request.args.get("student"))
        if lesson_id is None or student_id is None:
            raise NotFound("Клетка журнала не найдена.")
        lesson, student = journal_marks.ensure_cell_visible(_me(), lesson_id, student_id)
        return jsonify(cell=journal_marks.cell_state(_me(), lesson, student.id, clock=_clock()))

    @expose("/api/marks", methods=["POST"])
    def api_add_mark(self):
        """Save the marks typed into a cell (`value`, or `values` for «54»), in place of `replace` if given."""
        body = json_object(request)
        values = body.texts("values", "отметки", max_items=journal_marks.MARKS_AT_ONCE) or body.text("value", "отметка")
        try:
            marks = journal_marks.enter_marks(
                _me(),
                body.id("lesson", "урок"),
                body.id("student", "ученик"),
                values,
                body.id("work_type", "вид работы"),
                body.decimal_text("weight", "вес"),
                body.text("comment", "комментарий", max_length=journal_marks.MARK_COMMENT_MAX * 2),
                replace=body.versions("replace", "заменяемые отметки"),
                reason=body.text("reason", "причина"),
                clock=_clock(),
            )
        except EditConflict as exc:
            return self._conflict(exc, body)
        return self._cell_answer(marks[0].lesson, marks[0].student_id, 201)

    @staticmethod
    def _change_no(body):
        change_no = body.number("change_no", 0, MAX_ID, message="Не указана версия отметки: обновите страницу.")
        if change_no is None:
            raise DomainError("Не указана версия отметки: обновите страницу.", "change_no")
        return change_no

    @expose("/api/marks/<int:mark_id>", methods=["POST"])
    def api_change_mark(self, mark_id):
        body = json_object(request)
        try:
            mark = journal_marks.change_mark(
                _me(),
                mark_id,
                self._change_no(body),
                body.text("value", "отметка"),
                body.id("work_type", "вид работы"),
                body.decimal_text("weight", "вес"),
                body.text("reason", "причина"),
                body.text("comment", "комментарий", max_length=journal_marks.MARK_COMMENT_MAX * 2),
                clock=_clock(),
            )
        except EditConflict as exc:
            return self._conflict(exc, body)
        return self._cell_answer(mark.lesson, mark.student_id)

    @expose("/api/marks/<int:mark_id>/delete", methods=["POST"])
    def api_delete_mark(self, mark_id):
        body = json_object(request)
        try:
            mark = journal_marks.delete_mark(
                _me(), mark_id, self._change_no(body), body.text("reason", "причина"), clock=_clock()
            )
        except EditConflict as exc:
            return self._conflict(exc, body)
        return self._cell_answer(mark.lesson, mark.student_id)

    @expose("/api/absence", methods=["POST"])
    def api_absence(self):
        body = json_object(request)
        lesson_id, student_id = body.id("lesson", "урок"), body.id("student", "ученик")
        try:
            lesson, student, _ = journal_marks.save_absence(
                _me(),
                lesson_id,
                student_id,
                body.text("reason", "причина пропуска"),
                body.text("expected", "причина пропуска"),
                clock=_clock(),
            )
        except EditConflict as exc:
            return self._conflict(exc, body)
        return self._cell_answer(lesson, student.id)


class SubstitutionView(JournalMixin, SecureBaseView):
    """«Замены»: the day's lessons of every class, to give a lesson to another teacher.

    The teacher and subject lists are sent once per page (two <template>s that
    journal-substitutions.js copies into a row's select when it is opened), not once per row.
    """

    codes = STAFFING_CODES

    @expose("/")
    def index(self):
        day = _parse_day(request.args.get("date"), _clock().today())
        lessons = list(access.scope(journal.lessons_of_day(day), _me(), Lesson))
        return self.render(
            "journal/substitutions.html",
            day=day,
            lessons=lessons,
            busy=journal.double_booked(lessons),
            candidates=list(journal.substitute_candidates()),
            subjects=list(Subject.select().order_by(Subject.name)),
            prev_day=max(day - dt.timedelta(days=1), FIRST_DAY),
            next_day=min(day + dt.timedelta(days=1), LAST_DAY),
        )

    @expose("/<int:lesson_id>", methods=["POST"])
    def save(self, lesson_id):
        day = request.form.get("date", "")
        day = day if ISO_DAY_RE.match(day) else ""
        changes = {
            "teacher_id": request.form.get("teacher_id"),
            "replacement_subject_id": request.form.get("replacement_subject_id") or None,
        }
        back = url_for(".index", date=day or None) + f"#lesson-{lesson_id}"
        try:
            lesson = journal.save_lesson(
                _me(),
                lesson_id,
                request.form.get("version"),
                changes,
                clock=_clock(),
                confirm_busy=request.form.get("confirm_busy") == "1",
            )
        except journal.TeacherBusy as exc:
            lesson = journal.get_lesson(lesson_id)
            return self.render(
                "journal/substitution_confirm.html",
                lesson=lesson,
                label=journal.lesson_label(lesson),
                warning=exc,
                form_values=request.form,
                back=back,
            ), 409
        except (AccessDenied, NotFound):
            raise
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            if lesson.is_substitution:
                label, teacher = journal.lesson_label(lesson), lesson.teacher.short_name
                flash(f"Замена назначена: {label}, ведёт {teacher}.", "success")
            else:
                flash(f"Урок «{journal.lesson_label(lesson)}» ведёт учитель по расписанию.", "success")
        return redirect(back, 303)


class PlanForm(FlaskForm):
    class_group = SelectField("Класс", coerce=_choice_id, validate_choice=False)
    start = DateField("С даты")
    end = DateField("По дату")


class PlanningView(JournalMixin, SecureBaseView):
    """«Планирование уроков»: lessons from the timetable, and the lessons that lost their slot."""

    codes = STAFFING_CODES

    @expose("/", methods=["GET", "POST"])
    def index(self):
        year = journal.current_year()
        form = PlanForm()
        classes = (
            list(ClassGroup.select().where(ClassGroup.year == year.id).order_by(ClassGroup.grade, ClassGroup.letter))
            if year
            else []
        )
        form.class_group.choices = [(0, "все классы")] + [(c.id, str(c)) for c in classes]
        result = None
        status = 200
        if year is None:
            flash("Не выбран текущий учебный год: отметьте его в разделе учебных лет.", "error")
        elif request.method == "GET":
            form.start.data, form.end.data = year.start_date, year.end_date
        elif form.validate_on_submit():
            chosen = next((c for c in classes if c.id == form.class_group.data), None)
            if form.class_group.data and chosen is None:
                # An unknown class is not «all classes».
                flash("Такого класса в текущем учебном году нет.", "error")
                status = 400
            else:
                try:
                    result = journal_planning.plan_lessons(
                        _me(), year, class_group=chosen, start=form.start.data, end=form.end.data
                    )
                except AccessDenied:
                    raise
                except DomainError as exc:
                    flash(exc.message, "error")
                    status = 400
        else:
            # The page shows each field's errors next to the form.
            status = 400
        orphans = list(journal_planning.orphaned_lessons(_me(), year)) if year else []
        return self.render(
            "journal/planning.html",
            year=year,
            form=form,
            result=result,
            orphans=orphans,
            may_delete=access.can(_me(), journal.CHECK_PERMISSION),
        ), status

    @expose("/orphans/<int:lesson_id>/delete", methods=["POST"])
    def delete_orphan(self, lesson_id):
        try:
            journal_planning.delete_orphaned_lesson(_me(), lesson_id, _upload_root())
        except (AccessDenied, NotFound):
            raise
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash("Урок вне расписания удалён вместе с его отметками, пропусками и файлами.", "success")
        return redirect(url_for(".index"), 303)


class TermCloseForm(FlaskForm):
    confirm = BooleanField("Я посмотрел(а), что не заполнено, и закрываю период")


class TermReopenForm(FlaskForm):
    reason = TextAreaField("Зачем период открывается снова")


class TermClosingView(JournalMixin, SecureBaseView):
    """«Закрытие периодов»: the deputy closes a term after a look at what is unfilled, and reopens it, audited."""

    codes = school.TERM_CLOSE_PERMISSIONS

    @expose("/")
    def index(self):
        year = journal.current_year()
        terms = list(Term.select().where(Term.year == year.id).order_by(Term.start_date)) if year else []
        return self.render("journal/terms.html", year=year, terms=terms, today=_clock().today())

    @expose("/<int:term_id>", methods=["GET", "POST"])
    def term(self, term_id):
        term = school.get_term(term_id)
        today = _clock().today()
        close_form, reopen_form = TermCloseForm(), TermReopenForm()
        status = 200
        if request.method == "POST":
            action = request.form.get("action")
            form = close_form if action == "close" else reopen_form if action == "reopen" else None
            if form is None:
                raise DomainError("Неизвестное действие.")
            if not form.validate_on_submit():
                _flash_form_errors(form)
                status = 400
            else:
                try:
                    if action == "close":
                        school.close_term(_me(), term.id, today=today, confirmed=bool(close_form.confirm.data))
                        flash(f"Период «{term}» закрыт: журнал за него доступен только для чтения.", "success")
                    else:
                        school.reopen_term(_me(), term.id, reason=reopen_form.reason.data)
                        flash(f"Период «{term}» снова открыт для исправлений.", "success")
                except AccessDenied:
                    raise
                except DomainError as exc:
                    flash(exc.message, "error")
                    status = 400
                else:
                    return redirect(url_for(".term", term_id=term.id), 303)
                term = school.get_term(term.id)
        summary = school.term_summary(term, today)
        return self.render(
            "journal/term_close.html",
            term=term,
            summary=summary,
            close_form=close_form,
            reopen_form=reopen_form,
        ), status


class WorkTypeView(SecureModelView):
    """«Виды работ»: the list of work types marks are given for, kept by the administrator."""

    # Everyone who reads the school's lists sees the work types; the administrator keeps them.
    required_permission = Perm.SCHOOL_VIEW
    manage_permission = journal.SCHEDULE_PERMISSION
    writes = Writes(work_types.create_work_type, work_types.update_work_type, work_types.delete_work_type)
    column_list = ("name", "default_weight", "active")
    column_default_sort = "name"
    column_searchable_list = ("name",)
    form_columns = ("name", "default_weight", "active")
    form_overrides = {"default_weight": WeightField}
    form_widget_args = {"default_weight": {"inputmode": "decimal", "placeholder": "например, 1,5"}}

    def validate_model(self, model, is_created):
        work_types.validate_work_type(model)


def register(admin) -> None:
    """Register the journal's pages under the «Журнал» menu."""
    category = "Журнал"
    admin.add_view(TodayView(name="Сегодня", endpoint="journal_today", url="/journal/today", category=category))
    admin.add_view(JournalView(name="Классные журналы", endpoint="journal", url="/journal", category=category))
    admin.add_view(
        SubstitutionView(
            name="Замены", endpoint="journal_substitutions", url="/journal/substitutions", category=category
        )
    )
    admin.add_view(
        PlanningView(
            name="Планирование уроков", endpoint="journal_planning", url="/journal/planning", category=category
        )
    )
    admin.add_view(
        TermClosingView(name="Закрытие периодов", endpoint="journal_terms", url="/journal/terms", category=category)
    )
    admin.add_view(WorkTypeView(WorkType, name="Виды работ", endpoint="worktype", url="/worktype", category=category))
