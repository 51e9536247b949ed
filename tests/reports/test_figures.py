"""Each report's figures on the hand-built school of conftest.py, against numbers worked out by hand there."""

import pytest
from werkzeug.datastructures import MultiDict

from app.services.errors import AccessDenied, BadInput
from app.services.reports import registry
from app.services.reports.common import standing
from tests.reports.conftest import CLOCK, TODAY


def build(code, actor, **args):
    kind = registry.REPORTS[code]
    return registry.build(kind, actor, MultiDict(args), clock=CLOCK)


def section(report, title):
    found = [s for s in report.sections if s.title.startswith(title)]
    assert len(found) == 1, [s.title for s in report.sections]
    return found[0]


def by_first(rows, index=0):
    return {row[index]: row for row in rows}


# --- standing ----------------------------------------------------------------------------------


def test_standing_categories():
    assert standing({1: "5", 2: "5"}).codes == {"excellent"}
    assert standing({1: "5", 2: "4"}).codes == {"good", "one_four"}
    assert standing({1: "4", 2: "4"}).codes == {"good"}
    assert standing({1: "3", 2: "5"}).codes == {"one_three"}
    assert standing({1: "3", 2: "3"}).codes == set()
    assert standing({1: "2", 2: "н/а"}).codes == {"failing", "not_attested"}
    assert standing({1: "нз", 2: "5"}).codes == {"failing"}
    assert standing({1: "5", 2: "зч", 3: "осв."}).codes == {"excellent"}
    assert not standing({}).graded


# --- Сводная ведомость ----------------------------------------------------------------------------


def test_summary_sheet_of_the_first_quarter(school, on_report_day):
    report = build("summary", school.staff.deputy, **{"class": str(school.c5a.id), "period": f"term-{school.q1.id}"})
    assert report.title == "Сводная ведомость итоговых отметок: 5А класс"
    sheet = report.sections[0]
    assert [c.label for c in sheet.columns] == ["№", "Ученик", "Английский язык", "Математика", "Русский язык", "Итог"]
    assert [row[1:] for row in sheet.rows] == [
        ("Алексеев Артём", 5, 5, 5, "отличник"),
        ("Борисова Вера", 5, 5, 4, "хорошист"),
        ("Григорьев Денис", 4, 3, 4, "с одной «3»"),
        ("Егорова Жанна", 4, 2, 3, "неуспевающий"),
        ("Зайцев Илья", 4, 4, "н/а", "не аттестован"),
        ("Ушедший Юрий (выбыл 20.10.2026)", "", 4, 4, ""),
    ]
    subjects = by_first(section(report, "Итоги по предметам").rows)
    assert subjects["Математика"] == ("Математика", 2, 1, 1, 1, 0, "3,80", "80,0 %", "60,0 %")
    assert subjects["Русский язык"] == ("Русский язык", 1, 2, 1, 0, 1, "4,00", "80,0 %", "60,0 %")
    assert subjects["Английский язык"] == ("Английский язык", 2, 3, 0, 0, 0, "4,40", "100,0 %", "100,0 %")
    totals = section(report, "Итоги класса")
    assert totals.rows == [(5, 5, 1, 1, 1, 1, 1, 1, "60,0 %", "40,0 %")]
    assert any("Выбывшие" in note for note in totals.notes)
    assert report.signatures == ["Классный руководитель / Волкова Е.С. /"]


def test_summary_of_a_period_without_finals_counts_nobody(school, on_report_day):
    report = build("summary", school.staff.deputy, **{"class": str(school.c5a.id), "period": f"term-{school.q2.id}"})
    assert section(report, "Итоги класса").rows == [(6, 0, 0, 0, 0, 0, 0, 0, "—", "—")]
    # The newcomer of the 2nd quarter is on the sheet; the leaver of the 1st is not.
    names = [row[1] for row in report.sections[0].rows]
    assert "Новенькая Яна" in names and not any("Ушедший" in n for n in names)


# --- Успеваемость -------------------------------------------------------------------------------


