"""The format's docs and schema say exactly what the builder sends, in both languages.

An outside team writes its receiver from docs/export-format.*.md and the schema alone: every
example line must pass the schema, the two languages must show the same examples and list the
same record types and fields, in the package's order, and the schema must name the values the
school's models allow.
"""

import json
import re
from pathlib import Path

import pytest

from app.models.finals import FINAL_KINDS, FINAL_VALUES
from app.models.journal import ABSENCE_REASONS, MARK_CHANGE_REASONS, MARK_COMMENT_MAX, MARK_VALUES
from app.services.exports import format as fmt
from app.services.exports.transports import CONTENT_STORED, CONTENT_TYPE, FILES_DIRNAME
from app.services.journal import CANCEL_REASON_MAX
from app.services.journal_marks import WEIGHT_MAX, WEIGHT_MIN
from tests.exports.receiver import SCHEMA, VALIDATOR

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = {"en": "export-format.en.md", "ru": "export-format.ru.md"}
TYPES_HEADING = {"en": "### Record types and fields", "ru": "### Виды записей и поля"}


def example_lines(language: str) -> list[str]:
    """Return the package lines (JSON objects) of a page's code blocks, in page order."""
    text = (DOCS / PAGES[language]).read_text()
    blocks = re.findall(r"^```\n(.*?)^```", text, re.S | re.M)
    return [line for block in blocks for line in block.splitlines() if line.startswith("{")]


def type_table(language: str) -> list[tuple[str, list[str]]]:
    """Return (type, field names) of the page's table of record types, in its order."""
    text = (DOCS / PAGES[language]).read_text()
    table = text.split(TYPES_HEADING[language], 1)[1].split("\n\n")[2]
    rows = []
    for line in table.splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        # The fields cell names each field in backticks; the values it may take are in brackets.
        fields = re.sub(r"\([^)]*\)", "", cells[1])
        rows.append((cells[0].strip("`"), re.findall(r"`(\w+)`", fields)))
    return rows


def expected_fields(record_type) -> list[str]:
    return [*record_type.keys, "scope"] if record_type.name == "staff" else list(record_type.keys)


@pytest.mark.parametrize("language", PAGES)
def test_every_example_line_of_the_docs_follows_the_schema(language):
    checked = set()
    for line in example_lines(language):
        try:
            record = json.loads(line)
        except ValueError:
            # Only the trailer's counts are cut short («…») in the examples.
            assert '"type":"trailer"' in line and "…" in line, line
            continue
        errors = [error.message for error in VALIDATOR.iter_errors(record)]
        assert errors == [], (line, errors)
        checked.add(record["type"])
    assert {"header", "final_mark", "mark", "lesson", "group_membership"} <= checked


def test_both_languages_show_the_same_examples():
    assert example_lines("en") == example_lines("ru")


@pytest.mark.parametrize("language", PAGES)
def test_the_docs_list_every_record_type_and_its_fields_in_the_package_order(language):
    assert type_table(language) == [(rt.name, expected_fields(rt)) for rt in fmt.RECORD_TYPES]


def test_the_schema_names_every_record_type_and_its_fields_in_the_package_order():
    defs = SCHEMA["$defs"]
    assert defs["record_type"]["enum"] == list(fmt.TYPE_NAMES)
    assert defs["trailer"]["properties"]["counts"]["required"] == list(fmt.TYPE_NAMES)
    assert list(defs["trailer"]["properties"]["counts"]["properties"]) == list(fmt.TYPE_NAMES)
    upserts = [rule["if"]["properties"]["type"]["const"] for rule in defs["upsert"]["allOf"]]
    assert upserts == list(fmt.TYPE_NAMES)
    for record_type in fmt.RECORD_TYPES:
        fields = defs[f"fields_{record_type.name}"]
        assert fields["required"] == expected_fields(record_type), record_type.name
        assert list(fields["properties"]) == expected_fields(record_type), record_type.name
        assert fields["additionalProperties"] is False


def test_the_schema_allows_exactly_the_values_the_school_stores():
    defs = SCHEMA["$defs"]
    assert defs["fields_mark"]["properties"]["value"]["enum"] == list(MARK_VALUES)
    weight = defs["fields_mark"]["properties"]["weight"]
    assert weight["type"] == "number" and (weight["minimum"], weight["maximum"]) == (
        float(WEIGHT_MIN),
        float(WEIGHT_MAX),
    )
    assert defs["fields_mark"]["properties"]["comment"]["maxLength"] == MARK_COMMENT_MAX
    assert defs["fields_lesson"]["properties"]["cancel_reason"]["maxLength"] == CANCEL_REASON_MAX
    assert defs["fields_absence"]["properties"]["reason"]["enum"] == [code for code, _ in ABSENCE_REASONS]
    final = defs["fields_final_mark"]["properties"]
    assert final["kind"]["enum"] == [code for code, _ in FINAL_KINDS]
    assert final["value"]["enum"] == list(FINAL_VALUES)
    assert final["change_reason"]["enum"] == [*(code for code, _ in MARK_CHANGE_REASONS), None]


@pytest.mark.parametrize("language", PAGES)
def test_the_docs_name_every_reason_a_locked_final_may_carry(language):
    text = (DOCS / PAGES[language]).read_text()
    section = text.split({"en": "### Final marks", "ru": "### Итоговые отметки"}[language], 1)[1].split("\n### ")[0]
    for code, label in MARK_CHANGE_REASONS:
        assert f"| `{code}` | {label}" in section, code


@pytest.mark.parametrize("language", PAGES)
def test_the_docs_give_the_contents_protocol_both_transports_use(language):
    text = (DOCS / PAGES[language]).read_text()
    section = text.split({"en": "## Homework files", "ru": "## Файлы к домашним заданиям"}[language], 1)[1]
    section = section.split("\n## ", 1)[0]
    for needle in (
        f"{FILES_DIRNAME}/<sha256>",
        "HEAD <",
        "PUT <",
        f"/{FILES_DIRNAME}/<sha256>",
        f"`Content-Type: {CONTENT_TYPE}`",
        "`404`",
        "`422`",
        *(f"`{status}`" for status in sorted(CONTENT_STORED)),
    ):
        assert needle in section, needle
