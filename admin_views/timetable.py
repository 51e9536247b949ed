"""The timetable's pages: week grids of a class, a teacher and a room, «Моё расписание», the bell schedule, rooms.

Everyone with school.view reads every grid (the timetable is not secret inside the school); a
teacher without it reads their own. The rooms and the bell schedule are the administrator's
(school.manage). The pages only read the request and render: `app/services/timetable.py` builds
the grids and checks and saves the bells.
"""

import datetime as dt
import io

from flask import current_app, flash, jsonify, redirect, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup

from admin_views.base import SecureBaseView, SecureModelView, Writes
from admin_views.groups import parse_day
from app import documents
from app.clock import app_clock
from app.formats import format_date
from app.models import Room
from app.permissions import Perm
from app.services import access, timetable, timetable_editor
from app.services.errors import AccessDenied, DomainError, NotFound
from app.services.groups import LESSON_NUMBERS

KINDS = ("class", "teacher", "room")


def _me():
    return current_user._get_current_object()


def _today() -> dt.date:
    return app_clock(current_app).today()


def _day(value) -> dt.date:
    """Return the page's ?date= (today by default), with a Russian note for one that is not a date."""
    today = _today()
    if not value:
        return today
    day = parse_day(value)
    if day is None:
        flash(f"Дата «{str(value)[:20]}» не распознана: показана текущая неделя.", "warning")
        return today
    return day


def _week_links(grid) -> dict:
    earlier = grid.monday - dt.timedelta(days=7)
    later = grid.monday + dt.timedelta(days=7)
    return {
        "prev_week": earlier if earlier >= timetable.FIRST_DAY else grid.monday,
        "next_week": later if later <= timetable.LAST_DAY else grid.monday,
    }


def _pdf(report):
    """Answer a report as a PDF file to download."""
    return send_file(
        io.BytesIO(documents.report_pdf(report)),
        mimetype=documents.PDF_MIME,
        as_attachment=True,
        download_name=f"{report.filename}.pdf",
    )


class TimetableView(SecureBaseView):
    """«Расписание на неделю»: a class's, a teacher's or a room's week, chosen on the page."""

    codes = (Perm.SCHOOL_VIEW, Perm.JOURNAL_EDIT_OWN)

    def is_accessible(self):
        return current_user.is_authenticated and access.can_view_own_timetable(current_user)

    def _grid(self, me, wide: bool, day: dt.date):
        kind, value = self._chosen(me, wide, day)
        if kind is None:
            return None, None, None
        if kind == "class":
            return kind, value, timetable.class_week(me, value, day)
        if kind == "room":
            return kind, value, timetable.room_week(me, value, day)
        return kind, value, timetable.teacher_week(me, value, day)

    @expose("/")
    def index(self):
        me = _me()
        day = _day(request.args.get("date"))
        wide = access.can_view_timetable(me)
        kind, value, grid = self._grid(me, wide, day)
        year = timetable.year_of(day)
        return self.render(
            "timetable/week.html",
            grid=grid,
            kind=kind,
            chosen=getattr(value, "id", value),
            day=day,
            today=_today(),
            wide=wide,
            own=False,
            classes=timetable.class_choices(year) if wide else [],
            teachers=timetable.teacher_choices(year) if wide else [],
            rooms=timetable.room_choices() if wide else [],
            page_url=lambda **args: url_for(".index", **args),
            pdf_url=url_for(".pdf", **{kind: getattr(value, "id", value), "date": day.isoformat()}) if grid else None,
            **(_week_links(grid) if grid else {}),
        )

    @expose("/pdf/")
    def pdf(self):
        me = _me()
        day = _day(request.args.get("date"))
        _kind, _value, grid = self._grid(me, access.can_view_timetable(me), day)
        if grid is None:
            raise NotFound("Классов в этом учебном году нет: расписание показать не для чего.")
        return _pdf(timetable.week_report(grid))

    def _chosen(self, me, wide: bool, day: dt.date):
        """Return (kind, id) the page shows: the one asked for, else the person's own week, else the first class."""
        for kind in KINDS:
            value = request.args.get(kind)
            if value:
                if kind != "teacher" and not wide:
                    raise AccessDenied("Вам доступно только ваше собственное расписание.")
                return kind, value
        if access.can(me, Perm.JOURNAL_EDIT_OWN) or not wide:
            return "teacher", me.id
        classes = timetable.class_choices(timetable.year_of(day))
        return ("class", classes[0].id) if classes else (None, None)