def test_progress_of_the_school_by_class_and_grade_with_names(school, on_report_day):
    report = build("progress", school.staff.head, period=f"term-{school.q1.id}")
    classes = section(report, "По классам")
    assert by_first(classes.rows)["5А"] == ("5А", 5, 1, 1, 1, 1, 1, 1, "60,0 %", "40,0 %")
    assert by_first(classes.rows)["6Б"] == ("6Б", 1, 1, 0, 0, 0, 0, 0, "100,0 %", "100,0 %")
    assert classes.totals == ("Итого", 6, 2, 1, 1, 1, 1, 1, "66,7 %", "50,0 %")
    grades = section(report, "По параллелям")
    assert grades.totals == ("Вся школа", 6, 2, 1, 1, 1, 1, 1, "66,7 %", "50,0 %")
    assert section(report, "Отличники").rows == [("5А", "Алексеев Артём"), ("6Б", "Чужой Пётр")]
    assert section(report, "Хорошисты").rows == [("5А", "Борисова Вера")]
    assert section(report, "С одной «4»").rows == [("5А", "Борисова Вера", "Русский язык")]
    assert section(report, "С одной «3»").rows == [("5А", "Григорьев Денис", "Математика")]
    assert section(report, "Неуспевающие").rows == [("5А", "Егорова Жанна", "Математика")]
    assert section(report, "Не аттестованы").rows == [("5А", "Зайцев Илья", "Русский язык")]


def test_progress_of_a_grade_and_of_a_class(school, on_report_day):
    grade = build("progress", school.staff.deputy, grade="6", period=f"term-{school.q1.id}")
    assert section(grade, "По классам").rows == [("6Б", 1, 1, 0, 0, 0, 0, 0, "100,0 %", "100,0 %")]
    own = build("progress", school.staff.leader, period=f"term-{school.q1.id}")
    assert [row[0] for row in section(own, "По классам").rows] == ["5А"]
    assert section(own, "Отличники").rows == [("Алексеев Артём",)]


# --- Посещаемость -----------------------------------------------------------------------------


def test_attendance_of_the_class_by_student(school, on_report_day):
    report = build("attendance", school.staff.leader, period=f"term-{school.q1.id}")
    table = report.sections[0]
    # Пропущено, болезнь, уважительная, неуважительная, не указана, опоздания, дней, из них по болезни.
    rows = {row[1]: row[2:] for row in table.rows}
    assert rows["Алексеев Артём"] == (3, 3, 0, 0, 0, 0, 1, 1)
    assert rows["Борисова Вера"] == (1, 0, 0, 1, 0, 0, 0, 0)
    assert rows["Григорьев Денис"] == (3, 0, 0, 3, 0, 0, 1, 0)
    assert rows["Егорова Жанна"] == (2, 0, 2, 0, 0, 0, 1, 0)
    assert rows["Зайцев Илья"] == (1, 0, 0, 0, 1, 1, 0, 0)
    assert rows["Ушедший Юрий (выбыл 20.10.2026)"] == (1, 1, 0, 0, 0, 0, 0, 0)
    assert table.totals == ("", "Итого", 11, 4, 2, 4, 1, 1, 3, 1)


def test_attendance_of_the_school_by_class(school, on_report_day):
    report = build("attendance", school.staff.deputy, period=f"term-{school.q1.id}")
    table = report.sections[0]
    assert by_first(table.rows)["5А"] == ("5А", 5, 11, 4, 2, 4, 1, 1, 3, 1)
    assert by_first(table.rows)["6Б"] == ("6Б", 1, 0, 0, 0, 0, 0, 0, 0, 0)
    assert table.totals == ("Итого", 6, 11, 4, 2, 4, 1, 1, 3, 1)


# --- Заполнение журнала -----------------------------------------------------------------------


def test_fill_of_november_for_the_school(school, on_report_day):
    report = build("fill", school.staff.deputy, month="2026-11")
    assert report.title == "Заполнение журнала за ноябрь 2026: вся школа"
    per_teacher = section(report, "По учителям")
    labels = [c.label for c in per_teacher.columns]
    not_held, no_topic = labels.index("Урок не отмечен проведённым"), labels.index("Не указана тема урока")
    teachers = by_first(per_teacher.rows)
    assert set(teachers) == {"Кузнецов О.П.", "Смирнова А.И."}
    assert teachers["Кузнецов О.П."][:5] == ("Кузнецов О.П.", 1, 1, 1, "100,0 %") and teachers["Кузнецов О.П."][-1] == 0
    smirnova = teachers["Смирнова А.И."]
    assert smirnova[:5] == ("Смирнова А.И.", 2, 2, 0, "0,0 %")
    assert (smirnova[not_held], smirnova[no_topic], smirnova[-1]) == (1, 1, 2)
    assert sum(smirnova[5:-1]) == 2
    detail = section(report, "По журналам")
    labels = [c.label for c in detail.columns]
    not_held, no_topic = labels.index("Урок не отмечен проведённым"), labels.index("Не указана тема урока")
    rows = {(row[0], row[1]): row for row in detail.rows}
    assert set(rows) == {
        ("Кузнецов О.П.", "5А · Математика"),
        ("Смирнова А.И.", "5А · Математика"),
        ("Смирнова А.И.", "5А · Русский язык"),
    }
    math = rows[("Смирнова А.И.", "5А · Математика")]
    assert math[2:5] == (1, 0, "0,0 %") and math[no_topic] == 1 and math[not_held] == 0 and math[-1] == 1
    russian = rows[("Смирнова А.И.", "5А · Русский язык")]
    assert russian[2:5] == (1, 0, "0,0 %") and russian[not_held] == 1 and russian[-1] == 1
    assert detail.totals[2:5] == (3, 1, "33,3 %") and detail.totals[-1] == 2


