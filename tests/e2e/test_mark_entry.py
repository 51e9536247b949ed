"""In a real browser: the journal grid's entry details (issue 9, item 5).

«54» typed into a cell is two marks saved by one request; a mark typed over a cell that has marks
asks «Заменить» or «Добавить» (and for a reason when a replaced mark is old); a mark carries a
comment and a decimal weight («1,5»); «н» is an absence whose reason is not known yet; a
cancelled lesson is crossed out in the grid and takes no entry, and a lesson that has marks cannot
be cancelled. Every save is checked in the database too. Screenshots land in /tmp.

The small demo school is seeded for a school day of the second quarter (as in test_grid.py) and
the clock travels there.
"""

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
import time_machine
from playwright.sync_api import expect

from app import demo
from app.models import Absence, AuditEntry, Lesson, Mark, Student
from app.services import journal, journal_marks
from tests.e2e.browser import log_in, shown_errors
from tests.e2e.test_grid import DESKTOP, focused, new_context_page, prepare_journal, school_wednesday

pytestmark = pytest.mark.e2e

MARKS_API = "/journal/api/marks"
CANCELLED = journal_marks.READ_ONLY_REASONS["cancelled"]


@pytest.fixture
def school_day():
    """Travel to a school day (10:00 in Moscow, the clock ticking) and return it."""
    day = school_wednesday(dt.datetime.now(dt.UTC).date())
    with time_machine.travel(dt.datetime.combine(day, dt.time(7, 0), tzinfo=dt.UTC), tick=True):
        yield day


@dataclass
class Desk:
    """The teacher at the journal grid: the page, what went wrong in it, the mark saves it sent."""

    page: object
    problems: list
    lesson: Lesson
    url: str
    saves: list = field(default_factory=list)

    def open_grid(self) -> None:
        """Open (or reopen) the grid of today's lesson's journal and term."""
        self.page.goto(self.url)
        self.page.wait_for_load_state("load")
        expect(self.page.get_by_role("grid")).to_have_count(1)

    def cell(self, student_id, lesson_id=None):
        """Return the grid cell of a student and a lesson (today's by default)."""
        return self.page.locator(f"#c{student_id}-{lesson_id or self.lesson.id}")

    def fillable(self) -> list[int]:
        """Return the students whose cell of today's lesson may be filled, in the grid's order (None for the others)."""
        return self.page.eval_on_selector_all(
            f'#jgrid td.jc[data-l="{self.lesson.id}"]',
            "tds => tds.map(td => td.dataset.why === '' ? Number(td.dataset.s) : null)",
        )

    def pair(self, skip: int = 0) -> tuple[int, int]:
        """Return two students one under the other whose cells of today's lesson are fillable (pairs never overlap)."""
        ids, pairs, i = self.fillable(), [], 0
        while i < len(ids) - 1:
            if ids[i] and ids[i + 1]:
                pairs.append((ids[i], ids[i + 1]))
                i += 2
            else:
                i += 1
        assert len(pairs) > skip, ids
        return pairs[skip]

    def sent(self, index: int = -1) -> dict:
        """Return the JSON body of a mark save the page sent."""
        return json.loads(self.saves[index].post_data)

    def type_into(self, student_id, text: str, lesson_id=None) -> None:
        """Focus a cell, type into it and press Enter, as a teacher at the keyboard does."""
        self.cell(student_id, lesson_id).focus()
        press_keys(self.page, text)
        self.page.keyboard.press("Enter")


@pytest.fixture
def desk(app, browser, live_server, school_day):
    """Seed the small demo school, log the demo teacher in and open the journal grid of their lesson of today."""
    lesson, _, url = prepare_journal(school_day)
    page, problems = new_context_page(browser, live_server, DESKTOP)
    sitting = Desk(page, problems, lesson, url)
    page.on("request", lambda r: sitting.saves.append(r) if r.method == "POST" and r.url.endswith(MARKS_API) else None)
    log_in(page, "teacher", demo.DEMO_PASSWORD)
    sitting.open_grid()
    yield sitting
    page.context.close()


