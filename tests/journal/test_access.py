"""Every journal URL refuses people outside its scope (403) and anonymous visitors (login), writing nothing."""

import io

import pytest

from app.models import MODELS, Absence, ChangeCounter, HomeworkFile, Lesson, Mark
from app.services import journal_files
from tests.journal.conftest import journal_of


@pytest.fixture
def filled(school, app):
    """The teacher's lesson of today with a mark, an absence, a file; and an orphaned lesson."""
    mark = Mark.create(lesson=school.lesson, student=school.students[0], value="5", work_type=school.answer)
    Absence.create(lesson=school.lesson, student=school.students[1], reason="illness")
    record = journal_files.add_file(
        school.teacher,
        school.lesson.id,
        io.BytesIO(b"%PDF-1.4 x"),
        "задание.pdf",
        journal_files.upload_root(app.config["INSTANCE_PATH"]),
    )
    Lesson.update(orphaned=True).where(Lesson.id == school.earlier.id).execute()
    return {"mark": mark, "file": record}


def requests_for(school, filled):
    lesson, mark, record = school.lesson, filled["mark"], filled["file"]
    pupil = school.students[2]
    month = school.today.strftime("%Y-%m")
    return [
        ("get", f"/journal/lesson/{lesson.id}", None),
        ("post", f"/journal/lesson/{lesson.id}", {"data": {"version": "1", "topic": "Взлом", "held": "y"}}),
        ("get", f"/journal/files/{record.id}", None),
        ("post", f"/journal/files/{record.id}/delete", {}),
        ("get", f"/journal/api/cell?lesson={lesson.id}&student={pupil.id}", None),
        (
            "post",
            "/journal/api/marks",
            {"json": {"lesson": lesson.id, "student": pupil.id, "value": "2", "work_type": school.answer.id}},
        ),
        (
            "post",
            f"/journal/api/marks/{mark.id}",
            {"json": {"change_no": mark.change_no, "value": "2", "work_type": school.answer.id}},
        ),
        ("post", f"/journal/api/marks/{mark.id}/delete", {"json": {"change_no": mark.change_no}}),
        ("post", "/journal/api/absence", {"json": {"lesson": lesson.id, "student": pupil.id, "reason": "unexcused"}}),
        ("get", f"/journal/grid/{journal_of(school.c5a, school.math).id}/{school.term.id}", None),
        ("get", f"/journal/print/{journal_of(school.c5a, school.math).id}/{month}", None),
    ]


STAFFING_REQUESTS = [
    ("get", "/journal/substitutions/", None),
    ("post", "/journal/substitutions/{lesson}", {"data": {"version": "1", "teacher_id": "{me}"}}),
    ("get", "/journal/planning/", None),
    ("post", "/journal/planning/", {"data": {"class_group": "0"}}),
    ("post", "/journal/planning/orphans/{earlier}/delete", {}),
]


def warm_up(client):
    # Some page renders create a settings row on first use (another area's lazy default): let
    # that happen before the snapshot, so the comparison sees only what these requests write.
    client.get("/").close()


def state():
    return (
        {m.__name__: m.select().count() for m in MODELS},
        ChangeCounter.current(),
        [(x.topic, x.held, x.teacher_id, x.version) for x in Lesson.select().order_by(Lesson.id)],
    )


def assert_unchanged(before):
    after = state()
    counts = {k: (before[0][k], after[0][k]) for k in after[0] if before[0].get(k) != after[0][k]}
    assert counts == {} and after[1:] == before[1:]


def send(client, method, url, options):
    return getattr(client, method)(url, **(options or {}))


def staffing(school, me):
    out = []
    for method, url, options in STAFFING_REQUESTS:
        url = url.format(lesson=school.lesson.id, earlier=school.earlier.id)
        if options and "data" in options:
            options = {"data": {k: v.format(me=me.id) for k, v in options["data"].items()}}
        out.append((method, url, options))
    return out


def test_another_teacher_gets_403_everywhere(school, filled, as_user, app):
    client = as_user(school.other)
    warm_up(client)
    before = state()
    for method, url, options in requests_for(school, filled) + staffing(school, school.other):
        response = send(client, method, url, options)
        response.close()
        assert response.status_code == 403, (method, url, response.status_code)
    assert_unchanged(before)
    # The refused delete left the stored file in place.
    root = journal_files.upload_root(app.config["INSTANCE_PATH"])
    assert journal_files.stored_path(root, filled["file"].stored_name).is_file()
    assert HomeworkFile.select().count() == 1


def test_head_reads_but_writes_nothing(school, filled, as_user):
    client = as_user(school.head)
    warm_up(client)
    before = state()
    for method, url, options in requests_for(school, filled):
        response = send(client, method, url, options)
        response.close()
        assert response.status_code == (200 if method == "get" else 403), (method, url)
    for method, url, options in staffing(school, school.head):
        assert send(client, method, url, options).status_code == 403, url
    assert_unchanged(before)


def test_anonymous_is_sent_to_login(school, filled, client):
    before = state()
    for method, url, options in requests_for(school, filled) + staffing(school, school.teacher):
        response = send(client, method, url, options)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    assert client.get("/journal/today/").status_code == 302
    assert_unchanged(before)


def test_admin_without_journal_rights(school, filled, as_user):
    # The administrator reads the journal (journal.view_all) and keeps the timetable, but does not fill lessons.
    client = as_user(school.admin)
    assert client.get("/journal/today/").status_code == 403
    assert client.get(f"/journal/lesson/{school.lesson.id}").status_code == 200
    response = client.post(
        "/journal/api/marks",
        json={
            "lesson": school.lesson.id,
            "student": school.students[3].id,
            "value": "5",
            "work_type": school.answer.id,
        },
    )
    assert response.status_code == 403
    assert client.get("/journal/planning/").status_code == 200
    assert client.get("/journal/substitutions/").status_code == 200
