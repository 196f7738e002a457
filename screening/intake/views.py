"""The patient intake pages: plain function views.

Each view parses the request, calls one service or selector, and renders. The steps,
the session draft and the answers conversion live in `screening.intake.steps`; what the
check-your-answers and get-help-now pages show in `screening.intake.display`; validation
in the `screening.intake.forms` package (one module per group of pages); writes in
`screening.domain` (intake, drafts).

No URL carries personal data or a database id: where the patient is in the journey,
and which submission is theirs, is kept in the session. The one exception is the signed
token of a link from an email (`screening.reminders.links`), as in the resume link here and the
follow-up pages (`screening.intake.follow_up_views`).
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from screening.domain import drafts
from screening.domain.intake import intake_send, intake_store_urgent
from screening.domain.queries import records
from screening.intake import answers_copy, privacy, progress, returning, sent, typed
from screening.intake import steps as intake
from screening.intake.display import advice_groups, check_sections
from screening.intake.honeypot import honeypot_guard
from screening.intake.link_pages import LINK_ERRORS, link_error_problem, link_problem
from screening.intake.steps import Draft, Step
from screening.intake.symptom_steps import durations_said
from screening.models import Reminder
from screening.reminders import links
from screening.web import languages, ratelimit


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """The public start page. POST "start again" throws away a draft in progress."""
    if request.method == "POST":
        intake.draft_clear(request.session)
        return redirect("screening:about_you")
    draft = intake.draft_load(request.session)
    return render(request, "screening/start.html", {"draft": draft})


def _redirect_to_unfinished(request: HttpRequest, draft: Draft, step: Step) -> HttpResponse:
    messages.warning(request, _("Please answer these questions first."))
    return redirect(step.url())


def _next_url(draft: Draft, step: Step, returning_to_check: bool, answer: str = "") -> str:
    """After a page is saved: back to check at the row changed (via any page that now
    applies), or onwards."""
    if returning_to_check:
        unfinished = intake.first_unfinished_step(draft)
        if unfinished is None:
            return returning.check_url(answer)
        return returning.return_url(unfinished.url(), answer)
    following = intake.step_after(draft, step)
    return following.url() if following is not None else returning.check_url()


@require_http_methods(["GET", "POST"])
@honeypot_guard
def question(request: HttpRequest, slug: str) -> HttpResponse:
    """One question page of the intake (the step named by `slug` in the URL conf)."""
    step = intake.STEPS_BY_SLUG[slug]
    draft = intake.draft_load(request.session)
    if typed.is_switch(request):
        return typed.language_switch(request, draft, step)
    if draft is None and (already := sent.already_sent(request)) is not None:
        return already
    if draft is None or draft.care_consent is None:  # no question before the agreement
        if draft is None and request.method == "POST":
            messages.warning(request, _("Your session has ended. Please start again."))
        return redirect("screening:consent")

    if not step.applies(draft):
        return redirect(_next_url(draft, step, returning_to_check=False))
    unfinished = intake.first_unfinished_step(draft)
    steps = intake.applicable_steps(draft)
    if unfinished is not None and steps.index(unfinished) < steps.index(step):
        return _redirect_to_unfinished(request, draft, unfinished)
    if intake.is_locked(draft, step):
        if step.slug == "urgent":
            return redirect("screening:get_help_now")
        messages.info(request, _("These answers have already been sent to the clinic."))
        return redirect(_next_url(draft, step, returning_to_check=True))

    returning_to_check = request.GET.get("return") == "check"
    answer = returning.answer_anchor(request) if returning_to_check else ""
    # "Save and come back later" is offered once the email is known (after "About you").
    saving = request.POST.get("action") == "save" and step.slug != "about-you"
    if request.method == "POST":
        form = step.form_class(request.POST, today=draft.intake_date, **step.form_kwargs(draft))
        if form.is_valid():
            intake.draft_answer(draft, step, form.session_data())
            typed.typed_drop(draft, step)
            draft.save(request.session)
            if step.slug == "urgent" and intake.draft_red_flags(draft):
                response = _urgent_store(request, draft)
                if saving:
                    _save_for_later(request, draft)
                return response  # the advice comes first, saved or not
            if saving:
                if _save_for_later(request, draft):
                    return redirect("screening:saved")
                return redirect(request.get_full_path())
            return redirect(_next_url(draft, step, returning_to_check, answer))
    else:
        form = typed.typed_form(draft, step) or step.form_class(
            initial=draft.steps.get(step.slug, {}),
            today=draft.intake_date,
            **step.form_kwargs(draft),
        )

    previous = intake.step_before(draft, step)
    after_about_you = step.slug != "about-you"
    context = {
        "form": form,
        "step": step,
        "title": step.title,
        "intro": step.intro,
        "back_url": (
            returning.check_url(answer)
            if returning_to_check
            else (previous.url() if previous else None)
        ),
        "progress": progress.progress_for(draft, step),
        "language_switch_form": typed.FORM_ID,
        "can_save": after_about_you and draft.contact_consent(),
        "save_needs_consent": after_about_you and not draft.contact_consent(),
    }
    return render(request, "screening/question.html", context)


def _save_for_later(request: HttpRequest, draft: Draft) -> bool:
    """Keep the draft in the database and schedule the email with the link back to it.

    Only with the patient's consent to be emailed (without the email there is no way
    back): otherwise say so; the page's answers are in the session either way.
    """
    if not draft.contact_consent():
        messages.warning(
            request,
            _(
                "To save your answers and come back later, we need to email you a link. "
                "You can change your answer about being contacted by email in “About you”, "
                "or carry on now."
            ),
        )
        return False
    data = draft.as_data()
    if not draft.saved_draft:
        # Name the saved draft before storing it, and keep the name in the session now:
        # if the response is lost and the patient presses Save again, the same draft
        # (and its one reminder) is updated rather than a second one made.
        draft.saved_draft = str(uuid.uuid4())
        draft.save(request.session)
        request.session.save()
    saved = drafts.intake_draft_save(
        public_id=draft.saved_draft,
        email=draft.steps["about-you"]["email"],
        data=data,
        language=get_language(),
    )
    draft.saved_draft = str(saved.public_id)
    draft.save(request.session)
    return True


@require_http_methods(["GET"])
def saved(request: HttpRequest) -> HttpResponse:
    """Your answers are saved: an email with a link will come. No health data here."""
    draft = intake.draft_load(request.session)
    saved_draft = (
        records.intake_draft_by_public_id(public_id=draft.saved_draft)
        if draft is not None and draft.saved_draft
        else None
    )
    if draft is None or saved_draft is None:
        return redirect("screening:start")
    link = records.intake_saved_link(draft=saved_draft)
    context = {
        "title": _("Your answers are saved"),
        "link_state": _link_state(link, saved_at=saved_draft.updated_at),
        "link_sent_at": link.sent_at if link is not None else None,
        "expires_at": saved_draft.expires_at,
        "reminder_hours": settings.UNFINISHED_INTAKE_REMINDER_HOURS,
        "continue_url": _continue_url(draft),
    }
    return render(request, "screening/saved.html", context)


def _link_state(link: Reminder | None, *, saved_at: datetime.datetime) -> str:
    """What the saved page says of the email with the link: "sending" (on its way),
    "sent" (since this save), "sent_before" (by an earlier save: its link opens the
    answers saved now, so it is not sent again) or "not_sent" (cancelled or failed)."""
    if link is None or link.status in (Reminder.Status.CANCELLED, Reminder.Status.FAILED):
        return "not_sent"
    if link.status != Reminder.Status.SENT or link.sent_at is None:
        return "sending"
    return "sent_before" if link.sent_at < saved_at else "sent"


@require_http_methods(["GET", "POST"])
def resume(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the unfinished-intake email. GET asks the patient to continue (so a
    mail scanner opening the link does not use it up); POST uses the link, puts the
    saved answers back in the session and goes to the first unanswered page."""
    try:
        reminder = links.reminder_from_token(token, kind=links.RESUME_KINDS)
    except LINK_ERRORS as error:
        return link_problem(request, problem=link_error_problem(error), purpose="resume")
    language = languages.link_language_use(request, reminder.language)  # the email's
    return languages.link_language_remember(_resume(request, reminder), language)


