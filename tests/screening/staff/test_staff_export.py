"""The queue as CSV at /staff/export.csv: filters, formula escaping, streaming, audit, roles."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.http import StreamingHttpResponse

from screening.models import AuditEvent
from screening.staff import exports
from tests.factories import (
    PatientFactory,
    ReviewFactory,
    ScreeningResultFactory,
    SubmissionFactory,
)

pytestmark = pytest.mark.django_db

EXPORT_URL = "/staff/export.csv"
NOW = datetime.datetime(2025, 6, 15, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)


def _rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_export_url():
    from django.urls import reverse

    assert reverse("staff:export") == EXPORT_URL


def test_export_streams_the_queue_in_order_with_its_columns(clinician_client, clinician, now):
    patient = PatientFactory(full_name="Ann Example", email="ann@example.com", phone="01632 1")
    urgent = SubmissionFactory(
        patient=patient,
        level="urgent",
        status="in_review",
        assignee=clinician,
        submitted_at=NOW - datetime.timedelta(minutes=90),
        age_years=35,
    )
    ScreeningResultFactory(
        submission=urgent,
        level="urgent",
        reasons=[
            {"code": "a", "text": "Chest pain", "source": "F"},
            {"code": "b", "text": "Tired", "source": "B1"},
        ],
    )
    routine = SubmissionFactory(level="routine", submitted_at=NOW - datetime.timedelta(days=2))

    response = clinician_client.get(EXPORT_URL)

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="queue-2025-06-15-1300.csv"'
    rows = _rows(response)
    assert rows[0] == [
        "Reference",
        "Patient name",
        "Email",
        "Phone",
        "Age",
        "Level",
        "Top reasons",
        "Submitted",
        "Waiting (minutes)",
        "Overdue",
        "Assignee",
        "Status",
    ]
    assert rows[1] == [
        urgent.reference,
        "Ann Example",
        "ann@example.com",
        "01632 1",
        "35",
        "Urgent",
        "Chest pain | Tired",
        "2025-06-15 11:30",
        "90",
        "yes",
        "clinician",
        "In review",
    ]
    assert rows[2][0] == routine.reference
    assert len(rows) == 3


def test_export_applies_the_queue_filters(clinician_client, now):
    urgent = SubmissionFactory(level="urgent")
    SubmissionFactory(level="routine")
    SubmissionFactory(level="urgent", status="closed")

    rows = _rows(clinician_client.get(EXPORT_URL, {"level": "urgent", "page": "3"}))

    assert [row[0] for row in rows[1:]] == [urgent.reference]


def test_export_holds_no_answers_or_notes(clinician_client, clinician, now):
    submission = SubmissionFactory(level="routine", diet="vegan")
    ReviewFactory(submission=submission, clinician=clinician, note="Secret clinical note")

    body = b"".join(clinician_client.get(EXPORT_URL).streaming_content).decode("utf-8-sig")

    assert "Secret clinical note" not in body
    assert "vegan" not in body.lower()


@pytest.mark.parametrize(
    ("typed", "exported"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        # A tab or CR is a separator too: the formula after it is escaped as well
        # (tests/screening/staff/test_csv_formulas.py).
        ("\t=1+1", "'\t'=1+1"),
        ("\r=1+1", "'\r'=1+1"),
        ("Ann Example", "Ann Example"),
        ("O'Brien-Smith", "O'Brien-Smith"),
        ("", ""),
    ],
)
def test_csv_safe(typed, exported):
    assert exports.csv_safe(typed) == exported


@pytest.mark.parametrize(
    ("name", "exported"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t'=1"),
        ("\r=1", "'\r'=1"),
    ],
)
def test_export_neutralises_formulas_in_patient_fields(clinician_client, now, name, exported):
    SubmissionFactory(patient=PatientFactory(full_name=name, phone="+44 1632 960001"))

    rows = _rows(clinician_client.get(EXPORT_URL))

    assert rows[1][1] == exported
    assert rows[1][3] == "'+44 1632 960001"


def test_export_neutralises_formulas_in_reasons(clinician_client, now):
    submission = SubmissionFactory(level="routine")
    ScreeningResultFactory(
        submission=submission, reasons=[{"code": "x", "text": "=1+1", "source": "s"}]
    )

    rows = _rows(clinician_client.get(EXPORT_URL))

    assert rows[1][6] == "'=1+1"


def test_export_is_audited_with_row_count_and_filters(clinician_client, clinician, now):
    SubmissionFactory.create_batch(3, level="urgent")
    SubmissionFactory(level="routine")

    response = clinician_client.get(EXPORT_URL, {"level": "urgent", "q": "example.com"})
    rows = _rows(response)

    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert (event.actor, event.actor_username, event.what, event.object_id) == (
        clinician,
        "clinician",
        "queue.export",
        "",
    )
    assert event.patient_public_id is None
    assert event.detail == {"rows": 3, "filters": {"q": "(search)", "level": "urgent"}}
    assert len(rows) == 4


def test_export_with_bad_filters_goes_back_to_the_queue(clinician_client, now):
    SubmissionFactory()

    response = clinician_client.get(EXPORT_URL, {"submitted_from": "yesterday"})

    assert response.status_code == 302
    assert response["Location"] == "/staff/?submitted_from=yesterday"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()
    page = clinician_client.get(response["Location"]).content.decode()
    assert "The export was not made: fix the filters first." in page


def test_export_forbidden_to_receptionist_and_outsider(receptionist_client, outsider_client):
    SubmissionFactory()

    assert receptionist_client.get(EXPORT_URL).status_code == 403
    assert outsider_client.get(EXPORT_URL).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_export_sends_anonymous_to_login(client, db):
    response = client.get(EXPORT_URL)

    assert response.status_code == 302
    assert response["Location"] == "/staff/account/login/?next=/staff/export.csv"


def test_queue_links_the_export_with_the_filters(clinician_client, receptionist_client):
    page = clinician_client.get("/staff/", {"level": "urgent"}).content.decode()

    assert 'href="/staff/export.csv?level=urgent"' in page
    assert "export.csv" not in receptionist_client.get("/staff/").content.decode()


def test_export_query_count_does_not_grow_with_rows(
    clinician_client, now, django_assert_max_num_queries
):
    for index in range(30):
        submission = SubmissionFactory(level="urgent", patient=PatientFactory())
        ScreeningResultFactory(
            submission=submission, reasons=[{"code": "c", "text": f"R{index}", "source": "s"}]
        )

    with django_assert_max_num_queries(15):
        rows = _rows(clinician_client.get(EXPORT_URL))

    assert len(rows) == 31


def test_export_columns_without_clinical_access_hold_nothing_clinical():
    assert exports.queue_csv_header(clinical=False) == [
        "Reference",
        "Patient name",
        "Email",
        "Phone",
        "Age",
        "Submitted",
        "Waiting (minutes)",
        "Assignee",
        "Status",
    ]


def test_export_opens_in_excel_as_utf8_with_a_byte_order_mark(clinician_client, now):
    """Excel reads a CSV without a BOM in the legacy code page: José would be JosÃ©."""
    SubmissionFactory(patient=PatientFactory(full_name="José Muñoz"), status="new")

    raw = b"".join(clinician_client.get(EXPORT_URL).streaming_content)

    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\xef\xbb\xbf") == 1
    assert "José Muñoz".encode() in raw
    assert raw[3:].decode().startswith("Reference,")


def test_export_keeps_formula_escaping_after_the_byte_order_mark(clinician_client, now):
    SubmissionFactory(patient=PatientFactory(full_name="=HYPERLINK(1)"), status="new")

    rows = _rows(clinician_client.get(EXPORT_URL))

    assert rows[1][1] == "'=HYPERLINK(1)"
