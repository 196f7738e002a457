"""The admin's pages about staff accounts: users, roles (groups), authenticators, backup
codes and lockouts. Separation of duties lives here.

A clinic admin (auth.change_user, nothing clinical) manages staff accounts, but:
- cannot make anyone a superuser or give permissions one by one (the fields are hidden),
  nor edit a superuser;
- cannot grant or remove a clinical role (`roles.may_change_roles`: the form refuses);
- cannot set the password or remove the authenticator or backup codes of anyone who
  holds a clinical role (`roles.may_reset_credentials`: 403).
A superuser can do all of it. Setting someone else's password, or removing their
authenticator or backup codes, is a *reset* (`screening.domain.staff_accounts`): every
second factor of theirs goes, and their next sign-in must choose a new password and
enrol a new authenticator. So does an account made here with a temporary password.
Every change on these pages writes an audit event (`AuditedChangesAdmin`).
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from screening.accounts.admin_audit import AuditedChangesAdmin
from screening.accounts.roles import may_change_roles, may_reset_credentials
from screening.domain.staff_accounts import ResetReason, credentials_reset
from screening.web.addresses import client_ip

CLINICAL_ROLE_ERROR = "Only a superuser can grant or remove a clinical role (clinician)."
RESET_BY_SUPERUSER_ONLY = (
    "Only a superuser can reset the password or second factor of someone with a clinical role."
)
RESET_DONE = (
    "Their authenticator and backup codes were removed: at their next sign-in they must "
    "choose a new password and set up their authenticator again."
)


class RoleGuardedUserForm(forms.ModelForm):
    """The user change form, refusing a change of clinical role by a non-superuser.
    `actor` (the admin's user) is set on a per-request subclass (ClinicUserAdmin.get_form)."""

    actor: ClassVar[User]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        password = self.fields.get("password")
        if password is not None and not may_reset_credentials(self.actor, self.instance):
            password.help_text = RESET_BY_SUPERUSER_ONLY

    def clean_groups(self) -> QuerySet[Group]:
        groups = self.cleaned_data["groups"]
        before = self.instance.groups.values_list("name", flat=True) if self.instance.pk else []
        if not may_change_roles(self.actor, before, [group.name for group in groups]):
            raise forms.ValidationError(CLINICAL_ROLE_ERROR)
        return groups


class ClinicUserAdmin(AuditedChangesAdmin, UserAdmin):
    """Django's user admin, minus what would let a clinic admin (who has auth.change_user)
    escalate: the superuser and permission fields, clinical roles, and the password of
    anyone clinical (see the module's docstring). Roles are given by group."""

    audit_what = "account.user"
    audit_object_type = "user"

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        hidden = {"is_superuser", "user_permissions"}
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
            for name, options in fieldsets
        ]

    def get_form(
        self, request: HttpRequest, obj: User | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:  # the add form: username and password only
            return form
        return type(form.__name__, (RoleGuardedUserForm, form), {"actor": request.user})

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if not change:  # a temporary password: the new member chooses their own
            credentials_reset(
                user=form.instance,
                by=cast(User, request.user),
                address=client_ip(request),
                reason="new_account",
            )

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Setting someone else's password is a reset; your own is changed (with your
        current password) on the staff page."""
        user = self.get_object(request, unquote(id))
        if user is not None and user.pk == request.user.pk:
            return redirect("staff_account:password_change")
        if user is not None and not may_reset_credentials(request.user, user):
            raise PermissionDenied
        with transaction.atomic():
            before = user.password if user is not None else None
            response = super().user_change_password(request, id, form_url)
            if user is not None and request.method == "POST":
                user.refresh_from_db(fields=["password"])
                if user.password != before:
                    credentials_reset(
                        user=user,
                        by=cast(User, request.user),
                        address=client_ip(request),
                        reason="password",
                    )
                    messages.info(request, RESET_DONE)
        return response


class ClinicGroupAdmin(AuditedChangesAdmin, GroupAdmin):
    """Roles: only superusers change them (clinic admins have auth.view_group); audited."""

    audit_what = "account.group"
    audit_object_type = "group"


class SecondFactorAdminMixin(AuditedChangesAdmin):
    """For the authenticator and backup-code admins. Deleting someone else's confirmed
    device is a reset (all their devices go; a new password and authenticator at their
    next sign-in); a clinic admin cannot touch a clinician's devices at all."""

    audit_object_type = "user"
    reset_reason: ClassVar[ResetReason]

    def audit_object_id(self, obj: Any) -> str:
        return str(obj.user_id)

    def _may_manage(self, request: HttpRequest, obj: Any) -> bool:
        return obj is None or may_reset_credentials(request.user, obj.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_manage(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_manage(request, obj) and super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not may_reset_credentials(request.user, obj.user):  # a device for someone else
            raise PermissionDenied
        super().save_model(request, obj, form, change)

    def _is_reset(self, request: HttpRequest, device: Any) -> bool:
        return bool(device.confirmed) and device.user_id != request.user.pk

    def _reset(self, request: HttpRequest, user: User) -> None:
        by = cast(User, request.user)
        credentials_reset(user=user, by=by, address=client_ip(request), reason=self.reset_reason)
        messages.info(request, RESET_DONE)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        if self._is_reset(request, obj):
            self._reset(request, obj.user)
        else:
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        with transaction.atomic():
            devices = list(queryset.select_related("user"))
            reset = {
                device.user_id: device.user for device in devices if self._is_reset(request, device)
            }
            plain = [device.pk for device in devices if device.user_id not in reset]
            for user in reset.values():
                self._reset(request, user)
            super().delete_queryset(request, queryset.filter(pk__in=plain))


class ClinicTOTPDeviceAdmin(SecondFactorAdminMixin, TOTPDeviceAdmin):
    audit_what = "account.totp"
    reset_reason = "totp"


class ClinicStaticDeviceAdmin(SecondFactorAdminMixin, StaticDeviceAdmin):
    audit_what = "account.backup_codes"
    reset_reason = "backup_codes"


class ClinicAccessAttemptAdmin(AuditedChangesAdmin, AccessAttemptAdmin):
    """Lockouts: deleting a row unlocks that username and address (audited). The event
    names the account by id only when the typed username is one (a typed name may be a
    password typed in the wrong box)."""

    audit_what = "account.lockout"
    audit_object_type = "user"

    def audit_object_id(self, obj: Any) -> str:
        user = User.objects.filter(username=obj.username).only("pk").first()
        return str(user.pk) if user else ""

    def audit_deletion_detail(self, obj: Any) -> dict:
        return {"deleted": True, "known_user": bool(self.audit_object_id(obj))}


for model, model_admin in (
    (User, ClinicUserAdmin),
    (Group, ClinicGroupAdmin),
    (TOTPDevice, ClinicTOTPDeviceAdmin),
    (StaticDevice, ClinicStaticDeviceAdmin),
    (AccessAttempt, ClinicAccessAttemptAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
