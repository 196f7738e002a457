"""seed_demo: the demo clinician and intakes that `make run` shows a newcomer."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from screening.models import Submission


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_seed_demo_creates_clinician_with_second_factor_and_prints_login(debug_on):
    output = _seed()

    user = User.objects.get(username="demo.clinician")
    assert list(user.groups.values_list("name", flat=True)) == ["clinician"]
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
