"""A parent withdraws consent (152-ФЗ, art. 9): the access ends, the portal is told, nothing else moves."""

import datetime as dt

import pytest

from app.clock import SchoolClock, app_clock
from app.models import AuditEntry, ChangeCounter, DiaryApplication, ExportRun
from app.services import applications as service
from app.services import exports
from app.services.errors import DomainError
from tests.conftest import login
from tests.exports.helpers import SCHOOL_CODE
from tests.exports.receiver import diary_accesses

URL = "/diaryapplication"


class FixedClock(SchoolClock):
    """The school's clock stopped on a given day (Moscow time)."""

    def __init__(self, day: dt.date):
        super().__init__("Europe/Moscow")
        self.day = day

    def now(self):
        return dt.datetime.combine(self.day, dt.time(12), tzinfo=self.zone)

    def utcnow(self):
        return self.stored_from_local(self.day, dt.time(12))


def _state(application_id):
    row = DiaryApplication.get_by_id(application_id)
    return row.snapshot(), row.change_no, ChangeCounter.current(), AuditEntry.select().count()


@pytest.fixture
def admin(app, client, make_staff):
    staff = make_staff("admin-user", roles=["admin"], last_name="Орлова", first_name="Нина")
    assert login(client, "admin-user").status_code == 302
    return staff


def _withdraw_in_panel(client, application_id, day: str, note: str = ""):
    return client.post(
        f"{URL}/withdraw/",
        data={"id": application_id, "withdrawn_on": day, "withdrawal_note": note},
        follow_redirects=True,
    )


def test_withdrawal_in_the_panel_ends_access_and_the_next_daily_export_tells_the_portal(
    app, client, school, admin, portal, work, settings
):
    granted = school.granted
    exports.request_export("full", None, settings=settings)
    work()
    held = portal.holding(SCHOOL_CODE, school.year.id)
    assert diary_accesses(held) == {granted.student_id: {granted.guardian_id}}

    details = client.get(f"{URL}/details/?id={granted.id}").get_data(as_text=True)
    assert "Отзыв согласия на обработку персональных данных" in details and 'id="withdrawal-form"' in details
    today = app_clock(app).today()
    page = _withdraw_in_panel(client, granted.id, today.strftime("%d.%m.%Y"), "вх. № 17")
    html = page.get_data(as_text=True)
    assert "Отзыв согласия записан" in html and "согласие отозвано" in html
    assert 'id="withdrawal-form"' not in html and "нужно новое заявление" in html
    row = DiaryApplication.get_by_id(granted.id)
    assert (row.status, row.withdrawn_on, row.withdrawal_note) == ("withdrawn", today, "вх. № 17")
    entry = AuditEntry.get((AuditEntry.model == "DiaryApplication") & (AuditEntry.action == "withdraw"))
    assert entry.actor_id == admin.id and entry.after_data["status"] == "withdrawn"

    run = exports.request_export("daily", None, settings=settings)
    work()
    assert ExportRun.get_by_id(run.id).status == "delivered"
    held = portal.holding(SCHOOL_CODE, school.year.id)
    assert diary_accesses(held) == {}
    assert ("diary_access", granted.id) not in held
    # The guardian and the link stay: the school still knows who the parent is.
    assert ("guardian", granted.guardian_id) in held and portal.anomalies == []

    # A full export later does not bring the access back either.
    exports.request_export("full", None, settings=settings)
    work()
    assert diary_accesses(portal.holding(SCHOOL_CODE, school.year.id)) == {}


def test_a_withdrawn_application_is_never_granted_again(app, school, admin):
    clock = FixedClock(dt.date(2026, 10, 1))
    application = service.withdraw_consent(admin, school.granted, withdrawn_on=dt.date(2026, 9, 30), clock=clock)
    before = _state(application.id)
    for status in ("granted", "rejected", "entered", "withdrawn"):
        with pytest.raises(DomainError) as refused:
            service.change_status(admin, application, status, reason="ошибка")
        assert "статус" in refused.value.message.lower() or "отзыв" in refused.value.message.lower()
    assert service.next_statuses(application) == []
    assert _state(application.id) == before


@pytest.mark.parametrize(
    "day, message",
    [
        (dt.date(2026, 9, 2), "раньше дня, когда был предоставлен доступ (03.09.2026)"),
        (dt.date(2026, 10, 2), "не может быть позже сегодняшнего дня"),
        (None, "Укажите дату письменного отзыва согласия"),
    ],
)
def test_a_bad_date_is_refused_in_russian_and_changes_nothing(app, school, admin, day, message):
    clock = FixedClock(dt.date(2026, 10, 1))
    before = _state(school.granted.id)
    with pytest.raises(DomainError) as refused:
        service.withdraw_consent(admin, DiaryApplication.get_by_id(school.granted.id), withdrawn_on=day, clock=clock)
    assert message in refused.value.message
    assert _state(school.granted.id) == before


