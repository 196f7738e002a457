"""The follow-up check-in: the link in the follow-up email, a set time after a clinician's
decision, opens two short pages of the intake again (how you feel, urgent symptoms).

- Each page checks the signed link (`screening.reminders.links`) but does not use it up, so a mail
  scanner that opens the link leaves it working. The final POST uses it, in the same
  transaction as the new submission (`screening.domain.intake.follow_up_submit`): a second
  POST, or a second browser, gets the "already used" page and stores nothing.
- Answers so far live in the session under the reminder's public id; the only id in a
  URL is the signed token.
- The answers are screened like an intake's; a red flag shows the same "get help now"
  advice. The confirmation shows no level or score.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from screening.domain.intake import follow_up_submit
from screening.domain.queries import records
from screening.intake import steps as intake
from screening.intake.display import advice_groups
from screening.intake.forms.base import IntakeForm
from screening.intake.forms.symptoms import SymptomsForm, UrgentForm
from screening.intake.link_pages import LINK_ERRORS, link_error_problem, link_problem
from screening.intake.symptom_steps import symptoms_answers_one_page
from screening.models import Reminder, Submission
from screening.reminders import links
from screening.web import languages

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PROGRESS_SESSION_KEY = "follow_up"  # {reminder public id: {"symptoms": {...}}}
DONE_SESSION_KEY = "follow_up_done"  # {"submission": public id}

SYMPTOMS_INTRO = gettext_lazy(
    "The clinic would like to know how you are now. For each of these, tell us if you "
    "have it now. If you have, tell us how much it bothers you and how long you have had it."
)


def _with_follow_up_link(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Resolve the token to its follow-up reminder, or show why the link does not work.
    The pages are in the email's language unless the patient chose one (screening.web.languages)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, token: str) -> HttpResponse:
        try:
            reminder = links.reminder_from_token(token, kind=Reminder.Kind.FOLLOW_UP)
        except LINK_ERRORS as error:
            return link_problem(request, problem=link_error_problem(error), purpose="follow_up")
        if reminder.submission_id is None:
            return link_problem(request, problem="invalid", purpose="follow_up")
        language = languages.link_language_use(request, reminder.language)  # the email's
        return languages.link_language_remember(view(request, reminder, token), language)

    return wrapper


def _progress(request: HttpRequest, reminder: Reminder) -> dict[str, Any]:
    return request.session.get(PROGRESS_SESSION_KEY, {}).get(str(reminder.public_id), {})


def _progress_save(request: HttpRequest, reminder: Reminder, pages: dict[str, Any] | None) -> None:
    """Store this follow-up's pages (None: forget them). Reassigned, so the session saves."""
    progress = dict(request.session.get(PROGRESS_SESSION_KEY, {}))
    if pages is None:
        progress.pop(str(reminder.public_id), None)
    else:
        progress[str(reminder.public_id)] = pages
    request.session[PROGRESS_SESSION_KEY] = progress


def _page(
    request: HttpRequest,
    form: IntakeForm,
    *,
    title: StrOrPromise,
    intro: StrOrPromise,
    back_url: str | None,
    submit_label: StrOrPromise,
) -> HttpResponse:
    context = {
        "form": form,
        "title": title,
        "intro": intro,
        "back_url": back_url,
        "submit_label": submit_label,
    }
    return render(request, "screening/question.html", context)


@require_http_methods(["GET", "POST"])
@_with_follow_up_link
def symptoms(request: HttpRequest, reminder: Reminder, token: str) -> HttpResponse:
    """Page 1: how you feel now (the intake's symptoms page)."""
    today = timezone.localdate()
    pages = _progress(request, reminder)
    if request.method == "POST":
        form = SymptomsForm(request.POST, today=today)
        if form.is_valid():
            _progress_save(request, reminder, {**pages, "symptoms": form.session_data()})
            return redirect("screening:follow_up_urgent", token=token)
    else:
        form = SymptomsForm(initial=pages.get("symptoms", {}), today=today)
    return _page(
        request,
        form,
        title=_("How you feel now"),
        intro=SYMPTOMS_INTRO,
        back_url=None,
        submit_label=_("Continue"),
    )


@require_http_methods(["GET", "POST"])
@_with_follow_up_link
def urgent(request: HttpRequest, reminder: Reminder, token: str) -> HttpResponse:
    """Page 2: urgent symptoms; its POST sends the follow-up (once per link)."""
    today = timezone.localdate()
    pages = _progress(request, reminder)
    if "symptoms" not in pages:
        return redirect("screening:follow_up", token=token)
    if request.method == "POST":
        form = UrgentForm(request.POST, today=today)
        if form.is_valid():
            answers = follow_up_answers({**pages, "urgent": form.session_data()})
            assert reminder.submission is not None  # _with_follow_up_link turned others away
            try:
                submission = follow_up_submit(
                    original=reminder.submission,
                    answers=answers,
                    reminder=reminder,
                    language=get_language(),
                )
            except links.LinkUsed:
                return link_problem(request, problem="used", purpose="follow_up")
            _progress_save(request, reminder, None)
            request.session[DONE_SESSION_KEY] = {"submission": str(submission.public_id)}
            if form.red_flags():
                return redirect("screening:follow_up_get_help_now")
            return redirect("screening:follow_up_done")
    else:
        form = UrgentForm(initial=pages.get("urgent", {}), today=today)
    return _page(
        request,
        form,
        title=_("Urgent symptoms"),
        intro=intake.STEPS_BY_SLUG["urgent"].intro,
        back_url=reverse("screening:follow_up", kwargs={"token": token}),
        submit_label=_("Send my answers"),
    )


def _done_submission(request: HttpRequest) -> Submission | None:
    public_id = request.session.get(DONE_SESSION_KEY, {}).get("submission")
    return records.submission_by_public_id(public_id=public_id) if public_id else None


@require_http_methods(["GET"])
def get_help_now(request: HttpRequest) -> HttpResponse:
    """A red flag in the follow-up: the same advice page as the intake's."""
    submission = _done_submission(request)
    if submission is None:
        return redirect("screening:start")
    red_flags = [row.code for row in submission.red_flags.all() if row.answer]
    context = {
        "title": _("Get help now"),
        "submission": submission,
        "advice_groups": advice_groups(red_flags),
        "continue_url": None,
    }
    return render(request, "screening/get_help_now.html", context)


@require_http_methods(["GET"])
def done(request: HttpRequest) -> HttpResponse:
    """Thank you: the clinic will look at the answers. No level, score or diagnosis."""
    submission = _done_submission(request)
    if submission is None:
        return redirect("screening:start")
    context = {"title": _("Thank you"), "submission": submission}
    return render(request, "screening/follow_up_done.html", context)


def follow_up_answers(pages: dict[str, Any]) -> dict[str, Any]:
    """The follow-up check-in's answers from its two pages, the intake's symptoms and
    urgent pages asked again (session data keyed "symptoms" and "urgent").

    `screening.domain.intake.follow_up_submit` adds the age on the day.
    """
    return {
        "symptoms": symptoms_answers_one_page(pages["symptoms"]),
        "red_flags": intake.red_flags_answers(pages["urgent"]),
    }
