"""Portal UIDs (R7.1–7.2): format, uniqueness, audit, the list with access scopes, the home notice, the CLI."""

import datetime as dt
import logging
import re
import threading
import time

import pytest

from app.db import db
from app.models import AuditEntry, ChangeCounter, ClassGroup, SchoolYear, Staff, Subject
from app.services import access, groups, uids
from app.services.errors import DomainError
from tests.conftest import login

UUID = "3F2B8C1E-5A4D-4E6F-9B0A-1C2D3E4F5A6B"


@pytest.fixture
def school(make_staff):
    """A class teacher of 5А who teaches nothing, a teacher of maths and physics in 5Б, a head, a blocked teacher."""
    year = SchoolYear.create(
        name="2026/2027", start_date=dt.date(2026, 9, 1), end_date=dt.date(2027, 5, 31), is_current=True
    )
    lead = make_staff("klass", roles=["deputy"], last_name="Классова", first_name="Вера", middle_name="Львовна")
    teacher = make_staff("uchitel", roles=["teacher"], last_name="Учителев", first_name="Павел", middle_name="Ильич")
    head = make_staff("direktor", roles=["head"], last_name="Директорова", first_name="Нина", middle_name="Юрьевна")
    blocked = make_staff("ushla", roles=["teacher"], last_name="Ушедшая", first_name="Ада", middle_name="Борисовна")
    Staff.update(active=False).where(Staff.id == blocked.id).execute()
    class_a = ClassGroup.create(year=year, grade=5, letter="А", class_teacher=lead)
    class_b = ClassGroup.create(year=year, grade=5, letter="Б")
    maths, physics = Subject.create(name="Математика"), Subject.create(name="Физика")
    groups.assign_teacher(None, groups.class_journal(class_b, physics), teacher)
    groups.assign_teacher(None, groups.class_journal(class_b, maths), teacher)
    return {
        "year": year,
        "lead": lead,
        "teacher": teacher,
        "head": head,
        "blocked": blocked,
        "class_a": class_a,
        "class_b": class_b,
        "maths": maths,
    }


def _fresh(staff) -> Staff:
    return Staff.get_by_id(staff.id)


def _state():
    return (
        [(s.id, s.portal_uid, s.change_no) for s in Staff.select().order_by(Staff.id)],
        AuditEntry.select().count(),
        ChangeCounter.current(),
    )


# --- the format ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("1234567", "1234567"),
        (" 12 345\u00a0678 ", "12345678"),
        ("12345", "12345"),
        ("9" * 20, "9" * 20),
        (UUID, UUID.lower()),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_uid_is_normalised(raw, stored):
    assert uids.normalize_uid(raw) == stored


@pytest.mark.parametrize(
    "raw", ["1234", "9" * 21, "12ab34", "12-345-678", "3f2b8c1e5a4d4e6f9b0a1c2d3e4f5a6b", "UID:1234567", "１２３４５６"]
)
def test_malformed_uid_is_refused(raw):
    with pytest.raises(DomainError, match="не подходит"):
        uids.normalize_uid(raw)


# --- entering a UID -----------------------------------------------------------------------


def test_admin_enters_a_uid_and_it_is_audited(client, login_as, school):
    admin = login_as("admin")
    teacher = school["teacher"]
    change_before = _fresh(teacher).change_no
    response = client.post(f"/uids/edit/?id={teacher.id}", data={"uid": " 12 345 678 "})
    assert response.status_code == 302
    teacher = _fresh(teacher)
    assert teacher.portal_uid == "12345678"
    assert teacher.change_no > change_before  # the export will send the staff row again
    entry = AuditEntry.get(
        (AuditEntry.model == "Staff") & (AuditEntry.object_id == str(teacher.id)) & (AuditEntry.actor == admin.id)
    )
    assert (entry.action, entry.before_data, entry.after_data) == (
        "update",
        {"portal_uid": None},
        {"portal_uid": "12345678"},
    )


