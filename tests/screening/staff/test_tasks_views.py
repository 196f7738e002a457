"""The task pages: the decision form's tasks, "My tasks" and all open tasks (overdue
highlighted, receptionists without the clinical content), closing and reassigning a task,
closing a submission with a reason, and the tasks on the record page."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from screening.domain.queries.clinic import clinic_settings
from screening.models import AuditEvent, Submission, Task
from tests.conftest import page_text
from tests.factories import SubmissionFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 6, 15, 9, 30, tzinfo=datetime.UTC)
TODAY = datetime.date(2025, 6, 15)
YESTERDAY = TODAY - datetime.timedelta(days=1)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


def record_url(submission) -> str:
    return f"/staff/submissions/{submission.public_id}/"


# --- the decision form ---------------------------------------------------------------


def test_decision_form_offers_tasks_with_me_and_the_default_due_dates(clinician_client, now):
    submission = SubmissionFactory(status="in_review")

    page = clinician_client.get(record_url(submission) + "decision/").content.decode()

    assert 'name="task_contact_patient"' in page
    assert 'name="task_chase_result_due" value="2025-06-29"' in page  # 14 days
    assert 'name="task_order_b12_test_due" value="2025-06-17"' in page  # 2 days
    assert "selected>clinician</option>" in page


def test_decision_with_a_task_creates_it(clinician_client, clinician, now):
    submission = SubmissionFactory(status="in_review")

    response = clinician_client.post(
        record_url(submission) + "decision/",
        {
            "outcomes": ["contact_patient"],
            "note": "",
            "task_contact_patient": "on",
            "task_contact_patient_owner": str(clinician.pk),
            "task_contact_patient_due": "2025-06-16",
        },
    )

    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == "tasks_open"
    assert list(Task.objects.values_list("kind", "owner", "due_on")) == [
        ("contact_patient", clinician.pk, datetime.date(2025, 6, 16))
    ]


def test_decision_with_a_past_due_date_keeps_every_answer(clinician_client, clinician, now):
    submission = SubmissionFactory(status="in_review")

    response = clinician_client.post(
        record_url(submission) + "decision/",
        {
            "outcomes": ["contact_patient"],
            "note": "Keep me.",
            "task_contact_patient": "on",
            "task_contact_patient_owner": str(clinician.pk),
            "task_contact_patient_due": "2025-06-14",
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "staff-error-summary" in page
    assert "The due date cannot be in the past." in page
    assert "Keep me." in page
    assert 'value="2025-06-14"' in page
    assert (Task.objects.count(), submission.reviews.count()) == (0, 0)


def test_unticked_task_is_not_created(clinician_client, clinician, now):
    submission = SubmissionFactory(status="in_review")

    clinician_client.post(
        record_url(submission) + "decision/",
        {
            "outcomes": ["no_action"],
            "task_chase_result_owner": str(clinician.pk),
            "task_chase_result_due": "2025-06-20",
        },
    )

    submission.refresh_from_db()
    assert (submission.status, Task.objects.count()) == ("reviewed", 0)


# --- the task list -------------------------------------------------------------------


def test_my_tasks_lists_mine_with_overdue_highlighted(clinician_client, clinician, now):
    late = TaskFactory(owner=clinician, due_on=YESTERDAY)
    TaskFactory(owner=clinician, due_on=TODAY, kind="chase_result")
    TaskFactory(owner=UserFactory(username="colleague"), due_on=YESTERDAY)

    response = clinician_client.get("/staff/tasks/")

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('class="task-row-overdue"') == 1
    assert "2 open tasks, " in page_text(page)
    assert "1 overdue" in page_text(page)
    assert late.submission.reference in page
    assert "Chase result" in page
    assert "colleague" not in page
    event = AuditEvent.objects.get(what="tasks.list")
    assert event.detail == {"scope": "mine", "page": 1, "rows": 2}


def test_all_open_tasks_lists_the_clinics(clinician_client, clinician, now):
    TaskFactory(owner=clinician)
    TaskFactory(owner=UserFactory(username="colleague"))
    TaskFactory(owner=clinician, closed_at=NOW, outcome="done")

    page = clinician_client.get("/staff/tasks/?show=all").content.decode()

    assert page.count("<tr") == 3  # the head and two open tasks
    assert "colleague" in page
    assert AuditEvent.objects.get(what="tasks.list").detail["scope"] == "all"


def test_receptionist_sees_that_tasks_exist_not_what_they_are(receptionist_client, now):
    task = TaskFactory(due_on=YESTERDAY, kind="order_b12_test", note="")
    task.note = "Sensitive note"
    task.save()

    response = receptionist_client.get("/staff/tasks/")

    page = response.content.decode()
    assert response.status_code == 200
    assert task.submission.reference in page
    assert task.owner.get_username() in page
    assert "14 Jun 2025" in page
    assert "Order B12 test" not in page
    assert "Sensitive note" not in page
    assert f"/staff/submissions/{task.submission.public_id}/" not in page
    assert "/close/" not in page


@pytest.mark.parametrize("show", ["", "?show=all"])
def test_task_list_costs_the_same_queries_for_1_and_3_tasks(
    clinician_client, clinician, now, django_assert_num_queries, show
):
    TaskFactory(owner=clinician)
    clinic_settings()  # cached, as in a running clinic: not part of the page's queries
    with CaptureQueriesContext(connection) as one:
        clinician_client.get("/staff/tasks/" + show)
    TaskFactory(owner=clinician, kind="chase_result")
    TaskFactory(owner=clinician, submission__patient__full_name="Another Patient")

    with django_assert_num_queries(len(one.captured_queries)):
        page = clinician_client.get("/staff/tasks/" + show).content.decode()
    assert page.count("/close/?from=tasks") == 3


def test_task_list_pages_past_fifty(clinician_client, clinician, now):
    for _ in range(51):
        TaskFactory(owner=clinician)

    first = clinician_client.get("/staff/tasks/").content.decode()
    second = clinician_client.get("/staff/tasks/?page=2").content.decode()

    assert (first.count("/close/?from=tasks"), second.count("/close/?from=tasks")) == (50, 1)
    assert "Page 1 of 2" in first


def test_nav_names_the_task_list(clinician_client, receptionist_client):
    assert b'<a href="/staff/tasks/">My tasks</a>' in clinician_client.get("/staff/").content
    assert b'<a href="/staff/tasks/">Open tasks</a>' in receptionist_client.get("/staff/").content


# --- closing and reassigning ---------------------------------------------------------


def test_close_a_task_from_the_list(clinician_client, clinician, now):
    task = TaskFactory(owner=clinician)

    response = clinician_client.post(
        f"/staff/tasks/{task.public_id}/close/?from=tasks", {"outcome": "no_answer", "note": "x"}
    )

    assert response["Location"] == "/staff/tasks/"
    task.refresh_from_db()
    assert (task.outcome, task.note, task.closed_by) == ("no_answer", "x", clinician)
    task.submission.refresh_from_db()
    assert task.submission.status == "reviewed"
    view = AuditEvent.objects.get(what="task.close", action=AuditEvent.Action.VIEW)
    assert view.object_id == str(task.submission.public_id)


def test_close_without_an_outcome_says_so(clinician_client, clinician, now):
    task = TaskFactory(owner=clinician)

    response = clinician_client.post(f"/staff/tasks/{task.public_id}/close/", {"note": "kept"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Choose how the task ended." in page
    assert "kept" in page
    task.refresh_from_db()
    assert task.is_open


def test_closed_task_cannot_be_closed_again(clinician_client, clinician, now):
    task = TaskFactory(owner=clinician, closed_at=NOW, outcome="done")

    response = clinician_client.post(
        f"/staff/tasks/{task.public_id}/close/", {"outcome": "declined"}, follow=True
    )

    assert "This task is already closed." in response.content.decode()
    task.refresh_from_db()
    assert task.outcome == "done"


def test_reassign_a_task(clinician_client, clinician, now):
    colleague = UserFactory(username="colleague")
    colleague.groups.set(clinician.groups.all())
    task = TaskFactory(owner=clinician)

    page = clinician_client.get(f"/staff/tasks/{task.public_id}/reassign/").content.decode()
    response = clinician_client.post(
        f"/staff/tasks/{task.public_id}/reassign/",
        {"owner": str(colleague.pk), "due_on": "2025-06-30"},
    )

    assert f'<option value="{clinician.pk}" selected>clinician</option>' in page
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.owner, task.due_on) == (colleague, datetime.date(2025, 6, 30))


def test_reassign_to_someone_who_is_no_clinician_is_refused(clinician_client, clinician, now):
    task = TaskFactory(owner=clinician)
    outsider = UserFactory(username="nobody")

    response = clinician_client.post(
        f"/staff/tasks/{task.public_id}/reassign/",
        {"owner": str(outsider.pk), "due_on": "2025-06-30"},
    )

    assert response.status_code == 200
    assert "staff-error-summary" in response.content.decode()
    task.refresh_from_db()
    assert task.owner == clinician


def test_unknown_task_is_404(clinician_client, now):
    assert (
        clinician_client.get(f"/staff/tasks/{SubmissionFactory().public_id}/close/").status_code
        == 404
    )


def test_receptionist_cannot_close_or_reassign(receptionist_client, now):
    task = TaskFactory()

    for action in ("close", "reassign"):
        response = receptionist_client.post(
            f"/staff/tasks/{task.public_id}/{action}/", {"outcome": "done"}
        )
        assert response.status_code == 403
    task.refresh_from_db()
    assert task.is_open


# --- closing a submission with a reason ------------------------------------------------


def test_close_with_a_reason_from_the_record(clinician_client, clinician, now):
    task = TaskFactory(owner=clinician)
    submission = task.submission

    record = clinician_client.get(record_url(submission)).content.decode()
    form = clinician_client.get(record_url(submission) + "close/").content.decode()
    response = clinician_client.post(
        record_url(submission) + "close/", {"reason": "Seen at another clinic."}, follow=True
    )

    assert f'href="/staff/submissions/{submission.public_id}/close/"' in record
    assert "Contact patient, clinician, due 17 Jun 2025" in page_text(form)
    page = response.content.decode()
    assert "is now closed" in page
    assert "Seen at another clinic." in page  # the status history
    assert "Cancelled (submission closed)" in page
    submission.refresh_from_db()
    assert submission.status == Submission.Status.CLOSED


def test_close_with_an_empty_reason_says_so(clinician_client, now):
    submission = SubmissionFactory(status="awaiting_test")

    response = clinician_client.post(record_url(submission) + "close/", {"reason": "  "})

    assert "Give the reason for closing the submission." in response.content.decode()
    submission.refresh_from_db()
    assert submission.status == "awaiting_test"


# --- the record page -----------------------------------------------------------------


def test_record_page_shows_tasks_overdue_highlighted(clinician_client, clinician, now):
    task = TaskFactory(owner=clinician, due_on=YESTERDAY)
    TaskFactory(
        submission=task.submission,
        owner=clinician,
        kind="chase_result",
        closed_at=NOW,
        closed_by=clinician,
        outcome="declined",
        note="Did not want a test.",
    )

    page = clinician_client.get(record_url(task.submission)).content.decode()

    assert page.count('class="task-row-overdue"') == 1
    assert "Declined, 15 Jun 2025" in page
    assert "Did not want a test." in page
    assert f"/staff/tasks/{task.public_id}/close/" in page
    assert "Tasks open" in page


def test_decision_posted_twice_stores_it_and_its_tasks_once(clinician_client, clinician, now):
    submission = SubmissionFactory(status="in_review")
    page = clinician_client.get(record_url(submission) + "decision/").content.decode()
    assert '<input type="hidden" name="seen_review" value="0"' in page
    data = {
        "seen_review": "0",
        "outcomes": ["contact_patient"],
        "task_contact_patient": "on",
        "task_contact_patient_owner": str(clinician.pk),
        "task_contact_patient_due": "2025-06-16",
    }

    clinician_client.post(record_url(submission) + "decision/", data)
    second = clinician_client.post(record_url(submission) + "decision/", data, follow=True)

    assert "a moment ago; nothing was saved" in second.content.decode()
    assert (submission.reviews.count(), Task.objects.count()) == (1, 1)
    assert AuditEvent.objects.filter(what="task.create").count() == 1
