"""The staff pages' words: what the domain's reads return, turned into English for the
queue and the record page (answers as the patient gave them, waiting times, what a lab
result means, decisions) and the severity chart (`screening.staff.charts`).

The domain (`screening.domain.queries`) returns data: codes, numbers, rows. Everything a
clinician reads in words is made here, so one page's wording lives in one place.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from screening import labels
from screening.domain.patients import MatchDetail, match_details
from screening.domain.queries.answers import lab_b12_status
from screening.domain.queries.queue import QueueRow
from screening.domain.queries.records import HistoryRow, SubmissionRecord
from screening.engine import contract
from screening.models import LabResult, Patient, Review, Submission, SymptomAnswer
from screening.staff import asked, charts
from screening.staff.sources import reason_lines

NOT_ANSWERED = "Not answered"


# --- The queue ---------------------------------------------------------------------------


def duration_text(duration: datetime.timedelta) -> str:
    """A waiting time in words staff can scan: "45 min", "3 h 5 min", "2 d 4 h"."""
    minutes = max(int(duration.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


@dataclass(frozen=True)
class QueueLine:
    """One queue row as the page shows it: the row, and its waiting time in words."""

    submission: Submission
    waiting: datetime.timedelta | None  # None once a decision is recorded
    waiting_text: str
    overdue: bool
    top_reasons: list[str]


def queue_lines(rows: Iterable[QueueRow]) -> list[QueueLine]:
    return [
        QueueLine(
            submission=row.submission,
            waiting=row.waiting,
            waiting_text=duration_text(row.waiting) if row.waiting is not None else "",
            overdue=row.overdue,
            top_reasons=row.top_reasons,
        )
        for row in rows
    ]


# --- One submission's record ---------------------------------------------------------------


def _yes_no(value: bool | None, missing: str = NOT_ANSWERED) -> str:
    if value is None:
        return missing
    return "Yes" if value else "No"


def _choice_text(value: str, choice_labels: Mapping[str, object]) -> str:
    return str(choice_labels[value]) if value else NOT_ANSWERED


def _code_list_text(
    answered: bool, codes: list[str], code_labels: Mapping[str, object], missing: str
) -> str:
    if not answered:
        return missing
    return "; ".join(str(code_labels[code]) for code in codes) or "None"


def _about_rows(submission: Submission) -> list[tuple[str, str]]:
    """The questions the patient was asked about themselves and their risk factors
    (`screening.staff.asked`): none on a follow-up check-in but the age, no pregnancy
    questions where they did not apply, and "I don't know" where it was the answer."""
    if asked.is_follow_up(submission):
        return [("Age at check-in (years)", str(submission.age_years))]
    # Absent after the clinic's form, where every question needs an answer: "I don't know".
    missing = asked.DONT_KNOW if asked.answered_on_the_form(submission) else NOT_ANSWERED
    pregnancy = [
        ("Pregnant", _choice_text(submission.pregnant, labels.PREGNANT_LABELS)),
        ("Breastfeeding", _yes_no(submission.breastfeeding)),
    ]
    alcohol = submission.alcohol_units_per_week
    return [
        ("Age at intake (years)", str(submission.age_years)),
        ("Sex registered at birth", _choice_text(submission.sex, labels.SEX_LABELS)),
        *(pregnancy if asked.pregnancy_asked(submission) else []),
        ("Usual diet", _choice_text(submission.diet, labels.DIET_LABELS)),
        (
            "Alcohol (units a week)",
            str(alcohol)
            if alcohol is not None
            else asked.NOT_GIVEN_OPTIONAL
            if asked.answered_on_the_form(submission)
            else NOT_ANSWERED,
        ),
        (
            "Medicines",
            _code_list_text(
                submission.medicines_answered,
                [row.code for row in submission.medicines.all()],
                labels.MEDICINE_LABELS,
                missing,
            ),
        ),
        (
            "Conditions and surgery",
            _code_list_text(
                submission.conditions_answered,
                [row.code for row in submission.conditions.all()],
                labels.CONDITION_LABELS,
                missing,
            ),
        ),
        ("Family history", _yes_no(submission.family_history, missing)),
        ("B12 treatment now", _choice_text(submission.b12_treatment, labels.B12_TREATMENT_LABELS)),
    ]


def submission_answer_rows(*, submission: Submission) -> dict[str, list[Any]]:
    """Every answer as the patient gave it, in words (labels from `screening.labels`):
    {"about": [(question, answer)], "symptoms": [...], "red_flags": [(label, answer)]}.
    Questions never asked are left out (`_about_rows`). Uses the submission's prefetched
    or fetched answer rows."""
    about = _about_rows(submission)
    symptoms = []
    for row in sorted(submission.symptoms.all(), key=lambda row: contract.SYMPTOMS.index(row.code)):
        site_labels = labels.SITE_LABELS.get(row.code, {})
        symptoms.append(
            {
                "label": str(labels.SYMPTOM_LABELS[row.code]),
                "present": "Yes" if row.present else "No",
                "severity": "" if row.severity is None else str(row.severity),
                "duration": _duration_text(submission, row),
                "sites": ", ".join(str(site_labels[site]) for site in row.sites or []),
                "both_sides": "" if row.both_sides is None else _yes_no(row.both_sides),
            }
        )
    red_flags = [
        (str(labels.RED_FLAG_LABELS[row.code]), _yes_no(row.answer))
        for row in sorted(
            submission.red_flags.all(), key=lambda row: contract.RED_FLAGS.index(row.code)
        )
    ]
    return {"about": about, "symptoms": symptoms, "red_flags": red_flags}


def _duration_text(submission: Submission, row: SymptomAnswer) -> str:
    """What the patient said ("3 months (13 weeks)", "I don't know how long"), or the
    weeks where they gave weeks (a follow-up, an EHR, an intake from before). A present
    symptom without a duration on the clinic's own form was "I don't know how long"."""
    said = labels.duration_said(row.duration_number, row.duration_unit)
    count = row.duration_weeks
    weeks = "" if count is None else f"{count} week{'' if count == 1 else 's'}"
    if said and weeks and row.duration_unit != "weeks":
        return f"{said} ({weeks})"
    if said or weeks:
        return said or weeks
    patient_form = asked.is_follow_up(submission) or asked.answered_on_the_form(submission)
    return asked.DONT_KNOW_HOW_LONG if row.present and patient_form else ""


