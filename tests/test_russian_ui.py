"""The panel speaks Russian: every list, create and details page of every registered view, walked as the admin."""

import html as html_lib
import re

import pytest
from flask import url_for
from flask_admin.contrib.peewee import ModelView

from app.models import Permission, Role, Staff, WorkType
from tests.conftest import form_errors
from tests.journal.conftest import school  # noqa: F401

# Latin words a Russian page may carry: abbreviations people read as they are.
ALLOWED = {"UID", "PDF", "CSV", "XLSX", "HTTP", "HTTPS", "URL", "SHA", "ID", "JSON", "ZIP"}
# What people see without reading the markup: text, and these attributes.
VISIBLE_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "data-original-title")


def visible_text(page: str) -> str:
    """Return the text and the visible attributes of a page, markup, scripts and styles removed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<!--.*?-->", " ", page, flags=re.S)
    # Hidden data blocks (Flask-Admin's filter and confirmation JSON) are not shown.
    page = re.sub(r"<(div|span)[^>]*(?:display:\s*none|-data\")[^>]*>.*?</\1>", " ", page, flags=re.S)
    shown = []
    for tag in re.findall(r"<[^>]+>", page):
        for attribute in VISIBLE_ATTRIBUTES:
            shown += re.findall(rf'\s{attribute}="([^"]*)"', tag)
        if re.match(r"<input\b", tag) and re.search(r'type="(?:submit|button|reset)"', tag):
            shown += re.findall(r'\svalue="([^"]*)"', tag)
    text = re.sub(r"<[^>]+>", " ", page)
    text = html_lib.unescape(" ".join([text, *shown]))
    # Paths, addresses and host names are data, whatever their letters.
    return re.sub(r"\S*[/\\@\d]\S*|\b[\w-]+(?:\.[\w-]+)+\b", " ", text)


def english_words(page: str, data_words: set[str]) -> list[str]:
    """Return the Latin words on a page that are neither allowed abbreviations nor the school's data."""
    words = re.findall(r"[A-Za-z][A-Za-z']+", visible_text(page))
    return sorted({w for w in words if w.upper() not in ALLOWED and w.lower() not in data_words})


def panel_pages(app, client):
    """Yield (name, url) for every list, create and details page of the registered views."""
    admin = app.extensions["admin"][0]
    for view in admin._views:
        if isinstance(view, ModelView):
            yield f"{view.endpoint} list", url_for(f"{view.endpoint}.index_view")
            if view.can_create:
                yield f"{view.endpoint} create", url_for(f"{view.endpoint}.create_view")
            with app.test_request_context():
                first = view.get_query().first() if hasattr(view, "get_query") else None
            if first is not None and view.can_view_details:
                yield f"{view.endpoint} details", url_for(f"{view.endpoint}.details_view", id=first.get_id())
        else:
            yield f"{view.endpoint} page", url_for(f"{view.endpoint}.index")


def data_words() -> set[str]:
    """Return the Latin words the test school's own data holds (logins, role and permission codes)."""
    words = set()
    for value in (
        [s.login for s in Staff.select()] + [r.code for r in Role.select()] + [p.code for p in Permission.select()]
    ):
        words.update(w.lower() for w in re.findall(r"[A-Za-z]+", value))
    return words


@pytest.fixture
def admin_client(app, school, as_user):  # noqa: F811
    return as_user(school.admin)


def test_every_panel_page_is_russian(app, admin_client):
    known = data_words()
    problems = {}
    pages = 0
    with app.test_request_context():
        urls = list(panel_pages(app, admin_client))
    for name, url in urls:
        response = admin_client.get(url)
        if response.status_code in (302, 403, 404):
            continue
        assert response.status_code == 200, (name, url, response.status_code)
        page = response.get_data(as_text=True)
        pages += 1
        if "<html" in page:
            assert '<html lang="ru">' in page, name
        found = english_words(page, known)
        if found:
            problems[f"{name} {url}"] = found
    assert pages > 20
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_awkward_strings_are_gone(app, admin_client):
    listing = admin_client.get("/worktype/").get_data(as_text=True)
    for awkward in ("элементы", "Добавить Фильтр", "Нет элементов в таблице", "Toggle navigation", ">Id<"):
        assert awkward not in listing
    assert "25 записей" in listing
    # A create form that fails validation says so in Russian, with every error at once.
    admin_client.get("/worktype/new/")
    response = admin_client.post("/worktype/new/", data={"name": " ", "default_weight": "abc"})
    errors = form_errors(response.get_data(as_text=True))
    assert not any("Failed" in e for e in errors)
    assert errors[0].startswith("Запись не создана")
    # The field checks and the area's rules answer together, next to their fields.
    assert any("Вес — число от 0,1 до 10" in e for e in errors)
    assert any("Укажите название вида работы" in e for e in errors)
    assert WorkType.select().where(WorkType.name == " ").count() == 0


def test_the_date_picker_is_russian_and_starts_on_monday(app, admin_client):
    response = admin_client.get("/static/datepicker-ru.js")
    script = response.get_data(as_text=True)
    response.close()
    assert "dow: 1" in script and '"пн"' in script and "DD.MM.YYYY" in script
    page = admin_client.get("/schoolyear/new/").get_data(as_text=True)
    assert 'data-date-format="DD.MM.YYYY"' in page
    assert page.index("datepicker-ru.js") > page.index("daterangepicker.js")


def test_russian_dates_in_filters():
    from admin_views.forms import iso_dates

    assert iso_dates("30.10.2026") == "2026-10-30"
    assert iso_dates("1.9.2026 по 30.10.2026") == "2026-09-01 to 2026-10-30"
    assert iso_dates("2026-10-30") == "2026-10-30"
    assert iso_dates("30.10.2026 08:30:00") == "2026-10-30 08:30:00"