def test_the_grant_day_comes_from_the_audit(app, school, admin):
    """Granted in the panel on 20.09: a withdrawal dated 19.09 is refused, 20.09 is taken."""
    application = DiaryApplication.get_by_id(school.waiting.id)
    DiaryApplication.update(status="entered").where(DiaryApplication.id == application.id).execute()
    application = DiaryApplication.get_by_id(application.id)
    service.change_status(admin, application, "granted")
    clock = FixedClock(dt.date(2026, 10, 1))
    AuditEntry.update(at=clock.stored_from_local(dt.date(2026, 9, 20), dt.time(10))).where(
        AuditEntry.action == "status"
    ).execute()
    with pytest.raises(DomainError, match=r"\(20\.09\.2026\)"):
        service.withdraw_consent(admin, application, withdrawn_on=dt.date(2026, 9, 19), clock=clock)
    service.withdraw_consent(admin, application, withdrawn_on=dt.date(2026, 9, 20), clock=clock)
    assert DiaryApplication.get_by_id(application.id).status == "withdrawn"


def test_only_a_granted_application_can_be_withdrawn_and_only_once(app, client, school, admin):
    waiting = school.waiting
    before = _state(waiting.id)
    html = _withdraw_in_panel(client, waiting.id, "01.10.2026").get_data(as_text=True)
    assert "Отозвать согласие можно только по заявлению, по которому доступ предоставлен" in html
    assert _state(waiting.id) == before
    assert 'id="withdrawal-form"' not in client.get(f"{URL}/details/?id={waiting.id}").get_data(as_text=True)

    today = app_clock(app).today()
    _withdraw_in_panel(client, school.granted.id, today.strftime("%d.%m.%Y"))
    before = _state(school.granted.id)
    html = _withdraw_in_panel(client, school.granted.id, today.strftime("%d.%m.%Y")).get_data(as_text=True)
    assert f"Согласие по этому заявлению уже отозвано ({today:%d.%m.%Y})" in html
    assert _state(school.granted.id) == before


@pytest.mark.parametrize(
    "value, message",
    [("32.13.2026", "Укажите дату письменного отзыва согласия"), ("", "Укажите дату письменного отзыва согласия")],
)
def test_a_malformed_form_is_refused_in_russian(app, client, school, admin, value, message):
    before = _state(school.granted.id)
    html = _withdraw_in_panel(client, school.granted.id, value).get_data(as_text=True)
    assert message in html and "Not a valid" not in html
    assert _state(school.granted.id) == before
    html = _withdraw_in_panel(client, school.granted.id, "01.10.2026", "x" * 1001).get_data(as_text=True)
    assert "Примечание — не длиннее 1000 символов." in html
    assert _state(school.granted.id) == before


def test_a_head_who_only_views_applications_gets_no_form_and_a_403(app, client, school, make_staff):
    make_staff("head-user", roles=["head"])
    assert login(client, "head-user").status_code == 302
    details = client.get(f"{URL}/details/?id={school.granted.id}").get_data(as_text=True)
    assert 'id="withdrawal-form"' not in details
    before = _state(school.granted.id)
    response = client.post(f"{URL}/withdraw/", data={"id": school.granted.id, "withdrawn_on": "01.10.2026"})
    assert response.status_code == 403 and _state(school.granted.id) == before


def test_a_withdrawal_recorded_meanwhile_by_someone_else_is_not_written_twice(app, school, admin):
    clock = FixedClock(dt.date(2026, 10, 1))
    first = DiaryApplication.get_by_id(school.granted.id)
    second = DiaryApplication.get_by_id(school.granted.id)  # the same page, open in another browser
    service.withdraw_consent(admin, first, withdrawn_on=dt.date(2026, 9, 30), clock=clock)
    before = _state(school.granted.id)
    with pytest.raises(DomainError) as refused:
        service.withdraw_consent(admin, second, withdrawn_on=dt.date(2026, 10, 1), clock=clock, note="позже")
    assert "изменил другой сотрудник" in refused.value.message
    assert _state(school.granted.id) == before
    assert DiaryApplication.get_by_id(school.granted.id).withdrawn_on == dt.date(2026, 9, 30)
