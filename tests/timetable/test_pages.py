"""The timetable's pages through the real app: access, the grids, the bell page's checks, rooms on slots."""

import datetime as dt

from app.models import AuditEntry, BellTime, Role, Room, ShortDay, StaffRole, TimetableSlot
from app.services import groups
from app.services.errors import DomainError
from tests.conftest import form_errors


def page(client, url):
    response = client.get(url)
    return response.status_code, response.get_data(as_text=True)


def test_anonymous_people_are_sent_to_the_login_page(client, tt):
    pages = ("/timetable/", "/timetable/my/", "/timetable/pdf/", "/timetable/my/pdf/", "/timetable/bells/", "/room/")
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_a_teacher_sees_their_own_week_with_times_and_rooms(as_user, tt):
    client = as_user(tt.english)
    status, html = page(client, f"/timetable/my/?date={tt.monday.isoformat()}")
    assert status == 200
    assert "Моё расписание" in html and "неделя 16.11.2026–21.11.2026" in html
    assert "08:30–09:15" in html and "каб. 202" in html and "каб. 201" in html
    assert "замена: Смирнова А.И. вместо Волкова Е.С." in html
    # Tuesday is shortened: its lesson shows the shortened time.
    assert "сокращённый день: предпраздничный день" in html and "08:30–09:00" in html
    assert f'href="/journal/lesson/{tt.lessons.eng1_mon.id}"' in html
    assert f'href="/timetable/my/?date={(tt.monday + dt.timedelta(days=7)).isoformat()}"' in html
    # The menu leads there.
    assert 'href="/timetable/my/"' in page(client, "/")[1]
    # The wide page opens on the teacher's own week too.
    status, html = page(client, f"/timetable/?date={tt.monday.isoformat()}")
    assert status == 200 and "Смирнова Анна Игоревна" in html and "каб. 202" in html


def test_a_teacher_without_school_view_sees_only_their_own_week(app, as_user, tt):
    role = Role.create(code="tutor", name="Учитель без просмотра школы", builtin=False)
    from app.models import Permission, RolePermission

    RolePermission.create(role=role, permission=Permission.get(Permission.code == "journal.edit_own"))
    StaffRole.delete().where(StaffRole.staff == tt.english2.id).execute()
    StaffRole.create(staff=tt.english2, role=role)
    client = as_user(tt.english2)
    assert page(client, "/timetable/my/")[0] == 200
    assert page(client, "/timetable/")[0] == 200
    assert page(client, f"/timetable/?teacher={tt.english2.id}")[0] == 200
    assert page(client, f"/timetable/?teacher={tt.maths.id}")[0] == 403
    assert page(client, f"/timetable/?class={tt.c5a.id}")[0] == 403
    assert page(client, f"/timetable/?room={tt.rooms.r201.id}")[0] == 403


def test_everyone_with_school_view_reads_class_and_room_weeks(as_user, tt):
    client = as_user(tt.english2)
    status, html = page(client, f"/timetable/?class={tt.c5a.id}&date={tt.monday.isoformat()}")
    assert status == 200 and "Класс 5А" in html
    assert html.count('class="tt-entry') == 5
    # Their own group's lesson opens; the other group's does not (it is not their journal).
    assert f'/journal/lesson/{tt.lessons.eng2_mon.id}"' in html
    assert f'/journal/lesson/{tt.lessons.eng1_mon.id}"' not in html
    status, html = page(client, f"/timetable/?room={tt.rooms.r203.id}&date={tt.monday.isoformat()}")
    assert status == 200 and "Кабинет 203" in html and html.count('class="tt-entry') == 1
    assert page(client, "/timetable/?room=999999")[0] == 404
    status, html = page(client, "/timetable/?date=2026-02-30")
    assert status == 200 and "не распознана" in html


