"""The form a clinician sends a message to a patient with: a template, words of their own,
or both. It parses and validates; `screening.domain.messages` decides what may be sent."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.db.models import QuerySet

from screening.models import MESSAGE_FREE_TEXT_MAX_LENGTH, MessageTemplate
from screening.staff.forms import StaffForm


class MessageForm(StaffForm):
    """`message_id` is made when the form is shown: posting the same form twice sends once."""

    template = forms.ModelChoiceField(
        label="Template",
        queryset=MessageTemplate.objects.none(),
        required=False,
        empty_label="No template: my own words only",
        widget=forms.RadioSelect,
        help_text="The clinic's admins edit the templates. The patient reads the template "
        "in their language, then your words.",
    )
    text = forms.CharField(
        label="Your words (optional with a template)",
        required=False,
        max_length=MESSAGE_FREE_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=f"At most {MESSAGE_FREE_TEXT_MAX_LENGTH} characters. The email does not "
        "contain the message: the patient reads it after confirming their date of birth. "
        "No results or diagnoses: ask them to contact the clinic instead.",
        error_messages={
            "max_length": f"Your words must be {MESSAGE_FREE_TEXT_MAX_LENGTH} characters or fewer"
        },
    )
    message_id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args: Any, templates: QuerySet[MessageTemplate], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        template_field = self.fields["template"]
        assert isinstance(template_field, forms.ModelChoiceField)
        template_field.queryset = templates
        self.fields["text"].widget.attrs.pop("maxlength", None)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        empty = not cleaned.get("template") and not (cleaned.get("text") or "").strip()
        if empty and "text" not in self.errors:
            self.add_error("text", "Choose a template or write a message")
        return cleaned