def test_change_and_clear_are_audited_with_before_and_after(client, login_as, school):
    login_as("admin")
    teacher = school["teacher"]
    for value in ("1234567", UUID, ""):
        assert client.post(f"/uids/edit/?id={teacher.id}", data={"uid": value}).status_code == 302
    assert _fresh(teacher).portal_uid is None
    entries = (
        AuditEntry.select()
        .where(
            (AuditEntry.model == "Staff")
            & (AuditEntry.object_id == str(teacher.id))
            & AuditEntry.before.contains("portal_uid")
        )
        .order_by(AuditEntry.id)
    )
    assert [(e.before_data["portal_uid"], e.after_data["portal_uid"]) for e in entries] == [
        (None, "1234567"),
        ("1234567", UUID.lower()),
        (UUID.lower(), None),
    ]


def test_clear_button_removes_the_uid(client, login_as, school):
    login_as("admin")
    teacher = school["teacher"]
    uids.set_uid(teacher, "1234567", None, source="system")
    assert "Удалить UID" in client.get(f"/uids/edit/?id={teacher.id}").get_data(as_text=True)
    assert client.post(f"/uids/edit/?id={teacher.id}", data={"uid": "1234567", "clear": "1"}).status_code == 302
    assert _fresh(teacher).portal_uid is None


def test_saving_the_same_uid_writes_nothing(client, login_as, school):
    login_as("admin")
    teacher = school["teacher"]
    uids.set_uid(teacher, "1234567", None, source="system")
    before = _state()
    response = client.post(f"/uids/edit/?id={teacher.id}", data={"uid": "123 4567"}, follow_redirects=True)
    assert "UID не изменился" in response.get_data(as_text=True)
    assert _state() == before


