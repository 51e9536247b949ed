"""Form and list conventions every admin view shares: dd.mm.yyyy dates, readable selects."""

import datetime as dt
import re

from flask import current_app, flash
from flask_admin.contrib.peewee.form import CustomModelConverter
from flask_admin.model import filters as admin_filters
from flask_admin.model import typefmt
from markupsafe import Markup
from peewee import IntegerField
from wtforms.fields import SelectFieldBase, StringField
from wtforms.validators import NumberRange, StopValidation, ValidationError
from wtforms.widgets import Select
from wtfpeewee.fields import ModelSelectField, SelectQueryField
from wtfpeewee.orm import FieldInfo

from app.clock import app_clock
from app.formats import format_date
from app.ids import parse_id
from app.services.errors import DomainError
from app.services.journal_marks import format_weight, parse_weight

# The first format is the one forms show; ISO dates are accepted too.
DATE_FORMATS = ["%d.%m.%Y", "%Y-%m-%d"]
DATE_PICKER_FORMAT = "DD.MM.YYYY"


def format_datetime(value: dt.datetime) -> str:
    """Return a stored instant (naive UTC) in school time, as 01.09.2026 08:30."""
    return app_clock(current_app).format(value)


def _date_cell(view, value, name):
    return format_date(value)


def _datetime_cell(view, value, name):
    return format_datetime(value)


def _yes_no(view, value, name):
    return "да" if value else "нет"


def _yes_no_icon(view, value, name):
    # Flask-Admin's icon says "active: true" when pointed at; ours says «да» or «нет».
    icon = "fa-check-circle" if value else "fa-minus-circle"
    label = "да" if value else "нет"
    return Markup(f'<span class="fa {icon}" title="{label}" aria-label="{label}"></span>')


# Flask-Admin takes the first isinstance match: datetime must come before date (a datetime is a date).
LIST_FORMATTERS = {
    **typefmt.BASE_FORMATTERS,
    bool: _yes_no_icon,
    dt.datetime: _datetime_cell,
    dt.date: _date_cell,
}
# A list's cells in a file: the list's words, without its icons.
EXPORT_FORMATTERS = {
    **typefmt.EXPORT_FORMATTERS,
    bool: _yes_no,
    dt.datetime: _datetime_cell,
    dt.date: _date_cell,
}
DETAIL_FORMATTERS = {
    **typefmt.DETAIL_FORMATTERS,
    bool: _yes_no,
    dt.datetime: _datetime_cell,
    dt.date: _date_cell,
}


# What a select shows until the person picks a value: forms never guess (docs/architecture.md, 30).
BLANK_CHOICE = "— выберите —"
REQUIRED_MESSAGE = "Обязательное поле."


class Chosen:
    """Refuse a select left on «— выберите —» (a required choice) with «Обязательное поле.»."""

    field_flags = {"required": True}

    def __init__(self, message: str = REQUIRED_MESSAGE):
        self.message = message

    def __call__(self, form, field):
        if field.data in (None, "", "__None"):
            field.errors[:] = []
            raise StopValidation(self.message)


def blank_choices(choices) -> list:
    """Return a plain select's choices with «— выберите —» first (its value is the empty string)."""
    return [("", BLANK_CHOICE), *choices]


class SelectWidget(Select):
    """wtforms' select box with the `input_type` that Flask-Admin's form templates read."""

    input_type = "select"


class RefuseForgedIds:
    """A select of rows that refuses a value no option has: blank, forged or past the database's range."""

    def process_formdata(self, valuelist):
        self._forged = bool(valuelist) and valuelist[0] not in ("__None", "") and parse_id(valuelist[0]) is None
        super().process_formdata(["__None"] if self._forged or valuelist[:1] == [""] else valuelist)

    def pre_validate(self, form):
        if getattr(self, "_forged", False):
            raise ValidationError("Выберите значение из списка.")
        super().pre_validate(form)


def choice_field(make_query, get_label=str, allow_blank=False):
    """Return a select field class listing make_query()'s rows, the query built afresh for every form.

    It starts on «— выберите —»; unless allow_blank, leaving it there is «Обязательное поле.».
    """

    class ChoiceField(RefuseForgedIds, SelectQueryField):
        widget = SelectWidget()

        def __init__(self, label=None, validators=None, **kwargs):
            kwargs.setdefault("get_label", get_label)
            kwargs["allow_blank"] = True
            kwargs.setdefault("blank_text", BLANK_CHOICE)
            validators = list(validators or [])
            if not allow_blank and not any(isinstance(v, Chosen) for v in validators):
                validators.insert(0, Chosen())
            super().__init__(label, validators, query=make_query(), **kwargs)

    return ChoiceField


# --- date filters that read ДД.ММ.ГГГГ ---------------------------------------------------------

