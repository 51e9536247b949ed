"""In a real browser: the journal grid on a tablet and a desktop (issue 8).

A mark is two taps (the cell, then «5») on a touch-emulated tablet; the grid is a WAI-ARIA grid
with one cell in the Tab order that arrows, Home and End move; a read-only cell is announced as
such (Chromium's own accessibility tree says so); the header, the № and name columns and the
averages stay in view when the grid is scrolled to its far corner. Screenshots land in /tmp.

The demo school is seeded for a fixed school day (a Wednesday of the second quarter, never in the
past, so the browser's session cookie stays valid) and the clock travels there.
"""

import datetime as dt
import re

import pytest
import time_machine
from playwright.sync_api import expect

from app import demo
from app.models import Absence, Journal, Lesson, Mark, Staff, Student, StudyGroup, WorkType
from app.services import journal, journal_marks
from app.services import students as students_service
from tests.e2e.browser import log_in

pytestmark = pytest.mark.e2e

TABLET = {"width": 1024, "height": 768}
DESKTOP = {"width": 1440, "height": 900}
READ_ONLY = journal_marks.READ_ONLY_REASONS


def school_wednesday(today: dt.date) -> dt.date:
    """Return the first Wednesday from `today` on between 20 November and 20 December (the demo's 2nd quarter)."""
    for year in (today.year, today.year + 1):
        day = max(today, dt.date(year, 11, 20))
        while day <= dt.date(year, 12, 20):
            if day.isoweekday() == 3:
                return day
            day += dt.timedelta(days=1)
    raise AssertionError("unreachable: every window has a Wednesday")


@pytest.fixture
def school_day():
    """Travel to a school day (10:00 in Moscow, the clock ticking) and return it."""
    day = school_wednesday(dt.datetime.now(dt.UTC).date())
    with time_machine.travel(dt.datetime.combine(day, dt.time(7, 0), tzinfo=dt.UTC), tick=True):
        yield day


def new_context_page(browser, base_url, viewport, *, touch=False):
    """Open a fresh browser context of a given size (a tablet emulates touch) and return its page."""
    context = browser.new_context(base_url=base_url, locale="ru-RU", viewport=viewport, has_touch=touch)
    context.set_default_timeout(15000)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)

    def console(message):
        # The browser asks for /favicon.ico on its own; the site has none (a 404, not the page's fault).
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            problems.append(f"console {message.type}: {message.text}")

    page.on("console", console)
    return page, problems


def _free_number(group, day) -> int:
    """Return a lesson number free that day for the group and, for a part of a class, for the whole class."""
    near = StudyGroup.id == group.id
    if group.class_group_id is not None:
        near |= StudyGroup.class_group == group.class_group_id
    taken = [
        x.number for x in Lesson.select(Lesson.number).join(Journal).join(StudyGroup).where(near & (Lesson.date == day))
    ]
    return max(taken, default=0) + 1


def prepare_journal(day):
    """Seed the small demo school and return the teacher's lesson of the day with a lesson of tomorrow beside it."""
    demo.seed("small", today=day)
    teacher = Staff.get(Staff.login == "teacher")
    lesson = (
        Lesson.select()
        .where((Lesson.teacher == teacher.id) & (Lesson.date == day) & Lesson.term.is_null(False))
        .order_by(Lesson.number)
        .first()
    )
    assert lesson is not None, f"the demo teacher has no lesson on {day}"
    # A lesson of tomorrow in the same journal: its cells are read-only («урок ещё не наступил»).
    book = journal.counting_journal(lesson)
    tomorrow = Lesson(
        journal=book.id,
        term=lesson.term_id,
        date=day + dt.timedelta(days=1),
        number=_free_number(book.group, day + dt.timedelta(days=1)),
        planned_teacher=teacher.id,
        teacher=teacher.id,
    )
    tomorrow.save(force_insert=True)
    url = f"/journal/grid/{book.id}/{lesson.term_id}"
    return lesson, tomorrow, url