def test_malformed_uid_is_refused_over_http(client, login_as, school):
    login_as("admin")
    teacher = school["teacher"]
    before = _state()
    response = client.post(f"/uids/edit/?id={teacher.id}", data={"uid": "abc-123"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "UID «abc-123» не подходит" in html and "5–20 цифр" in html
    assert _state() == before


def test_duplicate_uid_is_refused_naming_its_holder(client, login_as, school):
    login_as("admin")
    uids.set_uid(school["lead"], "7654321", None, source="system")
    before = _state()
    response = client.post(f"/uids/edit/?id={school['teacher'].id}", data={"uid": "765 4321"})
    assert response.status_code == 200
    assert "UID «7654321» уже указан у сотрудника Классова Вера Львовна (логин klass)" in response.get_data(
        as_text=True
    )
    assert _state() == before


def test_a_uid_entered_twice_at_the_same_moment_is_refused_by_the_unique_index(school):
    """The second entry passes the friendly check (the first is not committed yet); the index refuses it."""
    first_saved = threading.Event()
    outcome = {}

    def enter(staff_id, key, hold):
        with db.connection_context():
            staff = Staff.get_by_id(staff_id)
            try:
                if hold:
                    with db.atomic():
                        uids.set_uid(staff, "7654321", None, source="system")
                        first_saved.set()
                        time.sleep(0.5)  # keep the transaction open while the other one starts
                else:
                    uids.set_uid(staff, "7654321", None, source="system")
                outcome[key] = "done"
            except DomainError as exc:
                outcome[key] = exc.message

    first = threading.Thread(target=enter, args=(school["lead"].id, "first", True))
    first.start()
    assert first_saved.wait(10)
    second = threading.Thread(target=enter, args=(school["teacher"].id, "second", False))
    second.start()
    first.join(20)
    second.join(20)
    assert outcome["first"] == "done"
    assert "уже указан у сотрудника Классова Вера Львовна" in outcome["second"]
    assert _fresh(school["lead"]).portal_uid == "7654321"
    assert _fresh(school["teacher"]).portal_uid is None
    assert AuditEntry.select().where(AuditEntry.after.contains("7654321")).count() == 1


def test_a_blocked_staff_member_gets_no_uid(client, login_as, school):
    login_as("admin")
    before = _state()
    response = client.post(f"/uids/edit/?id={school['blocked'].id}", data={"uid": "1234567"})
    assert response.status_code == 200
    assert "заблокирован" in response.get_data(as_text=True)
    assert _state() == before


def test_unknown_staff_is_404(client, login_as):
    login_as("admin")
    assert client.get("/uids/edit/?id=999999").status_code == 404
    assert client.get("/uids/edit/?id=x").status_code == 404


# --- the list and the scopes --------------------------------------------------------------


def _rows(html):
    body = html.split('id="uid-list"', 1)[1]
    return re.findall(r"<tr>\s*<td>([^<]+)</td>", body)


def test_list_shows_who_needs_a_uid_and_what_it_opens(client, login_as, school):
    login_as("admin")
    uids.set_uid(school["lead"], "7654321", None, source="system")
    html = client.get("/uids/").get_data(as_text=True)
    # Class teacher (even without the teacher role) and teacher; not the head, not the blocked one, not the admin.
    assert _rows(html) == ["Классова Вера Львовна", "Учителев Павел Ильич"]
    assert "7654321" in html and "нет UID" in html
    assert "5А — все предметы" in html
    assert "5Б — Математика, Физика" in html


def test_filter_without_uid_and_search(client, login_as, school):
    login_as("admin")
    uids.set_uid(school["lead"], "7654321", None, source="system")
    assert _rows(client.get("/uids/?without_uid=1").get_data(as_text=True)) == ["Учителев Павел Ильич"]
    assert _rows(client.get("/uids/?q=Классова").get_data(as_text=True)) == ["Классова Вера Львовна"]
    assert _rows(client.get("/uids/?q=uchitel").get_data(as_text=True)) == ["Учителев Павел Ильич"]
    assert _rows(client.get("/uids/?q=Никого").get_data(as_text=True)) == []


def test_edit_page_shows_the_scope(client, login_as, school):
    login_as("admin")
    html = client.get(f"/uids/edit/?id={school['teacher'].id}").get_data(as_text=True)
    assert "5Б — Математика, Физика" in html
    # A subgroup's journal is named by its group, listed after its class's (by grade, then group name).
    subgroup, _second = groups.create_split(None, school["class_b"], "англ.", 2)
    english = groups.create_journal(None, group=subgroup.id, subject=Subject.create(name="Английский язык").id)
    groups.assign_teacher(None, english, school["teacher"])
    html = client.get(f"/uids/edit/?id={school['teacher'].id}").get_data(as_text=True)
    lines = (
        re.escape("5Б — Математика, Физика</div>") + r"\s*" + re.escape("<div>5Б, англ., гр. 1 — Английский язык</div>")
    )
    assert re.search(lines, html), html
    html = client.get(f"/uids/edit/?id={school['lead'].id}").get_data(as_text=True)
    assert "5А — все предметы" in html


def test_batch_scopes_match_the_access_rule(school):
    people = list(Staff.select())
    batch = uids.uid_scopes([s.id for s in people])
    for staff in people:
        single = access.uid_scope(staff)
        assert [(g.id, s.id) for g, s in batch[staff.id].subjects] == [(g.id, s.id) for g, s in single["subjects"]]
        assert [c.id for c in batch[staff.id].classes] == [c.id for c in single["classes"]]


def test_list_costs_the_same_queries_for_few_and_many_teachers(client, login_as, make_staff, school, caplog):
    login_as("admin")

    def queries():
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="peewee"):
            assert client.get("/uids/").status_code == 200
        return sum(1 for r in caplog.records if r.name == "peewee")

    queries()  # warm up: first requests may create settings rows of other areas
    few = queries()
    for n in range(8):
        extra = make_staff(f"extra{n}", roles=["teacher"], last_name=f"Запасов{n}")
        group = ClassGroup.create(year=school["year"], grade=6 + n % 4, letter=f"В{n}", class_teacher=extra)
        groups.assign_teacher(None, groups.class_journal(group, school["maths"]), extra)
    assert queries() == few


def test_list_pages_through_many_staff(client, login_as, make_staff):
    login_as("admin")
    for n in range(55):
        make_staff(f"t{n:02d}", roles=["teacher"], last_name=f"Учитель{n:02d}")
    first = client.get("/uids/").get_data(as_text=True)
    second = client.get("/uids/?page=2").get_data(as_text=True)
    assert len(_rows(first)) == 50 and len(_rows(second)) == 5
    assert "Найдено сотрудников: 55" in first


# --- the home notice ----------------------------------------------------------------------


def test_home_notice_links_to_the_list_of_staff_without_uid(client, login_as, school):
    login_as("admin")
    html = client.get("/").get_data(as_text=True)
    notice = re.search(r'href="([^"]+)"[^>]*>\s*Сотрудники без UID портала\s*<span[^>]*>(\d+)</span>', html)
    assert notice, html
    assert notice.group(2) == "2"
    listing = client.get(notice.group(1), follow_redirects=True).get_data(as_text=True)
    assert 'id="without_uid" checked' in listing
    assert len(_rows(listing)) == 2
    uids.set_uid(school["lead"], "7654321", None, source="system")
    uids.set_uid(school["teacher"], "7654322", None, source="system")
    assert "Сотрудники без UID портала" not in client.get("/").get_data(as_text=True)


# --- who may open what --------------------------------------------------------------------


@pytest.mark.parametrize("role", ["teacher", "head", "deputy"])
def test_others_get_403(client, login_as, school, role):
    login_as(role)
    before = _state()
    target = school["teacher"].id
    for url in ("/uids/", "/uids/missing/", f"/uids/edit/?id={target}"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/uids/edit/?id={target}", data={"uid": "1234567"}).status_code == 403
    assert _state() == before
    assert 'href="/uids/"' not in client.get("/").get_data(as_text=True)


def test_anonymous_is_sent_to_login(client, school):
    before = _state()
    target = school["teacher"].id
    for url in ("/uids/", "/uids/missing/", f"/uids/edit/?id={target}"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    response = client.post(f"/uids/edit/?id={target}", data={"uid": "1234567"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _state() == before


# --- command line -------------------------------------------------------------------------


def test_cli_sets_and_clears_a_uid(runner, school):
    teacher = school["teacher"]
    result = runner.invoke(args=["staff", "set-uid", "uchitel", "12 345 678"])
    assert result.exit_code == 0, result.output
    assert _fresh(teacher).portal_uid == "12345678"
    entry = AuditEntry.get((AuditEntry.object_id == str(teacher.id)) & AuditEntry.after.contains("12345678"))
    assert entry.source == "cli" and entry.actor_id is None
    result = runner.invoke(args=["staff", "set-uid", "uchitel", "--clear"])
    assert result.exit_code == 0, result.output
    assert _fresh(teacher).portal_uid is None


def test_cli_refuses_bad_and_duplicate_uids(runner, school):
    uids.set_uid(school["lead"], "7654321", None, source="system")
    before = _state()
    bad = runner.invoke(args=["staff", "set-uid", "uchitel", "12ab"])
    assert bad.exit_code != 0 and "не подходит" in bad.output
    duplicate = runner.invoke(args=["staff", "set-uid", "uchitel", "7654321"])
    assert duplicate.exit_code != 0 and "Классова Вера Львовна" in duplicate.output
    neither = runner.invoke(args=["staff", "set-uid", "uchitel"])
    assert neither.exit_code != 0
    assert _state() == before


def test_logged_in_teacher_sees_no_uid_notice(app, make_staff, school):
    make_staff("petrov", roles=["teacher"])
    teacher = app.test_client()
    login(teacher, "petrov")
    assert "Сотрудники без UID портала" not in teacher.get("/").get_data(as_text=True)
