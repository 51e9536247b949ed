"""Documents the school prints or files: one `Report` shape, drawn as XLSX (openpyxl) and PDF (fpdf2).

A report is a title, a few header lines and sections; a section is a table (columns, rows, an
optional totals row) with notes under it. Services build reports from set queries; pages show them
through `templates/reports/_report.html`, and `report_xlsx` / `report_pdf` make the files from the
very same object, so the screen, the spreadsheet and the paper never disagree.

PDFs are made in pure Python with the bundled DejaVu Sans Condensed (`app/fonts/`, its licence
beside it): nothing outside `requirements.txt` is needed on the server.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from markupsafe import Markup, escape
from openpyxl import Workbook
from openpyxl.cell.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

FONT_DIR = Path(__file__).parent / "fonts"
FONT = "DejaVu"

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_MIME = "application/pdf"

# A text cell is never a formula: «=cmd|…» typed into a topic stays a topic (stored as a string with
# Excel's quote prefix, so the spreadsheet neither runs nor re-reads it as one). A tab or a carriage
# return first is how a formula slips past a check of the first visible character.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """A column: its heading, a relative width and how its cells align ("L", "C", "R")."""

    label: str
    width: float = 1
    align: str = "L"


@dataclass
class Section:
    """One table of a report."""

    title: str
    columns: list[Column]
    rows: list[tuple] = field(default_factory=list)
    totals: tuple | None = None
    notes: list[str] = field(default_factory=list)
    empty: str = "Нет данных."


@dataclass(frozen=True)
class MatrixColumn:
    """A narrow column of a `Document.matrix`: its header («05», «1 ч.»), the heading of its run («ноябрь 2026»)."""

    label: str
    group: str = ""
    width: float = 6.5


@dataclass(frozen=True)
class MatrixCell:
    """A cell of a `Document.matrix`: its text, shaded (not applicable), bold."""

    text: str = ""
    shaded: bool = False
    bold: bool = False


@dataclass
class Report:
    """A document: title, header lines («Класс: 5А», «Период: 1 четверть»), sections, signature lines."""

    title: str
    header: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    landscape: bool = False
    filename: str = "report"


def cell_text(value) -> str:
    """The text a cell shows: '' for None, a decimal with a comma, everything else as str."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, Decimal | float):
        return f"{value:.2f}".replace(".", ",")
    return str(value)


def _append(sheet, values) -> None:
    """Append a row: numbers stay numbers, every other value is text and never a formula."""
    sheet.append([_text_cell(sheet, value) for value in map(_cell_value, values)])


def _text_cell(sheet, value):
    # A text that would read as a formula goes in as a ready cell (append takes cells as they are);
    # looking the row up again after appending (`sheet[sheet.max_row]`) costs a walk over every cell.
    if not (isinstance(value, str) and value.startswith(FORMULA_STARTS)):
        return value
    cell = Cell(sheet, value=value)
    cell.data_type, cell.quotePrefix = "s", True
    return cell


def _cell_value(value):
    if value is None or isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return float(value)
    return cell_text(value)


# --- XLSX -----------------------------------------------------------------------------------------

# What Excel refuses in a worksheet's name (at most 31 characters).
SHEET_TITLE_FORBIDDEN = str.maketrans({char: "-" for char in "[]:*?/\\"})


def sheet_title(title: str) -> str:
    """A worksheet name from a report's title: Excel's forbidden characters replaced, cut to 31 characters."""
    return title.translate(SHEET_TITLE_FORBIDDEN)[:31].strip() or "Отчёт"


