"""Steps shared by the browser tests: log in and out through the real pages, open a menu."""

import re

from playwright.sync_api import expect


def log_in(page, login: str, password: str) -> None:
    """Open the site, get sent to the login page, fill it in and submit it."""
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("heading", name="Электронный журнал")).to_be_visible()
    page.get_by_label("Логин").fill(login)
    page.get_by_label("Пароль").fill(password)
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_text("Здравствуйте")).to_be_visible()
    # The menu's dropdowns work once Bootstrap's script has run: wait for the page's load event.
    page.wait_for_load_state("load")


def log_out(page) -> None:
    """Log out through the user menu (a POST form carrying its CSRF token)."""
    page.wait_for_load_state("load")
    page.locator("#user-menu").click()
    page.get_by_role("button", name="Выйти").click()
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_text("Вы вышли из системы")).to_be_visible()


def open_menu_item(page, menu: str, item: str) -> None:
    """Open a navbar dropdown and follow one of its links."""
    page.wait_for_load_state("load")
    navbar = page.locator("nav.navbar")
    link = navbar.get_by_role("link", name=item, exact=True)
    navbar.get_by_role("link", name=menu, exact=True).click()
    expect(link).to_be_visible()
    link.click()
