"""Template helpers and error pages shared by every page."""

from flask import render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from app.models import SchoolSettings
from app.services import access

ERRORS = {
    400: ("Неверный запрос", "Запрос не удалось обработать. Обновите страницу и попробуйте ещё раз."),
    403: ("Доступ запрещён", "У вас нет прав на эту страницу. Если они нужны для работы, обратитесь к администратору."),
    404: ("Страница не найдена", "Такой страницы нет. Проверьте адрес или вернитесь на главную."),
    405: ("Действие недоступно", "Это действие нельзя выполнить таким способом."),
    413: ("Файл слишком большой", "Размер отправленных данных превышает допустимый."),
    500: (
        "Ошибка сервера",
        "Что-то пошло не так. Изменения не сохранены; попробуйте ещё раз или сообщите администратору.",
    ),
}


def _render_error(code: int, message: str | None = None):
    title, text = ERRORS.get(code, ERRORS[500])
    if request.accept_mimetypes.best == "application/json":
        return {"error": message or text}, code
    return render_template("errors/error.html", code=code, title=title, text=message or text), code


def init_app(app):
    """Register context processors and Russian error pages."""

    @app.context_processor
    def inject_helpers():
        def can(code: str) -> bool:
            return access.can(current_user, code)

        settings = SchoolSettings.get_or_none()
        return {"can": can, "school_name": settings.name if settings else ""}

    for code in ERRORS:
        app.register_error_handler(code, lambda exc, code=code: _render_error(code))

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return _render_error(
            400, "Форма устарела (истекла защита от подделки запроса). Обновите страницу и отправьте её снова."
        )
