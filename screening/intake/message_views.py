"""A message from the clinic: the link in the email (`emails.clinic_message`) opens it.

- The link carries only the outbox row's signed, expiring token (`screening.reminders.links`;
  REMINDER_LINK_MAX_AGE_DAYS), never an id of the message or the patient. It is not used
  up by opening: the patient may come back to read the message again while it works.
- The first page asks for the patient's date of birth. After
  `messages.DOB_MAX_ATTEMPTS` wrong dates the link locks for good and says to call the
  clinic. The right date opens the message for this browser session only.
- The message page shows the text (escaped; line breaks kept) and a form for one reply,
  which lands on the submission. A second reply, or the same one posted twice, is refused
  and stores nothing more.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from screening.domain import messages
from screening.domain.queries import messages as message_queries
from screening.intake.forms.messages import MessageDobForm, MessageReplyForm
from screening.intake.link_pages import LINK_ERRORS, link_error_problem, link_problem
from screening.models import PatientMessage, Reminder
from screening.reminders import links
from screening.web import languages

UNLOCKED_SESSION_KEY = "messages_unlocked"  # [public ids of the messages opened here]
REPLIED_SESSION_KEY = "message_replied"  # public id of the message just replied to


def _with_message_link(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Resolve the token to its message, or show why the link does not work. The pages
    are in the email's language unless the patient chose one (screening.web.languages)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, token: str) -> HttpResponse:
        try:
            reminder = links.reminder_from_token(token, kind=Reminder.Kind.CLINIC_MESSAGE)
        except LINK_ERRORS as error:
            return link_problem(request, problem=link_error_problem(error), purpose="message")
        message = message_queries.message_for_link(reminder=reminder)
        if message is None:
            return link_problem(request, problem="invalid", purpose="message")
        language = languages.link_language_use(request, reminder.language)  # the email's
        return languages.link_language_remember(view(request, message, token), language)

    return wrapper


def _unlocked(request: HttpRequest, message: PatientMessage) -> bool:
    return str(message.public_id) in request.session.get(UNLOCKED_SESSION_KEY, [])


def _locked(request: HttpRequest) -> HttpResponse:
    return render(request, "screening/messages/locked.html", {"title": _("This link is locked")})


@require_http_methods(["GET", "POST"])
@_with_message_link
def message_confirm(request: HttpRequest, message: PatientMessage, token: str) -> HttpResponse:
    """Confirm your date of birth to read the message."""
    if message.locked_at is not None:
        return _locked(request)
    if request.method == "GET":
        messages.message_link_open(message=message)
        if _unlocked(request, message):
            return redirect("screening:message_read", token=token)
    form = MessageDobForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        outcome = messages.message_unlock(
            message=message, date_of_birth=form.cleaned_data["date_of_birth"]
        )
        if outcome == "locked":
            return _locked(request)
        if outcome == "unlocked":
            opened = [*request.session.get(UNLOCKED_SESSION_KEY, []), str(message.public_id)]
            request.session[UNLOCKED_SESSION_KEY] = opened[-20:]
            return redirect("screening:message_read", token=token)
        message.refresh_from_db(fields=["failed_attempts"])
        form.add_error(
            "dob_day",
            _(
                "The date of birth does not match our records. Check it and try again "
                "(%(left)s tries left)."
            )
            % {"left": messages.attempts_left(message)},
        )
    context = {"title": _("You have a message from the clinic"), "form": form}
    return render(request, "screening/messages/confirm.html", context)


@require_http_methods(["GET", "POST"])
@_with_message_link
def message_read(request: HttpRequest, message: PatientMessage, token: str) -> HttpResponse:
    """The message, and the patient's one reply (POST)."""
    if message.locked_at is not None:
        return _locked(request)
    if not _unlocked(request, message):
        return redirect("screening:message", token=token)
    form = MessageReplyForm(request.POST if request.method == "POST" else None)
    refused = False
    if request.method == "POST" and form.is_valid():
        try:
            messages.message_reply(message=message, text=form.cleaned_data["reply"])
        except messages.ReplyRefused:
            refused = True
            message.refresh_from_db()
        else:
            request.session[REPLIED_SESSION_KEY] = str(message.public_id)
            return redirect("screening:message_read", token=token)
    just_replied = request.session.pop(REPLIED_SESSION_KEY, None) == str(message.public_id)
    context = {
        "title": _("Your message from the clinic"),
        "message": message,
        "form": form,
        "refused": refused,
        "just_replied": just_replied,
    }
    return render(request, "screening/messages/read.html", context)
