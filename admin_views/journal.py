"""The class journal's pages: today's lessons, the journal grid, the lesson panel, print, substitutions, planning."""

import calendar
import datetime as dt

from flask import (
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, TextAreaField
from wtforms.fields import DateField

from admin_views.base import SecureBaseView, SecureModelView
from app.models import (
    ABSENCE_REASONS,
    MARK_VALUES,
    ClassGroup,
    HomeworkFile,
    Lesson,
    SchoolSettings,
    Subject,
    Term,
    WorkType,
)
from app.models.journal import MARK_CHANGE_REASONS
from app.services import access, journal, journal_files, journal_marks, journal_planning
from app.services.errors import AccessDenied, DomainError
from app.services.journal import EditConflict, NotFound

VIEW_CODES = (journal.EDIT_PERMISSION, access.VIEW_ALL)
STAFFING_CODES = (journal.CHECK_PERMISSION, journal.SCHEDULE_PERMISSION)


def _me():
    return current_user._get_current_object()


def _refuse_page(exc):
    """Answer a refused page with the Russian error page (403 or 404) carrying the reason."""
    code = 404 if isinstance(exc, NotFound) else 403
    title = "Не найдено" if code == 404 else "Доступ запрещён"
    return render_template("errors/error.html", code=code, title=title, text=exc.message), code


def _json_error(exc, **extra):
    if isinstance(exc, AccessDenied):
        status = 403
    elif isinstance(exc, NotFound):
        status = 404
    elif isinstance(exc, EditConflict):
        status = 409
    else:
        status = 400
    return jsonify(error=exc.message, field=exc.field, **extra), status


def _parse_day(value, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _upload_root():
    return journal_files.upload_root(current_app.config["INSTANCE_PATH"])


def _work_types():
    # In the order the administrator entered them: the list starts with the everyday kind.
    return list(WorkType.select().where(WorkType.active == True).order_by(WorkType.id))  # noqa: E712


def _script_config(**extra) -> dict:
    """Return what the page's script needs: lists, URLs; the cells come separately."""
    config = {
        "workTypes": [
            {"id": w.id, "name": w.name[:1].upper() + w.name[1:], "weight": w.default_weight} for w in _work_types()
        ],
        "markValues": list(MARK_VALUES),
        "absenceReasons": [
            {"code": c, "label": label, "short": journal_marks.ABSENCE_CODES[c]} for c, label in ABSENCE_REASONS
        ],
        "changeReasons": [{"code": c, "label": label} for c, label in MARK_CHANGE_REASONS],
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
        today = journal.school_today()
        day = _parse_day(request.args.get("date"), today)
        lessons = journal.day_lessons(_me(), day, today=today)
        return self.render(
            "journal/today.html",
            day=day,
            today=today,
            lessons=lessons,
            prev_day=day - dt.timedelta(days=1),
            next_day=day + dt.timedelta(days=1),
        )


class LessonForm(FlaskForm):
    version = HiddenField()
    topic = TextAreaField("Тема урока")
    homework = TextAreaField("Домашнее задание")
    held = BooleanField("Урок проведён")
    teacher_id = SelectField("Урок провёл (замена)", coerce=int, validate_choice=False)
    replacement_subject_id = SelectField("Предмет при замене", coerce=int, validate_choice=False)


class JournalView(JournalMixin, SecureBaseView):
    """The class journals: the list, the grid, the lesson panel, files, print and the grid's cell saves."""

    # --- the list of journals --------------------------------------------------------------

    @expose("/")
    def index(self):
        year = journal.current_year()
        entries = journal.journals_for(_me(), year)
        term = journal.default_term(year) if year else None
        classes: dict[int, dict] = {}
        for entry in entries:
            group = classes.setdefault(entry.class_group.id, {"class_group": entry.class_group, "entries": []})
            group["entries"].append(entry)
        return self.render("journal/index.html", year=year, term=term, classes=list(classes.values()))

    # --- the grid --------------------------------------------------------------------------

    def _refuse_journal(self, class_group, subject):
        try:
            journal.ensure_may_open_journal(_me(), class_group, subject)
        except AccessDenied as exc:
            return _refuse_page(exc)
        return None

    @expose("/grid/<int:class_id>/<int:subject_id>/<int:term_id>")
    def grid(self, class_id, subject_id, term_id):
        class_group = ClassGroup.get_or_none(ClassGroup.id == class_id)
        subject = Subject.get_or_none(Subject.id == subject_id)
        term = Term.get_or_none(Term.id == term_id)
        if class_group is None or subject is None or term is None or term.year_id != class_group.year_id:
            return _refuse_page(NotFound("Такого журнала нет."))
        refused = self._refuse_journal(class_group, subject)
        if refused:
            return refused
        grid = journal_marks.build_grid(_me(), class_group, subject, term.start_date, term.end_date)
        terms = list(Term.select().where(Term.year == class_group.year_id).order_by(Term.start_date))
        months = []
        day = term.start_date.replace(day=1)
        while day <= term.end_date:
            months.append(day)
            day = (day + dt.timedelta(days=32)).replace(day=1)
        return self.render(
            "journal/grid.html",
            grid=grid,
            term=term,
            terms=terms,
            months=months,
            month_names=journal_marks.MONTHS,
            fmt=journal_marks.format_average,
            jconfig=_script_config(cells=grid.cells_data()),
            any_editable=any(c.editable for c in grid.lessons),
        )

    @expose("/print/<int:class_id>/<int:subject_id>/<month>")
    def print_month(self, class_id, subject_id, month):
        class_group = ClassGroup.get_or_none(ClassGroup.id == class_id)
        subject = Subject.get_or_none(Subject.id == subject_id)
        try:
            start = dt.date.fromisoformat(f"{month}-01")
        except ValueError:
            start = None
        if class_group is None or subject is None or start is None:
            return _refuse_page(NotFound("Такого журнала нет."))
        refused = self._refuse_journal(class_group, subject)
        if refused:
            return refused
        end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
        grid = journal_marks.build_grid(_me(), class_group, subject, start, end)
        return self.render(
            "journal/print.html",
            grid=grid,
            month_label=f"{journal_marks.MONTHS[start.month - 1]} {start.year}",
        )

    # --- the lesson panel ------------------------------------------------------------------

    @expose("/lesson/<int:lesson_id>", methods=["GET", "POST"])
    def lesson(self, lesson_id):
        me = _me()
        try:
            lesson = journal.get_lesson(lesson_id)
            journal.ensure_can_see(me, lesson)
        except (AccessDenied, NotFound) as exc:
            return _refuse_page(exc)
        term = lesson.term if lesson.term_id else None
        editable = journal.may_edit(me, lesson, term)
        staffing = journal.may_substitute(me, lesson, term)
        form = LessonForm()
        if not staffing:
            del form.teacher_id
            del form.replacement_subject_id
        else:
            candidates = list(journal.substitute_candidates())
            if lesson.teacher_id not in {s.id for s in candidates}:
                candidates.insert(0, lesson.teacher)
            form.teacher_id.choices = [(s.id, s.full_name) for s in candidates]
            form.replacement_subject_id.choices = [(0, "— тот же предмет —")] + [
                (s.id, s.name) for s in Subject.select().order_by(Subject.name) if s.id != lesson.subject_id
            ]
        conflict = None
        status = 200
        if request.method == "POST":
            if not (editable or staffing):
                return _refuse_page(AccessDenied("Этот урок доступен вам только для чтения."))
            if form.validate_on_submit():
                changes = {}
                if editable:
                    changes.update(topic=form.topic.data, homework=form.homework.data, held=form.held.data)
                if staffing and "teacher_id" in request.form:
                    changes["teacher_id"] = form.teacher_id.data
                if staffing and "replacement_subject_id" in request.form:
                    changes["replacement_subject_id"] = form.replacement_subject_id.data or None
                try:
                    journal.save_lesson(me, lesson.id, form.version.data, changes)
                except EditConflict as exc:
                    conflict = exc
                    status = 409
                    lesson = Lesson.get_by_id(lesson.id)
                    # The user has now seen the other change: saving again is a deliberate choice.
                    form.version.data = str(lesson.version)
                except AccessDenied as exc:
                    return _refuse_page(exc)
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
            form.version.data = str(lesson.version)
            form.topic.data = lesson.topic or ""
            form.homework.data = lesson.homework or ""
            form.held.data = bool(lesson.held)
            if staffing:
                form.teacher_id.data = lesson.teacher_id
                form.replacement_subject_id.data = lesson.replacement_subject_id or 0
        students, cells, cells_html = journal_marks.lesson_sheet(lesson)
        files = list(HomeworkFile.select().where(HomeworkFile.lesson == lesson.id).order_by(HomeworkFile.id))
        effective = lesson.replacement_subject or lesson.subject
        future = lesson.date > journal.school_today()
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
                current=journal.lesson_values(lesson),
                students=students,
                cells_html=cells_html,
                files=files,
                effective_subject=effective,
                history=journal.changes_since(lesson, 0)[-10:],
                field_labels=journal.LESSON_FIELD_LABELS,
                describe=journal.describe_value,
                absence_reasons=ABSENCE_REASONS,
                jconfig=_script_config(cells=cells),
                max_mb=SchoolSettings.load().upload_max_mb,
                allowed_label=journal_files.ALLOWED_LABEL,
                human_size=journal_files.human_size,
                accept=",".join(journal_files.ALLOWED_TYPES),
            ),
            status,
        )

    def _attach(self, lesson, upload) -> None:
        try:
            record = journal_files.add_file(_me(), lesson.id, upload.stream, upload.filename, _upload_root())
        except DomainError as exc:
            flash(f"Файл «{journal_files.clean_name(upload.filename)}» не прикреплён: {exc.message}", "error")
        else:
            flash(f"Файл «{record.original_name}» прикреплён.", "success")

    @expose("/files/<int:file_id>")
    def download(self, file_id):
        try:
            record, path = journal_files.file_for_download(_me(), file_id, _upload_root())
        except (AccessDenied, NotFound) as exc:
            return _refuse_page(exc)
        response = send_file(path, mimetype=record.content_type, conditional=True, etag=record.sha256, max_age=0)
        response.headers["Content-Disposition"] = journal_files.content_disposition(record.original_name)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-store"
        return response

    @expose("/files/<int:file_id>/delete", methods=["POST"])
    def delete_file(self, file_id):
        record = HomeworkFile.get_or_none(HomeworkFile.id == file_id)
        try:
            journal_files.remove_file(_me(), file_id, _upload_root())
        except (AccessDenied, NotFound) as exc:
            return _refuse_page(exc)
        flash(f"Файл «{record.original_name}» удалён.", "success")
        return redirect(url_for(".lesson", lesson_id=record.lesson_id), 303)

    # --- the grid's cell saves (JSON) ------------------------------------------------------

    def _payload(self) -> dict:
        return request.get_json(silent=True) or {}

    def _cell_answer(self, lesson_id, student_id, status=200):
        lesson = journal.get_lesson(lesson_id)
        return jsonify(cell=journal_marks.cell_state(_me(), lesson, int(student_id))), status

    def _conflict(self, exc, lesson_id, student_id):
        try:
            lesson, _ = journal_marks.ensure_cell_visible(_me(), lesson_id, student_id)
            cell = journal_marks.cell_state(_me(), lesson, int(student_id))
        except DomainError:
            cell = None
        return _json_error(exc, cell=cell)

    @expose("/api/cell")
    def api_cell(self):
        try:
            lesson, student = journal_marks.ensure_cell_visible(
                _me(), request.args.get("lesson"), request.args.get("student")
            )
        except DomainError as exc:
            return _json_error(exc)
        return jsonify(cell=journal_marks.cell_state(_me(), lesson, student.id))

    @expose("/api/marks", methods=["POST"])
    def api_add_mark(self):
        data = self._payload()
        try:
            mark = journal_marks.add_mark(
                _me(),
                data.get("lesson"),
                data.get("student"),
                data.get("value"),
                data.get("work_type"),
                data.get("weight"),
            )
        except EditConflict as exc:
            return self._conflict(exc, data.get("lesson"), data.get("student"))
        except DomainError as exc:
            return _json_error(exc)
        return self._cell_answer(mark.lesson_id, mark.student_id, 201)

    @expose("/api/marks/<int:mark_id>", methods=["POST"])
    def api_change_mark(self, mark_id):
        data = self._payload()
        try:
            mark = journal_marks.change_mark(
                _me(),
                mark_id,
                data.get("change_no"),
                data.get("value"),
                data.get("work_type"),
                data.get("weight"),
                data.get("reason"),
            )
        except EditConflict as exc:
            return self._conflict(exc, data.get("lesson"), data.get("student"))
        except DomainError as exc:
            return _json_error(exc)
        return self._cell_answer(mark.lesson_id, mark.student_id)

    @expose("/api/marks/<int:mark_id>/delete", methods=["POST"])
    def api_delete_mark(self, mark_id):
        data = self._payload()
        try:
            mark = journal_marks.get_mark(mark_id)
            lesson_id, student_id = mark.lesson_id, mark.student_id
            journal_marks.delete_mark(_me(), mark_id, data.get("change_no"), data.get("reason"))
        except EditConflict as exc:
            return self._conflict(exc, data.get("lesson"), data.get("student"))
        except DomainError as exc:
            return _json_error(exc)
        return self._cell_answer(lesson_id, student_id)

    @expose("/api/absence", methods=["POST"])
    def api_absence(self):
        data = self._payload()
        try:
            journal_marks.set_absence(
                _me(), data.get("lesson"), data.get("student"), data.get("reason"), data.get("expected")
            )
        except EditConflict as exc:
            return self._conflict(exc, data.get("lesson"), data.get("student"))
        except DomainError as exc:
            return _json_error(exc)
        return self._cell_answer(data.get("lesson"), data.get("student"))


class SubstitutionView(JournalMixin, SecureBaseView):
    """«Замены»: the day's lessons of every class, to give a lesson to another teacher."""

    codes = STAFFING_CODES

    @expose("/")
    def index(self):
        today = journal.school_today()
        day = _parse_day(request.args.get("date"), today)
        lessons = list(access.scope(journal.lessons_of_day(day), _me(), Lesson))
        return self.render(
            "journal/substitutions.html",
            day=day,
            lessons=lessons,
            candidates=list(journal.substitute_candidates()),
            subjects=list(Subject.select().order_by(Subject.name)),
            prev_day=day - dt.timedelta(days=1),
            next_day=day + dt.timedelta(days=1),
        )

    @expose("/<int:lesson_id>", methods=["POST"])
    def save(self, lesson_id):
        day = request.form.get("date", "")
        changes = {
            "teacher_id": request.form.get("teacher_id"),
            "replacement_subject_id": request.form.get("replacement_subject_id") or None,
        }
        try:
            lesson = journal.save_lesson(_me(), lesson_id, request.form.get("version"), changes)
        except (AccessDenied, NotFound) as exc:
            return _refuse_page(exc)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            if lesson.is_substitution:
                flash(f"Замена назначена: {lesson}, ведёт {lesson.teacher.short_name}.", "success")
            else:
                flash(f"Урок {lesson} ведёт учитель по расписанию.", "success")
        return redirect(url_for(".index", date=day) + f"#lesson-{lesson_id}", 303)


class PlanForm(FlaskForm):
    class_group = SelectField("Класс", coerce=int, validate_choice=False)
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
            try:
                result = journal_planning.plan_lessons(
                    _me(), year, class_group=chosen, start=form.start.data, end=form.end.data
                )
            except AccessDenied as exc:
                return _refuse_page(exc)
            except DomainError as exc:
                flash(exc.message, "error")
                status = 400
        else:
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
        except (AccessDenied, NotFound) as exc:
            return _refuse_page(exc)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash("Урок вне расписания удалён вместе с его отметками, пропусками и файлами.", "success")
        return redirect(url_for(".index"), 303)


class WorkTypeView(SecureModelView):
    """«Виды работ»: the list of work types marks are given for, kept by the administrator."""

    # Everyone who reads the school's lists sees the work types; the administrator keeps them.
    required_permission = "school.view"
    manage_permission = journal.SCHEDULE_PERMISSION
    column_list = ("name", "default_weight", "active")
    column_labels = {"name": "Вид работы", "default_weight": "Вес по умолчанию", "active": "Используется"}
    column_default_sort = "name"
    column_searchable_list = ("name",)
    form_columns = ("name", "default_weight", "active")
    form_args = {
        "name": {"label": "Вид работы"},
        "default_weight": {"label": "Вес по умолчанию"},
        "active": {"label": "Используется"},
    }

    def validate_model(self, model, is_created):
        model.name = (model.name or "").strip()
        if not model.name:
            raise DomainError("Укажите название вида работы.", "name")
        if not journal_marks.WEIGHT_MIN <= (model.default_weight or 0) <= journal_marks.WEIGHT_MAX:
            raise DomainError(
                f"Вес — целое число от {journal_marks.WEIGHT_MIN} до {journal_marks.WEIGHT_MAX}.", "default_weight"
            )


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
    admin.add_view(WorkTypeView(WorkType, name="Виды работ", endpoint="worktype", url="/worktype", category=category))
