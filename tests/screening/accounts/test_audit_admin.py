"""The audit log: clinic admins read it in Django's admin; nobody can add, change or delete."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from screening.domain.queries.clinic import clinic_settings
from screening.models import AuditEvent
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:screening_auditevent_changelist")
PATIENT_ID = uuid.UUID("6f1c2a4e-0000-4000-8000-000000000001")


@pytest.fixture
def clinic_admin_client(clinic_admin) -> Client:
    return signed_in(Client(), clinic_admin)


def add_event(**fields) -> AuditEvent:
    values = {
        "actor_username": "clinician",
        "action": AuditEvent.Action.VIEW,
        "what": "submission.detail",
        "object_type": "submission",
        "object_id": "B12-AAAA-BBBB",
    }
    return AuditEvent.objects.create(**{**values, **fields})


@pytest.fixture
def events(clinician, receptionist) -> list[AuditEvent]:
    return [
        add_event(actor=clinician, patient_public_id=PATIENT_ID),
        add_event(
            actor=receptionist,
            actor_username="receptionist",
            action=AuditEvent.Action.LOGIN,
            what="account.login",
            object_type="",
            object_id="",
            created_at=datetime.datetime(2025, 1, 10, 9, 0, tzinfo=datetime.UTC),
        ),
        add_event(
            actor=clinician,
            action=AuditEvent.Action.EXPORT,
            what="queue.export",
            object_type="",
            object_id="",
        ),
    ]


def listed(client: Client, query: str = "") -> list[int]:
    """Primary keys of the rows the changelist shows."""
    response = client.get(CHANGELIST + query)
    assert response.status_code == 200
    return [event.pk for event in response.context["cl"].result_list]


def test_clinic_admin_sees_the_audit_log(clinic_admin_client, events):
    page = clinic_admin_client.get(CHANGELIST).content.decode()
    assert sorted(listed(clinic_admin_client)) == sorted(e.pk for e in events)
    assert "B12-AAAA-BBBB" in page
    assert "queue.export" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?action__exact=login", [1]),
        ("?what__exact=queue.export", [2]),
        ("?created_at__year=2025", [1]),
        ("?q=B12-AAAA-BBBB", [0]),
        ("?q=receptionist", [1]),
        (f"?q={PATIENT_ID}", [0]),
        ("?q=no-such-thing", []),
    ],
)
def test_clinic_admin_filters_and_searches(clinic_admin_client, events, query, expected):
    assert sorted(listed(clinic_admin_client, query)) == sorted(events[i].pk for i in expected)


def test_filter_by_actor(clinic_admin_client, events, receptionist):
    query = f"?actor__id__exact={receptionist.pk}"
    assert listed(clinic_admin_client, query) == [events[1].pk]


def test_patient_search_keeps_the_other_filters(clinic_admin_client, events):
    query = f"?q={PATIENT_ID}&action__exact=login"
    assert listed(clinic_admin_client, query) == []


def test_changelist_queries_do_not_grow_with_rows(clinic_admin_client, clinician):
    clinic_settings()  # cached, as in a running clinic: not part of the page's queries
    add_event(actor=clinician)
    with CaptureQueriesContext(connection) as one:
        listed(clinic_admin_client)
    for _ in range(4):
        add_event(actor=clinician)
    with CaptureQueriesContext(connection) as five:
        assert len(listed(clinic_admin_client)) == 5
    assert len(five) == len(one)


def test_detail_page_is_read_only(clinic_admin_client, events):
    url = reverse("admin:screening_auditevent_change", args=[events[0].pk])
    response = clinic_admin_client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert "B12-AAAA-BBBB" in page
    assert 'name="what"' not in page
    assert 'name="_save"' not in page


@pytest.mark.parametrize("who", ["clinic_admin_client", "admin_client"])
def test_nobody_can_add_change_or_delete(request, who, events):
    """Superusers included."""
    client = request.getfixturevalue(who)
    event = events[0]
    add = client.get(reverse("admin:screening_auditevent_add"))
    change = client.post(
        reverse("admin:screening_auditevent_change", args=[event.pk]), {"what": "edited"}
    )
    delete = client.post(
        reverse("admin:screening_auditevent_delete", args=[event.pk]), {"post": "yes"}
    )
    bulk_delete = client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    )
    assert add.status_code == 403
    assert change.status_code == 403
    assert delete.status_code == 403
    assert bulk_delete.status_code in (200, 302)  # "no action selected": nothing happens
    assert "delete_selected" not in client.get(CHANGELIST).content.decode()
    event.refresh_from_db()
    assert event.what == "submission.detail"
    assert AuditEvent.objects.count() == 3


@pytest.mark.parametrize("who", ["clinician", "receptionist"])
def test_clinical_staff_cannot_open_the_admin(request, who, events):
    client = signed_in(Client(), request.getfixturevalue(who))
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_admin_staff_without_the_permission_gets_403(events):
    user = User.objects.create_user("helpdesk", password="x", is_staff=True)
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    client = signed_in(Client(), user)
    assert client.get(CHANGELIST).status_code == 403


def test_clinic_admin_without_second_factor_is_refused(clinic_admin, events):
    client = Client()
    client.force_login(clinic_admin)
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# --- append-only at the model layer -----------------------------------------------------


def test_saving_an_existing_event_raises(events):
    event = events[0]
    event.what = "edited"
    with pytest.raises(PermissionError):
        event.save()
    event.refresh_from_db()
    assert event.what == "submission.detail"


def test_deleting_an_event_raises(events):
    with pytest.raises(PermissionError):
        events[0].delete()
    assert AuditEvent.objects.count() == 3


def test_queryset_update_and_delete_raise(events):
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=events[0].pk).update(what="edited")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(what="edited").count() == 0
    assert AuditEvent.objects.count() == 3


def test_deleting_a_user_keeps_their_events(events, receptionist):
    receptionist.delete()
    event = AuditEvent.objects.get(pk=events[1].pk)
    assert event.actor is None
    assert event.actor_username == "receptionist"
