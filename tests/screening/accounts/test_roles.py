"""After all migrations, every role group has exactly the permissions roles.py names."""

import pytest
from django.contrib.auth.models import Group

from screening.accounts.roles import ROLE_PERMISSIONS


@pytest.mark.django_db
def test_every_role_has_exactly_its_permissions_after_migrations():
    for name, codenames in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=name)
        granted = {
            f"{app_label}.{codename}"
            for app_label, codename in group.permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        assert granted == set(codenames), name


@pytest.mark.django_db
def test_receptionist_has_no_clinical_permission():
    group = Group.objects.get(name="receptionist")
    assert list(group.permissions.values_list("codename", flat=True)) == ["view_queue"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_staff_personas_work_after_a_flush(django_user_model):
    """A transactional test flushes every table, the migrations' groups with it; the
    personas bring the groups back, so a later live-server test still has its roles."""
    from django.core.management import call_command

    from tests.conftest import _staff_user

    call_command("flush", interactive=False, verbosity=0)
    user = _staff_user("after.flush", "clinician")

    assert list(user.groups.values_list("name", flat=True)) == ["clinician"]
    assert user.has_perm("screening.review_submission")
