"""In a real browser: log in through the login page; the menu differs by role; a guessed admin URL answers 403."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from app import demo
from tests.e2e.browser import log_in, log_out, open_menu_item

pytestmark = pytest.mark.e2e


def test_menu_differs_by_role_and_admin_urls_are_forbidden_to_a_teacher(page):
    demo.seed("small", today=dt.date(2026, 11, 29))
    navbar = page.locator("nav.navbar")

    # A wrong password is refused on the page itself.
    page.goto("/login")
    page.get_by_label("Логин").fill("admin")
    page.get_by_label("Пароль").fill("not-the-password")
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("alert")).to_have_text("Неверный логин или пароль.")

    # The administrator sees the administration menu and opens the staff list through it.
    log_in(page, "admin", demo.DEMO_PASSWORD)
    expect(navbar.get_by_role("link", name="Администрирование")).to_be_visible()
    open_menu_item(page, "Администрирование", "Сотрудники")
    expect(page).to_have_url(re.compile(r"/staff/"))
    expect(page.get_by_role("cell", name="Соколова Ирина Владимировна")).to_be_visible()
    page.screenshot(path="/tmp/e2e-admin-staff.png", full_page=True)
    log_out(page)

    # The teacher's menu has no administration; typing its URL gives the Russian 403 page.
    log_in(page, "teacher", demo.DEMO_PASSWORD)
    expect(navbar.get_by_text("Администрирование")).to_have_count(0)
    expect(navbar.get_by_text("Сотрудники")).to_have_count(0)
    page.screenshot(path="/tmp/e2e-teacher-home.png", full_page=True)
    response = page.goto("/staff/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Доступ запрещён")).to_be_visible()
    expect(page.get_by_text("У вас нет прав на эту страницу")).to_be_visible()
    page.screenshot(path="/tmp/e2e-teacher-403.png", full_page=True)
    # The teacher stays logged in: the 403 did not end the session.
    page.goto("/")
    expect(page.get_by_text("Здравствуйте")).to_be_visible()