# The Russian layout over the keys of a US keyboard (ЙЦУКЕН over QWERTY): what a Cyrillic letter's key is.
_RUSSIAN = "йцукенгшщзхъфывапролджэячсмитьбю"
_KEYS = "qwertyuiop[]asdfghjkl;'zxcvbnm,."
_CODES = {"[": "BracketLeft", "]": "BracketRight", ";": "Semicolon", "'": "Quote", ",": "Comma", ".": "Period"}
_VK = {"[": 219, "]": 221, ";": 186, "'": 222, ",": 188, ".": 190}


def press_keys(page, text: str) -> None:
    """Press keys one by one as on a Russian layout: a Cyrillic letter is its key's keydown carrying that letter.

    Playwright's keyboard knows the US layout only (its `type` merely inserts other letters as
    text, with no keydown the page could read), so Cyrillic keys go through Chromium's own input.
    """
    cdp = page.context.new_cdp_session(page)
    try:
        for char in text:
            index = _RUSSIAN.find(char)
            if index < 0:
                page.keyboard.press(char)
                continue
            latin = _KEYS[index]
            code = _CODES.get(latin, f"Key{latin.upper()}")
            vk = _VK.get(latin, ord(latin.upper()))
            common = {"key": char, "code": code, "windowsVirtualKeyCode": vk, "nativeVirtualKeyCode": vk}
            cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": char, "unmodifiedText": char, **common})
            cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", **common})
    finally:
        cdp.detach()


def take_refusal(problems: list, url_end: str) -> None:
    """Take one expected refusal (HTTP 400 from a URL ending so, and the console line it causes) off the problems."""
    http = next((p for p in problems if p.startswith("HTTP 400: ") and p.endswith(url_end)), None)
    console = next((p for p in problems if p.startswith("console error:") and "status of 400" in p), None)
    assert http and console, problems
    problems.remove(http)
    problems.remove(console)


def marks_of(lesson_id, student_id) -> list[Mark]:
    """Return a cell's marks as stored, oldest first."""
    return list(Mark.select().where((Mark.lesson == lesson_id) & (Mark.student == student_id)).order_by(Mark.id))


def saved(page, status: int = 201, url: str = MARKS_API):
    """Wait for the answer to a mark save of the page."""
    return page.expect_response(lambda r: r.url.endswith(url) and r.request.method == "POST" and r.status == status)


def choice_buttons(page) -> dict:
    """Return the question's buttons by their answer."""
    return {kind: page.locator(f'#jchoice [data-choice="{kind}"]') for kind in ("replace", "add", "cancel")}


# --- 1. «54» is two marks, one request ------------------------------------------------------


def test_two_marks_typed_at_once_are_one_request(app, desk):
    page = desk.page
    pupil, below = desk.pair()
    cell = desk.cell(pupil)
    expect(cell).to_have_text("")
    with saved(page) as answer:
        desk.type_into(pupil, "54")
    expect(cell).to_have_text("54")
    expect(cell.locator(".jm")).to_have_count(2)
    assert answer.value.json()["cell"]["marks"][0]["value"] == "5"
    # One request carried both marks, and the focus went down to the next student.
    assert len(desk.saves) == 1, [r.post_data for r in desk.saves]
    assert desk.sent()["values"] == ["5", "4"] and desk.sent()["replace"] == []
    assert focused(page) == f"c{below}-{desk.lesson.id}"
    marks = marks_of(desk.lesson.id, pupil)
    assert [m.value for m in marks] == ["5", "4"]
    assert len({m.created_at for m in marks}) == 1  # written together
    created = AuditEntry.select().where(
        (AuditEntry.model == "Mark")
        & (AuditEntry.action == "create")
        & AuditEntry.object_id.in_([str(m.id) for m in marks])
    )
    assert created.count() == 2
    page.screenshot(path="/tmp/e2e-marks-two-at-once.png")

    # All or nothing: a save with one value off the scale writes neither (the page's own token, a real POST).
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    refused = page.request.post(
        MARKS_API,
        headers={"X-CSRFToken": token, "Accept": "application/json"},
        data={"lesson": desk.lesson.id, "student": below, "values": ["5", "9"], "work_type": marks[0].work_type_id},
    )
    assert refused.status == 400, refused.text()
    assert "Такой отметки нет" in refused.json()["error"], refused.json()
    assert marks_of(desk.lesson.id, below) == []
    # Too many at once is refused in Russian as well, nothing written.
    refused = page.request.post(
        MARKS_API,
        headers={"X-CSRFToken": token, "Accept": "application/json"},
        data={"lesson": desk.lesson.id, "student": below, "values": ["5"] * 6, "work_type": marks[0].work_type_id},
    )
    assert refused.status == 400 and refused.json()["error"].startswith("Неверный запрос"), refused.text()
    assert marks_of(desk.lesson.id, below) == []
    assert not desk.problems, desk.problems


