"""Staff date fields (screening/staff/forms.py, `iso_date_field`): the hint names the one
format the field takes, and a date in another order is refused with a message that
names it, never read as a US month/day."""

from __future__ import annotations

import datetime

import pytest

from screening.staff.forms import ISO_DATE_HINT, LabResultForm, QueueFilterForm
from tests.conftest import page_text

pytestmark = pytest.mark.django_db

MESSAGE = "Enter the date as year-month-day, for example 2026-03-31."


@pytest.mark.parametrize("name", ["submitted_from", "submitted_to"])
def test_queue_date_fields_take_the_format_their_hint_names(name):
    field = QueueFilterForm(clinical=True).fields[name]

    assert field.help_text.startswith(ISO_DATE_HINT)
    assert field.widget.input_type == "text"
    assert field.widget.attrs["placeholder"] == "YYYY-MM-DD"
    assert QueueFilterForm({name: "2026-03-04"}, clinical=True).is_valid()
    form = QueueFilterForm({name: "04/03/2026"}, clinical=True)
    assert form.errors[name] == [MESSAGE]


def test_lab_date_takes_the_format_its_hint_names():
    field = LabResultForm().fields["date"]

    assert field.help_text == ISO_DATE_HINT
    assert field.to_python("2025-06-01") == datetime.date(2025, 6, 1)


def test_queue_page_shows_the_hint_by_the_field(clinician_client):
    html = clinician_client.get("/staff/").content.decode()

    assert 'id="id_submitted_from_helptext">Year-month-day, for example 2026-03-31<' in html
    assert "Year-month-day, for example 2026-03-31, included" in page_text(html)
