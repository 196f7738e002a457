"""The pages of a message from the clinic: confirm your date of birth, then reply once."""

from __future__ import annotations

from typing import Any

from crispy_forms.layout import Layout
from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from screening.domain.text import plain_text
from screening.intake.forms.base import (
    IntakeForm,
    cleaned_date_of_birth,
    date_of_birth_fields,
    date_of_birth_fieldset,
)
from screening.models import MESSAGE_REPLY_MAX_LENGTH


class MessageDobForm(IntakeForm):
    """The date of birth that opens the message (the same three boxes as "About you")."""

    dob_day, dob_month, dob_year = date_of_birth_fields()

    def build_layout(self) -> Layout:
        return Layout(date_of_birth_fieldset())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        date_of_birth = cleaned_date_of_birth(self, cleaned)
        if date_of_birth is not None:
            cleaned["date_of_birth"] = date_of_birth
        return cleaned


class MessageReplyForm(IntakeForm):
    """The patient's one reply. The bound is stated and checked; the browser is not told
    it (no `maxlength`), so pasted text is never cut short without a word. Built per form:
    its words are in the request's language."""

    def page_fields(self) -> dict[str, forms.Field]:
        count = number_format(MESSAGE_REPLY_MAX_LENGTH, force_grouping=True)
        field = forms.CharField(
            label=_("Your reply"),
            max_length=MESSAGE_REPLY_MAX_LENGTH,
            help_text=_("You can reply once, in up to %(count)s characters.") % {"count": count},
            widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "true"}),
            error_messages={
                "required": _("Enter your reply"),
                "max_length": _("Your reply must be %(count)s characters or fewer")
                % {"count": count},
            },
        )
        field.widget.attrs.pop("maxlength", None)
        return {"reply": field}

    def clean_reply(self) -> str:
        text = self.cleaned_data["reply"].replace("\r\n", "\n").replace("\r", "\n")
        return plain_text(text).strip()
