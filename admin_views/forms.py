"""Form and list conventions every admin view shares: dd.mm.yyyy dates, readable selects."""

import datetime as dt

from flask_admin.model import typefmt
from wtforms.widgets import Select
from wtfpeewee.fields import SelectQueryField

# The first format is the one forms show; ISO dates are accepted too.
DATE_FORMATS = ["%d.%m.%Y", "%Y-%m-%d"]
DATE_PICKER_FORMAT = "DD.MM.YYYY"


def format_date(value: dt.date) -> str:
    """Return a date the way Russian school papers write it: 01.09.2026."""
    return value.strftime("%d.%m.%Y")


def format_datetime(value: dt.datetime) -> str:
    """Return a moment as 01.09.2026 08:30."""
    return value.strftime("%d.%m.%Y %H:%M")


def _date_cell(view, value, name):
    return format_date(value)


def _datetime_cell(view, value, name):
    return format_datetime(value)


def _yes_no(view, value, name):
    return "да" if value else "нет"


# Flask-Admin takes the first isinstance match: datetime must come before date (a datetime is a date).
LIST_FORMATTERS = {**typefmt.BASE_FORMATTERS, dt.datetime: _datetime_cell, dt.date: _date_cell}
DETAIL_FORMATTERS = {
    **typefmt.DETAIL_FORMATTERS,
    bool: _yes_no,
    dt.datetime: _datetime_cell,
    dt.date: _date_cell,
}


class SelectWidget(Select):
    """wtforms' select box with the `input_type` that Flask-Admin's form templates read."""

    input_type = "select"


def choice_field(make_query, get_label=str, allow_blank=False):
    """Return a select field class listing make_query()'s rows, the query built afresh for every form."""

    class ChoiceField(SelectQueryField):
        widget = SelectWidget()

        def __init__(self, label=None, validators=None, **kwargs):
            kwargs.setdefault("get_label", get_label)
            kwargs.setdefault("allow_blank", allow_blank)
            super().__init__(label, validators, query=make_query(), **kwargs)

        def get_model(self, pk):
            # A blank or forged value means "nothing chosen", not a database error
            # (PostgreSQL refuses '' as an integer id).
            try:
                pk = int(pk)
            except (TypeError, ValueError):
                return None
            return super().get_model(pk)

    return ChoiceField
