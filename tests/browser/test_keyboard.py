"""The intake by keyboard alone: a patient completes it with Tab, the arrow keys (to
move within a group of radios, as browsers do), Space, Enter and typing; never a click.
Every stop on the way shows a visible focus ring, and a page with errors puts the focus
on its error summary."""

from __future__ import annotations

import pytest

from screening.models import Submission
from tests.browser.conftest import screenshot
from tests.conftest import STEP_URLS, VALID_PAGES

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
    order = page.evaluate(FIELD_ORDER)
    for name in sorted(data, key=order.index):
        answer_field(page, name, data[name])
    continue_with_enter(page)


def test_the_intake_by_keyboard_alone(phone):
    phone.goto("/")
    first = tab_to(phone, lambda el: True)
    assert first["text"] == "Skip to main content"
    tab_to(phone, lambda el: el["text"] == "Start now")
    with phone.expect_navigation():
        phone.keyboard.press("Enter")
    assert phone.url.endswith(STEP_URLS["about-you"])

    # Continue with nothing answered: the focus goes to the error summary.
    continue_with_enter(phone)
    assert "error-summary" in focused(phone)["classes"]
    screenshot(phone, "keyboard-error-summary-focused")
    # The next Tab is the first error's link.
    phone.keyboard.press("Tab")
    assert focused(phone)["tag"] == "a"
    assert focused(phone)["ring"]

    for slug in STEP_URLS:
        assert phone.url.endswith(STEP_URLS[slug]), f"expected {slug}, at {phone.url}"
        answer_page(phone, VALID_PAGES[slug])
    assert phone.url.endswith("/intake/check/")
    tab_to(phone, lambda el: el["text"] == "Send my answers")
    screenshot(phone, "keyboard-send-focused")
    with phone.expect_navigation():
        phone.keyboard.press("Enter")
    assert phone.url.endswith("/intake/done/")

    submission = Submission.objects.get()
    assert submission.is_complete
    assert submission.patient.email == "ann.example@example.com"
    assert submission.diet == "vegan"
    assert {row.code for row in submission.symptoms.filter(present=True)} == {
        "fatigue",
        "numbness_tingling",
    }
