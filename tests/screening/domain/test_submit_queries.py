"""The SQL statements of the intake's final POST: each one is a round trip on the busiest
request of the patient side (docs/performance.md, "The final submit")."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from screening.models import Submission


def _statement(sql: str) -> str:
    """'INSERT screening_patient', 'SELECT django_session', 'BEGIN'..., quotes dropped."""
    sql = sql.replace('"', "")
    verb = sql.split(None, 1)[0].upper()
    table = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", sql, re.IGNORECASE)
    return f"{verb} {table.group(1)}" if table and verb != "SAVEPOINT" else verb


def _final_post_statements(journey) -> list[str]:
    journey.answer_all()
    key = journey.idempotency_key()
    with CaptureQueriesContext(connection) as queries:
        response = journey.submit(key)
    assert response.status_code == 302
    statements = [_statement(query["sql"]) for query in queries.captured_queries]
    # The test runs in a transaction, so the intake's transaction is a savepoint here.
    assert statements.count("SAVEPOINT") == statements.count("RELEASE") == 1
    return [statement for statement in statements if statement not in ("SAVEPOINT", "RELEASE")]


def test_final_post_statements(journey):
    """No conditions were answered: four answer tables get rows."""
    assert _final_post_statements(journey) == [
        "SELECT django_session",
        "INSERT screening_patient",  # ON CONFLICT DO UPDATE ... RETURNING
        # Its unique key and reference are the idempotency and reference checks, and it
        # has its copy of the result's level.
        "INSERT screening_submission",
        "INSERT screening_symptomanswer",
        "INSERT screening_redflaganswer",
        "INSERT screening_medicineanswer",
        "INSERT screening_labresult",
        "INSERT screening_screeningresult",
        # The confirmation email's outbox row (the patient agreed to emails): a new
        # submission's, so no lookup first. It is claimed and handed to a worker after
        # the commit (not captured here: the test's transaction never commits).
        "INSERT screening_reminder",
        "UPDATE django_session",
    ]
    submission = Submission.objects.get()
    assert submission.is_complete
    assert submission.level == submission.results.get().level