def students_of(lesson) -> list[Student]:
    """Return the lesson's students in the grid's order."""
    return journal_marks.lesson_students(lesson)


def roving(page) -> list[str]:
    """Return the ids of the grid's items in the Tab order (tabindex 0): exactly one is expected."""
    return page.eval_on_selector_all('#jgrid [tabindex="0"]', "items => items.map(i => i.id || i.getAttribute('href'))")


def focused(page) -> str:
    """Return the id (or the link) of the focused element."""
    return page.evaluate("() => document.activeElement.id || document.activeElement.getAttribute('href') || ''")


def ax_node(page, selector: str) -> dict:
    """Return Chromium's accessibility node of an element (role, name, properties), as a screen reader gets it."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("Accessibility.enable")
    document = cdp.send("DOM.getDocument", {"depth": 0})
    node = cdp.send("DOM.querySelector", {"nodeId": document["root"]["nodeId"], "selector": selector})
    tree = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node["nodeId"], "fetchRelatives": False})
    found = tree["nodes"][0]
    cdp.detach()
    return {
        "role": found["role"]["value"],
        "name": found.get("name", {}).get("value", ""),
        "description": found.get("description", {}).get("value", ""),
        "properties": {p["name"]: p["value"].get("value") for p in found.get("properties", [])},
    }


def sticky_report(page) -> dict:
    """Scroll the grid to its far corner and say what lies under the header, the first columns and the averages."""
    return page.evaluate(
        """() => {
      const wrap = document.getElementById('jgrid-wrap');
      wrap.scrollLeft = wrap.scrollWidth;
      wrap.scrollTop = wrap.scrollHeight;
      const box = wrap.getBoundingClientRect();
      const rect = selector => wrap.querySelector(selector).getBoundingClientRect();
      const centre = r => r.left + r.width / 2;
      const inside = r => r.left >= box.left - 1 && r.right <= box.right + 1 && r.top >= box.top - 1;
      const rows = [...wrap.querySelectorAll('tbody tr')];
      const row = rows[rows.length - 1].getBoundingClientRect();
      const y = row.top + row.height / 2;
      const at = (x, y) => {
        const el = document.elementFromPoint(x, y);
        const cell = el && el.closest('th, td');
        return cell ? cell.className + (cell.closest('thead') ? ' (head)' : '') : (el ? el.tagName : 'nothing');
      };
      const num = rect('thead th.jnum'), name = rect('thead th.jname');
      const avg1 = rect('thead th.javg1'), avg2 = rect('thead th.javg2');
      return {
        overflows: [wrap.scrollWidth > wrap.clientWidth, wrap.scrollHeight > wrap.clientHeight],
        scrolled: wrap.scrollLeft > 0,
        headersInside: [num, name, avg1, avg2].every(inside),
        number: at(centre(num), y),
        name: at(centre(name), y),
        header: at(name.right + 20, name.bottom - 6),
        months: at(name.right + 20, box.top + 4),
        average1: at(centre(avg1), y),
        average2: at(centre(avg2), y),
      };
    }"""
    )


def test_grid_on_a_tablet_and_a_desktop(app, browser, live_server, school_day, tmp_path):
    lesson, tomorrow, url = prepare_journal(school_day)
    students = students_of(lesson)
    assert len(students) >= 4
    work_type = WorkType.select().where(WorkType.active == True).order_by(WorkType.id).first()  # noqa: E712

    page, problems = new_context_page(browser, live_server, TABLET, touch=True)
    log_in(page, "teacher", demo.DEMO_PASSWORD)
    page.goto(url)
    page.wait_for_load_state("load")
    grid = page.get_by_role("grid")
    expect(grid).to_have_count(1)
    expect(page.get_by_role("rowheader", name=f"{students[0].last_name} {students[0].first_name}")).to_be_visible()
    expect(page.locator(f"#l{lesson.id}")).to_have_role("columnheader")

    # --- two taps: the cell, then «5» -------------------------------------------------------
    pupil = students[1]
    cell = page.locator(f"#c{pupil.id}-{lesson.id}")
    expect(cell).to_have_attribute("data-why", "")
    page.tap(f"#c{pupil.id}-{lesson.id}")
    pad = page.locator("#jpad")
    expect(pad).to_be_visible()
    expect(pad.locator("#jpad-title")).to_contain_text(f"{pupil.last_name} {pupil.first_name}")
    # The pad offers the server's scale and absence codes, nothing of its own.
    assert pad.locator(".jpad-mark").all_inner_texts() == list(journal_marks.MARK_VALUES)
    assert pad.locator(".jpad-abs").all_inner_texts() == [
        r["short"] for r in journal_marks.entry_rules()["absenceReasons"]
    ]
    page.screenshot(path="/tmp/e2e-grid-tablet-pad.png")
    with page.expect_response(lambda r: r.url.endswith("/journal/api/marks") and r.status == 201):
        page.tap('#jpad [data-mark="5"]')
    expect(pad).to_be_hidden()
    expect(cell).to_have_text("5")
    expect(cell.locator(".jm")).to_have_attribute("title", re.compile(r", вес \d+$"))
    marks = list(Mark.select().where((Mark.lesson == lesson.id) & (Mark.student == pupil.id)))
    assert [(m.value, m.work_type_id) for m in marks] == [("5", work_type.id)]
    # The average the server computed is shown at once.
    expect(page.locator(f"#avg-{pupil.id}")).not_to_have_text("")

    # An absence is two taps as well, and a third pair clears it.
    other = students[2]
    page.tap(f"#c{other.id}-{lesson.id}")
    page.tap('#jpad [data-absence="illness"]')
    expect(page.locator(f"#c{other.id}-{lesson.id}")).to_have_text("б")
    assert Absence.get((Absence.lesson == lesson.id) & (Absence.student == other.id)).reason == "illness"
    page.tap(f"#c{other.id}-{lesson.id}")
    expect(page.locator('#jpad [data-absence="illness"]')).to_have_attribute("aria-pressed", "true")
    page.tap('#jpad [data-absence="illness"]')
    expect(page.locator(f"#c{other.id}-{lesson.id}")).to_have_text("")
    assert not Absence.select().where((Absence.lesson == lesson.id) & (Absence.student == other.id)).exists()

    # «Подробнее…» opens the full editor: work type, weight, every mark of the cell.
    page.tap(f"#c{pupil.id}-{lesson.id}")
    page.tap("#jpad .jpad-more")
    dialog = page.locator("#jdialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".jmark-line")).to_have_count(1)
    dialog.locator(".modal-footer button").click()
    expect(dialog).to_be_hidden()

    # --- a read-only cell: tomorrow's lesson ------------------------------------------------
    ro = page.locator(f"#c{pupil.id}-{tomorrow.id}")
    expect(ro).to_have_attribute("aria-readonly", "true")
    expect(ro).to_have_accessible_description(READ_ONLY["future"])
    node = ax_node(page, f"#c{pupil.id}-{tomorrow.id}")
    assert node["role"] == "gridcell" and node["properties"].get("readonly") is True, node
    assert f"{pupil.last_name} {pupil.first_name}" in node["name"] and f"{tomorrow.date:%d.%m}" in node["name"], node
    editable = ax_node(page, f"#c{pupil.id}-{lesson.id}")
    assert editable["role"] == "gridcell" and not editable["properties"].get("readonly"), editable
    assert editable["name"] == f"{pupil.last_name} {pupil.first_name} {lesson.date:%d.%m}, {lesson.number}-й урок 5", (
        editable
    )
    # It looks different too: a hatch, not a shade alone; tapping it opens no pad and says why.
    assert "gradient" in ro.evaluate("td => getComputedStyle(td).backgroundImage")
    assert "gradient" not in cell.evaluate("td => getComputedStyle(td).backgroundImage")
    page.tap(f"#c{pupil.id}-{tomorrow.id}")
    expect(pad).to_be_hidden()
    expect(page.locator("#jstatus")).to_have_text(READ_ONLY["future"])

    # --- the keyboard: one cell in the Tab order, arrows move it, Tab leaves -------------------
    page.reload()
    page.wait_for_load_state("load")
    rows = page.eval_on_selector_all("#jgrid tbody tr", "trs => trs.map(tr => tr.dataset.s)")
    start = roving(page)
    assert len(start) == 1 and start[0].startswith(f"c{rows[0]}-"), start
    page.locator(".jhelp summary").focus()  # the last stop before the grid
    page.keyboard.press("Tab")
    assert focused(page) == start[0]
    first_row = page.eval_on_selector_all(f'tr[data-s="{rows[0]}"] td.jc', "tds => tds.map(td => td.id)")
    column = first_row.index(start[0])

    def below(cell_id):
        return cell_id.replace(f"c{rows[0]}-", f"c{rows[1]}-")

    steps = [
        ("ArrowDown", below(start[0])),
        ("ArrowRight", below(first_row[column + 1])),
        ("ArrowUp", first_row[column + 1]),
        ("ArrowLeft", start[0]),
        ("Home", first_row[0]),
        ("End", first_row[-1]),
    ]
    for key, expected in steps:
        page.keyboard.press(key)
        assert focused(page) == expected, (key, focused(page), expected)
        assert roving(page) == [expected], key
    page.keyboard.press("Control+End")
    last = page.eval_on_selector_all("#jgrid tbody td.jc", "tds => tds[tds.length - 1].id")
    assert focused(page) == last and roving(page) == [last]
    page.keyboard.press("Control+Home")
    assert focused(page) == first_row[0]
    # Up from the first student: the date header, a link to the lesson.
    page.keyboard.press("ArrowUp")
    assert focused(page).startswith("/journal/lesson/") and len(roving(page)) == 1
    page.keyboard.press("ArrowDown")
    assert focused(page) == first_row[0]
    page.keyboard.press("Tab")
    assert page.evaluate("() => !document.getElementById('jgrid').contains(document.activeElement)")
    # Shift+Tab comes back to the same cell, not to the first one.
    page.keyboard.press("Shift+Tab")
    assert focused(page) == first_row[0]

    # Typing works as before: «4», Enter saves and goes down; «y» is «н» on the Latin layout.
    fillable = page.eval_on_selector_all(
        f'#jgrid td.jc[data-l="{lesson.id}"]', "tds => tds.map(td => td.dataset.why === '' ? td.id : '')"
    )
    pair = next(i for i in range(len(fillable) - 1) if fillable[i] and fillable[i + 1])
    first, second = page.locator(f"#{fillable[pair]}"), page.locator(f"#{fillable[pair + 1]}")
    first.focus()
    page.keyboard.type("4")
    page.keyboard.press("Enter")
    expect(first).to_have_text(re.compile(r"4$"))
    assert focused(page) == fillable[pair + 1]
    page.keyboard.type("y")
    page.keyboard.press("Enter")
    expect(second).to_have_text(re.compile(r"^н"))
    # The pad serves the keyboard too: Space opens it on its first mark, arrows walk it, Escape closes it.
    first.focus()
    page.keyboard.press(" ")
    expect(pad).to_be_visible()
    assert page.evaluate("() => document.activeElement.dataset.mark") == journal_marks.MARK_VALUES[0]
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(pad).to_be_hidden()
    # The cell has a mark: the journal asks whether to replace it or add beside it; «д» adds.
    expect(page.locator('#jchoice [data-choice="replace"]')).to_be_focused()
    with page.expect_response(lambda r: r.url.endswith("/journal/api/marks") and r.status == 201):
        page.keyboard.press("l")
    expect(first).to_have_text(re.compile(rf"4{journal_marks.MARK_VALUES[1]}$"))
    assert focused(page) == fillable[pair]
    page.keyboard.press(" ")
    expect(pad).to_be_visible()
    page.keyboard.press("Escape")
    expect(pad).to_be_hidden()
    assert focused(page) == fillable[pair]
    page.keyboard.type("7")
    page.keyboard.press("Enter")
    expect(page.locator("#jstatus")).to_contain_text("Не понятно, что значит «7»")

    # --- sticky: scrolled to the far corner, the header and the columns are still there -------
    page.evaluate("() => window.scrollTo(0, 0)")
    report = sticky_report(page)
    assert report["overflows"][0] and report["scrolled"], report  # the grid is wider than a tablet
    assert report["headersInside"], report
    assert report["number"].startswith("jnum"), report
    assert report["name"].startswith("jname"), report
    assert report["header"].startswith("jdate") and report["header"].endswith("(head)"), report
    assert report["months"].startswith("jmonth") and report["months"].endswith("(head)"), report
    assert report["average1"].startswith("javg javg1") and report["average2"].startswith("javg javg2"), report
    page.screenshot(path="/tmp/e2e-grid-tablet-scrolled.png")
    page.evaluate("() => { const w = document.getElementById('jgrid-wrap'); w.scrollLeft = 0; w.scrollTop = 0; }")
    page.screenshot(path="/tmp/e2e-grid-tablet.png")
    assert not problems, problems
    page.context.close()

    # --- the desktop: the same journal, the marks from the tablet are there --------------------
    page, problems = new_context_page(browser, live_server, DESKTOP)
    log_in(page, "teacher", demo.DEMO_PASSWORD)
    page.goto(url)
    page.wait_for_load_state("load")
    expect(page.locator(f"#c{pupil.id}-{lesson.id}")).to_contain_text("5")
    expect(page.locator(f"#{fillable[pair]}")).to_have_text(re.compile(r"4$"))
    assert len(roving(page)) == 1
    page.screenshot(path="/tmp/e2e-grid-desktop.png")
    report = sticky_report(page)
    assert report["headersInside"] and report["name"].startswith("jname"), report
    assert report["average2"].startswith("javg javg2"), report
    page.screenshot(path="/tmp/e2e-grid-desktop-scrolled.png")
    assert not problems, problems
    page.context.close()


def test_a_read_only_journal_has_no_pad_and_says_so(app, browser, live_server, school_day):
    lesson, _, url = prepare_journal(school_day)
    # The class teacher reads another teacher's journal of their class (or part of it): every cell is read-only.
    group = lesson.journal.group
    member = students_of(lesson)[0]
    class_group = group.class_group if group.class_group_id else students_service.current_class(member, lesson.date)
    leader = Staff.get_by_id(class_group.class_teacher_id)
    if leader.id == lesson.teacher_id:
        pytest.skip("the demo teacher leads this class")
    leader.password_hash = Staff.get(Staff.login == "teacher").password_hash
    leader.save()
    page, problems = new_context_page(browser, live_server, TABLET, touch=True)
    log_in(page, leader.login, demo.DEMO_PASSWORD)
    page.goto(url)
    page.wait_for_load_state("load")
    expect(page.get_by_role("grid")).to_have_attribute("aria-readonly", "true")
    assert page.locator("#jpad").count() == 0
    assert page.locator('#jgrid td.jc[data-why=""]').count() == 0
    selector = f"#c{member.id}-{lesson.id}"
    expect(page.locator(selector)).to_have_accessible_description(READ_ONLY["ro"])
    assert ax_node(page, selector)["properties"].get("readonly") is True
    # The lesson's date header carries a lock.
    expect(page.locator(f"#l{lesson.id} .fa-lock")).to_be_attached()
    page.tap(selector)
    expect(page.locator("#jstatus")).to_have_text(READ_ONLY["ro"])
    assert len(roving(page)) == 1
    page.screenshot(path="/tmp/e2e-grid-read-only.png")
    assert not problems, problems
    page.context.close()
