"""The intake's symptoms pages in the session draft: which symptoms each details page asks
about, what changes when the checklist is answered again, and the draft -> contract
conversion of the symptoms (`screening.intake.steps.answers_from_steps` calls it).

The draft keeps the checklist under "symptoms" ({"symptoms": [codes], "detail_pages":
[[codes of page 1], [codes of page 2]]}) and each details page's answers under its own
slug, keyed f"{code}_{suffix}" (forms.symptom_pages.DETAIL_SUFFIXES).

Every symptom ticked is asked about on ONE details page: a patient with all 13 answers
two pages, not thirteen, without a second page's heading, intro and buttons (issue 13's
"fewer screens", bench/README.md). The second details page serves only "Change": when the
checklist is answered again, a symptom no longer ticked loses its details, and the ones
newly ticked get the second page to themselves: the patient is asked only about them;
what was answered before stays answered (on the first page). A draft saved with an older
plan of two pages keeps it.
"""

from __future__ import annotations

from typing import Any

from screening.engine import contract
from screening.intake.forms.symptom_pages import DETAIL_SUFFIXES, chosen_symptoms

CHECKLIST_SLUG = "symptoms"
DETAIL_SLUGS = ("symptom-details-1", "symptom-details-2")
DETAIL_PAGES = len(DETAIL_SLUGS)


def detail_pages(steps: dict[str, dict[str, Any]]) -> list[list[str]]:
    """The symptom codes each details page asks about (no empty pages)."""
    return [list(codes) for codes in steps.get(CHECKLIST_SLUG, {}).get("detail_pages", [])]


def page_codes(steps: dict[str, dict[str, Any]], index: int) -> list[str]:
    """The codes details page `index` (0 or 1) asks about; [] when it does not apply."""
    pages = detail_pages(steps)
    return pages[index] if index < len(pages) else []


def _split(codes: list[str]) -> list[list[str]]:
    """All the symptoms on the first details page (none: no page)."""
    return [codes] if codes else []