def test_a_teacher_sees_only_their_own_fill(school, on_report_day):
    report = build("fill", school.staff.eng1, month="2026-11")
    assert report.title.endswith("Кузнецов О.П.")
    rows = section(report, "По учителям").rows
    assert [row[:5] for row in rows] == [("Кузнецов О.П.", 1, 1, 1, "100,0 %")] and rows[0][-1] == 0


# --- Замены ------------------------------------------------------------------------------------


def test_substitutions_of_november(school, on_report_day):
    report = build("substitutions", school.staff.deputy, month="2026-11")
    summary = section(report, "Итоги по учителям")
    assert summary.rows == [
        ("Волкова Е.С.", 0, 0, 1),
        ("Кузнецов О.П.", 1, 1, 0),
        ("Смирнова А.И.", 1, 0, 1),
    ]
    assert summary.totals == ("Итого", 2, 1, 2)
    assert section(report, "Проведённые замены").rows == [
        ("Кузнецов О.П.", "10.11.2026", 1, "5А", "Математика", "Смирнова А.И.", True),
        ("Смирнова А.И.", "12.11.2026", 2, "5А", "Русский язык", "Волкова Е.С.", False),
    ]
    assert section(report, "Уроки, отданные на замену").rows == [
        ("Волкова Е.С.", "12.11.2026", 2, "5А", "Русский язык", "Смирнова А.И.", False),
        ("Смирнова А.И.", "10.11.2026", 1, "5А", "Математика", "Кузнецов О.П.", True),
    ]


def test_a_teacher_sees_their_own_substitutions_only(school, on_report_day):
    report = build("substitutions", school.staff.math, month="2026-11")
    assert section(report, "Итоги по учителям").rows == [("Смирнова А.И.", 1, 0, 1)]
    assert [row[0] for row in section(report, "Проведённые замены").rows] == ["Смирнова А.И."]
    assert [row[5] for row in section(report, "Уроки, отданные на замену").rows] == ["Кузнецов О.П."]
    assert build("substitutions", school.staff.eng2, month="2026-11").sections[0].rows == []


# --- Отчёт классного руководителя ------------------------------------------------------------


def test_class_teacher_report_of_the_first_quarter(school, on_report_day):
    report = build("class-teacher", school.staff.leader, period=f"term-{school.q1.id}")
    movement = report.sections[0]
    assert [row[:2] for row in movement.rows] == [
        ("На начало периода (01.09.2026)", 6),
        ("Прибыли", 0),
        ("Выбыли", 1),
        ("На конец периода (25.10.2026)", 5),
    ]
    assert movement.rows[2][2] == "Ушедший Ю. (20.10.2026)"
    standing_rows = by_first(section(report, "Успеваемость").rows)
    assert standing_rows["Отличники"][1:] == (1, "Алексеев А.")
    assert standing_rows["С одной «4»"][1:] == (1, "Борисова В. (Русский язык)")
    assert standing_rows["С одной «3»"][1:] == (1, "Григорьев Д. (Математика)")
    assert standing_rows["Неуспевающие"][1:] == (1, "Егорова Ж. (Математика)")
    assert standing_rows["Не аттестованы"][1:] == (1, "Зайцев И. (Русский язык)")
    assert standing_rows["Успеваемость"][1] == "60,0 %"
    assert standing_rows["Качество знаний"][1] == "40,0 %"
    attendance = by_first(section(report, "Посещаемость").rows)
    assert attendance["Пропущено всего"] == ("Пропущено всего", 11, 3)
    assert attendance["Болезнь"] == ("Болезнь", 4, 1)
    assert attendance["Уважительная причина"] == ("Уважительная причина", 2, 1)
    assert attendance["Неуважительная причина"] == ("Неуважительная причина", 4, 1)
    assert attendance["Опоздания"][1] == 1
    assert by_first(section(report, "Итоги по предметам").rows)["Математика"][6] == "3,80"
    assert report.signatures == ["Классный руководитель / Волкова Е.С. /"]


