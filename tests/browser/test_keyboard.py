"""The intake by keyboard alone: a patient completes it with Tab, the arrow keys (to
move within a group of radios, as browsers do), Space, Enter and typing; never a click.
Every stop on the way shows a visible focus ring, and a page with errors puts the focus
on its error summary.

It runs in a desktop browser zoomed to 200% (a 640x400 CSS-pixel layout at 2 device
pixels per CSS pixel), and no page of the journey scrolls sideways at that zoom."""

from __future__ import annotations

import pytest

from screening.intake.steps import STEPS_BY_SLUG
from screening.models import Submission
from tests.browser.conftest import assert_no_horizontal_scroll, screenshot
from tests.conftest import ANSWERS_COPY_URL, CONSENT_URL, STEP_URLS, VALID_PAGES

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MAX_TABS = 120  # more Tab presses than any page has stops: a bound, not a wait

# The focused element's name, type, value and checked state, and whether its focus
# ring can be seen: an outline at least 2px wide that is not transparent.
FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(),
    name: el.getAttribute("name") || "",
    type: el.type || "",
    value: el.value || "",
    checked: !!el.checked,
    text: (el.innerText || "").trim(),
    classes: el.className || "",
    ring: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2
      && style.outlineColor !== "rgba(0, 0, 0, 0)",
  };
}"""

# Field names in the order they come on the page (reading the page, not acting on it).
FIELD_ORDER = """() => [...new Set([...document.querySelectorAll('main form [name]')]
  .map(el => el.getAttribute('name')))]"""


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def tab_to(page, matches) -> dict:
    """Press Tab until the focused element matches; every stop must show its focus."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        now = focused(page)
        if now["tag"] != "body":
            assert now["ring"], f"no visible focus on {now}"
        if matches(now):
            return now
    raise AssertionError(f"Tab never reached the element after {MAX_TABS} presses")


def answer_field(page, name: str, value) -> None:
    now = tab_to(page, lambda el: el["name"] == name)
    if now["type"] == "radio":
        for _ in range(12):  # the arrow keys move through the group and select
            if now["value"] == value:
                break
            page.keyboard.press("ArrowRight")
            now = focused(page)
        if not now["checked"]:
            page.keyboard.press("Space")
        assert focused(page) | {"ring": True} == now | {"checked": True, "ring": True}
    elif now["type"] == "checkbox":
        values = value if isinstance(value, list) else [value]
        wanted = set(values) if values != ["on"] else {now["value"]}
        while True:
            if now["value"] in wanted and not now["checked"]:
                page.keyboard.press("Space")
                assert focused(page)["checked"]
                wanted.discard(now["value"])
            if not wanted:
                break
            now = tab_to(page, lambda el: el["name"] == name and el["value"] in wanted)
    elif now["tag"] == "select":
        for _ in range(30):  # a closed select steps through its options with the arrows
            if now["value"] == value:
                break
            page.keyboard.press("ArrowDown")
            now = focused(page)
        assert now["value"] == value
    else:
        page.keyboard.type(str(value))


def continue_with_enter(page) -> None:
    tab_to(page, lambda el: el["tag"] == "button" and "btn-success" in el["classes"])
    with page.expect_navigation():
        page.keyboard.press("Enter")


def answer_page(page, data: dict) -> None:
    """Answer the fields in page order, starting from the top of the page."""
    assert_no_horizontal_scroll(page)
    order = page.evaluate(FIELD_ORDER)
    for name in sorted(data, key=order.index):
        answer_field(page, name, data[name])
    continue_with_enter(page)


