"""Messages to the patient of a submission: a clinician writes one (a template and/or
their own words); the patient's reply shows on the submission's record
(`staff/messages/_section.html`)."""

from __future__ import annotations

import uuid

from django.contrib import messages as flash
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from screening.accounts import access
from screening.accounts.access import StaffRequest
from screening.accounts.permissions import staff_view
from screening.domain import messages
from screening.domain.queries import messages as message_queries
from screening.staff.forms import posted
from screening.staff.message_forms import MessageForm
from screening.web.addresses import client_ip


@staff_view("screening.review_submission")
@require_http_methods(["GET", "POST"])
def message_new(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
    """Write and send a message; the email only says there is one and links to it."""
    submission = access.submission_for_staff(request, public_id, what="message.new")
    templates = message_queries.templates_offered()
    form = MessageForm(posted(request), templates=templates)
    refusal = messages.message_refusal(submission=submission)
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            _message, created = messages.message_send(
                submission=submission,
                by=request.user,
                address=client_ip(request),
                public_id=form.cleaned_data["message_id"],
                template=form.cleaned_data["template"],
                text=form.cleaned_data["text"],
            )
        except messages.MessageNotAllowed as error:
            form.add_error(None, str(error))
        else:
            if created:
                flash.success(request, "Message sent. The patient gets an email with a link to it.")
            else:
                flash.info(request, "That message was sent already; it was not sent again.")
            url = reverse("staff:submission", args=[submission.public_id])
            return redirect(f"{url}#messages-heading")
    context = {
        "title": f"Message the patient: {submission.reference}",
        "submission": submission,
        "form": form,
        "refusal": refusal,
        "templates": [
            (template, template.body_in(submission.patient.language)) for template in templates
        ],
    }
    return render(request, "staff/messages/new.html", context)
