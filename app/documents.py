"""Documents the school prints or files: one `Report` shape, drawn as XLSX (openpyxl) and PDF (fpdf2).

A report is a title, a few header lines and sections; a section is a table (columns, rows, an
optional totals row) with notes under it. Services build reports from set queries; pages show them
through `templates/reports/_report.html`, and `report_xlsx` / `report_pdf` make the files from the
very same object, so the screen, the spreadsheet and the paper never disagree.

PDFs are made in pure Python with the bundled DejaVu Sans Condensed (`app/fonts/`, its licence
beside it): nothing outside `requirements.txt` is needed on the server.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

FONT_DIR = Path(__file__).parent / "fonts"
FONT = "DejaVu"

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_MIME = "application/pdf"

# A text cell is never a formula: «=cmd|…» typed into a topic stays a topic (stored as a string with
# Excel's quote prefix, so the spreadsheet neither runs nor re-reads it as one).
FORMULA_STARTS = ("=", "+", "-", "@")


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
    sheet.append([_cell_value(value) for value in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
            cell.data_type = "s"
            cell.quotePrefix = True


def _cell_value(value):
    if value is None or isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return float(value)
    return cell_text(value)


# --- XLSX -----------------------------------------------------------------------------------------


def report_xlsx(report: Report) -> bytes:
    """The report as one worksheet: the title and header, then each section's table."""
    book = Workbook()
    sheet = book.active
    sheet.title = report.title[:31].replace("/", "-") or "Отчёт"
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
        """A section's table; its heading row repeats on every page it spans."""
        if section.title:
            self.ln(2)
            self.heading(section.title, 10)
        rows = section.rows + ([section.totals] if section.totals else [])
        if not rows:
            self.line_text(section.empty)
        else:
            self.set_font(FONT, size=font_size)
            total = sum(column.width for column in section.columns)
            widths = [column.width * self.epw / total for column in section.columns]
            with self.table(
                col_widths=widths,
                width=self.epw,
                line_height=font_size * 0.5,
                headings_style=FontFace(emphasis="BOLD"),
                text_align=tuple(column.align for column in section.columns),
                repeat_headings=1,
            ) as table:
                heading = table.row()
                for column in section.columns:
                    heading.cell(column.label, align="C")
                for index, values in enumerate(rows):
                    row = table.row()
                    style = FontFace(emphasis="BOLD") if section.totals and index == len(rows) - 1 else None
                    for value in values:
                        row.cell(cell_text(value), style=style)
        for note in section.notes:
            self.line_text(note, 8)

    def bytes(self) -> bytes:
        return bytes(self.output())


def report_pdf(report: Report, footer_text: str = "") -> bytes:
    """The report on A4: title and header, each section's table, then the signature lines."""
    pdf = Document(landscape=report.landscape, footer_text=footer_text or report.title)
    pdf.add_page()
    pdf.heading(report.title, 13)
    for line in report.header:
        pdf.line_text(line)
    for section in report.sections:
        pdf.table_section(section)
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
