"""The list of the school's reports: code, title, who may see it, its parameters and its builder — one entry each.

Adding a report is one `ReportKind` in REPORTS: its builder takes a `ReportRequest` (the person,
the current school year, today, the clock, the settings and the parameters already checked
against what the person may see) and returns an `app.documents.Report`; the pages, the XLSX and
the PDF come from it. A report without parameters is built as soon as its page opens
(«Выполнение программы» below).
"""

from collections.abc import Callable
from dataclasses import dataclass

from app.documents import Report
from app.formats import month_label
from app.ids import parse_id
from app.models import SchoolSettings, SchoolYear
from app.services import access, plans
from app.services.errors import AccessDenied, BadInput, DomainError, NotFound
from app.services.reports import attendance, class_teacher, fill, progress, substitutions
from app.services.reports.common import (
    ReportRequest,
    classes_for,
    default_period,
    grades_of,
    month_options,
    periods_of,
    pick_class,
    pick_grade,
    pick_month,
    pick_period,
    year_terms,
)

# The parameters a report may take, with their Russian labels.
PARAM_LABELS = {"class": "Класс", "grade": "Параллель", "period": "Период", "month": "Месяц"}


def _class_reports(actor, year) -> bool:
    return access.can_view_class_reports(actor, year.id)


def _own_reports(actor, year) -> bool:
    return access.can_open_reports(actor)


@dataclass(frozen=True)
class ReportKind:
    """One report of the list."""

    code: str
    title: str
    description: str
    # The parameters of its form, of PARAM_LABELS, in order.
    params: tuple[str, ...]
    # Who may open it: (person, current school year) -> bool.
    audience: Callable
    # ReportRequest -> Report.
    build: Callable[[ReportRequest], Report]
    # «Вся школа» may be chosen for the class (reports.view holders only).
    whole_school: bool = False


REPORTS: dict[str, ReportKind] = {
    kind.code: kind
    for kind in (
        ReportKind(
            "summary",
            "Сводная ведомость",
            "Итоговые отметки класса по всем предметам за период, успеваемость и качество знаний.",
            ("class", "period"),
            _class_reports,
            progress.summary_sheet,
        ),
        ReportKind(
            "progress",
            "Успеваемость",
            "Отличники, хорошисты, с одной «3» и с одной «4», неуспевающие и не аттестованные: "
            "по классу, параллели и школе, с фамилиями.",
            ("class", "grade", "period"),
            _class_reports,
            progress.progress,
            whole_school=True,
        ),
        ReportKind(
            "attendance",
            "Посещаемость",
            "Пропущенные уроки и дни по ученикам класса (или по классам школы) за период, по причинам.",
            ("class", "period"),
            _class_reports,
            attendance.attendance,
            whole_school=True,
        ),
        ReportKind(
            "fill",
            "Заполнение журнала",
            "За месяц по учителям и журналам: уроки с темой из положенных и замечания правил проверки журнала.",
            ("month",),
            _own_reports,
            fill.journal_fill,
        ),
        ReportKind(
            "class-teacher",
            "Отчёт классного руководителя",
            "Движение учащихся, успеваемость, посещаемость и итоги по предметам класса за период — на одном листе.",
            ("class", "period"),
            _class_reports,
            class_teacher.class_teacher_report,
        ),
        ReportKind(
            "substitutions",
            "Замены",
            "За месяц по учителям: уроки, проведённые вместо других, и уроки, отданные на замену "
            "(для расчёта зарплаты).",
            ("month",),
            _own_reports,
            substitutions.substitutions,
        ),
        ReportKind(
            "program",
            "Выполнение программы",
            "Часы по учебному плану и по КТП, положенные к сегодняшнему дню, данные и отставание — по журналам.",
            (),
            _own_reports,
            lambda request: plans.program_report(request.actor, request.year, today=request.today),
        ),
    )
}


def current_year() -> SchoolYear:
    year = SchoolYear.current()
    if year is None:
        raise DomainError("Не задан текущий учебный год: отчёты строятся по текущему году.")
    return year


def chosen_year(args) -> SchoolYear:
    """The year a report is asked for (`year=<id>`: a past year's reports stay open), else the current one."""
    raw = _single(args, "year")
    if raw in (None, ""):
        return current_year()
    year_id = parse_id(raw)
    year = SchoolYear.get_or_none(SchoolYear.id == year_id) if year_id is not None else None
    if year is None:
        raise NotFound("Такого учебного года нет.")
    return year


def years() -> list[SchoolYear]:
    """Every school year, newest first (the reports' year choice)."""
    return list(SchoolYear.select().order_by(SchoolYear.start_date.desc()))


def visible(actor, year: SchoolYear | None) -> list[ReportKind]:
    """The reports the person may open, in the list's order."""
    if year is None or not access.can_open_reports(actor):
        return []
    return [kind for kind in REPORTS.values() if kind.audience(actor, year)]


