"""What scheduling, dispatch and delivery share about an outbox row: which kinds go to
patients, the marker of an interrupted send, and the table name for the raw SQL."""

from __future__ import annotations

from django.db import connection

from screening.models import Reminder

Kind = Reminder.Kind

# Sent to patients, so only inside the patient email hours (`hours`). Not the
# confirmation, nor INTAKE_SAVED: each answers the patient's own click (the form sent, the
# link asked for), and they are waiting for it, at any hour.
PATIENT_KINDS = (Kind.FOLLOW_UP, Kind.BLOOD_TEST, Kind.UNFINISHED_INTAKE)

# last_error of a row whose send was cut short: SMTP may or may not have taken it, so it
# is failed, never resent automatically (a dispatch finds it left in sending, or the
# worker saw a non-SMTP error mid-send).
INTERRUPTED = "interrupted while sending; check before retrying"
# last_error of a row whose message data went to the SMTP server but whose answer never
# came (a timeout, a dropped connection after DATA): it may have reached the patient, so
# it is failed, never resent automatically.
NO_ANSWER_AFTER_DATA = (
    "the mail server did not answer after the message was sent; check before retrying"
)


def may_have_reached_the_patient(last_error: str) -> bool:
    """A failed row whose email may have been delivered: a retry could send it twice."""
    return last_error.startswith((INTERRUPTED, NO_ANSWER_AFTER_DATA))


def smtp_backend_in_use() -> bool:
    """Whether sends go through SMTP, where the start of DATA is recorded."""
    from django.conf import settings
    from django.core.mail.backends.smtp import EmailBackend
    from django.utils.module_loading import import_string

    return issubclass(import_string(settings.EMAIL_BACKEND), EmailBackend)


def reminder_table() -> str:
    """The outbox table's name, quoted, for the raw statements (claims and the sent
    update: plain SQL, because the ORM's update costs more to build than to run)."""
    return connection.ops.quote_name(Reminder._meta.db_table)