def submission_free_text_rows(*, submission: Submission) -> list[tuple[str, str]]:
    """The patient's own words, (question, text) with "" when not given: shown as typed
    (the template escapes them), never read by the screening rules. None on a follow-up
    check-in, which does not ask for them."""
    if asked.is_follow_up(submission):
        return []
    return [
        ("Other medicines", submission.other_medicines),
        ("Anything else the patient wants the clinic to know", submission.anything_else),
    ]


def lab_interpretation_text(*, lab: LabResult) -> str:
    """What one lab result means, in words for the clinician (clinical.md E)."""
    status = lab_b12_status(lab=lab)
    if status:
        return str(labels.B12_STATUS_LABELS[status])
    if lab.test == "mma":
        return "Compare with the laboratory's own reference range (cut-off not confirmed)"
    return "Not interpreted on its own: see the screening reasons"


@dataclass(frozen=True)
class LabLine:
    lab: LabResult
    interpretation: str
    b12_status: str


@dataclass(frozen=True)
class ReviewLine:
    review: Review
    outcome_labels: list[str]


@dataclass(frozen=True)
class HistoryLine:
    """One of the patient's submissions, for the side-by-side table."""

    submission: Submission
    is_current: bool
    key_symptoms: list[tuple[str, int | None]]  # (label, severity), present ones only


def _outcome_labels(review: Review) -> list[str]:
    return [
        str(Review.Outcome(code).label) if code in Review.Outcome.values else code
        for code in review.outcomes
    ]


def _history_line(row: HistoryRow) -> HistoryLine:
    return HistoryLine(
        submission=row.submission,
        is_current=row.is_current,
        key_symptoms=[
            (str(labels.SYMPTOM_LABELS[code]), severity) for code, severity in row.present
        ],
    )


