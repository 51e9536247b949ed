"""A small school for the thematic plans: 5А and 5Б learn mathematics (two teachers), a deputy, lessons around today."""

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from openpyxl import Workbook

from app.clock import app_clock
from app.models import ClassGroup, CurriculumHours, Lesson, SchoolYear, Subject, Term
from app.services import groups

XLSX_NAME = "ktp-matematika-5.xlsx"
HEADINGS = ("№ п/п", "Тема урока", "Кол-во часов", "Дата", "Домашнее задание")
GOOD_ROWS = (
    ("Раздел 1. Натуральные числа",),
    (1, "Ряд натуральных чисел", 1, None, "№ 1–5"),
    (2, "Десятичная запись числа", 2, None, None),
    (3, "Сравнение чисел", 1, None, None),
    ("Раздел 2. Действия с числами",),
    (4, "Сложение", 1, None, "№ 20"),
    (5, "Вычитание", 1, None, None),
    (6, "Контрольная работа № 1", 1, None, None),
)


def plan_xlsx(rows=GOOD_ROWS, headings=HEADINGS, title="Календарно-тематическое планирование, математика, 5 класс"):
    """Return the bytes of a plan spreadsheet laid out as teachers keep them: a title line, headings, rows."""
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(list(headings))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def make_lesson(journal, teacher, day, number=2, term=None, **values) -> Lesson:
    """Create a planned lesson the way planning does (through save: it takes a change number)."""
    lesson = Lesson(journal=journal, term=term, date=day, number=number, planned_teacher=teacher, teacher=teacher)
    for name, value in values.items():
        setattr(lesson, name, value)
    lesson.save(force_insert=True)
    return lesson


@pytest.fixture
def school(app, make_staff):
    """5А (Смирнова) and 5Б (Кузнецов) learn mathematics; 5А has eight lessons, from six days ago to tomorrow."""
    clock = app_clock(app)
    today = clock.today()
    year = SchoolYear.create(
        name="2025/2026",
        start_date=today - dt.timedelta(days=150),
        end_date=today + dt.timedelta(days=150),
        is_current=True,
    )
    term = Term.create(
        year=year, number=2, start_date=today - dt.timedelta(days=40), end_date=today + dt.timedelta(days=40)
    )
    teacher = make_staff("teacher", roles=["teacher"], last_name="Смирнова", first_name="Анна", middle_name="Игоревна")
    other = make_staff("other", roles=["teacher"], last_name="Кузнецов", first_name="Олег", middle_name="Петрович")
    deputy = make_staff("deputy", roles=["deputy"], last_name="Орлова", first_name="Наталья", middle_name="Ивановна")
    head = make_staff("head", roles=["head"], last_name="Соколов", first_name="Игорь", middle_name="Андреевич")
    math = Subject.create(name="Математика")
    c5a = ClassGroup.create(year=year, grade=5, letter="А")
    c5b = ClassGroup.create(year=year, grade=5, letter="Б")
    c6b = ClassGroup.create(year=year, grade=6, letter="Б")
    j5a = groups.class_journal(c5a, math)
    j5b = groups.class_journal(c5b, math)
    j6b = groups.class_journal(c6b, math)
    groups.assign_teacher(None, j5a, teacher)
    groups.assign_teacher(None, j5b, other)
    groups.assign_teacher(None, j6b, other)
    CurriculumHours.create(year=year, subject=math, grade=5, hours=170)
    lessons = [make_lesson(j5a, teacher, today + dt.timedelta(days=offset), term=term) for offset in range(-6, 2)]
    return SimpleNamespace(
        clock=clock,
        today=today,
        year=year,
        term=term,
        teacher=teacher,
        other=other,
        deputy=deputy,
        head=head,
        math=math,
        c5a=c5a,
        c5b=c5b,
        j5a=j5a,
        j5b=j5b,
        j6b=j6b,
        lessons=lessons,
    )
