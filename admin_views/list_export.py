"""A list of the panel as CSV or XLSX: the rows the list shows, filtered and searched, streamed in batches.

The export extends Flask-Admin's own (`/<view>/export/<type>/`, `can_export`, `export_types`,
`column_export_list`, `get_export_value`), but never loads the list whole: Flask-Admin's CSV runs
`get_list(page_size=0)` into one Python list and its XLSX builds a tablib dataset in memory. Here the
list's own query (the view's `get_query` with the person's row scope, its search, filters and
order, exactly as `get_list` builds it) is read as primary keys first, then row by row in batches
of BATCH keys through that same query; each batch gets the page's extra data (`decorate_rows`), so
the queries grow with the batches, not the rows. CSV is a streamed response; XLSX is written by
openpyxl's write-only book into a temporary file that is then streamed. No cell is ever a formula
(app/documents.py).
"""

import os
import tempfile
from array import array
from collections.abc import Iterator

from flask import Response, current_app, send_file, stream_with_context
from markupsafe import Markup

from app.clock import app_clock
from app.documents import CSV_MIME, XLSX_MIME, csv_lines, table_xlsx
from app.services.journal_files import content_disposition

# Rows read per query: a batch's primary keys go to the database as one IN list.
BATCH = 2000
EXPORT_TYPES = ("csv", "xlsx")


def list_query(view):
    """Return the list's query as the list page builds it from the request: scope, search, filters, order."""
    args = view._get_list_extra_args()
    sort = view._get_column_by_idx(args.sort)
    _count, query = view.get_list(
        0, sort[0] if sort else None, args.sort_desc, args.search, args.filters, execute=False, page_size=0
    )
    return query


def list_rows(view, query, batch: int | None = None) -> Iterator:
    """Yield the query's rows in its order, reading BATCH of them per query and decorating each batch."""
    batch = batch or BATCH
    pk = view.model._meta.primary_key
    # The keys in the list's order (the key itself breaks ties), kept as machine integers: 8 bytes a row.
    ids = array("q", (row_id for (row_id,) in query.select(pk).order_by_extend(pk).tuples().iterator()))
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        found = {}
        for row in query.where(pk.in_(sorted(set(chunk)))).iterator():
            found.setdefault(row.get_id(), row)
        # A row deleted since the keys were read is left out; the order is the keys', not the batch's.
        rows = [found[row_id] for row_id in chunk if row_id in found]
        view.decorate_rows(rows)
        yield from rows


def cell_value(view, row, name):
    """Return a list cell for a file: the list's own formatter, its markup reduced to the text people read."""
    value = view.get_export_value(row, name)
    if isinstance(value, Markup):
        return value.striptags()
    return value


def table_rows(view, rows) -> Iterator[list]:
    """Yield each row as the list's export columns."""
    names = [name for name, _label in view._export_columns]
    for row in rows:
        yield [cell_value(view, row, name) for name in names]


def file_name(view, export_type: str) -> str:
    """Return the file's name: the list's Russian name and the school's date (Ученики_2026-12-04.csv)."""
    today = app_clock(current_app).today()
    title = "".join(ch if ch.isalnum() or ch in " -" else " " for ch in str(view.name)).split()
    return f"{'_'.join(title) or 'Список'}_{today:%Y-%m-%d}.{export_type}"


def respond(view, export_type: str) -> Response:
    """Return the list as a streamed CSV or as an XLSX file (written to a temporary file, then streamed)."""
    header = [label for _name, label in view._export_columns]
    rows = table_rows(view, list_rows(view, list_query(view)))
    name = file_name(view, export_type)
    if export_type == "csv":
        return Response(
            stream_with_context(csv_lines(header, rows)),
            mimetype=CSV_MIME,
            headers={"Content-Disposition": content_disposition(name)},
        )
    handle, path = tempfile.mkstemp(prefix="ejournal-list-", suffix=".xlsx")
    try:
        os.close(handle)
        table_xlsx(path, str(view.name), header, rows)
        # Open, then unlink: the open file keeps its data until the response has sent it and closed it.
        stream = open(path, "rb")  # noqa: SIM115 - closed by the response
    finally:
        os.unlink(path)
    response = send_file(stream, mimetype=XLSX_MIME, as_attachment=True, download_name=name)
    response.headers["Content-Disposition"] = content_disposition(name)
    return response