# --- 2. replace or add ---------------------------------------------------------------------


def test_a_mark_over_marks_asks_replace_or_add(app, desk):
    page = desk.page
    pupil, below = desk.pair()
    cell, question = desk.cell(pupil), page.locator("#jchoice")
    buttons = choice_buttons(page)
    with saved(page):
        desk.type_into(pupil, "54")
    expect(cell).to_have_text("54")

    # «3» over «54»: the question, focused on «Заменить»; nothing is sent before the answer.
    desk.type_into(pupil, "3")
    expect(question).to_be_visible()
    expect(question).to_have_role("alertdialog")
    expect(buttons["replace"]).to_be_focused()
    expect(page.locator("#jchoice-text")).to_have_text(
        "В клетке уже есть отметки «5», «4». Заменить их на «3» или добавить «3» к ним?"
    )
    expect(page.locator("#jchoice-reason")).to_be_hidden()
    page.screenshot(path="/tmp/e2e-marks-question.png")
    assert len(desk.saves) == 1
    with saved(page):
        press_keys(page, "д")
    expect(question).to_be_hidden()
    expect(cell).to_have_text("543")
    assert desk.sent()["values"] == ["3"] and desk.sent()["replace"] == []
    assert [m.value for m in marks_of(desk.lesson.id, pupil)] == ["5", "4", "3"]
    # The answer gave the focus back to where Enter had taken it: the next student.
    assert focused(page) == f"c{below}-{desk.lesson.id}"

    # «2» over them, Enter on «Заменить»: one request, only «2» is left, the deletes are audited.
    three = marks_of(desk.lesson.id, pupil)
    desk.type_into(pupil, "2")
    expect(buttons["replace"]).to_be_focused()
    expect(page.locator("#jchoice-text")).to_contain_text("«5», «4», «3»")
    with saved(page):
        page.keyboard.press("Enter")
    expect(question).to_be_hidden()
    expect(cell).to_have_text("2")
    assert len(desk.saves) == 3
    assert desk.sent()["values"] == ["2"]
    assert desk.sent()["replace"] == [{"id": m.id, "change_no": m.change_no} for m in three]
    left = marks_of(desk.lesson.id, pupil)
    assert [m.value for m in left] == ["2"]
    deleted = AuditEntry.select().where(
        (AuditEntry.model == "Mark")
        & (AuditEntry.action == "delete")
        & AuditEntry.object_id.in_([str(m.id) for m in three])
    )
    assert sorted(int(e.object_id) for e in deleted) == sorted(m.id for m in three)
    assert {e.before_data["value"] for e in deleted} == {"5", "4", "3"}

    # Esc on the question saves nothing and leaves the cell as it was.
    desk.type_into(pupil, "4")
    expect(buttons["replace"]).to_be_focused()
    page.keyboard.press("Escape")
    expect(question).to_be_hidden()
    expect(cell).to_have_text("2")
    assert focused(page) == f"c{below}-{desk.lesson.id}"
    # «Отмена» with the mouse does the same.
    desk.type_into(pupil, "5")
    buttons["cancel"].click()
    expect(question).to_be_hidden()
    assert [m.value for m in marks_of(desk.lesson.id, pupil)] == ["2"]

    # On the Latin layout «p» is «з»: replace. This is the fourth save: Esc and «Отмена» sent none.
    only = marks_of(desk.lesson.id, pupil)[0]
    desk.type_into(pupil, "5")
    with saved(page):
        page.keyboard.press("p")
    expect(cell).to_have_text("5")
    assert len(desk.saves) == 4, [r.post_data for r in desk.saves]
    assert desk.sent()["replace"] == [{"id": only.id, "change_no": only.change_no}]
    assert [m.value for m in marks_of(desk.lesson.id, pupil)] == ["5"]

    # A tap on the entry pad over a cell with marks asks the same question; «l» (= «д») adds.
    cell.click()
    expect(page.locator("#jpad")).to_be_visible()
    page.locator('#jpad [data-mark="4"]').click()
    expect(page.locator("#jpad")).to_be_hidden()
    expect(buttons["replace"]).to_be_focused()
    with saved(page):
        page.keyboard.press("l")
    expect(cell).to_have_text("54")
    assert len(desk.saves) == 5
    assert not desk.problems, desk.problems