def get_kind(actor, code, year: SchoolYear) -> ReportKind:
    """The report of that code, if the person may open it (an unknown code is a missing page)."""
    kind = REPORTS.get(code) if isinstance(code, str) else None
    if kind is None:
        raise NotFound("Такого отчёта нет.")
    if not access.can_open_reports(actor) or not kind.audience(actor, year):
        raise AccessDenied("Этот отчёт вам недоступен.")
    return kind


@dataclass
class Field:
    """One parameter of a report's form: its name, label, choices and the value chosen."""

    name: str
    label: str
    options: list[tuple[str, str]]
    value: str


def _single(args, name):
    """A parameter's value; a repeated one is not a choice of the form."""
    values = args.getlist(name) if hasattr(args, "getlist") else [args.get(name)] if name in args else []
    if len(values) > 1:
        raise BadInput(f"Параметр «{PARAM_LABELS.get(name, name)}» указан несколько раз.", name)
    return values[0] if values else None


def form(kind: ReportKind, actor, args, *, year: SchoolYear, today, settings: SchoolSettings) -> list[Field]:
    """The report's form: each parameter's choices (only what the person may see) and the value shown."""
    fields = []
    classes = classes_for(actor, year) if {"class", "grade"} & set(kind.params) else []
    school_wide = kind.whole_school and access.can_view_school_reports(actor)
    for name in kind.params:
        raw = args.get(name)
        if name == "class":
            options = ([("", "Вся школа")] if school_wide else []) + [(str(c.id), str(c)) for c in classes]
            default = "" if school_wide else (options[0][0] if options else "")
        elif name == "grade":
            if not school_wide:
                continue
            options = [("", "Все параллели")] + [(str(g), f"{g}-е классы") for g in grades_of(classes)]
            default = ""
        elif name == "period":
            # The chosen class's grade (or the one grade a person may choose) shows only that grade's periods.
            grades = grades_of(classes)
            chosen = next(
                (c for c in classes if fields and fields[0].name == "class" and str(c.id) == fields[0].value), None
            )
            only = grades[0] if len(grades) == 1 and not school_wide and "class" in kind.params else None
            grade = chosen.grade if chosen is not None else only
            periods = periods_of(year, year_terms(year), grade, settings)
            options = [(p.key, p.label) for p in periods]
            default = default_period(periods, today).key
        else:
            months = month_options(year, today)
            options = [(f"{m:%Y-%m}", month_label(m)) for m in months]
            default = options[0][0]
        value = raw if isinstance(raw, str) and any(raw == v for v, _ in options) else default
        fields.append(Field(name, PARAM_LABELS[name], options, value))
    return fields


def wants_report(kind: ReportKind, args) -> bool:
    """A report without parameters is built on opening; the others once their form was sent."""
    return not kind.params or any(name in args for name in kind.params)


def make_request(kind: ReportKind, actor, args, *, year: SchoolYear, clock, settings: SchoolSettings) -> ReportRequest:
    """Check the parameters against what the person may see and return the report's request; a wrong one is refused."""
    today = clock.today()
    request = ReportRequest(actor, year, today, clock, settings, terms=year_terms(year))
    school_wide = kind.whole_school and access.can_view_school_reports(actor)
    if {"class", "grade"} & set(kind.params):
        request.classes = classes_for(actor, year)
    if "class" in kind.params:
        raw = _single(args, "class")
        if raw in (None, "") and not school_wide:
            if not request.classes:
                raise AccessDenied("Отчёты класса видят его классный руководитель, заместитель директора и директор.")
            raw = str(request.classes[0].id)
        request.class_group = pick_class(request.classes, raw, required=not school_wide)
    if "grade" in kind.params and school_wide and request.class_group is None:
        request.grade = pick_grade(grades_of(request.classes), _single(args, "grade"))
    if "period" in kind.params:
        periods = periods_of(year, request.terms, None, settings)
        raw = _single(args, "period")
        if raw in (None, ""):
            grade = request.class_group.grade if request.class_group is not None else None
            request.period = default_period(periods_of(year, request.terms, grade, settings), today)
        else:
            request.period = pick_period(periods, raw)
    if "month" in kind.params:
        months = month_options(year, today)
        raw = _single(args, "month")
        request.month = months[0] if raw in (None, "") else pick_month(months, raw)
    return request


def build(kind: ReportKind, actor, args, *, clock, settings: SchoolSettings | None = None) -> Report:
    """Build one report of the chosen (by default the current) school year from the form's parameters, if allowed."""
    year = chosen_year(args)
    kind = get_kind(actor, kind.code, year)
    settings = settings or SchoolSettings.load()
    return kind.build(make_request(kind, actor, args, year=year, clock=clock, settings=settings))
