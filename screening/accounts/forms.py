"""Staff sign-in forms: they only check the shape of what was typed. Whether a password or
code is right is decided in the views through `authenticate` and `screening.accounts.signin`."""

from __future__ import annotations

from typing import Any

from django import forms

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
