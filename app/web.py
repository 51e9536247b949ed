"""Template helpers and error pages shared by every page."""

import orjson
from flask import render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.routing.converters import IntegerConverter

from app import formats
from app.clock import app_clock
from app.ids import MAX_ID
from app.json_body import parse_object
from app.models import SchoolSettings
from app.permissions import Perm
from app.services import access
from app.services.errors import BadInput, DomainError


class IdConverter(IntegerConverter):
    """The `<int:…>` URL converter, bounded: a path segment past the database's range is no match (404)."""

    regex = r"[0-9]{1,19}"

    def __init__(self, map, fixed_digits=0, min=0, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


ERRORS = {
    400: ("Неверный запрос", "Запрос не удалось обработать. Обновите страницу и попробуйте ещё раз."),
    403: ("Доступ запрещён", "У вас нет прав на эту страницу. Если они нужны для работы, обратитесь к администратору."),
    404: ("Страница не найдена", "Такой страницы нет. Проверьте адрес или вернитесь на главную."),
    405: ("Действие недоступно", "Это действие нельзя выполнить таким способом."),
    409: ("Запись уже изменена", "Запись изменил другой пользователь. Обновите страницу и повторите."),
    413: ("Файл слишком большой", "Размер отправленных данных превышает допустимый."),
    500: (
        "Ошибка сервера",
        "Что-то пошло не так. Изменения не сохранены; попробуйте ещё раз или сообщите администратору.",
    ),
}


# Query or form parameters that carry the address to come back to (Flask-Admin's and the login's).
RETURN_URL_PARAMETERS = ("url", "next")
NUL_MESSAGE = "В данных есть недопустимый символ (NUL): исправьте ввод и отправьте ещё раз."


# What Jinja's tojson escapes, so that the JSON cannot close the <script> element it sits in.
_SCRIPT_UNSAFE = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027"))


def script_json(value) -> Markup:
    """Return a value as JSON to put inside a <script> element, like Jinja's tojson, but encoded by orjson.

    The journal grid's config carries every filled cell (hundreds of objects): the standard
    encoder took longer over it than the page's SQL.
    """
    text = orjson.dumps(value).decode()
    # str.replace per character, not str.translate: translate looks every character up in a dict.
    for unsafe, escaped in _SCRIPT_UNSAFE:
        text = text.replace(unsafe, escaped)
    return Markup(text)


def wants_json() -> bool:
    """Tell whether the request came from a script (the journal's APIs) rather than a page."""
    return request.is_json or "/api/" in request.path or request.accept_mimetypes.best == "application/json"


def _render_error(code: int, message: str | None = None, **extra):
    title, text = ERRORS.get(code, ERRORS[500])
    if wants_json():
        return {"error": message or text, **extra}, code
    return render_template("errors/error.html", code=code, title=title, text=message or text), code


def domain_error(exc: DomainError):
    """Answer a refused operation: its status and its Russian message (DESIGN 10)."""
    extra = {"field": exc.field} if wants_json() else {}
    return _render_error(exc.status, exc.message, **extra)


def init_app(app):
    """Register context processors and Russian error pages."""

    @app.context_processor
    def inject_helpers():
        def can(code: str) -> bool:
            # access.can refuses a code that is not in Perm (UnknownPermission): a misspelt
            # `can(...)` in a template fails loudly instead of hiding a part of the page.
            return access.can(current_user, code)

        settings = SchoolSettings.load()  # the request's one read of the settings (app/memo.py)
        return {"can": can, "Perm": Perm, "school_name": settings.name if settings.id is not None else ""}

    # Templates show dates and stored instants the one way (app/formats.py, the school's clock).
    app.add_template_filter(formats.format_date, "ru_date")
    app.add_template_filter(script_json, "script_json")
    app.add_template_filter(lambda moment: app_clock(app).format(moment), "school_time")

    for code in ERRORS:
        app.register_error_handler(code, lambda exc, code=code: _render_error(code))

    app.register_error_handler(DomainError, domain_error)

    @app.before_request
    def refuse_control_characters_in_return_urls():
        # `url` and `next` end up in a Location header: a control character there is never a page.
        for name in RETURN_URL_PARAMETERS:
            for value in request.values.getlist(name):
                if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
                    return _render_error(400, "Неверный адрес возврата.")
        return None

    @app.before_request
    def refuse_nul_characters():
        # No browser form sends a NUL character, and PostgreSQL cannot store one in text: refused
        # here once, for every form, query and JSON body, before a service could half-write it.
        if any("\x00" in value for _, values in request.values.lists() for value in values):
            return domain_error(BadInput(NUL_MESSAGE))
        body = request.get_data(cache=True) if request.is_json else b""
        if b"\x00" in body or b"\\u0000" in body:
            return domain_error(BadInput(NUL_MESSAGE))
        return None

    @app.before_request
    def refuse_json_that_is_not_an_object():
        # Every JSON body we accept is an object: the APIs read named fields from it, and Flask-WTF
        # turns it into form data. Anything else ([1], 5, broken JSON) is refused here, once.
        # The rule is json_body's, the same the APIs read their fields with.
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.is_json:
            try:
                parse_object(request.get_data(cache=True))
            except BadInput as exc:
                return domain_error(exc)
        return None

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return _render_error(
            400, "Форма устарела (истекла защита от подделки запроса). Обновите страницу и отправьте её снова."
        )
