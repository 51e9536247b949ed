"""Login, logout, session ids, throttling, own password change, CSRF."""

import datetime as dt
import time

import pytest
import time_machine

from app.models import LoginAttempt, Staff
from app.services import auth as auth_service
from tests.conftest import DEFAULT_PASSWORD, login

STRANGER, OFFICE = "203.0.113.7", "198.51.100.20"
START = dt.datetime(2026, 12, 1, 21, 30, tzinfo=dt.UTC)  # 00:30 in Moscow, another date there


def login_from(client, address: str, login_name: str, password: str = DEFAULT_PASSWORD):
    """Post the login form from a given client address."""
    return client.post(
        "/login", data={"login": login_name, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def test_login_page_is_russian(client):
    response = client.get("/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Вход" in html and "Логин" in html and "Пароль" in html


def test_anonymous_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_and_logout(client, make_staff):
    make_staff("petrov", roles=["teacher"])
    response = login(client, "Petrov ", DEFAULT_PASSWORD)
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert "Здравствуйте" in home.get_data(as_text=True)
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused(client, make_staff):
    make_staff("petrov")
    response = login(client, "petrov", "wrong-password1")
    assert response.status_code == 401
    assert "Неверный логин или пароль" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_inactive_staff_cannot_log_in(client, make_staff):
    staff = make_staff("petrov")
    Staff.update(active=False).where(Staff.id == staff.id).execute()
    assert login(client, "petrov").status_code == 401


def test_open_redirect_is_refused(client, make_staff):
    make_staff("petrov")
    response = client.post("/login?next=https://evil.example/", data={"login": "petrov", "password": DEFAULT_PASSWORD})
    assert response.headers["Location"] == "/"


def test_change_own_password_ends_other_sessions(app, make_staff):
    make_staff("petrov", roles=["teacher"])
    first, second = app.test_client(), app.test_client()
    assert login(first, "petrov").status_code == 302
    assert login(second, "petrov").status_code == 302
    response = first.post(
        "/account/", data={"current": DEFAULT_PASSWORD, "password": "НовыйПароль77", "confirm": "НовыйПароль77"}
    )
    assert response.status_code == 302
    assert first.get("/").status_code == 200  # the one who changed it stays in
    assert second.get("/").status_code == 302  # the other session is over
    assert login(app.test_client(), "petrov", "НовыйПароль77").status_code == 302


def test_weak_new_password_is_refused(client, login_as):
    staff = login_as("teacher")
    before = Staff.get_by_id(staff.id).password_hash
    response = client.post("/account/", data={"current": DEFAULT_PASSWORD, "password": "abc", "confirm": "abc"})
    assert response.status_code == 200
    assert "слишком короткий" in response.get_data(as_text=True)
    assert Staff.get_by_id(staff.id).password_hash == before


def test_csrf_is_enforced(app, make_staff):
    make_staff("petrov")
    client = app.test_client()
    response = client.post("/login", data={"login": "petrov", "password": DEFAULT_PASSWORD}, csrf=False)
    assert response.status_code == 400
    assert client.get("/").status_code == 302


# --- logout and session lifetime ------------------------------------------------------------


def test_a_cookie_saved_before_logout_no_longer_works(client, make_staff):
    make_staff("petrov", roles=["teacher"])
    assert login(client, "petrov").status_code == 302
    saved = client.get_cookie("session").value
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 302
    client.set_cookie("session", saved)  # replay what was stolen or saved before logout
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_ends_the_sessions_on_every_device(app, make_staff):
    make_staff("petrov", roles=["teacher"])
    phone, desk = app.test_client(), app.test_client()
    assert login(phone, "petrov").status_code == 302
    assert login(desk, "petrov").status_code == 302
    assert phone.post("/logout").status_code == 302
    assert desk.get("/").status_code == 302
    assert login(desk, "petrov").status_code == 302  # logging in again works
    assert desk.get("/").status_code == 200


def test_logout_does_not_undo_a_concurrent_edit_of_the_person(client, make_staff):
    staff = make_staff("petrov", roles=["teacher"])
    assert login(client, "petrov").status_code == 302
    client.get("/")
    Staff.update(last_name="Петровский").where(Staff.id == staff.id).execute()
    assert client.post("/logout").status_code == 302
    assert Staff.get_by_id(staff.id).last_name == "Петровский"


def test_an_idle_session_expires_and_cannot_be_revived(app, client, make_staff):
    make_staff("petrov", roles=["teacher"])
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
    with time_machine.travel(START, tick=False) as traveller:
        response = login(client, "petrov")
        assert response.status_code == 302
        assert "remember_token" not in response.headers.get("Set-Cookie", "")
        saved = client.get_cookie("session").value
        # Each request inside the idle limit refreshes the session ...
        traveller.shift(lifetime - dt.timedelta(minutes=5))
        assert client.get("/").status_code == 200
        traveller.shift(lifetime - dt.timedelta(minutes=5))
        assert client.get("/").status_code == 200
        # ... but the cookie saved at login is past its age now and is refused, and so is
        # the refreshed one after an idle stretch longer than the limit.
        refreshed = client.get_cookie("session").value
        client.set_cookie("session", saved)
        assert client.get("/").status_code == 302
        traveller.shift(lifetime + dt.timedelta(seconds=1))
        client.set_cookie("session", refreshed)
        assert client.get("/").status_code == 302


def test_the_session_cookie_lasts_its_lifetime_by_the_browsers_clock(app, client, make_staff):
    # Max-Age beside Expires: a computer whose clock is hours ahead keeps its session (browsers
    # prefer Max-Age), while the server still refuses a cookie past its age by its own clock (above).
    make_staff("petrov", roles=["teacher"])
    response = login(client, "petrov")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=") and "Expires=" in cookie, cookie
    lifetime = int(app.config["PERMANENT_SESSION_LIFETIME"].total_seconds())
    assert f"Max-Age={lifetime};" in cookie, cookie


# --- failed logins back off per login and address ---------------------------------------------


def test_a_strangers_failures_do_not_lock_the_real_person_out(client, make_staff, app):
    make_staff("admin", roles=["admin"])
    with time_machine.travel(START, tick=False):
        for _ in range(app.config["LOGIN_MAX_FAILURES"] * 3):
            login_from(client, STRANGER, "admin", "guess-guess-1")
        assert login_from(client, STRANGER, "admin").status_code == 429
        assert login_from(app.test_client(), OFFICE, "admin").status_code == 302


def test_repeated_failures_wait_longer_and_longer(client, make_staff, app):
    make_staff("petrov")
    free = app.config["LOGIN_MAX_FAILURES"]
    first = app.config["LOGIN_BACKOFF"]
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(free):
            assert login_from(client, STRANGER, "petrov", "nope-nope-1").status_code == 401
        waits = []
        for _ in range(4):
            # Even the right password is refused while the login waits; the page says how long.
            refused = login_from(client, STRANGER, "petrov")
            assert refused.status_code == 429
            assert "Слишком много неудачных попыток" in refused.get_data(as_text=True)
            wait = dt.timedelta(seconds=int(refused.headers["Retry-After"]))
            waits.append(wait)
            traveller.shift(wait - dt.timedelta(seconds=1))
            assert login_from(client, STRANGER, "petrov").status_code == 429
            traveller.shift(dt.timedelta(seconds=1))
            assert login_from(client, STRANGER, "petrov", "nope-nope-1").status_code == 401
        assert waits == [first, first * 2, first * 4, first * 8]
        # Waiting out the delay, the right password works and clears the count.
        traveller.shift(first * 16)
        assert login_from(client, STRANGER, "petrov").status_code == 302
    client.post("/logout")
    assert login_from(client, STRANGER, "petrov", "nope-nope-1").status_code == 401


def test_the_delay_is_capped_and_failures_are_forgotten():
    backoff = auth_service.Backoff(free=5, first=dt.timedelta(seconds=30), longest=dt.timedelta(hours=1))
    assert backoff.delay(4, 5) == dt.timedelta(0)
    assert backoff.delay(5, 5) == dt.timedelta(seconds=30)
    assert backoff.delay(9, 5) == dt.timedelta(minutes=8)
    assert backoff.delay(12, 5) == dt.timedelta(hours=1)
    assert backoff.delay(10**9, 5) == dt.timedelta(hours=1)


def test_failures_older_than_the_window_are_forgotten(client, make_staff, app):
    make_staff("petrov")
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(app.config["LOGIN_MAX_FAILURES"] + 6):
            traveller.shift(app.config["LOGIN_BACKOFF_MAX"])
            assert login_from(client, STRANGER, "petrov", "nope-nope-1").status_code == 401
        assert login_from(client, STRANGER, "petrov").status_code == 429
        # A day later the old failures no longer count: one more failure costs no wait.
        traveller.shift(app.config["LOGIN_FAILURE_WINDOW"])
        assert login_from(client, STRANGER, "petrov", "nope-nope-1").status_code == 401
        assert login_from(client, STRANGER, "petrov").status_code == 302


def test_an_address_failing_on_many_logins_is_slowed(client, make_staff, app):
    make_staff("petrov")
    with time_machine.travel(START, tick=False):
        for n in range(app.config["LOGIN_ADDRESS_MAX_FAILURES"]):
            assert login_from(client, STRANGER, f"user{n}", "nope-nope-1").status_code == 401
        refused = login_from(client, STRANGER, "petrov")
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) == app.config["LOGIN_BACKOFF"].total_seconds()
        # Everybody else is unaffected.
        assert login_from(app.test_client(), OFFICE, "petrov").status_code == 302
    assert LoginAttempt.select().where(LoginAttempt.address == STRANGER).count() == 20


def test_attempt_times_are_stored_in_utc(client, make_staff):
    make_staff("petrov")
    with time_machine.travel(START, tick=False):
        login_from(client, OFFICE, "petrov", "nope-nope-1")
    assert LoginAttempt.get().at == START.replace(tzinfo=None)


def test_a_login_longer_than_the_column_is_handled(client):
    response = login_from(client, STRANGER, "x" * 500, "nope-nope-1")
    assert response.status_code == 401
    assert LoginAttempt.get().login == "x" * 64


# --- no login enumeration by timing -----------------------------------------------------------


def _fastest(attempt, times=3) -> float:
    best = None
    for _ in range(times):
        start = time.perf_counter()
        attempt()
        took = time.perf_counter() - start
        best = took if best is None else min(best, took)
    return best


@pytest.mark.parametrize("kind", ["unknown", "inactive", "no password"])
def test_unknown_logins_take_as_long_as_known_ones(make_staff, kind):
    method = "pbkdf2:sha256:400000"  # slow enough to measure, whatever the test config's method
    staff = make_staff("petrov")
    Staff.update(password_hash=auth_service.hash_password(DEFAULT_PASSWORD, method)).where(
        Staff.id == staff.id
    ).execute()
    other = {"unknown": "nobody"}.get(kind, "sidorov")
    if kind != "unknown":
        other_staff = make_staff("sidorov")
        change = {"active": False} if kind == "inactive" else {"password_hash": ""}
        Staff.update(**change).where(Staff.id == other_staff.id).execute()
    backoff = auth_service.Backoff(free=1000, address_free=1000)

    def attempt(login_name):
        now = dt.datetime(2026, 12, 1, 12, 0)
        return lambda: auth_service.authenticate(
            login_name, "wrong-pass-1", "10.0.0.1", now=now, backoff=backoff, hash_method=method
        )

    known = _fastest(attempt("petrov"))
    unknown = _fastest(attempt(other))
    assert unknown > known * 0.5, f"known login {known:.3f}s, {kind} login {unknown:.3f}s"


# --- the next URL after login -----------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["/%0d%0aX", "/%0aSet-Cookie:%20x=1", "/%09/evil.example", "//evil.example/", "/\\evil.example", "/%E2%80%A8"],
)
def test_a_next_url_that_is_not_a_plain_path_is_never_followed(client, make_staff, target):
    make_staff("petrov")
    # Refused outright (a control character: app/web.py) or logged in and sent home, never a 500.
    response = client.post(f"/login?next={target}", data={"login": "petrov", "password": DEFAULT_PASSWORD})
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert response.headers["Location"] == "/"
    else:
        assert "Неверный адрес возврата" in response.get_data(as_text=True)
        assert login(client, "petrov").status_code == 302
    # Already logged in, the login page redirects by the same rule.
    again = client.get(f"/login?next={target}")
    assert again.status_code in (302, 400)
    assert again.status_code == 400 or again.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/%0d%0aX", "//evil.example/", "/\\evil.example", "/\u2028", "/ x", "/é"])
def test_the_next_check_accepts_only_plain_ascii_paths(app, target):
    from app.auth import _safe_next

    with app.test_request_context("/login"):
        assert _safe_next(target.replace("%0d%0a", "\r\n")) == "/"
        assert _safe_next("/journal/?page=2") == "/journal/?page=2"


def test_a_plain_next_path_is_followed(client, make_staff):
    make_staff("petrov")
    response = client.post("/login?next=/journal/?page=2", data={"login": "petrov", "password": DEFAULT_PASSWORD})
    assert response.headers["Location"] == "/journal/?page=2"
