"""Steps shared by the browser tests: log in and out through the real pages, open a menu."""

import re
from pathlib import Path

from playwright.sync_api import expect

# The staff guide's pictures (docs/guide.ru.md shows them): the browser tests take them anew each run.
GUIDE_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "guide"


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


def guide_shot(page, name: str) -> None:
    """Take one of the guide's pictures: the visible part of the page, as docs/guide/<name>.png."""
    page.wait_for_load_state("load")
    page.screenshot(path=str(GUIDE_IMAGES / f"{name}.png"), animations="disabled")


def open_menu_item(page, menu: str, item: str) -> None:
    """Open a navbar dropdown and follow one of its links."""
    page.wait_for_load_state("load")
    navbar = page.locator("nav.navbar")
    link = navbar.get_by_role("link", name=item, exact=True)
    navbar.get_by_role("link", name=menu, exact=True).click()
    expect(link).to_be_visible()
    link.click()


# --- filling forms like a person --------------------------------------------------------------

# What a form's fields look like in the page, read in document order (hidden inputs, buttons and
# the rows of inline lists, whose names carry a "-", are not fields a person fills here).
_FIELDS_JS = """form => {
  const seen = new Map();
  for (const el of form.querySelectorAll('input, select, textarea')) {
    const type = el.tagName === 'INPUT' ? (el.type || 'text') : el.tagName.toLowerCase();
    if (!el.name || el.name.includes('-') || ['hidden', 'submit', 'button', 'file', 'reset'].includes(type)) continue;
    if (el.closest('.inline-field-list, .inline-field')) continue;
    const field = seen.get(el.name) || {
      name: el.name, id: el.id, type, role: el.dataset.role || '', required: el.required,
      readonly: el.readOnly || el.disabled, maxlength: el.maxLength > 0 ? el.maxLength : null,
      min: el.min || null, inputmode: el.inputMode || '',
      label: (form.querySelector(`label[for="${el.id}"]`) || {}).textContent || '',
      value: el.value, options: [], choices: [],
    };
    if (type === 'select') field.options = [...el.options].map(o => ({value: o.value, text: o.text.trim()}));
    if (type === 'checkbox') field.choices.push({value: el.value, id: el.id, checked: el.checked});
    seen.set(el.name, field);
  }
  return [...seen.values()];
}"""


def form_fields(form) -> list[dict]:
    """Return the fields of a form element as the page shows them, in document order."""
    return form.evaluate(_FIELDS_JS)


def choose(page, field: dict, value: str) -> None:
    """Pick the option with this value in a select box, through Select2's own box when it has one."""
    select = page.locator(f'select[name="{field["name"]}"]')
    if value == "":  # the blank choice, whatever value the widget gives it
        value = next(o["value"] for o in field["options"] if o["value"] in ("", "__None"))
    if field["role"] == "select2":
        text = next(o["text"] for o in field["options"] if o["value"] == str(value))
        page.locator(f"#s2id_{field['id']}").click()
        search = page.locator("#select2-drop input.select2-input")
        search.fill(text)
        page.locator("#select2-drop .select2-result-label", has_text=text).first.click()
        expect(select).to_have_value(str(value))
        return
    select.select_option(value=str(value))


def type_date(page, field: dict, day) -> None:
    """Type a date into a date field as people write it, ДД.ММ.ГГГГ, and close the picker."""
    box = page.locator(f'[name="{field["name"]}"]')
    box.click()
    box.fill(day.strftime("%d.%m.%Y"))
    # A click on the empty margin beside the form closes the picker, as a person's would.
    page.mouse.click(1275, 400)


def set_field(page, field: dict, value) -> None:
    """Put one value into one field: text, number, date, select, a checkbox or a list of checkboxes."""
    name = field["name"]
    if field["type"] == "select":
        choose(page, field, value)
    elif field["type"] == "checkbox":
        wanted = {c["value"] for c in field["choices"]} if value is True else set(value or ())
        for choice in field["choices"]:
            box = page.locator(f'input[type="checkbox"][name="{name}"][value="{choice["value"]}"]')
            box.set_checked(choice["value"] in wanted)
    elif field["role"] == "datepicker":
        type_date(page, field, value)
    else:
        page.locator(f'[name="{name}"]').fill(str(value))


def shown_errors(page) -> list[str]:
    """Return every error the page shows: alerts, messages under fields, an error page's heading."""
    found = []
    for selector in (".alert-danger", ".invalid-feedback", ".help-block.text-danger", ".form-text.text-danger"):
        for text in page.locator(selector).all_inner_texts():
            text = " ".join(text.replace("×", " ").split())
            if text and text not in found:
                found.append(text)
    return found


def post_by_clicking(page, button) -> int:
    """Click a button that posts the page's form, wait for the page that follows; return the POST's status."""
    with page.expect_response(lambda r: r.request.method == "POST" and r.request.resource_type == "document") as post:
        button.click()
    page.wait_for_load_state("load")
    return post.value.status


def page_problems(page, status: int) -> list[str]:
    """Return what is wrong with the page a form led to: an error status (with the page's text) or shown errors."""
    problems = shown_errors(page)
    if status >= 400:
        text = " ".join(page.locator("body").inner_text().split())
        problems.insert(0, f"HTTP {status}: {text[:300]}")
    return problems