def test_replacing_an_old_mark_asks_for_a_reason(app, desk):
    page = desk.page
    # A cell of an earlier lesson of the journal, still fillable, whose marks are older than the edit window.
    found = page.evaluate(
        """() => {
      const cells = JSON.parse(document.getElementById('jconfig').textContent).cells;
      for (const [key, cell] of Object.entries(cells)) {
        const [s, l] = key.split(':');
        const td = document.getElementById(`c${s}-${l}`);
        if (td && td.dataset.why === '' && cell.marks.length && cell.marks.every(m => m.needs_reason)) {
          return {student: Number(s), lesson: Number(l), marks: cell.marks.map(m => m.id)};
        }
      }
      return null;
    }"""
    )
    assert found is not None, "the demo journal has no fillable cell with old marks"
    student, lesson_id, old = found["student"], found["lesson"], found["marks"]
    cell = desk.cell(student, lesson_id)
    cell.scroll_into_view_if_needed()
    desk.type_into(student, "3", lesson_id)
    question, select = page.locator("#jchoice"), page.locator("#jchoice-reason-select")
    expect(question).to_be_visible()
    expect(page.locator("#jchoice-reason")).to_be_visible()
    # «з» without a reason: told to choose one, the focus on the list, nothing sent.
    press_keys(page, "з")
    expect(page.locator("#jchoice-error")).to_have_text(
        "Отметка поставлена давно: чтобы заменить её, выберите причину исправления."
    )
    expect(select).to_be_focused()
    page.screenshot(path="/tmp/e2e-marks-old-reason.png")
    assert desk.saves == []
    select.select_option("typo")
    with saved(page):
        choice_buttons(page)["replace"].click()
    expect(question).to_be_hidden()
    expect(cell).to_have_text("3")
    assert desk.sent()["reason"] == "typo"
    assert [m.value for m in marks_of(lesson_id, student)] == ["3"]
    deleted = list(
        AuditEntry.select().where(
            (AuditEntry.model == "Mark")
            & (AuditEntry.action == "delete")
            & AuditEntry.object_id.in_([str(i) for i in old])
        )
    )
    assert len(deleted) == len(old) and all(e.after_data == {"change_reason": "typo"} for e in deleted), deleted
    assert not desk.problems, desk.problems


# --- 3. a comment and a decimal weight -------------------------------------------------------


