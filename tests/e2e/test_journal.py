"""In a real browser: the demo teacher fills today's lesson; another teacher is refused on its URLs (issue 3)."""

import re

import pytest
from playwright.sync_api import expect

from app import demo
from app.models import Absence, HomeworkFile, Journal, Lesson, Mark, Staff, StudyGroup, TeachingAssignment, Term
from app.services import access, journal
from app.services.auth import hash_password
from tests.e2e.browser import log_in, log_out, open_menu_item

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
OTHER_PASSWORD = "Проверка2026"


def todays_lesson(teacher, today) -> Lesson:
    """Return the demo teacher's first lesson of today; on a day off give them one (the demo plans school days)."""
    lesson = (
        Lesson.select().where((Lesson.teacher == teacher.id) & (Lesson.date == today)).order_by(Lesson.number).first()
    )
    if lesson is not None:
        return lesson
    assignment = (
        TeachingAssignment.select()
        .where(TeachingAssignment.teacher == teacher.id)
        .order_by(TeachingAssignment.id)
        .first()
    )
    group = assignment.journal.group
    # The new lesson takes a period free for the group and, for a part of a class, for the whole class.
    near = StudyGroup.id == group.id
    if group.class_group_id is not None:
        near |= StudyGroup.class_group == group.class_group_id
    taken = [
        x.number
        for x in Lesson.select(Lesson.number).join(Journal).join(StudyGroup).where(near & (Lesson.date == today))
    ]
    term = Term.containing(today).where(Term.year == journal.current_year().id).first()
    lesson = Lesson(
        journal=assignment.journal_id,
        date=today,
        term=term,
        number=max(taken, default=0) + 1,
        planned_teacher=teacher.id,
        teacher=teacher.id,
    )
    lesson.save(force_insert=True)
    return lesson


def outsider_for(lesson, book) -> Staff:
    """Return a teacher who may see neither the lesson nor the journal it counts in, with a known password."""
    for staff in Staff.select().where(Staff.login != "teacher").order_by(Staff.id):
        if (
            access.can(staff, journal.EDIT_PERMISSION)
            and not access.sees_everything(staff)
            and not access.can_see(staff, lesson)
            and not access.can_open_journal(staff, book)
        ):
            staff.password_hash = hash_password(OTHER_PASSWORD)
            staff.save()
            return staff
    raise AssertionError("the demo school has no teacher outside this lesson")


