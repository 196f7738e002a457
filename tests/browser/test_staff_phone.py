"""The queue and the record pages on a 390 px phone: the page never scrolls sideways
(document scrollWidth <= the viewport's width); wide tables scroll inside their own box,
which a keyboard can reach and a screen reader names; date fields take the format their
hint names."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_no_horizontal_scroll, check_page
from tests.browser.helpers import sign_in, submit
from tests.browser.test_accessibility_staff import clinic_data
from tests.conftest import STAFF_PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCROLL_BOXES = """() => [...document.querySelectorAll('.table-scroll')].map(box => ({
    focusable: box.tabIndex === 0,
    role: box.getAttribute('role'),
    named: Boolean(box.getAttribute('aria-label') || box.getAttribute('aria-labelledby')),
    overflow: getComputedStyle(box).overflowX,
    inside: box.getBoundingClientRect().right <= window.innerWidth + 0.5,
    table: box.querySelector('table') !== null,
}))"""


# The innermost elements that reach past the viewport's right edge (for the message).
# What each scroll box holds (for the message): its right edge, overflow, width inside.
WIDER_THAN_THE_PAGE = """() => [...document.querySelectorAll('.table-scroll')]
  .map(el => [Math.round(el.getBoundingClientRect().right), getComputedStyle(el).overflowX,
    el.scrollWidth, (el.getAttribute('aria-label') || '').slice(0, 30)])"""


def test_queue_submission_and_patient_pages_fit_a_phone(phone, clinician):
    submission = clinic_data(clinician)
    sign_in(phone, clinician, STAFF_PASSWORD)

    pages = {
        "queue": "/staff/",
        "submission": f"/staff/submissions/{submission.public_id}/",
        "patient": f"/staff/patients/{submission.patient.public_id}/",
    }
    for name, url in pages.items():
        assert phone.goto(url).status == 200, url
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= phone.viewport_size["width"] == 390, (
            f"{name}: {width}px, wider: {phone.evaluate(WIDER_THAN_THE_PAGE)}"
        )
        boxes = phone.evaluate(SCROLL_BOXES)
        assert boxes, name
        for box in boxes:
            assert box == {
                "focusable": True,
                "role": "region",
                "named": True,
                "overflow": "auto",
                "inside": True,
                "table": True,
            }, name
        assert phone.locator("table").count() == len(boxes), f"{name}: a table outside a box"
        check_page(phone, f"staff-phone-{name}")


def test_the_queues_wide_table_scrolls_inside_its_box_by_keyboard(phone, clinician):
    clinic_data(clinician)
    sign_in(phone, clinician, STAFF_PASSWORD)
    phone.goto("/staff/")

    box = phone.locator(".table-scroll").first
    assert box.evaluate("b => b.scrollWidth > b.clientWidth")  # wider than the phone
    box.focus()
    phone.keyboard.press("ArrowRight")
    phone.wait_for_function("() => document.querySelector('.table-scroll').scrollLeft > 0")
    assert_no_horizontal_scroll(phone)


def test_a_date_typed_as_its_hint_says_filters_the_queue(phone, clinician):
    clinic_data(clinician)
    sign_in(phone, clinician, STAFF_PASSWORD)
    phone.goto("/staff/")

    field = phone.locator("#id_submitted_from")
    hint = phone.locator(f"#{field.get_attribute('aria-describedby').split()[0]}").inner_text()
    assert hint == "Year-month-day, for example 2026-03-31"
    assert field.get_attribute("type") == "text"
    field.fill("2026-03-31")
    submit(phone, "form.queue-filters button.btn-primary")
    assert "submitted_from=2026-03-31" in phone.url
    assert phone.locator(".staff-error-summary").count() == 0
    assert_no_horizontal_scroll(phone)
