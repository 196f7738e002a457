"""Formula escaping in the CSV export survives a spreadsheet that splits on another separator.

The export is comma-separated, but a spreadsheet set up for `;` (most of Europe) or tab
splits each line at those characters instead, ignoring the commas; a cell's text then
starts wherever a `;` or tab inside a patient's name left it. The file is parsed here
with a reader splitting on `,`, `;` and tab (honouring quotes, and not; trimming spaces,
and not), and no resulting cell may start with `=`, `+`, `-` or `@`, whatever spaces,
tabs, CRs, line breaks or quotes come before it (a leading tab or CR can hide a formula).
The unit cases check the apostrophe goes right after the separator, before a tab or CR.
"""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.staff import exports
from tests.factories import PatientFactory, SubmissionFactory

FORMULA_CHARACTERS = ("=", "+", "-", "@")
SEPARATORS = (",", ";", "\t")

# Text made mostly of what matters here: separators, line breaks, quotes, spaces and
# formula characters, with a few letters; and any text at all.
TRICKY = st.text(alphabet=",;\t\r\n\"' =+-@aZ1|!(", max_size=30)
CELL = st.one_of(TRICKY, st.text(max_size=30))


def _written(rows: list[list[str]]) -> str:
    return "".join(exports.csv_lines(rows))


def _cells(text: str, delimiter: str) -> list[str]:
    """Every cell as spreadsheets splitting on `delimiter` may read it: with Python's csv
    reader (quotes honoured; spaces after a separator kept and trimmed) and a plain split
    of each line (quotes not honoured)."""
    cells: list[str] = []
    for skip in (False, True):
        reader = csv.reader(
            io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=skip
        )
        cells += [cell for row in reader for cell in row]
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        cells += line.split(delimiter)
    return cells


def _starts_a_formula(cell: str) -> bool:
    """A cell whose first character other than white space (spaces, tabs, line breaks:
    a leading tab or CR can hide a formula, and spreadsheets may trim them) and double
    quotes is `=`, `+`, `-` or `@`. An apostrophe there makes it text."""
    return cell.lstrip(' "\t\r\n').startswith(FORMULA_CHARACTERS)


@pytest.mark.parametrize(
    ("typed", "exported"),
    [
        ("Ann;=1+1", "Ann;'=1+1"),
        ("Ann,=1+1", "Ann,'=1+1"),
        ("Ann\t=1+1", "Ann\t'=1+1"),
        ("Ann;+1", "Ann;'+1"),
        ("Ann;-1", "Ann;'-1"),
        ("Ann;@SUM(A1)", "Ann;'@SUM(A1)"),
        ("Ann;\t=1", "Ann;'\t'=1"),
        ("Ann;\r=1", "Ann;'\r'=1"),
        ("Ann; =1", "Ann;' =1"),
        ('Ann;"=1"', 'Ann;\'"=1"'),
        ("Ann\n=1", "Ann\n'=1"),
        ("a;=1;=2", "a;'=1;'=2"),
        ("\t\t=1", "'\t'\t'=1"),
        (" =1", "' =1"),
        ("Ann; Example", "Ann; Example"),
        ("Smith-Jones, Ann", "Smith-Jones, Ann"),
        ("ann@example.com", "ann@example.com"),
    ],
)
def test_a_formula_after_a_separator_is_escaped(typed, exported):
    assert exports.csv_safe(typed) == exported


@pytest.mark.parametrize("delimiter", SEPARATORS)
@pytest.mark.parametrize(
    "name", ['Ann;=HYPERLINK("http://x")', "Ann\t=1+1", "Ann,=1+1", "x;;@SUM(A1)", "a; -1"]
)
def test_no_reader_sees_a_formula_in_a_known_attack(delimiter, name):
    text = _written([["B12-0001", name, "ann@example.com", "+44 1632 960001"]])
    assert [cell for cell in _cells(text, delimiter) if _starts_a_formula(cell)] == []


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.lists(CELL, min_size=1, max_size=5), min_size=1, max_size=4))
def test_no_reader_sees_a_formula_whatever_the_cells(rows):
    text = _written([["Reference", "Patient name"], *rows])
    for delimiter in SEPARATORS:
        found = [cell for cell in _cells(text, delimiter) if _starts_a_formula(cell)]
        assert found == [], (delimiter, text)


@settings(max_examples=300, deadline=None)
@given(text=CELL)
def test_escaping_only_adds_apostrophes(text):
    """Nothing is lost: remove the apostrophes it added and the text is as typed."""
    escaped = exports.csv_safe(text)
    assert len(escaped) >= len(text)
    assert escaped.replace("'", "") == text.replace("'", "")


@pytest.mark.django_db
@pytest.mark.parametrize("delimiter", SEPARATORS)
def test_the_export_read_with_each_separator_has_no_formula(clinician_client, delimiter):
    SubmissionFactory(
        patient=PatientFactory(
            full_name="Ann;=cmd|' /C calc'!A0", email="x\t@example.com", phone="1;+2"
        )
    )

    body = b"".join(clinician_client.get("/staff/export.csv").streaming_content).decode("utf-8-sig")

    assert "Ann;'=cmd" in body
    assert [cell for cell in _cells(body, delimiter) if _starts_a_formula(cell)] == []