def test_teacher_fills_todays_lesson_and_a_colleague_gets_403(app, page, tmp_path):
    today = app.extensions["clock"].today()
    demo.seed("small", today=today, hash_method=app.config["PASSWORD_HASH_METHOD"])
    teacher = Staff.get(Staff.login == "teacher")
    lesson = todays_lesson(teacher, today)

    # The teacher opens «Сегодня» from the menu and the lesson from there.
    log_in(page, "teacher", demo.DEMO_PASSWORD)
    open_menu_item(page, "Журнал", "Сегодня")
    expect(page.get_by_role("heading", name=re.compile(r"Сегодня"))).to_be_visible()
    expect(page.locator(f"#lesson-row-{lesson.id}")).to_contain_text("тема урока")
    page.screenshot(path="/tmp/e2e-journal-today.png", full_page=True)
    page.locator(f"#open-lesson-{lesson.id}").click()
    expect(page).to_have_url(re.compile(rf"/journal/lesson/{lesson.id}$"))
    page.wait_for_load_state()

    # Topic, homework and a file with a Cyrillic name, saved together.
    upload = tmp_path / "Задачи к уроку.pdf"
    upload.write_bytes(PDF)
    page.get_by_label("Тема урока").fill("Решение задач на проценты")
    page.get_by_label("Домашнее задание").fill("§ 12, № 301–305")
    page.locator("#file").set_input_files(str(upload))
    expect(page.locator("#file-name")).to_have_text("Задачи к уроку.pdf")
    page.locator("#save-lesson").click()
    expect(page.get_by_text("Урок сохранён.")).to_be_visible()
    expect(page.get_by_text("Файл «Задачи к уроку.pdf» прикреплён.")).to_be_visible()
    page.wait_for_load_state()  # the grid's script is at the end of the page

    rows = page.locator("#students tbody tr")
    ids = [int(rows.nth(i).get_attribute("data-s")) for i in range(5)]
    cells = [page.locator(f"#student-{sid} td.jc") for sid in ids]

    # Two marks typed from the keyboard: Enter saves and moves down to the next student.
    cells[0].click()
    page.keyboard.type("5")
    page.keyboard.press("Enter")
    expect(cells[0]).to_have_text("5")
    expect(cells[1]).to_be_focused()
    page.keyboard.type("4")
    page.keyboard.press("Enter")
    expect(cells[1]).to_have_text("4")
    # The third, a test, through the cell dialog.
    cells[2].dblclick()
    dialog = page.locator("#jdialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Новая отметка").select_option("3")
    dialog.get_by_label("Вид работы").select_option(label="Контрольная работа")
    dialog.get_by_role("button", name="Добавить").click()
    expect(cells[2]).to_have_text("3")
    page.screenshot(path="/tmp/e2e-journal-dialog.png", full_page=True)
    dialog.locator(".modal-footer button").click()
    expect(dialog).to_be_hidden()

    # Two absences with their reasons.
    page.locator(f"select.jabs[data-s='{ids[3]}']").select_option("illness")
    expect(cells[3]).to_have_text("б")
    page.locator(f"select.jabs[data-s='{ids[4]}']").select_option("excused")
    expect(cells[4]).to_have_text("уп")

    # The lesson was held.
    page.get_by_label("Урок проведён").check()
    page.locator("#save-lesson").click()
    expect(page.get_by_text("Урок сохранён.")).to_be_visible()

    # After a reload everything is there.
    page.reload()
    expect(page.get_by_label("Тема урока")).to_have_value("Решение задач на проценты")
    expect(page.get_by_label("Домашнее задание")).to_have_value("§ 12, № 301–305")
    expect(page.get_by_label("Урок проведён")).to_be_checked()
    expect(page.locator("#held-badge")).to_have_text("урок проведён")
    expect(page.get_by_role("link", name="Задачи к уроку.pdf")).to_be_visible()
    for cell, text in zip(cells, ("5", "4", "3", "б", "уп"), strict=True):
        expect(cell).to_have_text(text)
    expect(page.locator(f"select.jabs[data-s='{ids[3]}']")).to_have_value("illness")
    expect(page.locator(f"select.jabs[data-s='{ids[4]}']")).to_have_value("excused")
    expect(page.locator(f"#student-{ids[2]} .jm")).to_have_attribute("title", "контрольная работа, вес 3")
    expect(page.locator(f"#student-{ids[0]} .jm")).to_have_attribute("title", "ответ на уроке, вес 1")
    page.screenshot(path="/tmp/e2e-journal-lesson.png", full_page=True)

    stored = Lesson.get_by_id(lesson.id)
    assert (stored.topic, stored.homework, stored.held) == ("Решение задач на проценты", "§ 12, № 301–305", True)
    assert sorted((m.student_id, m.value) for m in Mark.select().where(Mark.lesson == lesson.id)) == sorted(
        zip(ids[:3], ("5", "4", "3"), strict=True)
    )
    assert {(a.student_id, a.reason) for a in Absence.select().where(Absence.lesson == lesson.id)} == {
        (ids[3], "illness"),
        (ids[4], "excused"),
    }
    record = HomeworkFile.get(HomeworkFile.lesson == lesson.id)
    assert record.original_name == "Задачи к уроку.pdf"

    download = page.request.get(f"/journal/files/{record.id}")
    assert download.status == 200 and download.body() == PDF
    assert "filename*=UTF-8''%D0%97%D0%B0%D0%B4%D0%B0%D1%87%D0%B8" in download.headers["content-disposition"]

    # The journal page shows the same, for the screenshot of the whole group.
    term = Term.get_or_none(Term.id == stored.term_id) if stored.term_id else None
    book = journal.counting_journal(stored)
    if term is not None:
        page.goto(f"/journal/grid/{book.id}/{term.id}")
        expect(page.locator(f"td.jc[data-s='{ids[0]}'][data-l='{lesson.id}']")).to_have_text("5")
        page.screenshot(path="/tmp/e2e-journal-grid.png", full_page=False)
    log_out(page)

    # Another teacher: every URL of that lesson answers 403, and nothing changes.
    outsider = outsider_for(stored, book)
    log_in(page, outsider.login, OTHER_PASSWORD)
    month = today.strftime("%Y-%m")
    urls = [
        f"/journal/lesson/{lesson.id}",
        f"/journal/files/{record.id}",
        f"/journal/print/{book.id}/{month}",
    ]
    if term is not None:
        urls.append(f"/journal/grid/{book.id}/{term.id}")
    for url in urls:
        assert page.goto(url).status == 403, url
    expect(page.get_by_role("heading", name="Доступ запрещён")).to_be_visible()
    page.screenshot(path="/tmp/e2e-journal-403.png", full_page=True)
    page.goto("/")
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    cell = page.request.get(f"/journal/api/cell?lesson={lesson.id}&student={ids[0]}")
    assert cell.status == 403
    refused = page.request.post(
        "/journal/api/marks",
        headers={"X-CSRFToken": token, "Accept": "application/json"},
        data={"lesson": lesson.id, "student": ids[0], "value": "2", "work_type": 1},
    )
    assert refused.status == 403
    saved = page.request.post(
        f"/journal/lesson/{lesson.id}",
        headers={"X-CSRFToken": token},
        form={"version": str(stored.version), "topic": "Чужая правка"},
    )
    assert saved.status == 403
    assert Mark.select().where(Mark.lesson == lesson.id).count() == 3
    assert Lesson.get_by_id(lesson.id).topic == "Решение задач на проценты"
