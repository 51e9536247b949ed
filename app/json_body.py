"""JSON request bodies with typed fields, read in one place (DESIGN 10).

A script's request body must be a JSON object; each field is read with the type the endpoint
expects (a record id, a string, a bounded whole number, a flag). Anything else — invalid JSON, a
list or a number as the body, `1e400`, `1.5` or `true` where an id is due, a number where text is
due — is refused with `BadInput` (HTTP 400) and a Russian message, before any service runs.
"""

import json

from app.ids import MAX_ID, parse_id
from app.services.errors import BadInput

NOT_AN_OBJECT = "Неверный запрос: ожидался объект JSON. Обновите страницу и попробуйте ещё раз."
BAD_CHARACTER = "Неверный запрос: в тексте есть недопустимый символ. Обновите страницу и попробуйте ещё раз."


def _refuse_constant(name: str):
    # json.loads accepts NaN and ±Infinity by default; a browser never sends them.
    raise ValueError(name)


def _label(name: str, label: str | None) -> str:
    return label or name


class JsonBody:
    """A JSON object from a request, read field by field with the expected type."""

    def __init__(self, data: dict):
        self.data = data

    def has(self, name: str) -> bool:
        """Tell whether the body carries the field (even as null)."""
        return name in self.data

    def id(self, name: str, label: str | None = None, *, required: bool = True) -> int | None:
        """Return the field as a record id (an integer or a string of digits, 1 … 2⁶³−1)."""
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise BadInput(f"Неверный запрос: не указан {_label(name, label)}.", name)
            return None
        number = parse_id(value)
        if number is None:
            raise BadInput(f"Неверный запрос: {_label(name, label)} указан неверно.", name)
        return number

    def text(self, name: str, label: str | None = None, *, max_length: int = 10_000) -> str | None:
        """Return the field as a string (None when absent or null); anything but a string is refused."""
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise BadInput(f"Неверный запрос: поле «{_label(name, label)}» должно быть строкой.", name)
        if len(value) > max_length:
            raise BadInput(f"Поле «{_label(name, label)}»: не больше {max_length} символов.", name)
        return value

    def texts(self, name: str, label: str | None = None, *, max_items: int = 100, max_length: int = 100) -> list[str]:
        """Return the field as a list of strings (one string is a list of one; absent or null is empty)."""
        value = self.data.get(name)
        if value is None:
            return []
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise BadInput(f"Неверный запрос: поле «{_label(name, label)}» должно быть списком строк.", name)
        if len(items) > max_items or any(len(item) > max_length for item in items):
            raise BadInput(f"Неверный запрос: поле «{_label(name, label)}» слишком длинное.", name)
        return items

    def decimal_text(self, name: str, label: str | None = None) -> str | None:
        """Return a number sent as a JSON number or a string ("1,5") as its text, for the service to parse."""
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise BadInput(f"Неверный запрос: «{_label(name, label)}» — число.", name)
        text = value if isinstance(value, str) else repr(value)
        if len(text) > 32:
            raise BadInput(f"Неверный запрос: «{_label(name, label)}» — число.", name)
        return text

    def versions(self, name: str, label: str | None = None, *, max_items: int = 100) -> list[tuple[int, int]]:
        """Return the field as a list of (record id, change number) from [{"id": …, "change_no": …}, …]."""
        value = self.data.get(name)
        if value is None:
            return []
        refused = BadInput(f"Неверный запрос: поле «{_label(name, label)}» указано неверно.", name)
        if not isinstance(value, list) or len(value) > max_items:
            raise refused
        pairs = []
        for item in value:
            if not isinstance(item, dict):
                raise refused
            body = JsonBody(item)
            number, change_no = parse_id(item.get("id")), body.number("change_no", 0, MAX_ID, label)
            if number is None or change_no is None:
                raise refused
            pairs.append((number, change_no))
        return pairs

    def number(
        self, name: str, minimum: int = 0, maximum: int = MAX_ID, label: str | None = None, *, message: str = ""
    ) -> int | None:
        """Return the field as a whole number within [minimum, maximum] (None when absent, null or empty)."""
        value = self.data.get(name)
        if value is None or value == "":
            return None
        number = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str):
            text = value.strip()
            digits = text[1:] if text.startswith("-") else text
            if digits.isascii() and digits.isdigit() and len(digits) <= 19:
                number = int(text)
        if number is None or not minimum <= number <= maximum:
            raise BadInput(
                message or f"Неверный запрос: «{_label(name, label)}» — целое число от {minimum} до {maximum}.", name
            )
        return number

    def flag(self, name: str, label: str | None = None) -> bool:
        """Return the field as true or false (absent or null is false)."""
        value = self.data.get(name)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise BadInput(f"Неверный запрос: поле «{_label(name, label)}» должно быть true или false.", name)
        return value


def parse_object(raw: bytes | str) -> JsonBody:
    """Parse a request body that must be a JSON object, or refuse with BadInput."""
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError, UnicodeDecodeError):
        raise BadInput(NOT_AN_OBJECT) from None
    if not isinstance(data, dict):
        raise BadInput(NOT_AN_OBJECT)
    try:
        # JSON may spell half of a UTF-16 pair ("\\udb72"), which no text in the database can hold.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput(BAD_CHARACTER) from None
    return JsonBody(data)


def json_object(request) -> JsonBody:
    """Return the request's body as a JSON object with typed fields, or refuse with BadInput."""
    if not request.is_json:
        raise BadInput("Неверный запрос: данные должны быть в формате JSON.")
    return parse_object(request.get_data(cache=True))
