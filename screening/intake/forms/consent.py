"""The patient's agreement before the first question (the "Before you start" page)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from screening.intake.forms.base import IntakeForm, radio_field

AGREE = "yes"


class ConsentForm(IntakeForm):
    care_consent = radio_field(
        [(AGREE, _("Yes, I agree")), ("no", _("No, I do not agree"))],
        _("Do you agree to the clinic using your answers for your care?"),
        _("Select yes if you agree to the clinic using your answers for your care"),
        help_text=_(
            "Whether the clinic can contact you by email is a separate question, asked later."
        ),
    )

    def agreed(self) -> bool:
        return self.cleaned_data["care_consent"] == AGREE