def _details_by_code(steps: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every symptom's details answered so far, whichever page holds them."""
    details: dict[str, dict[str, Any]] = {}
    for slug in DETAIL_SLUGS:
        page = steps.get(slug, {})
        for code in contract.SYMPTOMS:
            if f"{code}_severity" in page:
                details[code] = {
                    f"{code}_{suffix}": page[f"{code}_{suffix}"]
                    for suffix in DETAIL_SUFFIXES
                    if f"{code}_{suffix}" in page
                }
    return details


def checklist_answered(steps: dict[str, dict[str, Any]], checklist: dict[str, Any]) -> None:
    """Store the checklist page's answers and plan the details pages from them.

    Details of a symptom no longer ticked are dropped; a page whose symptoms all have
    details counts as answered, one with a symptom newly ticked does not, so the journey
    stops there (and only there) before the check page.
    """
    chosen = chosen_symptoms(checklist)
    details = {code: answer for code, answer in _details_by_code(steps).items() if code in chosen}
    answered = [code for code in chosen if code in details]
    new = [code for code in chosen if code not in details]
    if not answered:
        pages = _split(new)
    elif not new:
        pages = [
            kept
            for kept in ([code for code in page if code in chosen] for page in detail_pages(steps))
            if kept
        ]
        if sorted(code for page in pages for code in page) != sorted(answered):
            pages = [answered]  # a plan that no longer matches: keep all on one page
    else:
        pages = [answered, new]
    for slug in DETAIL_SLUGS:
        steps.pop(slug, None)
    for slug, codes in zip(DETAIL_SLUGS, pages, strict=False):
        if all(code in details for code in codes):
            steps[slug] = {key: value for code in codes for key, value in details[code].items()}
    steps[CHECKLIST_SLUG] = {**checklist, "detail_pages": pages}


def symptoms_answers(steps: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The contract's `symptoms` from the checklist and the details pages answered.

    A symptom not ticked is {"present": False}; a ticked one has its severity and, unless
    the patient does not know how long, its `duration_weeks`; "I don't know" leaves the
    key absent, as the contract says.
    """
    chosen = chosen_symptoms(steps[CHECKLIST_SLUG])
    details = _details_by_code(steps)
    answers: dict[str, Any] = {}
    for code in contract.SYMPTOMS:
        if code not in chosen:
            answers[code] = {"present": False}
            continue
        given = details.get(code, {})
        answer: dict[str, Any] = {"present": True}
        if given.get(f"{code}_severity") is not None:
            answer["severity"] = given[f"{code}_severity"]
        if given.get(f"{code}_duration_weeks") is not None:
            answer["duration_weeks"] = given[f"{code}_duration_weeks"]
        if given.get(f"{code}_sites"):
            answer["sites"] = list(given[f"{code}_sites"])
        if given.get(f"{code}_both_sides") in ("yes", "no"):
            answer["both_sides"] = given[f"{code}_both_sides"] == "yes"
        answers[code] = answer
    return answers


def durations_said(steps: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """How long each ticked symptom has lasted, as the patient said it:
    {code: {"number": 3, "unit": "months"}} or {"number": None, "unit": "dont_know"}."""
    if CHECKLIST_SLUG not in steps:
        return {}
    chosen = chosen_symptoms(steps[CHECKLIST_SLUG])
    said: dict[str, dict[str, Any]] = {}
    for code, given in _details_by_code(steps).items():
        if code not in chosen:
            continue
        if given.get(f"{code}_duration_unknown"):
            said[code] = {"number": None, "unit": "dont_know"}
        elif given.get(f"{code}_duration_unit"):
            said[code] = {
                "number": given[f"{code}_duration_number"],
                "unit": given[f"{code}_duration_unit"],
            }
    return said


def legacy_symptoms_convert(steps: dict[str, dict[str, Any]]) -> None:
    """A draft saved before the symptoms had pages of their own (one page, "fatigue_present"
    and weeks): turned into the checklist and details pages, durations kept as weeks."""
    old = steps.get(CHECKLIST_SLUG)
    if old is None or "symptoms" in old:
        return
    chosen = [code for code in contract.SYMPTOMS if old.get(f"{code}_present") == "yes"]
    details: dict[str, Any] = {}
    for code in chosen:
        weeks = old.get(f"{code}_duration")
        details.update(
            {
                f"{code}_severity": old.get(f"{code}_severity"),
                f"{code}_duration_number": weeks,
                f"{code}_duration_unit": "weeks" if weeks is not None else "",
                f"{code}_duration_unknown": weeks is None,
                f"{code}_duration_weeks": weeks,
            }
        )
        for suffix in ("sites", "both_sides"):
            if f"{code}_{suffix}" in old:
                details[f"{code}_{suffix}"] = old[f"{code}_{suffix}"]
    del steps[CHECKLIST_SLUG]
    steps[DETAIL_SLUGS[0]] = details
    checklist_answered(steps, {"symptoms": chosen or ["none"]})


def detail_page_applies(draft: Any, *, index: int) -> bool:
    """A details page applies when the checklist gave it symptoms to ask about."""
    return bool(page_codes(draft.steps, index))


def detail_page_form_kwargs(draft: Any, *, index: int) -> dict[str, Any]:
    return {"codes": page_codes(draft.steps, index)}


def symptoms_answers_one_page(data: dict[str, Any]) -> dict[str, Any]:
    """The contract's `symptoms` from the follow-up check-in's one symptoms page
    (forms.symptoms.SymptomsForm: "fatigue_present", weeks)."""
    return {code: _one_page_symptom(data, code) for code in contract.SYMPTOMS}


def _one_page_symptom(data: dict[str, Any], code: str) -> dict[str, Any]:
    if data[f"{code}_present"] != "yes":
        return {"present": False}
    answer: dict[str, Any] = {"present": True, "severity": data[f"{code}_severity"]}
    if data[f"{code}_duration"] is not None:
        answer["duration_weeks"] = data[f"{code}_duration"]
    if data.get(f"{code}_sites"):
        answer["sites"] = list(data[f"{code}_sites"])
    both_sides = data.get(f"{code}_both_sides")
    if both_sides in ("yes", "no"):
        answer["both_sides"] = both_sides == "yes"
    return answer