def test_the_admin_saves_the_bell_schedule_and_the_shortened_days(as_user, tt):
    client = as_user(tt.admin)
    status, html = page(client, "/timetable/bells/")
    assert status == 200 and 'value="09:25"' in html and "21.11.2026" not in html
    form = {f"normal-{n}-{e}": "" for n in range(1, 11) for e in ("start", "end")}
    form.update({f"short-{n}-{e}": "" for n in range(1, 11) for e in ("start", "end")})
    form.update({"normal-1-start": "8:30", "normal-1-end": "09:15", "normal-2-start": "09:25", "normal-2-end": "10:10"})
    form.update({"short-1-start": "08:30", "short-1-end": "09:00"})
    form["short_days"] = "17.11.2026 предпраздничный день\n30.12.2026"
    response = client.post("/timetable/bells/", data=form)
    assert response.status_code == 303
    times = sorted((b.schedule, b.lesson_number, b.starts_at, b.ends_at) for b in BellTime.select())
    assert times == [
        ("normal", 1, dt.time(8, 30), dt.time(9, 15)),
        ("normal", 2, dt.time(9, 25), dt.time(10, 10)),
        ("short", 1, dt.time(8, 30), dt.time(9, 0)),
    ]
    assert sorted((d.date, d.note) for d in ShortDay.select()) == [
        (dt.date(2026, 11, 17), "предпраздничный день"),
        (dt.date(2026, 12, 30), None),
    ]
    assert AuditEntry.select().where(AuditEntry.model == "BellTime").count() == 3  # 3rd lessons and short 2nd gone
    assert "Расписание звонков сохранено" in page(client, "/timetable/bells/")[1]


def test_bad_bell_times_are_refused_in_russian_and_nothing_is_written(as_user, tt):
    client = as_user(tt.admin)
    page(client, "/timetable/bells/")
    before = sorted((b.schedule, b.lesson_number, b.starts_at, b.ends_at) for b in BellTime.select())
    base = {"normal-1-start": "08:30", "normal-1-end": "09:15", "normal-2-start": "09:25", "normal-2-end": "10:10"}
    cases = [
        ({"normal-2-end": "9.70"}, "2 урок (обычный день): время «9.70» не распознано — укажите его как ЧЧ:ММ"),
        ({"normal-2-end": "09:20"}, "2 урок (обычный день): конец урока (09:20) должен быть позже начала (09:25)."),
        ({"normal-2-start": "09:10"}, "2 урок (обычный день) начинается в 09:10, раньше, чем кончается 1 урок (09:15)"),
        ({"normal-2-end": ""}, "2 урок (обычный день): укажите и начало, и конец урока."),
        ({"short_days": "31.11.2026"}, "Сокращённые дни, строка 1: дата «31.11.2026» не распознана"),
        ({"short_days": "30.12.2026\n30.12.2026"}, "Сокращённые дни: 30.12.2026 указан дважды."),
    ]
    for change, message in cases:
        response = client.post("/timetable/bells/", data={**base, **change})
        assert response.status_code == 400, change
        errors = form_errors(response.get_data(as_text=True))
        assert any(message in e for e in errors), (change, errors)
        assert 'is-invalid"' in response.get_data(as_text=True) or "is-invalid" in response.get_data(as_text=True)
    assert sorted((b.schedule, b.lesson_number, b.starts_at, b.ends_at) for b in BellTime.select()) == before
    assert [d.date for d in ShortDay.select()] == [tt.tuesday]


def test_only_the_administrator_keeps_the_bells(as_user, tt):
    client = as_user(tt.english)
    assert page(client, "/timetable/bells/")[0] == 403
    assert client.post("/timetable/bells/", data={"normal-1-start": "07:00"}).status_code == 403
    assert BellTime.select().where(BellTime.starts_at == dt.time(7, 0)).count() == 0


def test_two_slots_in_one_room_at_one_time_clash(tt):
    other = groups.class_journal(tt.c5a, tt.eng)
    groups.assign_teacher(None, other, tt.english2)
    fields = dict(
        journal=tt.eng1.id,
        weekday=3,
        lesson_number=4,
        teacher=tt.english.id,
        room=tt.rooms.r201.id,
        valid_from=tt.year.start_date,
        valid_to=tt.year.end_date,
    )
    groups.create_slot(None, **fields)
    try:
        groups.create_slot(None, **{**fields, "journal": tt.eng2.id, "teacher": tt.english2.id})
    except DomainError as exc:
        assert exc.field == "room"
        assert exc.message.startswith("Кабинет 201 в это время занят: ")
        assert "среда, 4 урок — Английский язык (Смирнова А.И., каб. 201" in exc.message
    else:
        raise AssertionError("a second lesson in room 201 at the same time was accepted")
    # Another room is fine: two groups of one split learn at the same time.
    groups.create_slot(None, **{**fields, "journal": tt.eng2.id, "teacher": tt.english2.id, "room": tt.rooms.r203.id})
    assert TimetableSlot.select().where(TimetableSlot.weekday == 3).count() == 2


