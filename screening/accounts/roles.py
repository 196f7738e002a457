"""Staff roles as Django groups, and what each may do.

- clinician: works the review queue, sees answers and results, records reviews and labs,
  exports the queue, merges and splits patient records.
- receptionist: sees the queue (names, contact details, status), never answers, results
  or notes.
- clinic_admin: Django's admin (users, their authenticators and lockouts, schedules, the
  clinic settings) and the audit log; nothing clinical. Cannot make anyone a superuser,
  grant or remove a clinical role, or reset the password or second factor of anyone who holds one
  (`may_change_roles`, `may_reset_credentials`; screening/accounts/admin_staff.py).
- on_duty: no permissions of its own; clinicians in it receive urgent escalations.

The initial migration (screening/migrations/) creates the groups and gives them their
permissions; when a permission is added here, a new migration runs `roles_sync_migration`
again (idempotent) to keep them in step.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission, User
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

CLINICIAN = "clinician"
RECEPTIONIST = "receptionist"
CLINIC_ADMIN = "clinic_admin"
ON_DUTY = "on_duty"

# Roles that open patient data. Only a superuser grants or removes them, and only a
# superuser resets the password or second factor of someone who holds one: otherwise a
# clinic admin could make themselves a clinician, or take a clinician's account over.
CLINICAL_ROLES = frozenset({CLINICIAN})

# group -> permission codenames (app_label.codename)
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    CLINICIAN: (
        "screening.view_queue",
        "screening.review_submission",
        "screening.export_queue",
        "screening.merge_patients",
    ),
    RECEPTIONIST: ("screening.view_queue",),
    CLINIC_ADMIN: (
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
        "screening.view_auditevent",
        # Reset a lost authenticator, unlock a locked-out account.
        "otp_totp.view_totpdevice",
        "otp_totp.delete_totpdevice",
        "otp_static.view_staticdevice",
        "otp_static.delete_staticdevice",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        # See and change the reminder schedules (django-celery-beat).
        "django_celery_beat.view_periodictask",
        "django_celery_beat.change_periodictask",
        "django_celery_beat.view_crontabschedule",
        "django_celery_beat.view_intervalschedule",
        # See and revoke EHR clients of the FHIR API.
        "screening.view_apiclient",
        "screening.change_apiclient",
        # Edit the message templates clinicians send to patients.
        "screening.view_messagetemplate",
        "screening.add_messagetemplate",
        "screening.change_messagetemplate",
        "screening.delete_messagetemplate",
        # The clinic's own settings: name, phone, urgent lines, hours, privacy notice.
        "screening.view_clinicsettings",
        "screening.change_clinicsettings",
    ),
    ON_DUTY: (),
}


def holds_clinical_role(user: User) -> bool:
    """A superuser, a member of a clinical role, or anyone given permissions one by one
    (only a superuser can give those)."""
    return (
        user.is_superuser
        or user.groups.filter(name__in=CLINICAL_ROLES).exists()
        or user.user_permissions.exists()
    )


def may_reset_credentials(actor: AbstractBaseUser | AnonymousUser, target: User) -> bool:
    """May `actor` set `target`'s password or remove their second factor?"""
    return bool(getattr(actor, "is_superuser", False)) or not holds_clinical_role(target)


def may_change_roles(
    actor: AbstractBaseUser | AnonymousUser, before: Iterable[str], after: Iterable[str]
) -> bool:
    """May `actor` change someone's roles (group names) from `before` to `after`?"""
    changed = set(before) ^ set(after)
    return bool(getattr(actor, "is_superuser", False)) or not changed & CLINICAL_ROLES


def roles_sync(group_model: type[Group], permission_model: type[Permission]) -> None:
    """Create the groups and give them their permissions. Takes models so a migration
    can pass its historical ones.

    A permission whose model does not exist yet (in a migration that runs before the
    model's own) is skipped: the later migration that calls this again adds it.
    tests/screening/accounts/test_roles.py checks that, after all migrations, every group has
    exactly its permissions.
    """
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        permissions = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            permission = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:
                permissions.append(permission)
        group.permissions.set(permissions)


def roles_sync_migration(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """RunPython body for the migrations that (re)sync the roles: permissions are normally
    created after all migrations, so create them first, then sync with historical models."""
    for app_config in apps.get_app_configs():
        # create_permissions skips an app whose models_module is None (a historical
        # app's always is); any true value lets it through.
        app_config.models_module = True  # type: ignore[assignment]
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_sync(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))