def _resume(request: HttpRequest, reminder: Reminder) -> HttpResponse:
    saved_draft = reminder.draft
    if saved_draft is None:
        return link_problem(request, problem="invalid", purpose="resume")
    if saved_draft.submitted_at is not None:
        return link_problem(request, problem="sent", purpose="resume")
    if saved_draft.expires_at <= timezone.now():
        return link_problem(request, problem="expired", purpose="resume")
    if request.method == "GET":
        return render(request, "screening/resume.html", {"title": _("Continue your form")})

    try:
        data = drafts.intake_draft_resume(reminder=reminder)
    except links.LinkUsed:
        return link_problem(request, problem="used", purpose="resume")
    if not data:  # nothing to restore: treat it as a link that does not work
        return link_problem(request, problem="invalid", purpose="resume")
    draft = intake.draft_restore(
        request.session,
        data=data,
        saved_draft=str(saved_draft.public_id),
        today=timezone.localdate(),
    )
    if intake.draft_red_flags(draft) and draft.urgent_submission is None:
        return _urgent_store(request, draft)  # the red-flag rule, whatever was saved
    return redirect(_continue_url(draft))


def _store_refused(request: HttpRequest, draft: Draft) -> HttpResponse | None:
    """An intake about to be stored as a new submission counts against the client's
    INTAKE_SUBMIT_RATE_LIMIT: over it, the 429 page (nothing stored; the draft is kept),
    which for a red flag answered yes says first where to get care today. A send that
    completes the submission a red flag stored is not a new one and is not counted."""
    if draft.urgent_submission is not None:
        return None
    red_flags = intake.draft_red_flags(draft)
    context = {"title": _("Get help now"), "advice_groups": advice_groups(red_flags)}
    return ratelimit.intake_store_refused(request, context=context if red_flags else None)