class MyTimetableView(SecureBaseView):
    """«Моё расписание»: the teacher's own week."""

    codes = (Perm.JOURNAL_EDIT_OWN,)

    def is_accessible(self):
        return current_user.is_authenticated and access.can(current_user, Perm.JOURNAL_EDIT_OWN)

    @expose("/")
    def index(self):
        me = _me()
        day = _day(request.args.get("date"))
        grid = timetable.teacher_week(me, me.id, day)
        return self.render(
            "timetable/week.html",
            grid=grid,
            kind="teacher",
            chosen=me.id,
            day=day,
            today=_today(),
            wide=False,
            own=True,
            classes=[],
            teachers=[],
            rooms=[],
            page_url=lambda **args: url_for(".index", **{k: v for k, v in args.items() if k == "date"}),
            pdf_url=url_for(".pdf", date=day.isoformat()),
            **_week_links(grid),
        )

    @expose("/pdf/")
    def pdf(self):
        me = _me()
        grid = timetable.teacher_week(me, me.id, _day(request.args.get("date")))
        return _pdf(timetable.week_report(grid, heading=f"{me.full_name} (моё расписание)"))


class BellsView(SecureBaseView):
    """«Расписание звонков»: the normal and the shortened lesson times and the shortened days, on one page."""

    required_permission = Perm.SCHOOL_MANAGE

    @expose("/", methods=("GET", "POST"))
    def index(self):
        status = 200
        error_field = None
        if request.method == "POST":
            values = {key: request.form.get(key, "") for key in request.form if key != "csrf_token"}
            try:
                changed = timetable.save_bells(_me(), values)
            except (AccessDenied, NotFound):
                raise
            except DomainError as exc:
                flash(exc.message, "error")
                status, error_field = 400, exc.field
            else:
                if changed:
                    flash(f"Расписание звонков сохранено (изменено записей: {changed}).", "success")
                else:
                    flash("Ничего не изменилось.", "info")
                return redirect(url_for(".index"), 303)
        else:
            values = timetable.bell_values(timetable.load_bells())
        return self.render(
            "timetable/bells.html",
            values=values,
            error_field=error_field,
            numbers=list(range(LESSON_NUMBERS[0], LESSON_NUMBERS[1] + 1)),
            schedules=timetable.BELL_SCHEDULES,
            example=format_date(_today()),
        ), status


