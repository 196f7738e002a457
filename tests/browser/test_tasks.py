"""A clinician creates a task with a decision, finds it in "My tasks" and closes it; the
submission then leaves the open queue. Every page on the way passes axe-core."""

from __future__ import annotations

import copy

import pytest

from screening.domain.intake import intake_submit
from screening.models import Submission, Task
from tests.browser.conftest import check_page
from tests.browser.helpers import sign_in, submit
from tests.conftest import PATIENT_DETAILS, STAFF_PASSWORD, VALID_ANSWERS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

FORM_BUTTON = "main form:not([action]) button[type=submit]"


def test_create_a_task_with_a_decision_then_close_it(desktop, clinician):
    submission = intake_submit(
        answers=copy.deepcopy(VALID_ANSWERS),
        patient_details=dict(PATIENT_DETAILS),
        idempotency_key="browser-task",
        language="en",
    )
    sign_in(desktop, clinician, STAFF_PASSWORD)

    desktop.goto(f"/staff/submissions/{submission.public_id}/decision/")
    desktop.get_by_label("Contact patient", exact=True).check()
    desktop.get_by_label("Create a task: Contact patient").check()
    check_page(desktop, "tasks-decision-form")
    submit(desktop, FORM_BUTTON)
    assert "tasks open" in desktop.get_by_role("status").first.inner_text()
    tasks = desktop.locator("table.tasks-table tbody tr")
    assert tasks.count() == 1
    assert "Contact patient" in tasks.first.inner_text()
    assert "Open" in tasks.first.inner_text()
    check_page(desktop, "tasks-record")

    with desktop.expect_navigation():
        desktop.get_by_role("link", name="My tasks").click()
    rows = desktop.locator("table.tasks-table tbody tr")
    assert rows.count() == 1
    assert submission.reference in rows.first.inner_text()
    check_page(desktop, "tasks-my-tasks")

    with desktop.expect_navigation():
        rows.first.get_by_role("link", name="Close").click()
    check_page(desktop, "tasks-close")
    submit(desktop, FORM_BUTTON)  # no outcome chosen: an error by the field
    assert desktop.locator(".staff-error-summary").count() == 1
    check_page(desktop, "tasks-close-errors")
    desktop.get_by_label("Done").check()
    desktop.get_by_label("Note (optional)").fill("Spoke to her; she will book a test.")
    submit(desktop, FORM_BUTTON)
    assert desktop.url.endswith("/staff/tasks/")
    assert "is now reviewed" in desktop.get_by_role("status").first.inner_text()
    assert "No open tasks." in desktop.locator("main").inner_text()

    submission.refresh_from_db()
    task = Task.objects.get()
    assert (submission.status, task.outcome) == (Submission.Status.REVIEWED, "done")
    assert task.note == "Spoke to her; she will book a test."
