"""The intake journey: its steps, the draft kept in the session, and the one place where
the pages' answers become the contract's answers dict.

Read top to bottom:
1. STEPS: the question pages, in order (the version is engine.questionnaire's).
2. Draft: what the session holds while a patient fills the form in (nothing is in the
   database but the session row until they send it, answer yes to an urgent symptom, or
   choose "Save and come back later", which copies the draft to an IntakeDraft row;
   draft_restore puts it back in a session when they follow the link in the reminder
   email). The session row itself is made by the first page sent, never by looking at a
   page (`draft_new` is not saved), and a draft older than INTAKE_SESSION_DRAFT_HOURS is
   dropped when next loaded, however active the session (docs/security.md, "Data hygiene").
3. answers_from_steps / patient_details_from_steps: draft -> contract answers (the
   follow-up check-in's two pages: `follow_up_views.follow_up_answers`).
What the "check your answers" and "get help now" pages show is in
`screening.intake.display`.

Pregnancy is asked only where it can apply: sex registered at birth female, other or
"prefer not to say", and aged 55 or under on the intake day. It is a rule of thumb
kept deliberately simple; everyone else is not asked, and the key stays absent.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from screening.engine import contract
from screening.engine.questionnaire import age_on
from screening.intake.forms.about_you import AboutYouForm, PregnancyForm
from screening.intake.forms.base import IntakeForm
from screening.intake.forms.blood_tests import BloodTestsForm
from screening.intake.forms.free_text import AnythingElseForm
from screening.intake.forms.risk_factors import DONT_KNOW, NONE_OF_THESE, RiskFactorsForm
from screening.intake.forms.symptom_pages import SymptomChecklistForm, SymptomDetailsForm
from screening.intake.forms.symptoms import UrgentForm
from screening.intake.symptom_steps import (
    DETAIL_SLUGS,
    checklist_answered,
    detail_page_applies,
    detail_page_form_kwargs,
    legacy_symptoms_convert,
    symptoms_answers,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PREGNANCY_SEXES = ("female", "other", "prefer_not_to_say")
PREGNANCY_MAX_AGE = 55

SESSION_KEY = "intake"
DONE_SESSION_KEY = "intake_done"


# --- 1. Steps ----------------------------------------------------------------------


def _always(draft: Draft) -> bool:
    return True


def _no_form_kwargs(draft: Draft) -> dict[str, Any]:
    return {}


def pregnancy_applies(draft: Draft) -> bool:
    """Ask about pregnancy only where it can apply (see the module docstring)."""
    about = draft.steps.get("about-you")
    if about is None:
        return False
    return about["sex"] in PREGNANCY_SEXES and about["age_years"] <= PREGNANCY_MAX_AGE


@dataclass(frozen=True)
class Step:
    slug: str  # the URL segment and the key of its answers in the draft
    title: StrOrPromise
    form_class: type[IntakeForm]
    intro: StrOrPromise = ""
    applies: Callable[[Draft], bool] = _always
    # Answers already sent with a red-flag submission: who the patient is, and the
    # urgent answers themselves. They cannot be changed from the form afterwards.
    locked_after_urgent: bool = False
    # The form's arguments that depend on the draft (the symptoms a details page asks about).
    form_kwargs: Callable[[Draft], dict[str, Any]] = _no_form_kwargs
    # Pages counted as one step of the progress indicator ("Step 3 of 7"): the slug of
    # the step they belong to (the symptom details pages count as "symptoms"); "" counts
    # the page as a step of its own.
    progress_group: str = ""

    @property
    def url_name(self) -> str:
        return "screening:" + self.slug.replace("-", "_")

    def url(self) -> str:
        return reverse(self.url_name)


STEPS = (
    Step("about-you", gettext_lazy("About you"), AboutYouForm, locked_after_urgent=True),
    Step(
        "pregnancy",
        gettext_lazy("Pregnancy and breastfeeding"),
        PregnancyForm,
        applies=pregnancy_applies,
    ),
    Step("symptoms", gettext_lazy("How you feel"), SymptomChecklistForm),
    *(
        Step(
            slug,
            gettext_lazy("How much and for how long"),
            SymptomDetailsForm,
            intro=gettext_lazy(
                "For each thing you have noticed, tell us how much it bothers you and how "
                "long you have had it."
            ),
            applies=partial(detail_page_applies, index=index),
            form_kwargs=partial(detail_page_form_kwargs, index=index),
            progress_group="symptoms",
        )
        for index, slug in enumerate(DETAIL_SLUGS)
    ),
    Step(
        "urgent",
        gettext_lazy("Urgent symptoms"),
        UrgentForm,
        intro=gettext_lazy("Do you have any of these now, or did they start in the last few days?"),
        locked_after_urgent=True,
    ),
    Step(
        "risk-factors",
        gettext_lazy("Diet, medicines and health"),
        RiskFactorsForm,
    ),
    Step(
        "blood-tests",
        gettext_lazy("Recent blood test results"),
        BloodTestsForm,
        intro=gettext_lazy(
            "If you have results from blood tests in the last year, you can add up to 3 here. "
            "This is optional: leave it empty and continue if you do not have any."
        ),
    ),
    Step(
        "anything-else",
        gettext_lazy("Anything else you want the clinic to know?"),
        AnythingElseForm,
        intro=gettext_lazy(
            "This is optional. The clinic reads it when it looks at your answers, not "
            "straight away: if you feel very unwell now, get medical help today."
        ),
    ),
)
STEPS_BY_SLUG = {step.slug: step for step in STEPS}


# --- 2. The draft in the session ---------------------------------------------------


@dataclass
class Draft:
    """One intake in progress. Lives in the session as plain JSON-safe values."""

    idempotency_key: str
    intake_date: datetime.date
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The public_id of the submission stored when an urgent symptom was answered yes.
    urgent_submission: str | None = None
    # The public_id of the IntakeDraft row ("Save and come back later"), if saved.
    saved_draft: str | None = None
    # When this draft started in this session (made, or restored from a saved intake):
    # it is dropped INTAKE_SESSION_DRAFT_HOURS later.
    started_at: datetime.datetime = field(default_factory=timezone.now)
    # The patient's agreement to the use of their answers for their care, given before
    # the first question: {"version": the privacy notice's, "at": ISO time}
    # (`screening.intake.privacy`). None: not given yet; no question is asked without it.
    care_consent: dict[str, str] | None = None
    # What was typed on a page, unchecked, when the patient switched language on it:
    # {slug: {field name: [values]}}, shown again on that page until it is sent.
    typed: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def as_data(self) -> dict[str, Any]:
        """The draft as JSON-safe values: what the session and an IntakeDraft row hold."""
        return {
            "idempotency_key": self.idempotency_key,
            "intake_date": self.intake_date.isoformat(),
            "steps": self.steps,
            "urgent_submission": self.urgent_submission,
            "saved_draft": self.saved_draft,
            "started_at": self.started_at.isoformat(),
            "care_consent": self.care_consent,
            "typed": self.typed,
        }

    def save(self, session: SessionBase) -> None:
        session[SESSION_KEY] = self.as_data()

    def contact_consent(self) -> bool:
        """The patient agreed to be emailed (needed to save and come back later)."""
        return self.steps.get("about-you", {}).get("contact_consent") == "yes"


def _draft_from_data(data: dict[str, Any]) -> Draft:
    intake_date = datetime.date.fromisoformat(data["intake_date"])
    legacy_symptoms_convert(data["steps"])  # saved before the symptoms had pages of their own
    started_at = data.get("started_at")
    return Draft(
        idempotency_key=data["idempotency_key"],
        intake_date=intake_date,
        steps=data["steps"],
        urgent_submission=data["urgent_submission"],
        saved_draft=data.get("saved_draft"),
        # A draft written before started_at was kept counts from the start of its day.
        started_at=(
            datetime.datetime.fromisoformat(started_at)
            if started_at
            else timezone.make_aware(datetime.datetime.combine(intake_date, datetime.time()))
        ),
        care_consent=data.get("care_consent"),
        typed=data.get("typed") or {},
    )


def draft_load(session: SessionBase) -> Draft | None:
    """The draft in the session, if any; one older than INTAKE_SESSION_DRAFT_HOURS is
    removed from the session (the row is saved without it) and None returned."""
    data = session.get(SESSION_KEY)
    if not data:
        return None
    draft = _draft_from_data(data)
    max_age = datetime.timedelta(hours=settings.INTAKE_SESSION_DRAFT_HOURS)
    if timezone.now() - draft.started_at > max_age:
        draft_clear(session)
        return None
    return draft


def draft_restore(
    session: SessionBase, *, data: dict[str, Any], saved_draft: str, today: datetime.date
) -> Draft:
    """Put a saved draft (IntakeDraft.data) back in the session, replacing any other.

    The intake day becomes today, so "not in the future" checks and the age (worked out
    again from the date of birth) are those of the day the form is sent; pages that now
    apply (pregnancy, after a birthday) are asked before the form can be sent.
    """
    draft = _draft_from_data(data)
    draft.intake_date = today
    draft.saved_draft = saved_draft
    draft.started_at = timezone.now()
    about = draft.steps.get("about-you")
    if about is not None:
        date_of_birth = datetime.date.fromisoformat(about["date_of_birth"])
        about["age_years"] = age_on(date_of_birth, today)
    draft.save(session)
    return draft


def draft_new(*, today: datetime.date) -> Draft:
    """A new draft with its own idempotency key (sent with the final POST as well), not
    in the session yet: `Draft.save` puts it there once a page is sent."""
    return Draft(idempotency_key=secrets.token_urlsafe(32), intake_date=today)


def draft_clear(session: SessionBase) -> None:
    session.pop(SESSION_KEY, None)


def draft_answer(draft: Draft, step: Step, data: dict[str, Any]) -> None:
    """Keep a page's answers in the draft (not saved yet); the symptoms checklist also
    plans the details pages (`screening.intake.symptom_steps`)."""
    if step.slug == "symptoms":
        checklist_answered(draft.steps, data)
    else:
        draft.steps[step.slug] = data


def applicable_steps(draft: Draft) -> list[Step]:
    return [step for step in STEPS if step.applies(draft)]


def first_unfinished_step(draft: Draft) -> Step | None:
    for step in applicable_steps(draft):
        if step.slug not in draft.steps:
            return step
    return None


def is_locked(draft: Draft, step: Step) -> bool:
    return draft.urgent_submission is not None and step.locked_after_urgent


def step_before(draft: Draft, step: Step) -> Step | None:
    """The applicable page before `step` (which itself may not apply)."""
    earlier = [other for other in STEPS[: STEPS.index(step)] if other.applies(draft)]
    return earlier[-1] if earlier else None


def step_after(draft: Draft, step: Step) -> Step | None:
    """The applicable page after `step` (which itself may not apply); None: check answers."""
    later = [other for other in STEPS[STEPS.index(step) + 1 :] if other.applies(draft)]
    return later[0] if later else None


# --- 3. Draft -> contract answers ----------------------------------------------------


def _number(text: str) -> int | float:
    """A lab value from the form ("250", "4.5") as the JSON number the contract wants."""
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


def red_flags_answers(data: dict[str, Any]) -> dict[str, Any]:
    """The urgent page's answers as the contract's red_flags (also the follow-up's)."""
    return {code: data[code] == "yes" for code in contract.RED_FLAGS}


def _code_list(chosen: list[str]) -> list[str] | None:
    """Checked codes; [] for "None of these"; None (absent) for "I don't know"."""
    if DONT_KNOW in chosen:
        return None
    return [code for code in chosen if code != NONE_OF_THESE]


def answers_from_steps(draft: Draft) -> dict[str, Any]:
    """The contract's answers dict from the pages answered so far.

    Only pages that apply and were answered contribute; "I don't know" leaves the key
    absent, because absent means "not answered" in the contract.
    """
    done = {
        step.slug: draft.steps[step.slug]
        for step in applicable_steps(draft)
        if step.slug in draft.steps
    }
    about = done["about-you"]
    answers: dict[str, Any] = {"age_years": about["age_years"], "sex": about["sex"]}

    if "pregnancy" in done:
        answers["pregnant"] = done["pregnancy"]["pregnant"]
        answers["breastfeeding"] = done["pregnancy"]["breastfeeding"] == "yes"

    if "symptoms" in done:
        answers["symptoms"] = symptoms_answers(done)

    if "urgent" in done:
        answers["red_flags"] = red_flags_answers(done["urgent"])

    if "risk-factors" in done:
        risk = done["risk-factors"]
        answers["diet"] = risk["diet"]
        if risk["alcohol_units_per_week"] is not None:
            answers["alcohol_units_per_week"] = risk["alcohol_units_per_week"]
        for key in ("medicines", "conditions"):
            codes = _code_list(risk[key])
            if codes is not None:
                answers[key] = codes
        if risk["family_history"] in ("yes", "no"):
            answers["family_history"] = risk["family_history"] == "yes"
        answers["b12_treatment"] = risk["b12_treatment"]

    if done.get("blood-tests", {}).get("labs"):
        answers["labs"] = [
            {
                "test": lab["test"],
                "value": _number(lab["value"]),
                "unit": lab["unit"],
                "date": lab["date"],
            }
            for lab in done["blood-tests"]["labs"]
        ]
    return answers


def patient_details_from_steps(draft: Draft) -> dict[str, Any]:
    """Who the patient is, for `screening.domain.intake.intake_submit(patient_details=...)`."""
    about = draft.steps["about-you"]
    return {
        "full_name": about["full_name"],
        "email": about["email"],
        "phone": about["phone"],
        "date_of_birth": datetime.date.fromisoformat(about["date_of_birth"]),
        "contact_consent": about["contact_consent"] == "yes",
    }


def free_text_from_steps(draft: Draft) -> dict[str, str]:
    """The patient's own words, for `intake_submit(free_text=...)`: kept apart from the
    answers, which the screening rules read, and they never read these."""
    return {
        "other_medicines": draft.steps.get("risk-factors", {}).get("other_medicines", ""),
        "anything_else": draft.steps.get("anything-else", {}).get("anything_else", ""),
    }


def draft_red_flags(draft: Draft) -> list[str]:
    """Red flags answered yes on the urgent page (answered or not, this is the rule's input)."""
    urgent = draft.steps.get("urgent", {})
    return [code for code in contract.RED_FLAGS if urgent.get(code) == "yes"]