def test_a_comment_and_a_decimal_weight(app, desk):
    page = desk.page
    pupil, _ = desk.pair()
    other, _ = desk.pair(1)
    cell, dialog = desk.cell(pupil), page.locator("#jdialog")
    with saved(page):
        desk.type_into(pupil, "5")
    expect(cell).to_have_text("5")
    mark = marks_of(desk.lesson.id, pupil)[0]

    # Enter on the cell opens the dialog; the mark's line takes a comment.
    desk.cell(pupil).focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    line = dialog.locator(f'.jmark-line[data-mark="{mark.id}"]')
    line.locator("input.jcomment").fill("Устный ответ у доски, с доказательством")
    with saved(page, 200, f"{MARKS_API}/{mark.id}"):
        line.get_by_role("button", name="Сохранить").click()
    expect(dialog.locator("#jdialog-error")).to_be_hidden()
    # The dialog is drawn anew from the answer: the comment is in the line.
    expect(dialog.locator(f'.jmark-line[data-mark="{mark.id}"] input.jcomment')).to_have_value(
        "Устный ответ у доски, с доказательством"
    )

    # The new-mark line: a comment and a weight typed the Russian way.
    new = dialog.get_by_label("Новая отметка").locator("xpath=..")
    dialog.get_by_label("Новая отметка").select_option("4")
    new.get_by_label("Вес").fill("1,5")
    new.get_by_label("Комментарий к отметке").fill("Самостоятельная работа")
    with saved(page):
        new.get_by_role("button", name="Добавить").click()
    expect(dialog.locator(".jmark-line")).to_have_count(2)
    # A weight with three decimal places is refused in Russian, nothing written.
    dialog.get_by_label("Новая отметка").select_option("3")
    dialog.get_by_label("Новая отметка").locator("xpath=..").get_by_label("Вес").fill("1,555")
    with saved(page, 400):
        dialog.get_by_label("Новая отметка").locator("xpath=..").get_by_role("button", name="Добавить").click()
    expect(dialog.locator("#jdialog-error")).to_have_text(journal_marks.WEIGHT_MESSAGE)
    page.screenshot(path="/tmp/e2e-marks-comment-dialog.png")
    dialog.locator(".modal-footer button").click()
    expect(dialog).to_be_hidden()
    take_refusal(desk.problems, MARKS_API)

    def check_cell():
        spans = cell.locator(".jm")
        expect(spans).to_have_count(2)
        expect(spans.nth(0)).to_have_class(re.compile(r"\bjm-note\b"))
        expect(spans.nth(0)).to_have_attribute(
            "title", re.compile(r"Комментарий: Устный ответ у доски, с доказательством$")
        )
        expect(spans.nth(1)).to_have_class(re.compile(r"\bjm-heavy\b.*\bjm-note\b"))
        expect(spans.nth(1)).to_have_attribute("title", re.compile(r", вес 1,5\. Комментарий: Самостоятельная работа$"))

    check_cell()
    stored = marks_of(desk.lesson.id, pupil)
    assert [(m.value, m.comment, m.weight) for m in stored] == [
        ("5", "Устный ответ у доски, с доказательством", mark.weight),
        ("4", "Самостоятельная работа", Decimal("1.5")),
    ]
    page.reload()
    page.wait_for_load_state("load")
    check_cell()

    # The toolbar's weight «1,5» goes with a typed mark too.
    page.locator("#jweight").fill("1,5")
    with saved(page):
        desk.type_into(other, "3")
    assert desk.sent()["weight"] == "1,5"
    expect(desk.cell(other).locator(".jm")).to_have_attribute("title", re.compile(r", вес 1,5$"))
    assert [(m.value, m.weight, m.comment) for m in marks_of(desk.lesson.id, other)] == [("3", Decimal("1.5"), None)]
    page.screenshot(path="/tmp/e2e-marks-comment-grid.png")
    assert not desk.problems, desk.problems


# --- 4. a cancelled lesson ------------------------------------------------------------------


