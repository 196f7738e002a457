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
