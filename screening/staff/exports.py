"""The review queue as CSV, streamed row by row.

The export holds what the queue shows the person exporting, nothing more: no answers, no
notes, no lab values. Level and top reasons are only there for staff with clinical access.

Formula injection: a spreadsheet treats a cell starting with `=`, `+`, `-` or `@` as a
formula (and a leading tab or carriage return can hide one), so a patient who types
`=HYPERLINK(...)` as their name could run it on a clinician's computer. Every such cell
gets a leading apostrophe (`'=cmd...`), which spreadsheets show as text (OWASP's advice).
Numbers we write ourselves (age, minutes) never start with those characters.

The file is comma-separated, but a spreadsheet set up for `;` (most of Europe) or tab
splits each line there instead, and a cell then starts wherever a `;` inside a name
left it: `Ann;=cmd...` is two cells, the second a formula. So the apostrophe also goes
after every separator a spreadsheet may split on (`,`, `;`, tab, and line breaks), where
a formula character follows it, after any spaces or double quotes (which a spreadsheet
may trim): `Ann;'=cmd...`. The text is otherwise as typed
(tests/screening/staff/test_csv_formulas.py reads the file splitting on each separator).

Excel: the file is UTF-8 and starts with a byte-order mark (`csv_file`), which is how
Excel knows it is UTF-8 when the file is opened with a double click; without it, Excel
reads it in the computer's legacy code page and "José Muñoz" shows as "JosÃ© MuÃ±oz".
Other spreadsheets and Python's `utf-8-sig` read the mark and drop it.
"""

from __future__ import annotations

import csv
import datetime
import re
from collections.abc import Iterable, Iterator, Sequence

from django.utils import timezone

from screening.domain.queries.queue import queue_rows

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# The start of the cell, or just after a separator some spreadsheet splits on, where a
# formula character follows (after spaces and double quotes). Linear: the lookahead only
# scans the run of spaces and quotes after each separator.
_FORMULA_AT_A_CELL_START = re.compile(r'(^|[,;\t\r\n])(?=[ "]*[=+\-@\t\r])')
CHUNK_SIZE = 500


def csv_safe(value: object) -> str:
    """The cell as text, with an apostrophe wherever a spreadsheet could start a formula:
    at its start and after a separator (see the module docstring)."""
    text = "" if value is None else str(value)
    return _FORMULA_AT_A_CELL_START.sub(r"\1'", text)


def queue_csv_header(*, clinical: bool) -> list[str]:
    header = ["Reference", "Patient name", "Email", "Phone", "Age"]
    if clinical:
        header += ["Level", "Top reasons"]
    header += ["Submitted", "Waiting (minutes)"]
    if clinical:
        header += ["Overdue"]
    header += ["Assignee", "Status"]
    return header


def queue_csv_rows(
    submissions, *, clinical: bool, now: datetime.datetime, highlight_minutes: int
) -> Iterator[list[str]]:
    """The header, then one row per submission of `queue_submissions`
    (`screening.domain.queries.queue`), in its order, fetched CHUNK_SIZE at a time."""
    yield queue_csv_header(clinical=clinical)
    for submission in submissions.iterator(chunk_size=CHUNK_SIZE):
        [row] = queue_rows(
            submissions=[submission],
            now=now,
            highlight_minutes=highlight_minutes,
            clinical=clinical,
        )
        patient = submission.patient
        cells = [submission.reference, patient.full_name, patient.email, patient.phone]
        cells.append(str(submission.age_years))
        if clinical:
            cells += [str(submission.get_level_display()), " | ".join(row.top_reasons)]
        cells += [
            timezone.localtime(submission.submitted_at).strftime("%Y-%m-%d %H:%M"),
            "" if row.waiting is None else str(int(row.waiting.total_seconds() // 60)),
        ]
        if clinical:
            cells.append("yes" if row.overdue else "")
        cells += [
            submission.assignee.get_username() if submission.assignee else "",
            str(submission.get_status_display()),
        ]
        yield cells


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer."""

    def write(self, value: str) -> str:
        return value


BYTE_ORDER_MARK = "\ufeff"


def csv_file(rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The whole file as Excel opens it: the byte-order mark, then each escaped line."""
    yield BYTE_ORDER_MARK
    yield from csv_lines(rows)


def csv_lines(rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """Each row as one escaped CSV line."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([csv_safe(cell) for cell in row])