def report_xlsx(report: Report) -> bytes:
    """The report as one worksheet: the title and header, then each section's table."""
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title(report.title)
    bold = Font(bold=True)
    _append(sheet, [report.title])
    sheet.cell(row=1, column=1).font = Font(bold=True, size=13)
    for line in report.header:
        _append(sheet, [line])
    widths: dict[int, int] = {}
    for section in report.sections:
        sheet.append([])
        if section.title:
            _append(sheet, [section.title])
            sheet.cell(row=sheet.max_row, column=1).font = bold
        _append(sheet, [column.label for column in section.columns])
        for index in range(1, len(section.columns) + 1):
            cell = sheet.cell(row=sheet.max_row, column=index)
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        rows = section.rows + ([section.totals] if section.totals else [])
        if not rows:
            _append(sheet, [section.empty])
        for row in rows:
            _append(sheet, row)
        if section.totals:
            for index in range(1, len(section.columns) + 1):
                sheet.cell(row=sheet.max_row, column=index).font = bold
        for note in section.notes:
            _append(sheet, [note])
        for index, column in enumerate(section.columns, start=1):
            longest = max(
                [len(column.label) // 2, *(len(cell_text(row[index - 1])) for row in rows if len(row) >= index)]
            )
            widths[index] = max(widths.get(index, 0), min(longest + 2, 60))
    for index, width in widths.items():
        sheet.column_dimensions[get_column_letter(index)].width = max(width, 6)
    for line in report.signatures:
        sheet.append([])
        _append(sheet, [line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- tables streamed row by row (list exports) -------------------------------------------------------

# Russian Excel opens a CSV by double click only with a byte order mark and «;» between cells.
CSV_MIME = "text/csv; charset=utf-8"
CSV_BOM = "\ufeff"


def csv_text(value) -> str:
    """A CSV cell: the cell's text, with a quote first when a spreadsheet would read it as a formula."""
    text = cell_text(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file that hands back what is written to it: csv.writer then yields one line at a time."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """Yield a table as CSV for Russian Excel, line by line: the byte order mark, the header, the rows."""
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    yield CSV_BOM + writer.writerow([csv_text(title) for title in header])
    for row in rows:
        yield writer.writerow([csv_text(value) for value in row])


def table_xlsx(path: Path, title: str, header: list[str], rows: Iterable[list]) -> int:
    """Write a table to an XLSX file row by row (openpyxl's write-only book); return the number of rows."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title(title))
    bold = Font(bold=True)
    heads = []
    for title_text in header:
        cell = WriteOnlyCell(sheet, value=cell_text(title_text))
        cell.font = bold
        heads.append(cell)
    sheet.append(heads)
    count = 0
    for row in rows:
        sheet.append([_write_only_cell(sheet, value) for value in map(_cell_value, row)])
        count += 1
    book.save(path)
    return count


def _write_only_cell(sheet, value):
    if not (isinstance(value, str) and value.startswith(FORMULA_STARTS)):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type, cell.quotePrefix = "s", True
    return cell


# --- screen ---------------------------------------------------------------------------------------

HTML_ALIGN = {"R": ' class="text-right"', "C": ' class="text-center"'}


def rows_html(section: Section) -> Markup:
    """A section's table rows as HTML (`<tr>`s of escaped cells, aligned as the columns say).

    Built in Python, not in a Jinja loop: a whole school's table has tens of thousands of cells,
    and a template loop costs more than the report's SQL on them. Each distinct value of a
    column is rendered once.
    """
    aligns = [HTML_ALIGN.get(column.align, "") for column in section.columns]
    made: list[dict] = [{} for _ in aligns]
    out = []
    for values in section.rows:
        out.append("<tr>")
        for index, value in enumerate(values[: len(aligns)]):
            key = (type(value), value)  # True and 1 are one dict key, not one cell
            html = made[index].get(key)
            if html is None:
                html = made[index][key] = f"<td{aligns[index]}>{escape(cell_text(value))}</td>"
            out.append(html)
        out.append("</tr>")
    return Markup("".join(out))


# --- PDF ------------------------------------------------------------------------------------------


class Document(FPDF):
    """An A4 page with the bundled Cyrillic font and «стр. N из M» in the footer."""

    def __init__(self, *, landscape: bool = False, footer_text: str = ""):
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.footer_text = footer_text
        self.add_font(FONT, "", FONT_DIR / "DejaVuSansCondensed.ttf")
        self.add_font(FONT, "B", FONT_DIR / "DejaVuSansCondensed-Bold.ttf")
        self.set_margins(12, 12, 12)
        self.set_auto_page_break(True, margin=14)
        self.set_font(FONT, size=9)
        self.set_creator("Электронный журнал")

    def footer(self):
        self.set_y(-10)
        self.set_font(FONT, size=7)
        self.cell(0, 4, self.footer_text, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 4, f"стр. {self.page_no()} из {{nb}}", align="R")

    def heading(self, text: str, size: int = 12) -> None:
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=9)

    def line_text(self, text: str, size: int = 9) -> None:
        self.set_font(FONT, size=size)
        self.multi_cell(0, size * 0.45, text, new_x="LMARGIN", new_y="NEXT")

    def signature_lines(self, lines: list[str]) -> None:
        """«Учитель ______________ / Фамилия И. О. /» lines, kept together on one page."""
        if not lines:
            return
        if self.will_page_break(10 * len(lines) + 4):
            self.add_page()
        self.ln(6)
        for line in lines:
            self.line_text(f"{line}  ____________________")
            self.ln(3)

    def table_section(self, section: Section, *, font_size: float = 8) -> None:
        """A section's table; its heading row repeats on every page it spans.

        Drawn cell by cell: a text that fits its column is one `cell`, a longer one is wrapped
        into lines first. fpdf2's own `table()` lays every cell out as a `multi_cell`, about ten
        times slower — a whole school's table of a thousand rows took seconds per page run.
        """
        if section.title:
            self.ln(2)
            self.heading(section.title, 10)
        rows = section.rows + ([section.totals] if section.totals else [])
        if not rows:
            self.line_text(section.empty)
        else:
            total = sum(column.width for column in section.columns)
            widths = [column.width * self.epw / total for column in section.columns]
            line = font_size * 0.5
            headings = [column.label for column in section.columns]
            centred = ["C"] * len(widths)
            aligns = [column.align for column in section.columns]
            self.set_font(FONT, "B", font_size)
            heading = self._row_lines(headings, widths, line)
            self._table_row(heading, widths, centred, line, bold=True, fill=True)
            for index, values in enumerate(rows):
                bold = bool(section.totals) and index == len(rows) - 1
                self.set_font(FONT, "B" if bold else "", font_size)
                texts = [cell_text(value) for value in values] + [""] * (len(widths) - len(values))
                lines = self._row_lines(texts[: len(widths)], widths, line)
                if self.will_page_break(max(len(cell) for cell in lines) * line + 2 * self.c_margin):
                    self.add_page()
                    self.set_font(FONT, "B", font_size)
                    self._table_row(heading, widths, centred, line, bold=True, fill=True)
                    self.set_font(FONT, "B" if bold else "", font_size)
                self._table_row(lines, widths, aligns, line, bold=bold)
            self.set_font(FONT, size=9)
            self.ln(1)
        for note in section.notes:
            self.line_text(note, 8)

    def fitted_cell(
        self, w: float, h: float, text: str, *, size: float = 8, min_size: float = 5, style: str = "", **options
    ) -> None:
        """One cell whose text is made smaller (down to `min_size`), then cut with «…», until it fits the width."""
        text = text or ""
        if not text:
            # Most cells of a journal's sheet are empty: nothing to measure.
            self.cell(w, h, "", **options)
            return
        if not w:
            w = self.w - self.r_margin - self.get_x()
        room = max(w - 2 * self.c_margin, 0.5)
        self.set_font(FONT, style, size)
        while size > min_size and self.get_string_width(text) > room:
            size = max(min_size, size - 0.5)
            self.set_font(FONT, style, size)
        if self.get_string_width(text) > room:
            while len(text) > 1 and self.get_string_width(text + "…") > room:
                text = text[:-1]
            text += "…"
        self.cell(w, h, text, **options)

    def matrix(
        self,
        *,
        heads: list[Column],
        columns: list[MatrixColumn],
        rows: list[tuple[list[str], list]],
        rows_per_page: int = 30,
        row_height: float = 4.6,
        font_size: float = 7.5,
        header_height: float = 4.4,
        keep_groups: bool = False,
        on_page: Callable[[], None] | None = None,
        after_page: Callable[[], None] | None = None,
    ) -> None:
        """Rows × many narrow columns, like a page of the paper journal: the heads repeat on every page.

        `heads` are the left columns (their width in mm), repeated on every page; `columns` are cut
        into pages by the width left (whole runs of one `group` kept together with `keep_groups`);
        the rows into pages of `rows_per_page`. Each row is (head texts, cells: str or MatrixCell).
        Every page starts with `on_page()` (its title lines) and ends with `after_page()` (a legend).
        """
        head_width = sum(column.width for column in heads)
        chunks = _column_chunks(columns, self.epw - head_width, keep_groups)
        row_chunks = [rows[i : i + rows_per_page] for i in range(0, len(rows), rows_per_page)] or [[]]
        grouped = any(column.group for column in columns)
        auto, margin = self.auto_page_break, self.b_margin
        self.set_auto_page_break(False)
        try:
            for chunk in chunks:
                for part in row_chunks:
                    self.add_page()
                    if on_page:
                        on_page()
                    self._matrix_header(heads, chunk, grouped, header_height, font_size)
                    for head_texts, cells in part:
                        self.set_x(self.l_margin)
                        for column, text in zip(heads, head_texts, strict=False):
                            self.fitted_cell(
                                column.width, row_height, text, size=font_size, border=1, align=column.align
                            )
                        for index, column in chunk:
                            cell = cells[index] if index < len(cells) else ""
                            cell = cell if isinstance(cell, MatrixCell) else MatrixCell(cell_text(cell))
                            if cell.shaded:
                                self.set_fill_color(225, 225, 225)
                            self.fitted_cell(
                                column.width,
                                row_height,
                                cell.text,
                                size=font_size,
                                style="B" if cell.bold else "",
                                border=1,
                                align="C",
                                fill=cell.shaded,
                            )
                        self.ln(row_height)
                    if after_page:
                        after_page()
        finally:
            self.set_auto_page_break(auto, margin)
        self.set_font(FONT, size=9)

    def _matrix_header(self, heads, chunk, grouped: bool, height: float, font_size: float) -> None:
        x, y = self.l_margin, self.get_y()
        rows = 2 if grouped else 1
        self.set_xy(x, y)
        for column in heads:
            self.fitted_cell(column.width, height * rows, column.label, size=font_size, style="B", border=1, align="C")
        start = self.get_x()
        if grouped:
            runs: list[list] = []
            for _, column in chunk:
                if runs and runs[-1][0] == column.group:
                    runs[-1][1] += column.width
                else:
                    runs.append([column.group, column.width])
            for label, width in runs:
                self.fitted_cell(width, height, label, size=font_size, style="B", border=1, align="C")
            self.set_xy(start, y + height)
        for _, column in chunk:
            self.fitted_cell(column.width, height, column.label, size=font_size, style="B", border=1, align="C")
        self.set_xy(x, y + height * rows)

    def _row_lines(self, texts, widths, line: float) -> list[list[str]]:
        """Each cell's text as the lines it takes in its column, in the current font."""
        found = []
        for text, width in zip(texts, widths, strict=True):
            if not text or self.get_string_width(text) <= width - 2 * self.c_margin:
                found.append([text])
            else:
                found.append(self.multi_cell(width, line, text, dry_run=True, output="LINES") or [""])
        return found

    def _table_row(self, lines, widths, aligns, line: float, *, bold: bool = False, fill: bool = False) -> None:
        """Draw one row at the current position: a bordered box per cell, its lines inside; move below it."""
        height = max(len(cell) for cell in lines) * line + 2 * self.c_margin
        left, top = self.l_margin, self.get_y()
        if fill:
            self.set_fill_color(235, 238, 242)
        x = left
        for cell, width, align in zip(lines, widths, aligns, strict=True):
            self.rect(x, top, width, height, style="DF" if fill else "D")
            for number, text in enumerate(cell):
                if text:
                    self.set_xy(x, top + self.c_margin + number * line)
                    self.cell(width, line, text, align=align)
            x += width
        self.set_xy(left, top + height)

    def bytes(self) -> bytes:
        return bytes(self.output())


def _column_chunks(columns: list[MatrixColumn], room: float, keep_groups: bool) -> list[list[tuple[int, MatrixColumn]]]:
    """Cut the columns into pages of at most `room` mm, runs of one group whole when asked (and when they fit)."""
    units: list[list[tuple[int, MatrixColumn]]] = []
    for index, column in enumerate(columns):
        if keep_groups and units and units[-1][-1][1].group == column.group:
            units[-1].append((index, column))
        else:
            units.append([(index, column)])
    chunks: list[list[tuple[int, MatrixColumn]]] = [[]]
    used = 0.0
    for unit in units:
        width = sum(column.width for _, column in unit)
        if chunks[-1] and used + width > room:
            chunks.append([])
            used = 0.0
        if width > room:
            # A run wider than a page is cut column by column.
            for item in unit:
                if chunks[-1] and used + item[1].width > room:
                    chunks.append([])
                    used = 0.0
                chunks[-1].append(item)
                used += item[1].width
            continue
        chunks[-1].extend(unit)
        used += width
    return chunks


def table_font_size(columns: int) -> float:
    """The font of a table on paper: 8 pt, smaller for a wide one (a class's 17 subjects on one sheet)."""
    return 8 if columns <= 12 else 7 if columns <= 18 else 6.5


def report_pdf(report: Report, footer_text: str = "") -> bytes:
    """The report on A4: title and header, each section's table, then the signature lines."""
    pdf = Document(landscape=report.landscape, footer_text=footer_text or report.title)
    pdf.add_page()
    pdf.heading(report.title, 13)
    for line in report.header:
        pdf.line_text(line)
    for section in report.sections:
        pdf.table_section(section, font_size=table_font_size(len(section.columns)))
    pdf.signature_lines(report.signatures)
    return pdf.bytes()


# --- Reading spreadsheets -------------------------------------------------------------------------


class UnreadableFile(ValueError):
    """A file that is not a spreadsheet we can read; the message is Russian, for the person."""


def read_table(filename: str, data: bytes, *, max_rows: int = 20000, numbered: bool = False) -> list:
    """The rows of an uploaded XLSX or CSV (UTF-8 or cp1251, «;» or «,») as lists of stripped texts.

    Empty rows are dropped; a date cell becomes ДД.ММ.ГГГГ, a whole number loses its «.0». With
    `numbered`, each row comes as (its row number in the file, counted from 1, as the spreadsheet
    shows it; the row), so that a message can point at the row the person sees.
    """
    name = (filename or "").lower()
    if name.endswith(".xlsx") or data[:2] == b"PK":
        rows = _xlsx_rows(data, max_rows)
    elif name.endswith((".csv", ".txt")):
        rows = _csv_rows(data, max_rows)
    else:
        raise UnreadableFile("Файл должен быть таблицей XLSX или CSV.")
    if numbered:
        return [(number, row) for number, row in enumerate(rows, 1) if any(row)]
    return [row for row in rows if any(row)]


def _xlsx_rows(data: bytes, max_rows: int) -> list[list[str]]:
    import datetime
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableFile("Не удалось прочитать файл XLSX: он повреждён или это не таблица Excel.") from exc
    rows = []
    try:
        for values in book.worksheets[0].iter_rows(values_only=True):
            if len(rows) >= max_rows:
                raise UnreadableFile(f"В файле больше {max_rows} строк.")
            row = []
            for value in values:
                if value is None:
                    row.append("")
                elif isinstance(value, datetime.datetime | datetime.date):
                    row.append(value.strftime("%d.%m.%Y"))
                elif isinstance(value, float) and value.is_integer():
                    row.append(str(int(value)))
                else:
                    row.append(str(value).strip())
            rows.append(row)
    finally:
        book.close()
    return rows


def _csv_rows(data: bytes, max_rows: int) -> list[list[str]]:
    import csv

    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1251")
        except UnicodeDecodeError as exc:
            raise UnreadableFile("Не удалось прочитать CSV: кодировка не UTF-8 и не Windows-1251.") from exc
    if "\x00" in text:
        raise UnreadableFile("Файл не похож на таблицу CSV.")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    rows = []
    for row in csv.reader(io.StringIO(text), delimiter=delimiter):
        if len(rows) >= max_rows:
            raise UnreadableFile(f"В файле больше {max_rows} строк.")
        rows.append([value.strip() for value in row])
    return rows