def test_the_intake_by_keyboard_alone_at_200_percent_zoom(zoomed):
    zoomed.goto("/")
    first = tab_to(zoomed, lambda el: True)
    assert first["text"] == "Skip to main content"
    assert_no_horizontal_scroll(zoomed)
    tab_to(zoomed, lambda el: el["text"] == "Start now")
    with zoomed.expect_navigation():
        zoomed.keyboard.press("Enter")
    assert zoomed.url.endswith(CONSENT_URL)
    # Before you start: the agreement, by keyboard too (the arrow keys choose in the group).
    answer_page(zoomed, {"care_consent": "yes"})
    assert zoomed.url.endswith(STEP_URLS["about-you"])

    # Continue with nothing answered: the focus goes to the error summary.
    continue_with_enter(zoomed)
    assert "error-summary" in focused(zoomed)["classes"]
    screenshot(zoomed, "keyboard-error-summary-focused")
    # The next Tab is the first error's link.
    zoomed.keyboard.press("Tab")
    assert focused(zoomed)["tag"] == "a"
    assert focused(zoomed)["ring"]

    # The symptom details page counts as "How you feel" (its progress_group): same number.
    numbers = [slug for slug in STEP_URLS if not STEPS_BY_SLUG[slug].progress_group]
    for slug in STEP_URLS:
        number = numbers.index(STEPS_BY_SLUG[slug].progress_group or slug) + 1
        assert zoomed.url.endswith(STEP_URLS[slug]), f"expected {slug}, at {zoomed.url}"
        # Where the patient is, in the heading (pregnancy applies once "About you" is sent).
        total = 6 if slug == "about-you" else 7
        caption = zoomed.locator("h1 .step-progress").inner_text()
        assert caption.startswith(f"Step {number} of {total}")
        answer_page(zoomed, VALID_PAGES[slug])
    assert zoomed.url.endswith("/intake/check/")
    assert_no_horizontal_scroll(zoomed)
    tab_to(zoomed, lambda el: el["text"] == "Send my answers")
    screenshot(zoomed, "keyboard-send-focused")
    with zoomed.expect_navigation():
        zoomed.keyboard.press("Enter")
    assert zoomed.url.endswith("/intake/done/")
    assert_no_horizontal_scroll(zoomed)
    screenshot(zoomed, "keyboard-zoom-200-done")
    # The printable copy of the answers, from the confirmation page.
    tab_to(zoomed, lambda el: el["text"] == "Print your answers")
    with zoomed.expect_navigation():
        zoomed.keyboard.press("Enter")
    assert zoomed.url.endswith(ANSWERS_COPY_URL)
    assert_no_horizontal_scroll(zoomed)
    tab_to(zoomed, lambda el: el["text"] == "Privacy notice")  # the footer, by Tab
    screenshot(zoomed, "keyboard-zoom-200-your-answers")

    submission = Submission.objects.get()
    assert submission.is_complete
    assert submission.patient.email == "ann.example@example.com"
    assert submission.diet == "vegan"
    assert {row.code for row in submission.symptoms.filter(present=True)} == {
        "fatigue",
        "numbness_tingling",
    }
    # How long, chosen by keyboard: a number typed and its unit picked with the arrows.
    fatigue = submission.symptoms.get(code="fatigue")
    assert (fatigue.duration_number, fatigue.duration_unit, fatigue.duration_weeks) == (
        12,
        "weeks",
        12,
    )


def test_switching_language_by_keyboard_keeps_what_was_typed(zoomed):
    """The language buttons on a question page send what was typed with them; Enter in a
    field still continues (it never switches the language)."""
    zoomed.goto(CONSENT_URL)
    answer_page(zoomed, {"care_consent": "yes"})
    assert zoomed.url.endswith(STEP_URLS["about-you"])
    answer_field(zoomed, "full_name", "Ann Example")
    tab_to(zoomed, lambda el: el["text"] == "Español")
    with zoomed.expect_navigation():
        zoomed.keyboard.press("Enter")
    assert zoomed.locator("html").get_attribute("lang") == "es"
    assert zoomed.input_value("#id_full_name") == "Ann Example"
    screenshot(zoomed, "keyboard-switched-with-typing")

    first = tab_to(zoomed, lambda el: el["name"] == "full_name")
    assert first["value"] == "Ann Example"
    with zoomed.expect_navigation():
        zoomed.keyboard.press("Enter")  # sends the page: errors for what is missing
    assert zoomed.locator("html").get_attribute("lang") == "es"
    assert "error-summary" in focused(zoomed)["classes"]
