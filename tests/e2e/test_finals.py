"""In a real browser: a quarter's finals set in one keyboard pass, and the class's finals page (issue 9, item 4).

The demo teacher (`teacher`, 5А's English group 1) sees only their group in the grid, gives a mark
there, opens «Итоговые отметки» and passes down the quarter's column with Enter — confirming each
recommendation, typing one mark of their own — and saves with one button. The class teacher
(`classteacher`, 5А) then opens 5А's «Итоговые отметки» and sees both English groups' finals (group
2's were set by its own teacher in the set-up), on a page that prints on one landscape A4 sheet.
Screenshots land in /tmp/e2e-finals-*.png.
"""

import datetime as dt
import re

import pytest
import time_machine
from playwright.sync_api import expect

from app import demo
from app.clock import SchoolClock
from app.models import (
    Absence,
    ClassGroup,
    FinalMark,
    GroupMembership,
    Journal,
    Lesson,
    Mark,
    SchoolYear,
    Staff,
    StudyGroup,
    Subject,
    TeachingAssignment,
)
from app.services import finals, groups
from tests.e2e.browser import log_in, open_menu_item
from tests.e2e.test_grid import school_wednesday

CLOCK = SchoolClock()  # the school's clock, as the app builds it

pytestmark = pytest.mark.e2e

# A4 landscape less the print stylesheet's 10 mm margins, in CSS pixels (96 per inch).
PRINT_WIDTH = round((297 - 2 * 10) / 25.4 * 96)


@pytest.fixture
def school_day():
    """Travel to a school day of the demo's second quarter (10:00 in Moscow, the clock ticking)."""
    day = school_wednesday(dt.datetime.now(dt.UTC).date())
    with time_machine.travel(dt.datetime.combine(day, dt.time(7, 0), tzinfo=dt.UTC), tick=True):
        yield day


def english_journals(class_group) -> list[Journal]:
    """Return the class's English journals of its two groups, group 1 first."""
    return list(
        Journal.select()
        .join(StudyGroup)
        .join_from(Journal, Subject)
        .where((StudyGroup.class_group == class_group.id) & (Subject.name == "Английский язык"))
        .order_by(StudyGroup.name)
    )


def teacher_of(book) -> Staff:
    return (
        TeachingAssignment.select()
        .where(TeachingAssignment.journal == book.id)
        .order_by(TeachingAssignment.id)
        .get()
        .teacher
    )


def members(sheet, key) -> list:
    """Return the rows of a sheet whose student is in the group during the column's period."""
    return [row for row in sheet.rows if row.cells[key].member]


def empty_cell(book, day):
    """Return the latest lesson of the journal up to the day and a member of the group with nothing in it."""
    lesson = (
        Lesson.select()
        .where((Lesson.journal == book.id) & (Lesson.date <= day))
        .order_by(Lesson.date.desc(), Lesson.number.desc())
        .first()
    )
    assert lesson is not None, "the demo's English group 1 has had no lesson yet"
    busy = {m.student_id for m in Mark.select().where(Mark.lesson == lesson.id)}
    busy |= {a.student_id for a in Absence.select().where(Absence.lesson == lesson.id)}
    free = [s for s in groups.members_on(book.group, lesson.date) if s.id not in busy]
    assert free, "every student of the lesson has a mark already"
    return lesson, free[0]


