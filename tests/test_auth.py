"""Login, logout, session ids, throttling, own password change, CSRF."""

import datetime as dt

from app.models import LoginAttempt, Staff
from tests.conftest import DEFAULT_PASSWORD, login


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


def test_repeated_failures_are_throttled(client, make_staff, app):
    make_staff("petrov")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(client, "petrov", "nope-nope-1").status_code == 401
    # Even the right password is refused while the login is locked.
    response = login(client, "petrov")
    assert response.status_code == 429
    assert "Слишком много неудачных попыток" in response.get_data(as_text=True)
    # Once the window has passed, the right password works again.
    LoginAttempt.update(at=dt.datetime.now() - dt.timedelta(hours=1)).execute()
    assert login(client, "petrov").status_code == 302


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
    app.config["WTF_CSRF_ENABLED"] = True
    make_staff("petrov")
    client = app.test_client()
    response = client.post("/login", data={"login": "petrov", "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302