def test_a_cancelled_lesson_takes_no_entry(app, desk):
    page = desk.page
    lesson = desk.lesson
    assert not Mark.select().where(Mark.lesson == lesson.id).exists()
    page.goto(f"/journal/lesson/{lesson.id}")
    page.wait_for_load_state("load")
    box = page.get_by_label("Причина отмены")
    expect(box).to_have_attribute("list", "cancel-reasons")
    offered = page.eval_on_selector_all("#cancel-reasons option", "options => options.map(o => o.value)")
    assert offered == list(journal.CANCEL_REASONS)
    page.get_by_label("Урок отменён (не состоится)").check()
    box.fill("карантин")  # what choosing «карантин» from the list puts into the box
    with page.expect_response(lambda r: r.request.method == "POST" and r.request.resource_type == "document") as post:
        page.locator("#save-lesson").click()
    assert post.value.status == 303
    expect(page.get_by_text("Урок сохранён.")).to_be_visible()
    expect(page.locator("#cancelled-badge")).to_have_text("урок отменён: карантин")
    expect(page.get_by_label("Урок отменён (не состоится)")).to_be_checked()
    stored = Lesson.get_by_id(lesson.id)
    assert (stored.cancelled, stored.cancel_reason, stored.held) == (True, "карантин", False)
    # The lesson page takes no entry either: its cells are read-only, its absence lists disabled.
    first = page.locator("#students tbody tr").first
    expect(first.locator("td.jc")).to_have_attribute("data-why", "cancelled")
    expect(first.locator("select.jabs")).to_be_disabled()
    page.screenshot(path="/tmp/e2e-marks-cancelled-lesson.png", full_page=True)

    # The grid: the column is crossed out, its cells read-only and saying why.
    desk.open_grid()
    header = page.locator(f"#l{lesson.id}")
    expect(header).to_have_class(re.compile(r"\bjcancel\b"))
    expect(header).to_have_attribute("title", re.compile(r"\(урок отменён: карантин\)"))
    whys = page.eval_on_selector_all(f'#jgrid td.jc[data-l="{lesson.id}"]', "tds => tds.map(td => td.dataset.why)")
    assert whys and set(whys) <= {"cancelled", "out"} and "cancelled" in whys, whys
    student = int(
        page.locator(f'#jgrid td.jc[data-l="{lesson.id}"][data-why="cancelled"]').first.get_attribute("data-s")
    )
    cell = desk.cell(student)
    expect(cell).to_have_class(re.compile(r"\bjc-ro\b.*\bjc-cancelled\b"))
    expect(cell).to_have_accessible_description(CANCELLED)
    cell.focus()
    press_keys(page, "5")
    expect(page.locator("#jstatus")).to_have_text(CANCELLED)
    expect(cell.locator("input")).to_have_count(0)
    # A tap says the same and opens no pad.
    cell.click()
    expect(page.locator("#jpad")).to_be_hidden()
    expect(page.locator("#jstatus")).to_have_text(CANCELLED)
    page.screenshot(path="/tmp/e2e-marks-cancelled-grid.png")
    assert desk.saves == []
    assert not Mark.select().where(Mark.lesson == lesson.id).exists()
    assert not Absence.select().where(Absence.lesson == lesson.id).exists()
    # A save sent all the same (the page's own token) is refused in Russian.
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    work_type = int(page.locator("#jwt").input_value())
    refused = page.request.post(
        MARKS_API,
        headers={"X-CSRFToken": token, "Accept": "application/json"},
        data={"lesson": lesson.id, "student": student, "values": ["5"], "work_type": work_type},
    )
    assert refused.status == 400 and "отменён" in refused.json()["error"], refused.text()
    assert not Mark.select().where(Mark.lesson == lesson.id).exists()
    assert not desk.problems, desk.problems