def set_up(day):
    """Seed the demo, give group 2 its quarter finals (its teacher, through the service), clear group 1's."""
    demo.seed("small", today=day)
    c5a = ClassGroup.get(
        (ClassGroup.year == SchoolYear.current().id) & (ClassGroup.grade == 5) & (ClassGroup.letter == "А")
    )
    book1, book2 = english_journals(c5a)
    teacher = Staff.get(Staff.login == "teacher")
    assert teacher_of(book1).id == teacher.id and teacher_of(book2).id != teacher.id
    sheet = finals.final_sheet(teacher, book1)
    quarter = next(c for c in sheet.columns if c.term is not None and c.term.start_date <= day <= c.term.end_date)
    assert quarter.editable, "the demo's current quarter should be open"
    # Whatever the demo put into group 1's column goes: the teacher fills it from empty.
    finals.save_finals(
        teacher, book1.id, quarter.key, {row.student.id: "" for row in members(sheet, quarter.key)}, clock=CLOCK
    )
    other = teacher_of(book2)
    sheet2 = finals.final_sheet(other, book2)
    given = {row.student.id: row.cells[quarter.key].recommended or "4" for row in members(sheet2, quarter.key)}
    finals.save_finals(other, book2.id, quarter.key, given, clock=CLOCK)
    # Fifteen subjects for 5А, as the page must print: the demo's and a few more (journals without lessons).
    report = finals.class_finals(c5a.class_teacher, c5a.id)
    for n in range(15 - len(report.subjects)):
        subject = Subject.create(name=f"Курс по выбору {n + 1}", short_name=f"Курс {n + 1}")
        groups.class_journal(c5a, subject)
    return c5a, book1, book2, quarter.key, given