def severity_chart(history: list[HistoryRow]) -> charts.SeverityChart:
    """The chart of symptom severity over the patient's submissions."""
    return charts.severity_chart(
        points=[
            charts.ChartPoint(when=row.submission.submitted_at, severities=row.severities)
            for row in history
        ],
        symptom_labels=labels.SYMPTOM_LABELS,
    )


# --- Patient identity: a possible match, side by side -------------------------------------

MATCH_LABELS = {
    "full_name": "Name",
    "email": "Email",
    "phone": "Phone",
    "date_of_birth": "Born",
    "contact_consent": "Email contact",
    "language": "Language",
}
NOT_GIVEN = "Not given"


@dataclass(frozen=True)
class MatchLine:
    """One detail of a possible match: on the record, and as given with the intake."""

    label: str
    on_record: str
    given: str
    differs: bool


def _detail_text(name: str, value: Any) -> str:
    if value is None or value == "":
        return NOT_GIVEN if name != "phone" else "–"
    if name == "contact_consent":
        return "Agreed" if value else "Not agreed"
    if name == "language":
        return dict(settings.LANGUAGES).get(value, value)
    if name == "date_of_birth":
        return f"{value.day} {value:%b %Y}"
    return str(value)


def match_lines(*, submission: Submission, patient: Patient) -> list[MatchLine]:
    """The record's details next to those given with a possible match's intake (its date
    of birth is the record's: that, with the email, is how it matched)."""
    given = {
        "full_name": submission.given_full_name,
        "email": submission.given_email,
        "phone": submission.given_phone,
        "date_of_birth": patient.date_of_birth,
        "contact_consent": submission.given_contact_consent,
        "language": submission.language,
    }
    differing = {detail.name for detail in match_details(submission=submission, patient=patient)}
    if given["email"] and given["email"] != patient.email:
        differing.add("email")  # a record merged into this one had the email given
    return [
        MatchLine(
            label=label,
            on_record=_detail_text(name, getattr(patient, name)),
            given=NOT_GIVEN if given[name] in (None, "") else _detail_text(name, given[name]),
            differs=name in differing,
        )
        for name, label in MATCH_LABELS.items()
    ]


def match_choice_label(detail: MatchDetail) -> str:
    """A detail the clinician may take onto the record, as its checkbox says it."""
    label = MATCH_LABELS[detail.name]
    given, on_record = (_detail_text(detail.name, v) for v in (detail.given, detail.on_record))
    return f"{label}: use “{given}” from this intake (the record has “{on_record}”)"


def record_page(record: SubmissionRecord) -> dict[str, object]:
    """The record page's context: the submission's record, in words."""
    submission = record.submission
    possible_match = submission.identity_status == Submission.IdentityStatus.POSSIBLE_MATCH
    follow_up_of = record.follow_up_of
    return {
        "follow_up_of": follow_up_of,
        "follow_up_decision": ReviewLine(
            review=follow_up_of.decision, outcome_labels=_outcome_labels(follow_up_of.decision)
        )
        if follow_up_of and follow_up_of.decision
        else None,
        "before_after": asked.before_after_lines(
            original=follow_up_of.original, follow_up=submission
        )
        if follow_up_of
        else [],
        "possible_match": possible_match,
        "match_lines": match_lines(submission=submission, patient=submission.patient)
        if possible_match
        else [],
        "submission": record.submission,
        "answers": submission_answer_rows(submission=record.submission),
        "free_text": submission_free_text_rows(submission=record.submission),
        "current_result": record.results[0] if record.results else None,
        "current_reasons": reason_lines(record.results[0].reasons) if record.results else [],
        "earlier_results": record.results[1:],
        "earlier_result_lines": [
            (result, reason_lines(result.reasons)) for result in record.results[1:]
        ],
        "history": [_history_line(row) for row in record.history],
        "labs": [
            LabLine(
                lab=row.lab,
                interpretation=lab_interpretation_text(lab=row.lab),
                b12_status=row.b12_status,
            )
            for row in record.labs
        ],
        "status_changes": record.status_changes,
        "reviews": [
            ReviewLine(review=review, outcome_labels=_outcome_labels(review))
            for review in record.reviews
        ],
        "chart": severity_chart(record.history),
    }
