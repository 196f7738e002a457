"""One patient's record: a possible match confirmed, merge, split, export, erase."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from screening.accounts import access
from screening.accounts.access import StaffRequest
from screening.accounts.permissions import staff_view
from screening.domain import exports as patient_exports
from screening.domain import patients, retention
from screening.domain.queries import records
from screening.models import Patient, Submission
from screening.staff import display
from screening.staff.forms import (
    MatchConfirmForm,
    MergeConfirmForm,
    MergeTargetForm,
    PatientEraseForm,
    SplitForm,
    posted,
)
from screening.web.addresses import client_ip

# --- Patients: record, merge, split ---------------------------------------------------


def _patient_url(patient: Patient) -> str:
    return reverse("staff:patient", args=[patient.public_id])


@staff_view("screening.review_submission")
@require_GET
def patient_detail(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
    """One patient: details, submissions, and any merge history. An erased record's old
    link (a bookmark, the audit trail) says when and why it was erased: 410 Gone."""
    try:
        patient = access.patient_for_staff(request, public_id)
    except access.PatientErased as erased:
        context = {"title": "Patient record erased", "tombstone": erased.tombstone}
        return render(request, "staff/patient_erased.html", context, status=410)
    context = {
        "title": f"Patient {patient.full_name}",
        **records.patient_record(patient=patient),
        "may_merge": request.user.has_perm("screening.merge_patients")
        and patient.merged_into_id is None,
    }
    return render(request, "staff/patient_detail.html", context)


@staff_view("screening.merge_patients")
@require_http_methods(["GET", "POST"])
def submission_match(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
    """A possible match: the record and the intake's details side by side; confirm it
    (taking the details chosen onto the record), or go on to split it off."""
    submission = access.submission_for_staff(request, public_id, what="submission.match")
    submission_url = reverse("staff:submission", args=[submission.public_id])
    if submission.identity_status != Submission.IdentityStatus.POSSIBLE_MATCH:
        messages.info(request, "This submission's patient is confirmed: nothing to do.")
        return redirect(submission_url)
    patient = submission.patient
    differences = patients.match_details(submission=submission, patient=patient)
    form = MatchConfirmForm(
        posted(request),
        choices=[
            (detail.name, display.match_choice_label(detail))
            for detail in differences
            if not detail.withdraws
        ],
    )
    if request.method == "POST" and form.is_valid():
        try:
            applied = patients.patient_match_confirm(
                submission=submission,
                apply=form.cleaned_data["apply"],
                by=request.user,
                address=client_ip(request),
            )
        except patients.PatientChangeNotAllowed as error:
            messages.error(request, str(error))
        else:
            taken = ", ".join(display.MATCH_LABELS[name].lower() for name in applied)
            messages.success(
                request,
                f"Confirmed: {submission.reference} belongs to this patient's record. "
                + (f"Taken onto the record: {taken}." if taken else "The record is unchanged."),
            )
        return redirect(submission_url)
    context = {
        "title": f"Possible match: {submission.reference}",
        "submission": submission,
        "patient": patient,
        "match_lines": display.match_lines(submission=submission, patient=patient),
        "withdraws": any(detail.withdraws for detail in differences),
        "form": form,
    }
    return render(request, "staff/submission_match.html", context)


@staff_view("screening.merge_patients")
@require_http_methods(["GET", "POST"])
def patient_merge(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
    """Merge this record into another: choose, confirm, merge."""
    source = access.patient_for_staff(request, public_id, what="patient.merge")
    if source.merged_into_id is not None:
        messages.error(request, "This record has already been merged into another.")
        return redirect(_patient_url(source))

    if request.method == "POST" and "confirm" in request.POST:
        confirm = MergeConfirmForm(request.POST)
        if not confirm.is_valid():
            messages.error(request, "The merge was not understood; nothing changed.")
            return redirect(reverse("staff:patient_merge", args=[source.public_id]))
        target = access.patient_for_staff(
            request, confirm.cleaned_data["target"], what="patient.merge"
        )
        try:
            moved = patients.patient_merge(
                source=source, target=target, by=request.user, address=client_ip(request)
            )
        except patients.PatientChangeNotAllowed as error:
            messages.error(request, str(error))
            return redirect(_patient_url(source))
        messages.success(
            request,
            f"Merged: {len(moved.submissions)} submission(s) and {moved.lab_results} lab "
            "result(s) moved to this record.",
        )
        return redirect(_patient_url(target))

    form = MergeTargetForm(
        posted(request),
        source=source,
        candidates=records.patient_merge_candidates(patient=source),
    )
    if request.method == "POST" and form.is_valid():
        target = access.patient_for_staff(
            request, form.cleaned_data["target"].public_id, what="patient.merge"
        )
        context = {
            "title": "Confirm the merge",
            "source": source,
            "target": target,
            "source_submissions": list(records.patient_submissions(patient=source)),
            "target_submissions": list(records.patient_submissions(patient=target)),
            "confirm": MergeConfirmForm(initial={"target": target.public_id}),
        }
        return render(request, "staff/patient_merge_confirm.html", context)
    context = {"title": "Merge patient records", "patient": source, "form": form}
    return render(request, "staff/patient_merge.html", context)


@staff_view("screening.merge_patients")
@require_http_methods(["GET", "POST"])
def patient_split(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
    """Move some submissions to a new record: choose and give details, confirm, split."""
    patient = access.patient_for_staff(request, public_id, what="patient.split")
    if patient.merged_into_id is not None:
        messages.error(request, "This record has been merged into another; split that one.")
        return redirect(_patient_url(patient))
    submissions = list(records.patient_submissions(patient=patient))
    form = SplitForm(
        posted(request),
        patient=patient,
        submissions=submissions,
        **_split_initial(patient, submissions, request.GET.get("submission", "")),
    )
    if request.method == "POST" and form.is_valid():
        if "confirm" not in request.POST:
            context = {"title": "Confirm the split", "patient": patient, "form": form}
            return render(request, "staff/patient_split_confirm.html", context)
        try:
            new_patient, moved = patients.patient_split(
                patient=patient,
                submissions=form.cleaned_data["submissions"],
                details=form.details(),
                by=request.user,
                address=client_ip(request),
            )
        except patients.PatientChangeNotAllowed as error:
            messages.error(request, str(error))
            return redirect(_patient_url(patient))
        messages.success(
            request, f"Split: {len(moved.submissions)} submission(s) moved to this new record."
        )
        return redirect(_patient_url(new_patient))
    context = {"title": "Split a patient record", "patient": patient, "form": form}
    return render(request, "staff/patient_split.html", context)


def _split_initial(patient: Patient, submissions: list[Submission], chosen: str) -> dict:
    """Splitting off a possible match (its page links here with ?submission=): start
    with it chosen and the details given with it."""
    match = next(
        (
            submission
            for submission in submissions
            if str(submission.public_id) == chosen
            and submission.identity_status == Submission.IdentityStatus.POSSIBLE_MATCH
        ),
        None,
    )
    if match is None:
        return {}
    return {
        "initial": {
            "submissions": [chosen],
            "full_name": match.given_full_name,
            "email": match.given_email,
            "phone": match.given_phone,
            "date_of_birth": patient.date_of_birth,
        }
    }


# --- Patients: export and erase (screening.domain.retention) -----------------------------------


@staff_view("screening.review_submission")
@require_GET
def patient_export(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
    """Everything stored about one patient record, as a JSON download; audited EXPORT."""
    patient = access.patient_for_staff(request, public_id, what="patient.export")
    record = patient_exports.patient_export(
        patient=patient, now=timezone.now(), by=request.user, address=client_ip(request)
    )
    response = JsonResponse(record, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="patient-{patient.public_id}.json"'
    response["Cache-Control"] = "no-store"
    return response


@staff_view("screening.review_submission")
@require_http_methods(["GET", "POST"])
def patient_erase(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
    """Erase a record on request: a confirm page with a reason and ERASE typed out; the
    record, its submissions and answers go, a tombstone and the audit trail stay."""
    patient = access.patient_for_staff(request, public_id, what="patient.erase")
    form = PatientEraseForm(posted(request))
    if request.method == "POST" and form.is_valid():
        erased = retention.patient_erase(
            patient=patient,
            reason=form.cleaned_data["reason"],
            by=request.user,
            address=client_ip(request),
        )
        messages.success(
            request,
            f"The record was erased: {erased.submissions} submission(s) and "
            f"{erased.lab_results} lab result(s) removed. Its id {patient.public_id} and "
            "the audit trail are kept.",
        )
        return redirect("staff:queue")
    context = {
        "title": "Erase a patient record",
        "patient": patient,
        "form": form,
        "summary": retention.patient_erase_summary(patient=patient),
    }
    return render(request, "staff/patient_erase.html", context)