def test_teacher_sets_quarter_finals_in_one_pass_and_the_class_teacher_sees_both_groups(
    app, browser, live_server, school_day
):
    c5a, book1, book2, key, group2_finals = set_up(school_day)
    teacher = Staff.get(Staff.login == "teacher")
    lesson, pupil = empty_cell(book1, school_day)
    in_group = groups.members_on(book1.group, lesson.date)
    # Group 2 today, less anyone who was ever in group 1 (a move between the groups keeps both rows).
    outside = [
        s for s in groups.members_on(book2.group, school_day) if not groups.is_member(s.id, book1.group, school_day)
    ]

    context = browser.new_context(base_url=live_server, locale="ru-RU", viewport={"width": 1440, "height": 900})
    context.set_default_timeout(15000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # The journals list → group 1's English: the grid lists group 1 only.
    log_in(page, "teacher", demo.DEMO_PASSWORD)
    open_menu_item(page, "Журнал", "Классные журналы")
    card = page.locator(".card", has=page.get_by_text(str(book1.group), exact=True))
    card.get_by_role("link", name="Английский язык").click()
    expect(page.locator("#journal-title")).to_contain_text(f"{book1.group} · Английский язык")
    page.wait_for_load_state("load")
    expect(page.locator(f'#jgrid tbody tr[data-s="{in_group[0].id}"]')).to_have_count(1)
    shown = {int(x) for x in page.eval_on_selector_all("#jgrid tbody tr", "rows => rows.map(r => r.dataset.s)")}
    ever_in_group = {m.student_id for m in GroupMembership.select().where(GroupMembership.group == book1.group_id)}
    assert {s.id for s in in_group} <= shown <= ever_in_group
    assert not shown & {s.id for s in outside}

    # A mark in the grid: typed into the cell, saved with Enter.
    if page.locator(f"#c{pupil.id}-{lesson.id}").count() == 0:
        page.goto(f"/journal/grid/{book1.id}/{lesson.term_id}")
        page.wait_for_load_state("load")
    cell = page.locator(f"#c{pupil.id}-{lesson.id}")
    cell.click()
    page.keyboard.type("5")
    page.keyboard.press("Enter")
    expect(cell).to_have_text("5")
    assert Mark.select().where((Mark.lesson == lesson.id) & (Mark.student == pupil.id)).count() == 1
    page.screenshot(path="/tmp/e2e-finals-grid.png", full_page=True)

    # «Итоговые отметки»: the current quarter's column opens for editing, one input per student.
    page.get_by_role("link", name="Итоговые отметки", exact=True).click()
    expect(page.locator("#finals-title")).to_contain_text("Итоговые отметки")
    page.wait_for_load_state("load")
    expect(page.locator('input[name="column"]')).to_have_value(key)
    sheet = finals.final_sheet(teacher, book1)  # with the grid's new mark in the averages
    rows = members(sheet, key)
    inputs = page.locator("input.fin-input")
    expect(inputs).to_have_count(len(rows))
    assert all(not row.cells[key].value for row in rows)
    assert sum(1 for row in rows if row.cells[key].recommended) >= 3, "the demo's quarter has too few marks"
    expect(page.locator("#finals-fill")).to_be_visible()

    # One pass down the column: Enter confirms a recommendation; the second student gets a mark typed in.
    expected = {}
    inputs.first.click()
    for n, row in enumerate(rows):
        field = page.locator(f"#fin-{row.student.id}")
        expect(field).to_be_focused()
        if n == 1:
            page.keyboard.type("5")
            expected[row.student.id] = "5"
        elif row.cells[key].recommended:
            expected[row.student.id] = row.cells[key].recommended
        page.keyboard.press("Enter")
        expect(field).to_have_value(expected.get(row.student.id, ""))
    save = page.locator("#finals-save")
    expect(save).to_be_focused()
    page.screenshot(path="/tmp/e2e-finals-entered.png", full_page=True)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".alert-success")).to_contain_text(f"Сохранено итоговых отметок: {len(expected)}.")
    saved = {
        f.student_id: f.value
        for f in FinalMark.select().where((FinalMark.journal == book1.id) & (FinalMark.term == int(key[5:])))
    }
    assert saved == expected
    for student_id, value in expected.items():
        expect(page.locator(f"#fin-{student_id}")).to_have_value(value)
    page.screenshot(path="/tmp/e2e-finals-saved.png", full_page=True)
    assert not errors, errors
    context.close()

    # The class teacher: the journals list → «Итоговые отметки класса: 5А».
    context = browser.new_context(base_url=live_server, locale="ru-RU", viewport={"width": 1440, "height": 900})
    context.set_default_timeout(15000)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, "classteacher", demo.DEMO_PASSWORD)
    open_menu_item(page, "Журнал", "Классные журналы")
    page.locator("#class-finals-links").get_by_role("link", name="5А", exact=True).click()
    expect(page.locator("#class-finals-title")).to_contain_text("Итоговые отметки · 5А класс")
    report = finals.class_finals(Staff.get(Staff.login == "classteacher"), c5a.id)
    assert len(report.subjects) == 15
    subject = next(i for i, s in enumerate(report.subjects) if s.name == "Английский язык")
    column = next(i for i, c in enumerate(report.columns) if c.key == key)
    expect(page.locator("#class-finals thead th.csubject")).to_have_count(15)
    for student_id, value in {**expected, **group2_finals}.items():
        cells = page.locator(f'#class-finals tr[data-s="{student_id}"] td.cval')
        expect(cells.nth(subject * len(report.columns) + column)).to_have_text(value)
    page.screenshot(path="/tmp/e2e-finals-class.png", full_page=True)

    # Printed: everything on one landscape A4 page, the period headers short.
    page.emulate_media(media="print")
    page.set_viewport_size({"width": PRINT_WIDTH, "height": 760})
    page.screenshot(path="/tmp/e2e-finals-class-print.png", full_page=True)
    width = page.evaluate("() => document.getElementById('class-finals').scrollWidth")
    assert width <= PRINT_WIDTH, f"the class's finals are {width}px wide in print, the page holds {PRINT_WIDTH}px"
    assert page.locator("nav.navbar").is_hidden() and page.locator("[data-print]").is_hidden()
    headers = page.locator("#class-finals thead th.cperiod").all_inner_texts()[: len(report.columns)]
    assert [h.strip() for h in headers][-3:] == ["Год", "Экз.", "Итог"] and re.fullmatch(r"1 ч\.", headers[0].strip())
    pdf = page.pdf(path="/tmp/e2e-finals-class.pdf", prefer_css_page_size=True, print_background=True)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1, "the class's finals should print on one page"
    assert not errors, errors
    context.close()