def test_class_teacher_report_of_the_second_quarter_counts_the_newcomer(school, on_report_day):
    report = build("class-teacher", school.staff.leader, period=f"term-{school.q2.id}")
    assert [row[:2] for row in report.sections[0].rows] == [
        ("На начало периода (05.11.2026)", 5),
        ("Прибыли", 1),
        ("Выбыли", 0),
        ("На конец периода (01.12.2026)", 6),
    ]
    assert report.sections[0].rows[1][2] == "Новенькая Я. (10.11.2026)"


# --- parameters ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["summary", "class-teacher", "attendance", "progress"])
def test_a_class_report_of_another_class_is_refused_alike_for_a_missing_one(school, on_report_day, code):
    for value in (str(school.c6b.id), "999999", "abc"):
        with pytest.raises(AccessDenied) as refused:
            build(code, school.staff.leader, **{"class": value, "period": f"term-{school.q1.id}"})
        assert "6Б" not in refused.value.message


def test_a_teacher_who_leads_no_class_gets_no_class_report(school, on_report_day):
    with pytest.raises(AccessDenied):
        registry.get_kind(school.staff.math, "summary", school.year)
    with pytest.raises(AccessDenied):
        build("class-teacher", school.staff.math, **{"class": str(school.c5a.id)})
    for code in registry.REPORTS:
        with pytest.raises(AccessDenied):
            build(code, school.staff.admin)
    assert [k.code for k in registry.visible(school.staff.math, school.year)] == ["fill", "substitutions", "program"]
    assert [k.code for k in registry.visible(school.staff.leader, school.year)] == list(registry.REPORTS)
    assert registry.visible(school.staff.admin, school.year) == []


@pytest.mark.parametrize(
    "args",
    [
        {"period": "term-999999"},
        {"period": "год"},
        {"month": "2026-13"},
        {"month": "2031-01"},
        {"grade": "12"},
        {"grade": "abc"},
    ],
)
def test_bad_parameters_are_refused_in_russian(school, on_report_day, args):
    code = "fill" if "month" in args else "progress"
    with pytest.raises(BadInput) as refused:
        build(code, school.staff.deputy, **args)
    assert refused.value.message[0] in "ВП"


def test_a_repeated_parameter_is_refused(school, on_report_day):
    kind = registry.REPORTS["summary"]
    args = MultiDict([("class", str(school.c5a.id)), ("class", str(school.c6b.id))])
    with pytest.raises(BadInput):
        registry.build(kind, school.staff.deputy, args, clock=CLOCK)


def test_the_year_as_the_period(school, on_report_day):
    # No year finals yet: nobody is counted; the movement runs from 01.09 to today.
    progress = build("progress", school.staff.deputy, period="year")
    assert section(progress, "По классам").totals == ("Итого", 0, 0, 0, 0, 0, 0, 0, "—", "—")
    report = build("class-teacher", school.staff.leader, period="year")
    assert [row[:2] for row in report.sections[0].rows] == [
        ("На начало периода (01.09.2026)", 6),
        ("Прибыли", 1),
        ("Выбыли", 1),
        ("На конец периода (01.12.2026)", 6),
    ]
    attendance = build("attendance", school.staff.leader, period="year")
    assert attendance.sections[0].totals == ("", "Итого", 11, 4, 2, 4, 1, 1, 3, 1)


def test_a_grade_taught_by_halves_is_not_reported_by_a_quarter(school, on_report_day):
    from app.models import ClassGroup, Term

    Term.create(year=school.year, kind="half", number=1, start_date=school.q1.start_date, end_date=school.q2.end_date)
    c10 = ClassGroup.create(year=school.year, grade=10, letter="А", class_teacher=school.staff.eng2)
    with pytest.raises(BadInput) as refused:
        build("summary", school.staff.deputy, **{"class": str(c10.id), "period": f"term-{school.q1.id}"})
    assert "10А класс аттестуется не по периоду «1 четверть»" in refused.value.message
    report = build("progress", school.staff.deputy, period=f"term-{school.q1.id}")
    assert any("10-е классы" in note for note in section(report, "По классам").notes)
    # Its class teacher is offered the halves and the year only, and gets the half by default.
    kind = registry.REPORTS["summary"]
    fields = registry.form(
        kind, school.staff.eng2, MultiDict(), year=school.year, today=TODAY, settings=school.settings
    )
    assert [label for _, label in fields[1].options] == ["1 полугодие", "2026/2027 учебный год"]
    assert build("summary", school.staff.eng2).title.endswith("10А класс")
