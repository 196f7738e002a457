"""The symptoms pages as a patient walks them: the checklist, then how much and how long
for the symptoms chosen, the check page in the patient's own units, and what is stored."""

from __future__ import annotations

import html

from screening.engine import contract
from screening.models import Submission, SymptomAnswer
from tests.conftest import CHECK_URL, STEP_URLS, SYMPTOM_DETAILS_2_URL, VALID_PAGES, page_text

CHECKLIST = STEP_URLS["symptoms"]
DETAILS_1 = STEP_URLS["symptom-details-1"]


def _details(codes, **changes) -> dict:
    data = {}
    for code in codes:
        data.update(
            {
                f"{code}_severity": "5",
                f"{code}_duration_number": "3",
                f"{code}_duration_unit": "months",
            }
        )
    return {**data, **changes}


def test_a_patient_with_every_symptom_answers_two_symptom_screens(journey):
    journey.answer_all(until="symptoms")
    symptom_screens = []
    response = journey.post(CHECKLIST, {"symptoms": list(contract.SYMPTOMS)})
    symptom_screens.append(CHECKLIST)
    while response["Location"] in (DETAILS_1, SYMPTOM_DETAILS_2_URL):
        url = response["Location"]
        page = journey.get(url).content.decode()
        codes = [code for code in contract.SYMPTOMS if f'name="{code}_severity"' in page]
        response = journey.post(url, _details(codes))
        symptom_screens.append(url)
    assert response["Location"] == STEP_URLS["urgent"]
    assert symptom_screens == [CHECKLIST, DETAILS_1]  # all 13 on one details page
    for slug in ("urgent", "risk-factors", "blood-tests", "anything-else"):
        journey.answer(slug)
    journey.submit()
    rows = SymptomAnswer.objects.filter(submission=Submission.objects.get())
    assert {(row.duration_number, row.duration_unit, row.duration_weeks) for row in rows} == {
        (3, "months", 13)
    }


def test_ticking_none_goes_straight_to_the_urgent_page(journey):
    journey.answer_all(until="symptoms")
    response = journey.answer("symptoms", symptoms=["none"])
    assert response["Location"] == STEP_URLS["urgent"]
    assert journey.get(DETAILS_1)["Location"] == STEP_URLS["urgent"]  # it does not apply


def test_details_page_asks_only_about_the_symptoms_ticked(journey):
    journey.answer_all(until="symptom-details-1")
    page = journey.get(DETAILS_1).content.decode()
    asked = [code for code in contract.SYMPTOMS if f'name="{code}_severity"' in page]
    assert asked == ["fatigue", "numbness_tingling"]
    assert 'name="numbness_tingling_sites"' in page
    assert 'name="numbness_tingling_both_sides"' in page


def test_details_page_before_the_checklist_sends_the_patient_back(journey):
    journey.answer_all(until="symptoms")
    assert journey.get(DETAILS_1)["Location"] == STEP_URLS["urgent"]  # no symptoms known yet
    assert journey.get(STEP_URLS["urgent"])["Location"] == CHECKLIST


def test_check_page_shows_how_long_as_the_patient_said_it(journey):
    journey.answer_all(until="symptom-details-1")
    journey.answer("symptom-details-1", fatigue_duration_number="3", fatigue_duration_unit="months")
    for slug in ("urgent", "risk-factors", "blood-tests", "anything-else"):
        journey.answer(slug)
    text = html.unescape(page_text(journey.get(CHECK_URL).content.decode()))
    assert "Yes: 7 out of 10, for 3 months" in text
    assert "Yes: 4 out of 10, I don't know how long" in text


def test_change_adds_a_symptom_asks_only_for_it_then_returns(journey):
    journey.answer_all()
    response = journey.post(
        f"{CHECKLIST}?return=check", {"symptoms": ["fatigue", "numbness_tingling", "joint_pain"]}
    )
    assert response["Location"] == f"{SYMPTOM_DETAILS_2_URL}?return=check"
    page = journey.get(response["Location"]).content.decode()
    asked = [code for code in contract.SYMPTOMS if f'name="{code}_severity"' in page]
    assert asked == ["joint_pain"]
    response = journey.post(
        f"{SYMPTOM_DETAILS_2_URL}?return=check",
        _details(["joint_pain"], joint_pain_duration_number="2", joint_pain_duration_unit="years"),
    )
    assert response["Location"] == CHECK_URL
    journey.submit()
    rows = {row.code: row for row in Submission.objects.get().symptoms.all()}
    assert (rows["fatigue"].severity, rows["fatigue"].duration_weeks) == (7, 12)
    assert (rows["joint_pain"].duration_number, rows["joint_pain"].duration_weeks) == (2, 104)


def test_change_removes_a_symptom_and_its_details(journey):
    journey.answer_all()
    response = journey.post(f"{CHECKLIST}?return=check", {"symptoms": ["fatigue"]})
    assert response["Location"] == CHECK_URL
    journey.submit()
    rows = {row.code: row for row in Submission.objects.get().symptoms.all()}
    numbness = rows["numbness_tingling"]
    assert (numbness.present, numbness.severity, numbness.sites, numbness.duration_unit) == (
        False,
        None,
        None,
        "",
    )


def test_i_dont_know_is_stored_without_weeks(journey):
    journey.answer_all()
    journey.submit()
    numbness = Submission.objects.get().symptoms.get(code="numbness_tingling")
    assert (numbness.duration_weeks, numbness.duration_number, numbness.duration_unit) == (
        None,
        None,
        "dont_know",
    )


def test_details_page_error_keeps_what_was_typed(journey):
    journey.answer_all(until="symptom-details-1")
    response = journey.answer(
        "symptom-details-1", fatigue_duration_number="25", fatigue_duration_unit="years"
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Tiredness or lack of energy: enter a time of 20 years or less" in page
    assert 'value="25"' in page
    assert VALID_PAGES["symptom-details-1"]["numbness_tingling_severity"] == "4"
    assert 'name="numbness_tingling_severity" value="4"' in page


def test_durations_as_said_are_kept_through_an_urgent_store_and_the_send(journey):
    journey.answer_all(until="urgent")
    journey.answer("urgent", chest_pain="yes")  # stored at once, then completed
    urgent_rows = {row.code: row for row in Submission.objects.get().symptoms.all()}
    assert urgent_rows["fatigue"].duration_unit == "weeks"
    for slug in ("risk-factors", "blood-tests", "anything-else"):
        journey.answer(slug)
    journey.submit()
    submission = Submission.objects.get()
    assert submission.is_complete
    rows = {row.code: row for row in submission.symptoms.all()}
    assert (rows["fatigue"].duration_number, rows["fatigue"].duration_unit) == (12, "weeks")
    assert rows["numbness_tingling"].duration_unit == "dont_know"