def test_the_slot_form_refuses_a_room_clash_in_russian(as_user, tt):
    client = as_user(tt.admin)
    client.get("/timetableslot/new/")
    response = client.post(
        "/timetableslot/new/",
        data={
            "journal": str(tt.eng1.id),
            "weekday": "1",
            "lesson_number": "1",
            "teacher": str(tt.english.id),
            "room": str(tt.rooms.r201.id),
            "valid_from": "01.09.2026",
            "valid_to": "31.05.2027",
        },
    )
    errors = form_errors(response.get_data(as_text=True))
    assert any("Кабинет 201 в это время занят" in e for e in errors), errors
    assert TimetableSlot.select().count() == 5
    listing = page(client, "/timetableslot/")[1]
    assert "<th" in listing and "Кабинет" in listing and ">202<" in listing.replace(" ", "").replace("\n", "")


def test_rooms_are_kept_by_the_administrator_unique_and_never_deleted_while_used(as_user, tt):
    client = as_user(tt.admin)
    client.get("/room/new/")
    response = client.post("/room/new/", data={"name": " 201 ", "note": ""})
    assert any("Кабинет «201» уже есть в списке." in e for e in form_errors(response.get_data(as_text=True)))
    response = client.post("/room/new/", data={"name": "Спортзал", "note": "первый этаж"})
    assert response.status_code == 302
    gym = Room.get(Room.name == "Спортзал")
    response = client.post("/room/new/", data={"name": "спортзал"})
    assert any("уже есть в списке" in e for e in form_errors(response.get_data(as_text=True)))
    response = client.post("/room/delete/", data={"id": tt.rooms.r201.id}, follow_redirects=True)
    assert "Нельзя удалить «201»" in response.get_data(as_text=True)
    assert Room.select().where(Room.id == tt.rooms.r201.id).exists()
    client.post("/room/delete/", data={"id": gym.id})
    assert not Room.select().where(Room.id == gym.id).exists()
    teacher = as_user(tt.english)
    status, html = page(teacher, "/room/")
    assert status == 200 and f'href="/timetable/?room={tt.rooms.r202.id}"' in html
    assert teacher.post("/room/new/", data={"name": "999"}).status_code == 403


def test_the_week_downloads_as_a_landscape_pdf_with_the_same_cells(as_user, tt):
    import io

    from pypdf import PdfReader

    client = as_user(tt.english)
    html = page(client, f"/timetable/?class={tt.c5a.id}&date={tt.monday.isoformat()}")[1]
    assert f'href="/timetable/pdf/?class={tt.c5a.id}&amp;date={tt.monday.isoformat()}"' in html
    response = client.get(f"/timetable/pdf/?class={tt.c5a.id}&date={tt.monday.isoformat()}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "raspisanie-class-2026-11-16.pdf" in response.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.get_data()))
    first = reader.pages[0]
    assert first.mediabox.width > first.mediabox.height  # A4 landscape
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert "Расписание: Класс 5А" in text and "Неделя 16.11.2026–21.11.2026" in text
    assert "каб. 202" in text and "каб. 203" in text and "08:30–09:00" in text
    assert "замена: Смирнова А.И. вместо Волкова Е.С." in text
    mine = client.get(f"/timetable/my/pdf/?date={tt.monday.isoformat()}")
    assert mine.status_code == 200
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(mine.get_data())).pages)
    assert "Смирнова Анна Игоревна (моё расписание)" in " ".join(text.split())
    assert client.get(f"/timetable/pdf/?room={tt.rooms.r201.id}").status_code == 200
