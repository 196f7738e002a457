"""Switching language on a question page without losing what was typed on it.

On a question page the language buttons belong to the page's form (`form="question-form"`,
name `switch_language`): pressing one sends the fields as they are, without JavaScript.
The view keeps them in the draft unchecked (`Draft.typed`), sets the language cookie and
shows the page again in the other language with them filled in and no error messages:
nothing was sent yet, so nothing is checked. Sending the page (Continue, Save) checks
them as usual and drops the kept copy. See docs/intake.md, "Language switch".
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect

from screening.intake.forms.base import IntakeForm
from screening.intake.steps import Draft, Step
from screening.web import languages

SWITCH_FIELD = "switch_language"
FORM_ID = "question-form"  # the question page's <form id>, which the buttons send
# Bounds on what is kept unchecked: a page's own fields only, each value cut to this.
MAX_VALUES = 20
MAX_CHARS = 5000


def is_switch(request: HttpRequest) -> bool:
    return request.method == "POST" and SWITCH_FIELD in request.POST


def typed_keep(draft: Draft, step: Step, data: QueryDict) -> None:
    """Keep the page's fields as posted (only its own fields, bounded), unchecked."""
    form = step.form_class(today=draft.intake_date, **step.form_kwargs(draft))
    names = [form[name].html_name for name in form.fields]
    draft.typed[step.slug] = {
        name: [value[:MAX_CHARS] for value in data.getlist(name)[:MAX_VALUES]]
        for name in names
        if name in data
    }


def typed_form(draft: Draft, step: Step) -> IntakeForm | None:
    """The page's form filled in with what was kept when the language was switched,
    without error messages (it was not sent, so nothing is checked); None if nothing
    was kept. The values are the form's initial ones: a box left empty stays empty."""
    typed = draft.typed.get(step.slug)
    if typed is None:
        return None
    kwargs = step.form_kwargs(draft)  # a symptom details page's symptoms
    fields = step.form_class(today=draft.intake_date, **kwargs).fields
    initial: dict[str, Any] = {}
    for name, field in fields.items():
        values = typed.get(name)
        if values is None:
            continue
        several = getattr(field.widget, "allow_multiple_selected", False)
        initial[name] = values if several else (values[0] if values else "")
    return step.form_class(initial=initial, today=draft.intake_date, **kwargs)


def language_switch(request: HttpRequest, draft: Draft | None, step: Step) -> HttpResponse:
    """Keep what was typed (when there is a draft), switch language, show the page again."""
    if draft is not None:
        typed_keep(draft, step, request.POST)
        draft.save(request.session)
    language = request.POST[SWITCH_FIELD]
    response = redirect(request.get_full_path())
    if language in dict(settings.LANGUAGES):
        languages.language_remember(response, language)
    return response


def typed_drop(draft: Draft, step: Step) -> dict[str, Any] | None:
    """The page was sent: its kept copy is no longer needed."""
    return draft.typed.pop(step.slug, None)
