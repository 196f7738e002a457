"""After all migrations, every role group has exactly the permissions roles.py names."""

import pytest
from django.contrib.auth.models import Group

from screening.roles import ROLE_PERMISSIONS


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


@pytest.mark.django_db(transaction=True)
def test_roles_come_back_after_a_flush():
    """A transactional test flushes every table; post_migrate puts the groups back, so
    the next test (a live-server browser test, say) still finds its role groups."""
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)

    assert set(Group.objects.values_list("name", flat=True)) == set(ROLE_PERMISSIONS)
