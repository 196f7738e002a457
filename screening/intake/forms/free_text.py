"""The patient's own words: "other medicines" (on the "Diet, medicines and health" page,
next to the checklist) and "Anything else you want the clinic to know?" (its own page).

Free text is not an answer: `screening.intake.steps.free_text_from_steps` takes it out of
the draft apart from the answers, and the screening rules never see it
(docs/answers-extensions.md, "Free text is not an answer"). Each box has a bound
(`screening.models.FREE_TEXT_MAX_LENGTHS`) that the page states and checks; the browser
is not told it (no `maxlength`), so pasted text is never cut short without a word.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from screening.domain.text import plain_text
from screening.intake.forms.base import IntakeForm
from screening.models import FREE_TEXT_MAX_LENGTHS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class FreeTextField(forms.CharField):
    """A text box for the patient's own words: line breaks as "\\n", no bidi controls
    (as they are stored, `screening.domain.text.free_text_clean`), at most `max_length`
    characters with a message that says so, and no `maxlength` for the browser."""

    def __init__(self, *, name: str, rows: int, **kwargs: Any) -> None:
        bound = FREE_TEXT_MAX_LENGTHS[name]
        too_long = kwargs.pop("too_long_message")
        super().__init__(
            required=False,
            max_length=bound,
            widget=forms.Textarea(attrs={"rows": rows, "spellcheck": "true"}),
            error_messages={"max_length": too_long},
            **kwargs,
        )

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        return plain_text(text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _count(name: str) -> str:
    """A box's bound as the request's language writes it (1,200; 1 200 in Spanish)."""
    return number_format(FREE_TEXT_MAX_LENGTHS[name], force_grouping=True)


def _help(text: StrOrPromise, name: str) -> str:
    up_to = str(_("You can enter up to %(count)s characters.")) % {"count": _count(name)}
    return f"{text} {up_to}"


def _too_long(message: StrOrPromise, name: str) -> str:
    return str(message) % {"count": _count(name)}


# Lazy: the fields are made once, at import; their words are the request's.
help_lazy = lazy(_help, str)
too_long_lazy = lazy(_too_long, str)


def other_medicines_field() -> FreeTextField:
    """Next to the medicines checklist (`RiskFactorsForm`)."""
    return FreeTextField(
        name="other_medicines",
        rows=3,
        label=_("Other medicines you take (optional)"),
        help_text=help_lazy(
            _(
                "For example, a medicine that is not in the list above, or one you are not "
                "sure about."
            ),
            "other_medicines",
        ),
        too_long_message=too_long_lazy(
            _("Other medicines must be %(count)s characters or fewer"), "other_medicines"
        ),
    )


class AnythingElseForm(IntakeForm):
    """The last question page: anything else, in the patient's words (optional)."""

    anything_else = FreeTextField(
        name="anything_else",
        rows=6,
        label=_("Your message to the clinic (optional)"),
        help_text=help_lazy(
            _(
                "For example, other health problems, questions you have, or anything that "
                "makes it hard for you to come to the clinic."
            ),
            "anything_else",
        ),
        too_long_message=too_long_lazy(
            _("Your message must be %(count)s characters or fewer"), "anything_else"
        ),
    )