def _urgent_store(request: HttpRequest, draft: Draft) -> HttpResponse:
    """A red flag: store what we have now, then show where to get care today."""
    refused = _store_refused(request, draft)
    if refused is not None:
        return refused
    submission = intake_store_urgent(
        answers=intake.answers_from_steps(draft),
        patient_details=intake.patient_details_from_steps(draft),
        idempotency_key=draft.idempotency_key,
        language=get_language(),
        client_tag=ratelimit.client_tag(request),
        care_consent=privacy.care_consent(draft),
        free_text=intake.free_text_from_steps(draft),
        durations=durations_said(draft.steps),
    )
    draft.urgent_submission = str(submission.public_id)
    draft.save(request.session)
    return redirect("screening:get_help_now")


@require_http_methods(["GET"])
def get_help_now(request: HttpRequest) -> HttpResponse:
    """Where to get care today, by red flag, with the reference of the stored answers."""
    draft = intake.draft_load(request.session)
    public_id = draft.urgent_submission if draft else None
    if public_id is None:
        public_id = request.session.get(intake.DONE_SESSION_KEY, {}).get("urgent_submission")
    submission = records.submission_by_public_id(public_id=public_id) if public_id else None
    if submission is None:
        return redirect("screening:start")
    red_flags = [row.code for row in submission.red_flags.all() if row.answer]
    context = {
        "title": _("Get help now"),
        "submission": submission,
        "advice_groups": advice_groups(red_flags),
        "continue_url": _continue_url(draft) if draft is not None else None,
    }
    return render(request, "screening/get_help_now.html", context)


def _continue_url(draft: Draft) -> str:
    unfinished = intake.first_unfinished_step(draft)
    return unfinished.url() if unfinished is not None else returning.check_url()


@require_http_methods(["GET", "POST"])
@honeypot_guard
def check(request: HttpRequest) -> HttpResponse:
    """Check your answers; its POST sends the intake (the final, idempotent step)."""
    draft = intake.draft_load(request.session)
    done = request.session.get(intake.DONE_SESSION_KEY, {})
    if request.method == "POST":
        posted_key = request.POST.get("idempotency_key", "")
        if posted_key and posted_key == done.get("idempotency_key"):
            return redirect("screening:done")  # replayed or double-clicked: same confirmation
        if draft is None:
            return render(
                request, "screening/session_ended.html", {"title": _("Your session has ended")}
            )
        if posted_key != draft.idempotency_key:
            messages.warning(request, _("Please check your answers and send them again."))
            return redirect("screening:check")
    elif draft is None:
        return sent.already_sent(request) or redirect("screening:start")
    if draft.care_consent is None:
        return redirect("screening:consent")

    unfinished = intake.first_unfinished_step(draft)
    if unfinished is not None:
        return _redirect_to_unfinished(request, draft, unfinished)

    if request.method == "POST":
        refused = _store_refused(request, draft)
        if refused is not None:
            return refused
        submission = intake_send(
            answers=intake.answers_from_steps(draft),
            patient_details=intake.patient_details_from_steps(draft),
            idempotency_key=draft.idempotency_key,
            language=get_language(),
            saved_draft=draft.saved_draft,
            client_tag=ratelimit.client_tag(request),
            care_consent=privacy.care_consent(draft),
            free_text=intake.free_text_from_steps(draft),
            durations=durations_said(draft.steps),
        )
        request.session[intake.DONE_SESSION_KEY] = {
            "idempotency_key": draft.idempotency_key,
            "submission": str(submission.public_id),
            "urgent_submission": draft.urgent_submission,
        }
        answers_copy.copy_keep(request.session, draft, str(submission.public_id))
        intake.draft_clear(request.session)
        return redirect("screening:done")

    context = {
        "title": _("Check your answers before sending them"),
        "sections": check_sections(draft),
        "idempotency_key": draft.idempotency_key,
        "urgent_sent": draft.urgent_submission is not None,
        "back_url": intake.applicable_steps(draft)[-1].url(),
    }
    return render(request, "screening/check.html", context)


@require_http_methods(["GET"])
def done(request: HttpRequest) -> HttpResponse:
    """Confirmation: the reference and what happens next. No level, score or diagnosis."""
    public_id = request.session.get(intake.DONE_SESSION_KEY, {}).get("submission")
    submission = records.submission_by_public_id(public_id=public_id) if public_id else None
    if submission is None:
        return redirect("screening:start")
    context = {
        "title": _("Your answers have been sent"),
        "submission": submission,
        "answers_copy": answers_copy.copy_load(request.session, public_id) is not None,
        "copy_minutes": answers_copy.COPY_MINUTES,
    }
    return render(request, "screening/done.html", context)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form posted without a valid CSRF token: almost always an expired session or a
    page left open too long. Say so plainly instead of Django's technical 403 page."""
    return render(
        request,
        "screening/session_ended.html",
        {"title": _("Your session has ended")},
        status=403,
    )
