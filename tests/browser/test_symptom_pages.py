"""The symptoms, one thing per page, in a phone's browser in English and Spanish: the
checklist, then the details page for a patient with every symptom (all 13 on one page),
empty and with its errors passing axe with zero violations, and the
check page showing how long as the patient said it."""

from __future__ import annotations

import pytest

from screening.engine import contract
from screening.models import Submission
from tests.browser.conftest import check_page
from tests.browser.helpers import answer, answer_until, fill, submit
from tests.conftest import STEP_URLS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LANGUAGES = {"en": "English", "es": "Español"}


def _details(page) -> dict:
    """Every symptom on a details page: 6 out of 10, for 3 months."""
    names = page.locator("main form input[name$='_severity']").evaluate_all(
        "els => els.map(el => el.name)"
    )
    data = {}
    for name in names:
        code = name.removesuffix("_severity")
        data.update(
            {
                name: "6",
                f"{code}_duration_number": "3",
                f"{code}_duration_unit": "months",
            }
        )
    return data


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_symptom_in_two_pages_with_axe_on_each(narrow, language):
    narrow.goto("/")
    if language != "en":
        with narrow.expect_navigation():
            narrow.locator("header").get_by_role("button", name=LANGUAGES[language]).click()
    answer_until(narrow, stop="symptoms")
    assert narrow.url.endswith(STEP_URLS["symptoms"])
    assert narrow.locator("html").get_attribute("lang") == language
    check_page(narrow, f"symptoms-{language}-checklist")
    submit(narrow)
    assert narrow.locator(".error-summary").count() == 1
    check_page(narrow, f"symptoms-{language}-checklist-errors")

    fill(narrow, {"symptoms": list(contract.SYMPTOMS)})
    submit(narrow)
    assert narrow.url.endswith(STEP_URLS["symptom-details-1"]), narrow.url
    name = f"symptoms-{language}-details"
    legends = narrow.locator("main form fieldset.question > legend").count()
    assert legends == len(contract.SYMPTOMS)  # every symptom on one page, its own fieldset
    check_page(narrow, name)
    submit(narrow)  # nothing answered: each symptom says what it needs
    assert narrow.locator(".error-summary").count() == 1
    check_page(narrow, f"{name}-errors")
    fill(narrow, _details(narrow))
    submit(narrow)
    assert narrow.url.endswith(STEP_URLS["urgent"])

    for slug in ("urgent", "risk-factors", "blood-tests", "anything-else"):
        answer(narrow, slug)
    assert narrow.url.endswith("/intake/check/")
    check_page(narrow, f"symptoms-{language}-check")
    said = {"en": "for 3 months", "es": "desde hace 3 meses"}[language]
    assert narrow.locator("main").inner_text().count(said) == len(contract.SYMPTOMS)
    submit(narrow)
    assert narrow.url.endswith("/intake/done/")
    rows = Submission.objects.get().symptoms.all()
    assert {(row.present, row.duration_number, row.duration_unit) for row in rows} == {
        (True, 3, "months")
    }


def test_none_of_these_goes_straight_to_the_urgent_page(narrow):
    answer_until(narrow, stop="symptoms")
    answer(narrow, "symptoms", symptoms=["none"])
    assert narrow.url.endswith(STEP_URLS["urgent"])
