"""Change links: from a row of "Check your answers" to the question itself (the fragment
names the question's wrapper or fieldset), back to that row once the page is sent, and
no fragment carried on to any other page."""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

import pytest

from screening.intake import returning
from tests.conftest import CHECK_URL, STEP_URLS, VALID_PAGES


def _change_links(page: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'href="([^"]*\?return=check[^"]*)"', page)]


def _ids(page: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', page))


def test_every_change_link_lands_on_an_element_of_its_page_and_has_a_row(journey):
    journey.answer_all()
    check = journey.get(CHECK_URL).content.decode()
    links = _change_links(check)
    # The send form names the check page without the row's fragment it may be shown at.
    assert f'<form method="post" action="{CHECK_URL}" novalidate>' in check
    # every row of the check page: the symptoms are "Things you have noticed" and one row
    # for each symptom ticked (fatigue, numbness or tingling)
    assert len(links) == 6 + 2 + 3 + 9 + 7 + 1 + 1
    for link in links:
        url, anchor = link.split("#")
        assert url.endswith(f"?return=check&answer={anchor}"), link
        assert returning.row_id(anchor) in _ids(check), link
        assert anchor in _ids(journey.get(url).content.decode()), link


def test_change_link_wrappers_hold_the_question_label(journey):
    journey.answer_all()
    page = journey.get(STEP_URLS["about-you"] + "?return=check").content.decode()
    sex = re.search(r'<div id="div_id_sex".*?</legend>', page, re.S).group(0)
    assert "What sex were you registered at birth?" in sex
    date = re.search(r'<fieldset id="date_of_birth".*?</legend>', page, re.S).group(0)
    assert "Date of birth" in date


def test_a_changed_page_goes_back_to_its_row_on_the_check_page(journey):
    journey.answer_all()
    url = STEP_URLS["risk-factors"] + "?return=check&answer=div_id_diet"
    page = journey.get(url).content.decode()
    assert f'href="{CHECK_URL}#answer-div_id_diet" class="back-link"' in page
    assert f'action="{STEP_URLS["risk-factors"]}?return=check&amp;answer=div_id_diet"' in page

    response = journey.post(url, {**VALID_PAGES["risk-factors"], "diet": "vegetarian"})

    assert response.status_code == 302
    assert response["Location"] == CHECK_URL + "#answer-div_id_diet"
    assert journey.client.session["intake"]["steps"]["risk-factors"]["diet"] == "vegetarian"


def test_a_change_that_makes_pregnancy_apply_asks_it_then_goes_back_to_the_row(journey):
    journey.answer("about-you", sex="male")
    for slug in list(STEP_URLS)[2:]:
        journey.answer(slug)
    url = STEP_URLS["about-you"] + "?return=check&answer=div_id_sex"

    first = journey.post(url, VALID_PAGES["about-you"])  # now a woman of 35
    assert first["Location"] == STEP_URLS["pregnancy"] + "?return=check&answer=div_id_sex"
    page = journey.get(first["Location"]).content.decode()
    assert "#" not in first["Location"]
    assert f'href="{CHECK_URL}#answer-div_id_sex" class="back-link"' in page
    second = journey.post(first["Location"], VALID_PAGES["pregnancy"])

    assert second["Location"] == CHECK_URL + "#answer-div_id_sex"


@pytest.mark.parametrize("slug", list(STEP_URLS))
def test_the_next_page_in_order_has_no_fragment(journey, slug):
    journey.answer_all(until=slug)
    response = journey.answer(slug)
    assert "#" not in response["Location"]
    assert "return=" not in response["Location"]


@pytest.mark.parametrize("answer", ["", "<script>", "a b", "x" * 81, "1abc"])
def test_an_answer_that_is_not_an_id_goes_back_to_the_top_of_the_check_page(journey, answer):
    journey.answer_all()
    url = STEP_URLS["anything-else"] + "?" + urlencode({"return": "check", "answer": answer})
    response = journey.post(url, VALID_PAGES["anything-else"])
    assert response["Location"] == CHECK_URL


def test_without_return_the_answer_is_ignored(journey):
    journey.answer_all()
    url = STEP_URLS["anything-else"] + "?answer=div_id_anything_else"
    response = journey.post(url, VALID_PAGES["anything-else"])
    assert response["Location"] == CHECK_URL  # the last page leads to check anyway
    assert "#" not in response["Location"]


def test_locked_rows_have_no_change_link_and_no_anchor(journey):
    journey.answer_all(until="urgent")
    journey.answer("urgent", chest_pain="yes")
    for slug in list(STEP_URLS)[4:]:
        journey.answer(slug)
    page = journey.get(CHECK_URL).content.decode()
    assert 'id="answer-div_id_full_name"' not in page
    assert 'id="answer-div_id_chest_pain"' not in page
    assert 'id="answer-div_id_diet"' in page
