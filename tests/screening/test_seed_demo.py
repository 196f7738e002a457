"""seed_demo: the demo clinician and intakes that `make run` shows a newcomer."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from screening.models import Submission


@pytest.fixture
def debug_on(settings, tmp_path):
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path  # where the logins are kept between runs


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _printed(output: str, title: str, field: str) -> str:
    """The word after `field` in the block under `title`."""
    return output.split(title)[1].split(field)[1].split()[0].rstrip(",")


@pytest.mark.django_db
def test_seed_demo_creates_clinician_with_second_factor_and_prints_login(debug_on):
    output = _seed()

    user = User.objects.get(username="demo.clinician")
    assert sorted(user.groups.values_list("name", flat=True)) == ["clinician", "on_duty"]
    assert user.totpdevice_set.filter(confirmed=True).count() == 1
    backup_codes = list(user.staticdevice_set.get().token_set.values_list("token", flat=True))
    assert len(backup_codes) == 5
    password = output.split("password:")[1].split()[0]
    assert user.check_password(password)
    assert all(code in output for code in backup_codes)


@pytest.mark.django_db
def test_seed_demo_stores_the_worked_examples_once(debug_on):
    _seed()
    _seed()

    levels = dict(
        Submission.objects.filter(idempotency_key__startswith="demo-intake-").values_list(
            "idempotency_key", "level"
        )
    )
    assert levels == {
        "demo-intake-1": "review_soon",
        "demo-intake-2": "routine",
        "demo-intake-3": "no_flag",
        "demo-intake-4": "urgent",
        "demo-intake-5": "routine",
    }


@pytest.mark.django_db
def test_seed_demo_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG=true"):
        _seed()
    assert not User.objects.filter(username="demo.clinician").exists()


@pytest.mark.django_db
def test_seed_demo_reviews_a_demo_intake_with_its_follow_up_due_now(debug_on):
    from django.utils import timezone

    from screening.models import Reminder

    output = _seed()
    _seed()

    reminder = Reminder.objects.get(kind="follow_up")
    assert reminder.submission.idempotency_key == "demo-intake-2"
    assert reminder.submission.status == "reviewed"
    assert reminder.status == "pending"
    assert reminder.due_at <= timezone.now()
    assert "follow-up email is due now" in output


@pytest.mark.django_db
def test_seed_demo_creates_a_clinic_admin_and_prints_their_login(debug_on):
    output = _seed()

    admin = User.objects.get(username="demo.admin")
    assert admin.is_staff and not admin.is_superuser
    assert list(admin.groups.values_list("name", flat=True)) == ["clinic_admin"]
    assert admin.totpdevice_set.filter(confirmed=True).count() == 1
    assert admin.check_password(_printed(output, "Clinic admin:", "password:"))
    assert "http://127.0.0.1:8000/admin/" in output


@pytest.mark.django_db
def test_seed_demo_keeps_both_logins_across_runs(debug_on, tmp_path):
    first = _seed()
    User.objects.filter(username="demo.clinician").update(password="changed")
    second = _seed()

    for title in ("Clinician (on duty):", "Clinic admin:"):
        for field in ("password:", "the key", "backup code:"):
            assert _printed(first, title, field) == _printed(second, title, field)
    clinician = User.objects.get(username="demo.clinician")
    assert clinician.check_password(_printed(second, "Clinician (on duty):", "password:"))
    key = _printed(second, "Clinician (on duty):", "the key")
    assert _base32(clinician.totpdevice_set.get().bin_key) == key
    assert (tmp_path / "demo-logins.json").stat().st_mode & 0o077 == 0


@pytest.mark.django_db
def test_seed_demo_reset_logins_makes_new_ones(debug_on):
    first = _seed()
    second = _seed("--reset-logins")

    old = _printed(first, "Clinic admin:", "password:")
    new = _printed(second, "Clinic admin:", "password:")
    assert old != new
    assert User.objects.get(username="demo.admin").check_password(new)


@pytest.mark.django_db
def test_seed_demo_tells_where_to_read_the_emails(debug_on, settings):
    output = _seed()

    assert "http://127.0.0.1:8000/staff/dev/outbox/" in output
    assert str(settings.EMAIL_FILE_PATH) in output


def _base32(key: bytes) -> str:
    import base64

    return base64.b32encode(key).decode("ascii").rstrip("=")
