"""Staff sign-in and account forms. The sign-in forms only check the shape of what was
typed: whether a password or code is right is decided in the views through `authenticate`
and `screening.accounts.signin`. The password forms are Django's, with the validators of
AUTH_PASSWORD_VALIDATORS."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm

from screening.accounts.signin import normalise_code


class LoginForm(forms.Form):
    username = forms.CharField(max_length=150, strip=True)
    password = forms.CharField(max_length=4096, strip=False, widget=forms.PasswordInput)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    username.widget.attrs.update(autocomplete="username", autocapitalize="none")
    password.widget.attrs.update(autocomplete="current-password")


class CodeForm(forms.Form):
    """A 6-digit authenticator code, or (when `allow_backup_code`) a backup code."""

    code = forms.CharField(max_length=32, strip=True)
    code.widget.attrs.update(
        autocomplete="one-time-code", autocapitalize="none", spellcheck="false"
    )

    def __init__(self, *args: Any, allow_backup_code: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allow_backup_code = allow_backup_code
        if not allow_backup_code:
            self.fields["code"].widget.attrs.update(inputmode="numeric")

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        is_totp = len(code) == 6 and code.isdigit()
        if not is_totp and not (self.allow_backup_code and 8 <= len(code) <= 16):
            if self.allow_backup_code:
                raise forms.ValidationError(
                    "Enter the 6-digit code from your authenticator app, or a backup code."
                )
            raise forms.ValidationError("Enter the 6-digit code from your authenticator app.")
        return code


class NewPasswordForm(SetPasswordForm):
    """The password chosen at the sign-in after an admin reset: never the one the admin
    set (or the old one), which someone else knows."""

    def clean_new_password1(self) -> str:
        password: str = self.cleaned_data["new_password1"]
        if self.user.check_password(password):
            raise forms.ValidationError(
                "Choose a new password, not the one you signed in with.", code="password_reused"
            )
        return password


class StaffPasswordChangeForm(PasswordChangeForm):
    """A signed-in staff member's own password change: the current password first."""

    old_password = forms.CharField(
        label="Current password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PasswordConfirmForm(forms.Form):
    """The current password again, before a change that matters (new backup codes)."""

    password = forms.CharField(
        label="Your password",
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
