"""Settings that would only fail at send time are checked at start-up."""

from django.core.checks import run_checks


def test_valid_patient_email_hours_pass(settings):
    settings.PATIENT_EMAIL_HOURS = "08:00-20:00"
    assert [e.id for e in run_checks() if e.id.startswith("screening.")] == []


def test_malformed_patient_email_hours_fail_at_start_up(settings):
    settings.PATIENT_EMAIL_HOURS = "8am to 8pm"
    errors = [e for e in run_checks() if e.id == "screening.E001"]
    assert len(errors) == 1
    assert "PATIENT_EMAIL_HOURS" in errors[0].msg


def test_patient_email_hours_ending_before_they_start_fail(settings):
    settings.PATIENT_EMAIL_HOURS = "20:00-08:00"
    assert [e.id for e in run_checks()].count("screening.E001") == 1


def test_patient_email_hours_ending_at_24_00_pass(settings):
    settings.PATIENT_EMAIL_HOURS = "00:00-24:00"
    assert [e.id for e in run_checks() if e.id.startswith("screening.")] == []


def test_patient_email_hours_starting_at_24_00_fail_with_the_reason(settings):
    settings.PATIENT_EMAIL_HOURS = "24:00-08:00"
    errors = [e for e in run_checks() if e.id == "screening.E001"]
    assert [e.msg for e in errors] == [
        "PATIENT_EMAIL_HOURS may end at 24:00 but not start there (use 00:00): '24:00-08:00'"
    ]


def test_patient_email_hours_error_messages_say_what_is_expected(settings):
    settings.PATIENT_EMAIL_HOURS = "8am to 8pm"
    assert [e.msg for e in run_checks() if e.id == "screening.E001"] == [
        "PATIENT_EMAIL_HOURS must look like 08:00-20:00 (or 00:00-24:00), not '8am to 8pm'"
    ]
    settings.PATIENT_EMAIL_HOURS = "20:00-08:00"
    assert [e.msg for e in run_checks() if e.id == "screening.E001"] == [
        "PATIENT_EMAIL_HOURS must start before it ends (same day; 24:00 ends the day)."
    ]
