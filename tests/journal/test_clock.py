"""The journal on the one clock: the mark-edit window and the lesson history in school time, at any hour.

Each test runs at frozen instants around midnight (21:30 UTC = 00:30 Moscow of the next day, 23:30 UTC,
00:30 UTC), for a school in Moscow, in UTC and in Tokyo (no DST), under the process time zones UTC and
Europe/Moscow: nothing may depend on the server's TZ or on the hour of the test run.
"""

import datetime as dt
import os
import time

import pytest
import time_machine

from app import create_app
from app.clock import SchoolClock, utcnow
from app.config import TestConfig
from app.db import db
from app.models import Lesson, Mark

INSTANTS = [
    dt.datetime(2026, 12, 1, 21, 30, tzinfo=dt.UTC),
    dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC),
    dt.datetime(2026, 12, 2, 0, 30, tzinfo=dt.UTC),
]


@pytest.fixture(params=["UTC", "Europe/Moscow"])
def process_tz(request):
    """Run under the given process TZ (as a server started without or with TZ would)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    yield request.param
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.fixture(params=INSTANTS, ids=lambda i: i.strftime("%d.%m-%H:%MZ"))
def frozen(request, process_tz):
    with time_machine.travel(request.param, tick=False):
        yield request.param


@pytest.fixture(params=["Europe/Moscow", "UTC", "Asia/Tokyo"])
def school_zone(request):
    return request.param


@pytest.fixture
def app(app, frozen, school_zone, database_url, redis_url, tmp_path):
    """The application of a school in `school_zone` (SCHOOL_TIMEZONE), built at the frozen instant.

    It takes the suite's browser-like test client (CSRF tokens from the pages) from the usual app.
    """

    class Config(TestConfig):
        DATABASE_URL = database_url
        REDIS_URL = redis_url
        INSTANCE_PATH = tmp_path / "instance"
        SCHOOL_TIMEZONE = school_zone

    usual = db.obj
    application = create_app(Config)
    application.test_client_class = app.test_client_class
    with db.connection_context():
        yield application
    if not db.obj.is_closed():
        db.obj.close()
    # Hand the database proxy back to the usual app, whose fixture closes its own connection.
    db.initialize(usual)


def give_mark(school, created_at) -> Mark:
    mark = Mark(
        lesson=school.earlier,
        student=school.students[0],
        value="3",
        work_type=school.answer,
        weight=1,
        created_by=school.teacher,
        created_at=created_at,
    )
    mark.save(force_insert=True)
    return mark


def change(client, mark, reason=None):
    body = {"change_no": mark.change_no, "value": "4", "work_type": mark.work_type_id}
    if reason:
        body["reason"] = reason
    return client.post(f"/journal/api/marks/{mark.id}", json=body)


def test_the_edit_window_counts_the_schools_days(school, as_user, frozen, school_zone):
    clock = school.clock
    assert clock.timezone == school_zone
    today = frozen.astimezone(SchoolClock(school_zone).zone).date()
    assert school.today == today
    # Seven school days ago, just after that day's midnight: still inside the 7-day window.
    fresh = give_mark(school, clock.stored_from_local(today - dt.timedelta(days=7), dt.time(0, 5)))
    # Eight school days ago, just before that day's midnight: outside it.
    old = give_mark(school, clock.stored_from_local(today - dt.timedelta(days=8), dt.time(23, 55)))

    client = as_user(school.teacher)
    cell = client.get(f"/journal/api/cell?lesson={school.earlier.id}&student={school.students[0].id}").get_json()
    by_id = {m["id"]: m for m in cell["cell"]["marks"]}
    assert by_id[fresh.id]["created"] == (today - dt.timedelta(days=7)).strftime("%d.%m.%Y")
    assert by_id[fresh.id]["needs_reason"] is False and by_id[old.id]["needs_reason"] is True

    assert change(client, fresh).status_code == 200
    response = change(client, old)
    assert response.status_code == 400 and "выберите причину" in response.get_json()["error"]
    assert (today - dt.timedelta(days=8)).strftime("%d.%m.%Y") in response.get_json()["error"]
    assert change(client, old, reason="paper").status_code == 200


def test_a_mark_given_now_is_given_today(school, as_user, frozen):
    client = as_user(school.teacher)
    body = {"lesson": school.lesson.id, "student": school.students[1].id, "value": "5", "work_type": school.answer.id}
    response = client.post("/journal/api/marks", json=body)
    assert response.status_code == 201
    mark = response.get_json()["cell"]["marks"][0]
    assert mark["created"] == school.today.strftime("%d.%m.%Y") and mark["needs_reason"] is False
    assert Mark.get_by_id(mark["id"]).created_at == frozen.replace(tzinfo=None)


def test_the_lesson_history_shows_school_time(school, as_user, frozen, school_zone):
    client = as_user(school.teacher)
    data = {"version": "1", "topic": "Дроби", "homework": ""}
    assert client.post(f"/journal/lesson/{school.lesson.id}", data=data).status_code == 303
    assert Lesson.get_by_id(school.lesson.id).updated_at == utcnow() == frozen.replace(tzinfo=None)
    html = client.get(f"/journal/lesson/{school.lesson.id}").get_data(as_text=True)
    history = html.split('id="history"')[1].split("</ul>")[0]
    local = frozen.astimezone(SchoolClock(school_zone).zone)
    assert local.strftime("%d.%m.%Y %H:%M") in history
    if school_zone == "Europe/Moscow" and frozen.hour == 21:
        assert "02.12.2026 00:30" in history
