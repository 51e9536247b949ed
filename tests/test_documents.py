"""Reports drawn as PDF and XLSX from one object, and spreadsheets read back, Cyrillic throughout."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.documents import Column, Report, Section, UnreadableFile, read_table, report_pdf, report_xlsx


def _report(rows=1):
    students = [(f"Ученик {n:02d}", 5, Decimal("4.5")) for n in range(rows)]
    return Report(
        "Сводная ведомость",
        ["Класс: 5А", "Период: 1 четверть"],
        [
            Section(
                "Итоги",
                [Column("Ученик", 3), Column("Русский язык", 1, "C"), Column("Средний", 1, "R")],
                [*students, ("=cmd|' /C calc'!A0", None, None)],
                totals=("Итого", 5, None),
                notes=["н/а — не аттестован"],
            )
        ],
        signatures=["Классный руководитель"],
    )


def test_pdf_opens_and_holds_the_cyrillic_text_on_numbered_pages():
    reader = PdfReader(io.BytesIO(report_pdf(_report(rows=120))))
    assert len(reader.pages) > 1
    first, last = reader.pages[0].extract_text(), reader.pages[-1].extract_text()
    assert "Сводная ведомость" in first and "Класс: 5А" in first and "Ученик 00" in first
    assert f"стр. 1 из {len(reader.pages)}" in first
    # The heading row repeats on every page; the signature line ends the last one.
    assert "Русский язык" in last and "Классный руководитель" in last and "4,50" in last


def test_xlsx_keeps_numbers_as_numbers_and_a_formula_as_text():
    sheet = load_workbook(io.BytesIO(report_xlsx(_report()))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Сводная ведомость"
    assert ("Ученик 00", 5, 4.5) in rows
    cell = next(c for row in sheet.iter_rows() for c in row if c.value and str(c.value).startswith("=cmd"))
    assert cell.data_type == "s" and cell.quotePrefix


def test_read_table_reads_xlsx_and_both_csv_encodings_and_delimiters():
    assert read_table("plan.xlsx", report_xlsx(_report()))[4] == ["Ученик", "Русский язык", "Средний"]
    text = "№;Тема;Часы\n1;Введение;1\n\n2;Числа, дроби;2\n"
    expected = [["№", "Тема", "Часы"], ["1", "Введение", "1"], ["2", "Числа, дроби", "2"]]
    assert read_table("plan.csv", text.encode("cp1251")) == expected
    assert read_table("plan.csv", b"\xef\xbb\xbf" + text.encode()) == expected
    assert read_table("plan.csv", '№,Тема,Часы\n1,Введение,1\n2,"Числа, дроби",2\n'.encode()) == expected


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("plan.pdf", b"%PDF-1.4", "XLSX или CSV"),
        ("plan.xlsx", b"PK\x03\x04broken", "повреждён"),
        ("plan.csv", b"\x00\x01\x02", "не похож"),
    ],
)
def test_read_table_refuses_what_is_not_a_spreadsheet_in_russian(name, data, message):
    with pytest.raises(UnreadableFile, match=message):
        read_table(name, data)


def test_matrix_columns_are_cut_by_the_page_width_keeping_runs_whole():
    from app.documents import MatrixColumn, _column_chunks

    columns = [MatrixColumn(str(i), "а" if i < 3 else "б", 10) for i in range(5)]
    assert [[i for i, _ in chunk] for chunk in _column_chunks(columns, 35, False)] == [[0, 1, 2], [3, 4]]
    assert [[i for i, _ in chunk] for chunk in _column_chunks(columns, 25, True)] == [[0, 1], [2], [3, 4]]
    assert [[i for i, _ in chunk] for chunk in _column_chunks(columns, 45, True)] == [[0, 1, 2], [3, 4]]
    assert _column_chunks([], 100, False) == [[]]


def test_matrix_repeats_the_heads_on_every_page_it_needs():
    import io

    from pypdf import PdfReader

    from app.documents import Column, Document, MatrixColumn

    pdf = Document(landscape=True)
    columns = [MatrixColumn(f"{i:02d}", "ноябрь", 10) for i in range(40)]
    rows = [([str(n), f"Ученик {n}"], ["5"] * 40) for n in range(1, 36)]
    pdf.matrix(heads=[Column("№", 6), Column("Фамилия", 40)], columns=columns, rows=rows, rows_per_page=30)
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf.bytes())).pages]
    # 40 columns of 10 mm need two widths of the page, 35 rows two heights: four pages.
    assert len(pages) == 4
    assert all("Фамилия" in page for page in pages)
    assert "Ученик 30" in pages[0] and "Ученик 31" in pages[1] and "Ученик 31" in pages[3]


def test_read_table_numbers_rows_as_the_file_shows_them():
    data = "Заголовок;\n;\n№;Тема\n1;Числа\n".encode("cp1251")
    assert read_table("plan.csv", data, numbered=True) == [
        (1, ["Заголовок", ""]),
        (3, ["№", "Тема"]),
        (4, ["1", "Числа"]),
    ]
    assert read_table("plan.csv", data) == [["Заголовок", ""], ["№", "Тема"], ["1", "Числа"]]
