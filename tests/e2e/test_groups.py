"""In a real browser: the deputy splits 5А into two English groups, moves a student from a date, sees the history."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from app.models import Enrollment, GroupMembership, SchoolYear, Student
from app.services import groups, school
from tests.conftest import DEFAULT_PASSWORD
from tests.e2e.browser import log_in, open_menu_item, post_by_clicking, shown_errors

pytestmark = pytest.mark.e2e

PUPILS = ("Белова Анна", "Васильев Борис", "Григорьева Вера", "Дмитриев Глеб")


@pytest.fixture
def school_5a(app, make_staff):
    """This school year with 5А of four pupils, and the deputy who splits it."""
    today = app.extensions["clock"].today()
    first = today.year if today.month >= 9 else today.year - 1
    year = SchoolYear.create(
        name=f"{first}/{first + 1}",
        start_date=dt.date(first, 9, 1),
        end_date=dt.date(first + 1, 5, 31),
        is_current=True,
    )
    a5 = school.create_class_group(None, year=year, grade=5, letter="А")
    pupils = []
    for name in PUPILS:
        last, given = name.split()
        student = Student.create(last_name=last, first_name=given)
        Enrollment.create(student=student, class_group=a5, start_date=year.start_date)
        pupils.append(student)
    deputy = make_staff("zavuch", roles=["deputy"], last_name="Петрова", first_name="Анна")
    return year, a5, pupils, deputy


def save(page, button) -> None:
    """Post the page's form by its button and assert the page that follows shows no error."""
    status = post_by_clicking(page, button)
    assert status < 400 and not shown_errors(page), (status, shown_errors(page))


def test_the_deputy_splits_a_class_ticks_groups_and_moves_a_student(page, school_5a):
    year, a5, pupils, deputy = school_5a
    log_in(page, deputy.login, DEFAULT_PASSWORD)
    open_menu_item(page, "Группы и журналы", "Деление класса на группы")
    expect(page).to_have_url(re.compile(r"/groups/split/"))

    # Make two English groups of 5А.
    form = page.locator("#split-create")
    form.get_by_label("Класс").select_option(label="5А")
    form.get_by_label("Для чего делится").fill("англ.")
    form.get_by_label("Групп").fill("2")
    save(page, form.get_by_role("button", name="Создать группы"))
    expect(page.get_by_role("heading", name=re.compile("Деление класса 5А: англ."))).to_be_visible()
    expect(page.locator("#unplaced")).to_contain_text("Белова Анна")
    first, second = groups.split_groups(a5, "англ.")

    # Tick each pupil's group from the first day of the year and save.
    for n, name in enumerate(PUPILS):
        group = first if n < 2 else second
        page.get_by_label(f"{name}: {group.name}").check()
    page.locator("#place-day").fill(year.start_date.isoformat())
    save(page, page.locator("#split-place").get_by_role("button", name="Сохранить"))
    expect(page.get_by_text("переведено учеников — 4")).to_be_visible()
    expect(page.locator("#all-placed")).to_be_visible()
    assert {s.id for s in groups.members_on(first, year.start_date)} == {pupils[0].id, pupils[1].id}

    # Move Васильев to the second group from 10 November: the first membership ends on 9 November.
    moving_day = dt.date(year.start_date.year, 11, 10)
    page.get_by_label(f"{PUPILS[1]}: {second.name}").check()
    page.locator("#place-day").fill(moving_day.isoformat())
    save(page, page.locator("#split-place").get_by_role("button", name="Сохранить"))
    expect(page.get_by_text("переведено учеников — 1")).to_be_visible()
    rows = GroupMembership.select().where(GroupMembership.student == pupils[1].id).order_by(GroupMembership.start_date)
    assert [(r.group_id, r.start_date, r.end_date) for r in rows] == [
        (first.id, year.start_date, moving_day - dt.timedelta(days=1)),
        (second.id, moving_day, None),
    ]
    history = page.locator("#split-history")
    expect(
        history.get_by_role("row", name=re.compile(r"Васильев Борис 5А, англ., гр. 1 01\.09\.\d{4} 09\.11\.\d{4}"))
    ).to_be_visible()
    expect(
        history.get_by_role("row", name=re.compile(r"Васильев Борис 5А, англ., гр. 2 10\.11\.\d{4} до конца года"))
    ).to_be_visible()

    # The table shows the class on a chosen date: before the move Васильев is still ticked in the first group.
    page.locator("#shown-day").fill((moving_day - dt.timedelta(days=1)).isoformat())
    page.locator("#split-date").get_by_role("button", name="Показать").click()
    page.wait_for_load_state("load")
    expect(page.get_by_label(f"{PUPILS[1]}: {first.name}")).to_be_checked()

    # The group's own page lists its members on a date and its history.
    page.goto(f"/studygroup/details/?id={first.id}&date={moving_day.isoformat()}")
    members = page.locator("#members")
    expect(members).to_contain_text("Белова Анна")
    expect(members).not_to_contain_text("Васильев Борис")
    expect(page.locator("#history")).to_contain_text("Васильев Борис")