class TimetableEditorView(SecureBaseView):
    """«Редактор расписания»: a class's week grid edited in place, checked for clashes, saved from a date.

    The page works as plain forms: «Проверить» posts the grid and shows it back with the clashes
    in its cells, «Сохранить» saves it (refused with clashes), the copy buttons fill the grid from
    another day, another version or a parallel class without saving. The script
    (static/timetable-editor.js) checks the grid as cells change through `check` (JSON).
    """

    codes = (Perm.SCHOOL_MANAGE, Perm.JOURNAL_CHECK)

    def is_accessible(self):
        return current_user.is_authenticated and timetable_editor.may_edit(current_user)

    def _render(self, ed, status=200, error_field=None):
        return self.render(
            "timetable/editor.html",
            ed=ed,
            error_field=error_field,
            max_entries=timetable_editor.MAX_ENTRIES,
            today=_today(),
        ), status

    @expose("/", methods=("GET", "POST"))
    def index(self):
        me = _me()
        today = _today()
        if request.method == "GET":
            value = request.args.get("class")
            if not value:
                classes = timetable.class_choices(timetable.year_of(today))
                if not classes:
                    raise NotFound("Классов в этом учебном году нет: составлять расписание не для чего.")
                value = classes[0].id
            return self._render(timetable_editor.editor(me, value, _day(request.args.get("date")), today))
        form = request.form
        class_group = timetable_editor.get_class(form.get("class"))
        action = form.get("action") or "check"
        shown_day = parse_day(form.get("day") or "") or today
        try:
            cells = timetable_editor.parse_cells(form)
        except DomainError as exc:
            flash(exc.message, "error")
            return self._render(timetable_editor.editor(me, class_group, shown_day, today), 400)
        ed = timetable_editor.editor(me, class_group, shown_day, today, cells=cells)
        ed.stamp = form.get("stamp") or ""
        valid_text = form.get("valid_from") or ""
        try:
            valid_from = timetable_editor.parse_date(valid_text, "Действует с")
            ed.valid_from = valid_from
            if action == "copy_day":
                ed.cells = timetable_editor.copy_day(
                    cells,
                    timetable_editor.parse_weekday(form.get("copy_from")),
                    timetable_editor.parse_weekday(form.get("copy_to")),
                )
                flash("День скопирован в сетку. Проверьте и сохраните расписание.", "info")
            elif action == "copy_week":
                source_day = timetable_editor.parse_date(form.get("version"), "Версия расписания")
                ed.cells = timetable_editor.week_cells(class_group, source_day)
                flash(
                    f"В сетку взято расписание, действовавшее {format_date(source_day)}. "
                    "Укажите, с какого дня оно действует, и сохраните.",
                    "info",
                )
            elif action == "copy_class":
                ed.cells, ed.notes = timetable_editor.copy_class(me, form.get("source_class"), class_group, shown_day)
                flash("Расписание параллельного класса взято в сетку. Проверьте и сохраните его.", "info")
            elif action == "save":
                saved = timetable_editor.save(me, class_group, cells, valid_from, ed.stamp, today)
                flash(timetable_editor.describe(saved), "success")
                return redirect(url_for(".index", **{"class": class_group.id, "date": valid_from.isoformat()}), 303)
            ed.problems = timetable_editor.check(me, class_group, ed.cells, valid_from, today)
            if action == "check":
                if ed.problems:
                    flash(f"Найдены конфликты: {sum(map(len, ed.problems.values()))}. Они показаны в клетках.", "error")
                else:
                    flash("Конфликтов нет: расписание можно сохранить.", "success")
        except timetable_editor.Conflicts as exc:
            ed.problems = exc.problems
            flash(exc.message, "error")
            return self._render(ed, 400)
        except (AccessDenied, NotFound):
            raise
        except DomainError as exc:
            if valid_text and exc.field != "valid_from":
                ed.valid_from = parse_day(valid_text) or ed.valid_from
            flash(exc.message, "error")
            return self._render(ed, 400, exc.field)
        return self._render(ed)

    @expose("/check/", methods=("POST",))
    def check(self):
        """Answer the grid's clashes as JSON: {"problems": {"1-2": [...]}, "error": message or null}."""
        me = _me()
        form = request.form
        try:
            class_group = timetable_editor.get_class(form.get("class"))
            cells = timetable_editor.parse_cells(form)
            valid_from = timetable_editor.parse_date(form.get("valid_from"), "Действует с")
            problems = timetable_editor.check(me, class_group, cells, valid_from, _today())
        except NotFound as exc:
            return jsonify({"problems": {}, "error": exc.message}), 404
        except AccessDenied:
            raise
        except DomainError as exc:
            return jsonify({"problems": {}, "error": exc.message}), 400
        return jsonify(
            {"problems": {f"{day}-{number}": found for (day, number), found in problems.items()}, "error": None}
        )


def _room_week_link(view, context, model, name):
    return Markup('<a href="{}" title="Расписание кабинета на неделю">{}</a>').format(
        url_for("timetable.index", room=model.id), model.name
    )


class RoomView(SecureModelView):
    """«Кабинеты»: the school's rooms, chosen on the timetable's slots; a room's name opens its week."""

    required_permission = Perm.SCHOOL_VIEW
    manage_permission = Perm.SCHOOL_MANAGE
    writes = Writes(timetable.create_room, timetable.update_room, timetable.delete_room)
    column_list = ["name", "note"]
    column_default_sort = "name"
    column_searchable_list = ["name"]
    form_columns = ["name", "note"]
    column_formatters = {"name": _room_week_link}
    column_descriptions = {"name": "Номер или название: «204», «Спортзал», «Кабинет информатики»."}

    def validate_model(self, model, is_created):
        timetable.validate_room(model)


def register(admin) -> None:
    """Register the timetable's pages: the grids under «Группы и журналы», «Моё расписание» under «Журнал»."""
    admin.add_view(
        MyTimetableView(name="Моё расписание", endpoint="my_timetable", url="/timetable/my", category="Журнал")
    )
    admin.add_view(
        TimetableView(name="Расписание на неделю", endpoint="timetable", url="/timetable", category="Группы и журналы")
    )
    admin.add_view(
        TimetableEditorView(
            name="Редактор расписания",
            endpoint="timetable_editor",
            url="/timetable/editor",
            category="Группы и журналы",
        )
    )
    admin.add_view(
        BellsView(name="Расписание звонков", endpoint="timetable_bells", url="/timetable/bells", category="Школа")
    )
    admin.add_view(RoomView(Room, name="Кабинеты", endpoint="room", url="/room", category="Школа"))
