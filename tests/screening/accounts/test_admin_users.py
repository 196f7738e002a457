"""Clinic admins manage staff in Django's admin without being able to escalate, and
admin views of patient records are audited like staff pages."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from screening.models import AuditEvent
from tests.conftest import signed_in
from tests.factories import SubmissionFactory, TaskFactory


@pytest.fixture
def clinic_admin_client(clinic_admin) -> Client:
    return signed_in(Client(), clinic_admin)


def test_clinic_admin_user_form_has_no_superuser_or_permissions_fields(
    clinic_admin_client, clinic_admin
):
    response = clinic_admin_client.get(f"/admin/auth/user/{clinic_admin.pk}/change/")

    assert response.status_code == 200
    assert b'name="is_superuser"' not in response.content
    assert b'name="user_permissions"' not in response.content
    assert b'name="groups"' in response.content


def test_clinic_admin_cannot_make_themselves_superuser(clinic_admin_client, clinic_admin):
    response = clinic_admin_client.get(f"/admin/auth/user/{clinic_admin.pk}/change/")
    form = response.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "groups": [g.pk for g in clinic_admin.groups.all()],
            "is_superuser": "on",
            "is_staff": "on",
            "is_active": "on",
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2025-01-01",
            "date_joined_1": "00:00:00",
        }
    )

    response = clinic_admin_client.post(f"/admin/auth/user/{clinic_admin.pk}/change/", data)

    assert response.status_code == 302  # the form was valid and saved...
    clinic_admin.refresh_from_db()
    assert clinic_admin.is_superuser is False


def test_clinic_admin_cannot_edit_a_superuser(clinic_admin_client, admin_user):
    response = clinic_admin_client.get(f"/admin/auth/user/{admin_user.pk}/change/")

    assert response.status_code == 200  # read-only view: clinic admins have view_user
    assert b'name="username"' not in response.content


def test_superuser_still_sees_superuser_field(admin_client, clinic_admin):
    response = admin_client.get(f"/admin/auth/user/{clinic_admin.pk}/change/")

    assert b'name="is_superuser"' in response.content


def test_admin_view_of_a_submission_is_audited(admin_client, admin_user):
    submission = SubmissionFactory()

    response = admin_client.get(f"/admin/screening/submission/{submission.pk}/change/")

    assert response.status_code == 200
    event = AuditEvent.objects.get(what="admin.submission")
    assert (event.actor, event.action, event.object_id, event.patient_public_id) == (
        admin_user,
        "view",
        str(submission.public_id),
        submission.patient.public_id,
    )


def test_admin_view_of_a_task_is_audited_and_read_only(admin_client, admin_user):
    task = TaskFactory()

    response = admin_client.get(f"/admin/screening/task/{task.pk}/change/")
    admin_client.get("/admin/screening/task/?q=B12")

    assert response.status_code == 200
    assert b'name="note"' not in response.content  # read-only
    event = AuditEvent.objects.get(what="admin.task")
    assert (event.actor, event.action, event.object_id, event.patient_public_id) == (
        admin_user,
        "view",
        str(task.public_id),
        task.submission.patient.public_id,
    )
    assert AuditEvent.objects.get(what="admin.task_list").detail == {"searched": True}
    assert admin_client.get("/admin/screening/task/add/").status_code == 403


def test_admin_patient_list_audit_does_not_store_search_words(admin_client):
    SubmissionFactory()

    admin_client.get("/admin/screening/patient/?q=Ann+Example")

    event = AuditEvent.objects.get(what="admin.patient_list")
    assert event.detail == {"searched": True}
    assert "Ann" not in str(event.detail)
    assert User.objects.filter(is_superuser=True).count() == 1


def test_clinic_admin_can_revoke_an_api_client_but_not_add_one(clinic_admin_client):
    from screening.models import ApiClient

    api_client = ApiClient.objects.create(
        name="EHR", key_id="k1", token_hash="0" * 64, scopes=["read"]
    )

    add = clinic_admin_client.get("/admin/screening/apiclient/add/")
    change = clinic_admin_client.post(
        f"/admin/screening/apiclient/{api_client.pk}/change/", {"active": ""}
    )

    assert add.status_code == 403
    assert change.status_code == 302
    api_client.refresh_from_db()
    assert api_client.active is False