_RUSSIAN_DAY = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})(.*)$")
# Range filters join two values with " to " (Flask-Admin) or " по " (the Russian picker).
_RANGE_SEPARATOR = re.compile(r"\s+(?:to|по)\s+")
DATE_FILTER_TYPES = (
    admin_filters.BaseDateFilter,
    admin_filters.BaseDateBetweenFilter,
    admin_filters.BaseDateTimeFilter,
    admin_filters.BaseDateTimeBetweenFilter,
)


def iso_dates(value: str) -> str:
    """Return a filter value with every dd.mm.yyyy date (and a " по " range) in the ISO form Flask-Admin parses."""

    def one(part: str) -> str:
        match = _RUSSIAN_DAY.match(part)
        if not match:
            return part.strip()
        day, month, year, rest = match.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}{rest.rstrip()}"

    return " to ".join(one(part) for part in _RANGE_SEPARATOR.split(str(value)))


def accept_russian_dates(flt) -> None:
    """Let a date or date-time filter read ДД.ММ.ГГГГ as well as the ISO dates in existing links."""
    if not isinstance(flt, DATE_FILTER_TYPES) or getattr(flt, "_russian_dates", False):
        return
    clean = flt.clean
    flt.clean = lambda value: clean(iso_dates(value))
    flt._russian_dates = True


# --- every error in one answer ----------------------------------------------------------------


def add_form_error(form, field_name: str | None, message: str) -> None:
    """Show a refusal next to the field it names, or above the form when it names none of its fields."""
    field = form._fields.get(field_name) if field_name else None
    if field is not None:
        # The field's own check and the area's rule may refuse a value in the same words: once.
        if message not in (field.errors or ()):
            field.errors = [*(field.errors or ()), message]
    else:
        flash(message, "error")


# --- form fields that never hand the database a value it cannot hold ---------------------------

# An integer column holds at most this much on SQLite and in PostgreSQL's INTEGER; larger numbers
# are refused by the form instead of overflowing in the database.
MAX_FORM_INTEGER = 2**31 - 1


class WeightField(StringField):
    """A mark's weight typed the Russian way (1,5 or 1.5), parsed and bounded by journal_marks.parse_weight."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data in (None, "") else format_weight(self.data)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = parse_weight(valuelist[0])
        except DomainError as exc:
            self.data = None
            raise ValueError(exc.message) from None


class SafeModelSelectField(RefuseForgedIds, ModelSelectField):
    """wtf-peewee's select of related rows, refusing a forged or out-of-range id in the form."""


class SafeModelConverter(CustomModelConverter):
    """Flask-Admin's peewee form converter with bounded selects and integers (no value overflows the database)."""

    def handle_foreign_key(self, model, field, **kwargs):
        if getattr(self.view, "_form_ajax_refs", {}).get(field.name) or field.choices is not None:
            return super().handle_foreign_key(model, field, **kwargs)
        if field.null:
            kwargs["allow_blank"] = True
        return FieldInfo(field.name, SafeModelSelectField(model=field.rel_model, **kwargs))

    def convert(self, model, field, field_args):
        info = super().convert(model, field, field_args)
        if info is not None and info[1] is not None:
            start_blank(info[1], model, field)
        if isinstance(field, IntegerField) and not field.primary_key and info is not None and not field.choices:
            unbound = info.field
            validators = list(unbound.kwargs.get("validators") or [])
            validators.append(NumberRange(-MAX_FORM_INTEGER, MAX_FORM_INTEGER, "Слишком большое число."))
            unbound.kwargs["validators"] = validators
        return info


# The selects that start on the model's default instead of «— выберите —», and why it is no guess:
# the record's kind, which the person sees in the box and which is what they create nearly always.
KEEP_DEFAULT = {
    ("Term", "kind"): "St. Petersburg's schools count quarters; a trimester or half-year school changes it in sight",
    ("Journal", "kind"): "a journal is a lesson journal unless it is the rarer extracurricular one",
    ("StudyGroup", "kind"): "a group made by hand is a class's subgroup; whole classes get theirs when created",
}


def start_blank(unbound, model, field) -> None:
    """Make a select of a model field start on «— выберите —» and refuse it untouched when the field is required.

    A select keeps the model's default only when KEEP_DEFAULT says why that is no guess (a model's
    default about a person, such as «мать», is a guess and starts blank like the rest).
    """
    cls = unbound.field_class
    if not issubclass(cls, SelectFieldBase) or "Multiple" in cls.__name__:
        return
    if field.default is not None and (model.__name__, field.name) in KEEP_DEFAULT:
        return
    unbound.kwargs["allow_blank"] = True
    unbound.kwargs["blank_text"] = BLANK_CHOICE
    unbound.kwargs["default"] = None
    if not field.null:
        validators = [v for v in unbound.kwargs.get("validators") or [] if type(v).__name__ != "ValueRequired"]
        unbound.kwargs["validators"] = [Chosen(), *validators]
