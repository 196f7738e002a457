"""Every change of an API client or a clinic setting (the periodic jobs and their schedules)
and every unlocked lockout writes an audit event (issue 12): who, what, whom, when, from
where. The staff-account pages are in test_separation_of_duties.py."""

from __future__ import annotations

import datetime
import io

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.forms import MultiWidget
from django.test import Client
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from screening.models import ApiClient, AuditEvent
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clinic_admin_client(clinic_admin) -> Client:
    return signed_in(Client(), clinic_admin)


def posted(form, **changes) -> dict:
    """What a browser posts back for an admin form, unchanged except for `changes`."""
    data: dict = {}
    for bound in form:
        if bound.field.disabled:
            continue
        names = [bound.html_name]
        if bound.field.show_hidden_initial:
            names.append(bound.html_initial_name)
        value, widget = bound.value(), bound.field.widget
        for name in names:
            if isinstance(widget, MultiWidget):
                parts = widget.decompress(value) if value else [None] * len(widget.widgets)
                for i, part in enumerate(parts):
                    data[f"{name}_{i}"] = "" if part is None else str(part)
            elif isinstance(value, bool):
                if value:
                    data[name] = "on"
            elif isinstance(value, list | tuple):
                data[name] = [str(v) for v in value]
            else:
                data[name] = "" if value is None else str(value)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def edit(client: Client, url: str, **changes):
    """Post an admin change form back with `changes` (its inlines unchanged)."""
    context = client.get(url).context
    data = posted(context["adminform"].form, **changes)
    for inline in context["inline_admin_formsets"]:
        data.update(posted(inline.formset.management_form))
        for form in inline.formset.forms:
            data.update(posted(form))
    return client.post(url, data)


@pytest.fixture
def periodic_task(db) -> PeriodicTask:
    every = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    return PeriodicTask.objects.create(
        name="escalations", task="screening.tasks.beat_heartbeat", interval=every
    )


def test_revoking_an_api_client_is_audited(time_machine, clinic_admin_client, clinic_admin):
    time_machine.move_to(START, tick=False)
    api_client = ApiClient.objects.create(
        name="Practice EHR", key_id="k1abc", token_hash="0" * 64, scopes=["read"]
    )

    response = edit(
        clinic_admin_client, f"/admin/screening/apiclient/{api_client.pk}/change/", active=None
    )

    assert response.status_code == 302
    [event] = AuditEvent.objects.filter(what="api_client")
    assert (event.actor, event.action, event.object_type, event.object_id) == (
        clinic_admin,
        "change",
        "api_client",
        "k1abc",
    )
    assert event.detail == {"changed": ["active"], "values": {"active": False}}
    assert (event.ip_address, event.created_at) == ("127.0.0.1", START)


def test_creating_an_api_client_on_the_command_line_is_audited():
    call_command("create_api_client", "Practice EHR", stdout=io.StringIO(), stderr=io.StringIO())

    api_client = ApiClient.objects.get()
    [event] = AuditEvent.objects.filter(what="api_client")
    assert (event.actor, event.object_id, event.ip_address) == (None, api_client.key_id, None)
    assert event.detail == {"added": True, "scopes": ["read"]}
    assert api_client.token_hash not in str(event.detail)


def test_changing_a_periodic_job_is_audited(clinic_admin_client, clinic_admin, periodic_task):
    response = edit(
        clinic_admin_client,
        f"/admin/django_celery_beat/periodictask/{periodic_task.pk}/change/",
        enabled=None,
    )

    assert response.status_code == 302
    periodic_task.refresh_from_db()
    assert periodic_task.enabled is False
    [event] = AuditEvent.objects.filter(what="setting.periodic_task")
    assert (event.actor, event.object_type, event.object_id) == (
        clinic_admin,
        "periodictask",
        str(periodic_task.pk),
    )
    assert event.detail["values"] == {"enabled": False}
    assert "enabled" in event.detail["changed"]


@pytest.mark.parametrize(
    ("action", "enabled_after"),
    [("disable_tasks", False), ("toggle_tasks", False), ("enable_tasks", True)],
)
def test_the_periodic_job_list_actions_are_audited(
    clinic_admin_client, clinic_admin, periodic_task, action, enabled_after
):
    response = clinic_admin_client.post(
        "/admin/django_celery_beat/periodictask/",
        {"action": action, "_selected_action": [periodic_task.pk]},
    )

    assert response.status_code == 302
    periodic_task.refresh_from_db()
    assert periodic_task.enabled is enabled_after
    [event] = AuditEvent.objects.filter(what="setting.periodic_task")
    assert (event.actor, event.object_id) == (clinic_admin, str(periodic_task.pk))
    assert event.detail["values"] == {"enabled": enabled_after}


def test_a_superusers_change_to_a_schedule_is_audited(admin_client, admin_user):
    crontab = CrontabSchedule.objects.create(minute="0", hour="7")

    response = edit(
        admin_client, f"/admin/django_celery_beat/crontabschedule/{crontab.pk}/change/", hour="8"
    )

    assert response.status_code == 302
    [event] = AuditEvent.objects.filter(what="setting.schedule")
    assert (event.actor, event.object_type, event.object_id) == (
        admin_user,
        "crontabschedule",
        str(crontab.pk),
    )
    assert event.detail == {"changed": ["hour"]}


def test_unlocking_a_lockout_is_audited_by_account_id(clinic_admin_client, clinic_admin, clinician):
    attempts = [
        AccessAttempt.objects.create(
            username=username,
            ip_address="127.0.0.1",
            user_agent="test",
            http_accept="*/*",
            path_info="/staff/account/login/",
            get_data="",
            post_data="",
            failures_since_start=5,
        )
        for username in ("clinician", "my secret password typed in the wrong box")
    ]

    response = clinic_admin_client.post(
        "/admin/axes/accessattempt/",
        {
            "action": "delete_selected",
            "_selected_action": [attempt.pk for attempt in attempts],
            "post": "yes",
        },
    )

    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    events = AuditEvent.objects.filter(what="account.lockout").order_by("object_id")
    assert [(e.actor, e.object_id, e.detail) for e in events] == [
        (clinic_admin, "", {"deleted": True, "known_user": False}),
        (clinic_admin, str(clinician.pk), {"deleted": True, "known_user": True}),
    ]
    assert "secret" not in str(list(events.values()))