def test_a_lesson_with_marks_cannot_be_cancelled(app, desk):
    page = desk.page
    # An earlier held lesson of the same journal, with the demo's marks.
    earlier = (
        Lesson.select()
        .where(
            (Lesson.journal == desk.lesson.journal_id)
            & (Lesson.date < desk.lesson.date)
            & (Lesson.term == desk.lesson.term_id)
            & (Lesson.cancelled == False)  # noqa: E712
            & Lesson.id.in_(Mark.select(Mark.lesson))
        )
        .order_by(Lesson.date.desc())
        .first()
    )
    assert earlier is not None, "the demo journal has no earlier lesson with marks"
    before = Lesson.get_by_id(earlier.id)
    marks = Mark.select().where(Mark.lesson == earlier.id).count()
    url = f"/journal/lesson/{earlier.id}"
    page.goto(url)
    page.wait_for_load_state("load")
    held = page.get_by_label("Урок проведён")

    def submit() -> int:
        with page.expect_response(
            lambda r: r.request.method == "POST" and r.request.resource_type == "document"
        ) as post:
            page.locator("#save-lesson").click()
        page.wait_for_load_state("load")
        return post.value.status

    page.get_by_label("Урок отменён (не состоится)").check()
    page.get_by_label("Причина отмены").fill("актированный день (низкая температура)")
    if before.held:
        # Held and cancelled at once is refused first.
        expect(held).to_be_checked()
        assert submit() == 400
        assert shown_errors(page) == ["Урок не может быть одновременно проведён и отменён: снимите одну из отметок."]
        take_refusal(desk.problems, url)
        held.uncheck()
    assert submit() == 400
    assert shown_errors(page) == [
        "На уроке уже есть отметки или пропуски: урок, который состоялся, отменить нельзя. "
        "Если он не проводился, сначала удалите их."
    ]
    take_refusal(desk.problems, url)
    expect(page.locator("#cancelled-badge")).to_have_count(0)
    # The form keeps what was typed, so the teacher sees what was refused.
    expect(page.get_by_label("Причина отмены")).to_have_value("актированный день (низкая температура)")
    page.screenshot(path="/tmp/e2e-marks-cancel-refused.png", full_page=True)
    after = Lesson.get_by_id(earlier.id)
    assert (after.cancelled, after.cancel_reason, after.held, after.version) == (
        False,
        before.cancel_reason,
        before.held,
        before.version,
    )
    assert Mark.select().where(Mark.lesson == earlier.id).count() == marks
    # The page after a reload is the lesson as it was.
    page.goto(url)
    expect(page.get_by_label("Урок отменён (не состоится)")).not_to_be_checked()
    assert not desk.problems, desk.problems


# --- 5. «н»: an absence whose reason is not known yet ---------------------------------------


def test_n_is_an_absence_of_unknown_reason(app, desk):
    page = desk.page
    pupil, below = desk.pair()
    cell, dialog = desk.cell(pupil), page.locator("#jdialog")
    with page.expect_response(lambda r: r.url.endswith("/journal/api/absence") and r.status == 200):
        desk.type_into(pupil, "н")
    expect(cell).to_have_text("н")
    expect(cell.locator(".jab")).to_have_attribute("title", "Пропуск: причина не указана")
    assert Absence.get((Absence.lesson == desk.lesson.id) & (Absence.student == pupil)).reason == "unknown"
    assert focused(page) == f"c{below}-{desk.lesson.id}"
    # «нп» is unexcused.
    with page.expect_response(lambda r: r.url.endswith("/journal/api/absence") and r.status == 200):
        desk.type_into(below, "нп")
    expect(desk.cell(below)).to_have_text("нп")
    assert Absence.get((Absence.lesson == desk.lesson.id) & (Absence.student == below)).reason == "unexcused"
    assert desk.saves == []  # absences are not marks

    # Later the reason is learnt: the dialog changes it to «болезнь», the cell shows «б».
    cell.focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    reason = dialog.get_by_label("Причина пропуска")
    expect(reason).to_have_value("unknown")
    reason.select_option(label="болезнь")
    with page.expect_response(lambda r: r.url.endswith("/journal/api/absence") and r.status == 200):
        dialog.get_by_role("button", name="Сохранить пропуск").click()
    expect(cell).to_have_text("б")
    expect(dialog.get_by_label("Причина пропуска")).to_have_value("illness")
    page.screenshot(path="/tmp/e2e-marks-absence-dialog.png")
    dialog.locator(".modal-footer button").click()
    expect(dialog).to_be_hidden()
    assert Absence.get((Absence.lesson == desk.lesson.id) & (Absence.student == pupil)).reason == "illness"
    page.reload()
    page.wait_for_load_state("load")
    expect(cell).to_have_text("б")
    expect(desk.cell(below)).to_have_text("нп")
    name = Student.get_by_id(pupil)
    expect(page.get_by_role("rowheader", name=f"{name.last_name} {name.first_name}")).to_be_visible()
    assert not desk.problems, desk.problems
