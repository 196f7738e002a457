"""The review queue at /staff/: order, filters, search, pages, counts, highlight, roles."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from screening.models import AuditEvent, Submission
from screening.staff.views import queue as queue_views
from tests.factories import (
    PatientFactory,
    ScreeningResultFactory,
    SubmissionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

QUEUE_URL = "/staff/"
NOW = datetime.datetime(2025, 6, 15, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


def _ago(**delta) -> datetime.datetime:
    return NOW - datetime.timedelta(**delta)


def _references(response) -> list[str]:
    return [row.submission.reference for row in response.context["rows"]]


def _with_reason(submission, *texts):
    ScreeningResultFactory(
        submission=submission,
        level=submission.level,
        reasons=[
            {"code": f"code.{i}", "text": text, "source": "test"} for i, text in enumerate(texts)
        ],
    )
    return submission


def test_queue_url_is_the_staff_root():
    assert reverse("staff:queue") == QUEUE_URL


def test_queue_orders_by_level_then_longest_waiting(clinician_client, now):
    routine_old = SubmissionFactory(level="routine", submitted_at=_ago(days=3))
    urgent_new = SubmissionFactory(level="urgent", submitted_at=_ago(minutes=5))
    no_flag = SubmissionFactory(level="no_flag", submitted_at=_ago(days=9))
    urgent_old = SubmissionFactory(level="urgent", submitted_at=_ago(hours=2))
    soon = SubmissionFactory(level="review_soon", submitted_at=_ago(days=1))

    response = clinician_client.get(QUEUE_URL)

    assert response.status_code == 200
    assert _references(response) == [
        urgent_old.reference,
        urgent_new.reference,
        soon.reference,
        routine_old.reference,
        no_flag.reference,
    ]


def test_queue_default_shows_open_statuses_only(clinician_client, now):
    open_refs = {
        SubmissionFactory(status=status).reference
        for status in ("new", "in_review", "awaiting_test", "tasks_open")
    }
    SubmissionFactory(status="reviewed")
    SubmissionFactory(status="closed")

    response = clinician_client.get(QUEUE_URL)

    assert set(_references(response)) == open_refs


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("all", {"new", "in_review", "awaiting_test", "tasks_open", "reviewed", "closed"}),
        ("closed", {"closed"}),
        ("reviewed", {"reviewed"}),
        ("in_review", {"in_review"}),
    ],
)
def test_queue_status_filter(clinician_client, now, status, expected):
    by_reference = {
        SubmissionFactory(status=code).reference: code for code in Submission.Status.values
    }

    response = clinician_client.get(QUEUE_URL, {"status": status})

    assert {by_reference[reference] for reference in _references(response)} == expected


def test_queue_level_filter(clinician_client, now):
    urgent = SubmissionFactory(level="urgent")
    SubmissionFactory(level="routine")
    SubmissionFactory(level="no_flag")

    response = clinician_client.get(QUEUE_URL, {"level": "urgent"})

    assert _references(response) == [urgent.reference]


def test_queue_assignee_filters(clinician_client, clinician, now):
    colleague = UserFactory(username="colleague")
    mine = SubmissionFactory(assignee=clinician, status="in_review")
    theirs = SubmissionFactory(assignee=colleague, status="in_review")
    nobody = SubmissionFactory(assignee=None)

    assert _references(clinician_client.get(QUEUE_URL, {"assignee": "me"})) == [mine.reference]
    assert _references(clinician_client.get(QUEUE_URL, {"assignee": "unassigned"})) == [
        nobody.reference
    ]
    # A colleague is only a choice when they may review.
    response = clinician_client.get(QUEUE_URL, {"assignee": str(colleague.pk)})
    assert response.context["form"].errors["assignee"]
    assert set(_references(response)) == {mine.reference, theirs.reference, nobody.reference}
    response = clinician_client.get(QUEUE_URL, {"assignee": str(clinician.pk)})
    assert _references(response) == [mine.reference]


def test_queue_date_range_includes_both_days(clinician_client, now):
    before = SubmissionFactory(
        submitted_at=datetime.datetime(2025, 6, 9, 22, 59, tzinfo=datetime.UTC)
    )
    # 23:30 UTC on 9 June is 00:30 on 10 June in London (summer time): the clinic's day.
    first_day = SubmissionFactory(
        submitted_at=datetime.datetime(2025, 6, 9, 23, 30, tzinfo=datetime.UTC)
    )
    last_day = SubmissionFactory(
        submitted_at=datetime.datetime(2025, 6, 12, 21, 0, tzinfo=datetime.UTC)
    )
    SubmissionFactory(submitted_at=datetime.datetime(2025, 6, 12, 23, 30, tzinfo=datetime.UTC))

    response = clinician_client.get(
        QUEUE_URL, {"submitted_from": "2025-06-10", "submitted_to": "2025-06-12"}
    )

    assert set(_references(response)) == {first_day.reference, last_day.reference}
    assert before.reference not in _references(response)


@pytest.mark.parametrize("term", ["hopkins", "JANE.HOP", "{reference_part}"])
def test_queue_search_by_name_email_or_reference(clinician_client, now, term):
    patient = PatientFactory(full_name="Jane Hopkins", email="jane.hopkins@example.com")
    wanted = SubmissionFactory(patient=patient)
    SubmissionFactory(patient=PatientFactory(full_name="Someone Else"))
    term = term.format(reference_part=wanted.reference[4:].lower())

    response = clinician_client.get(QUEUE_URL, {"q": term})

    assert _references(response) == [wanted.reference]


def test_queue_paginates_25_a_page(clinician_client, now):
    for minutes in range(30):
        SubmissionFactory(submitted_at=_ago(minutes=minutes))

    first = clinician_client.get(QUEUE_URL)
    second = clinician_client.get(QUEUE_URL, {"page": "2"})

    assert len(first.context["rows"]) == 25
    assert len(second.context["rows"]) == 5
    assert set(_references(first)).isdisjoint(_references(second))
    assert "Page 1 of 2" in first.content.decode()
    assert 'href="?page=2"' in first.content.decode()


def test_queue_pagination_keeps_the_filters(clinician_client, now):
    for minutes in range(26):
        SubmissionFactory(level="routine", submitted_at=_ago(minutes=minutes))

    response = clinician_client.get(QUEUE_URL, {"level": "routine"})

    assert 'href="?level=routine&amp;page=2"' in response.content.decode()


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of 2 rows over the first 5 rows at most (25 and 1,000 in the clinic)."""
    monkeypatch.setattr(queue_views, "QUEUE_PAGE_SIZE", 2)
    monkeypatch.setattr(queue_views, "QUEUE_MAX_ROWS", 5)


def test_queue_pages_through_the_first_rows_only(clinician_client, now, small_pages):
    submissions = [SubmissionFactory(submitted_at=_ago(minutes=60 - m)) for m in range(7)]

    pages = [clinician_client.get(QUEUE_URL, {"page": str(n)}) for n in (1, 2, 3, 4, 2000)]

    assert [_references(page) for page in pages[:3]] == [
        [s.reference for s in submissions[0:2]],
        [s.reference for s in submissions[2:4]],
        [submissions[4].reference],
    ]
    # Beyond the last page: the last page, as for any page number out of range.
    assert _references(pages[3]) == _references(pages[4]) == [submissions[4].reference]
    caption = "More than 5 submissions: the first 5 are shown"
    assert caption in pages[0].content.decode()
    assert "page 1 of 3" in pages[0].content.decode()


def test_queue_up_to_the_limit_counts_every_row(clinician_client, now, small_pages):
    for minutes in range(5):
        SubmissionFactory(submitted_at=_ago(minutes=minutes))

    response = clinician_client.get(QUEUE_URL)

    assert "5 submissions, page 1 of 3." in response.content.decode()
    assert "More than" not in response.content.decode()


def test_queue_a_page_keeps_queue_order_with_filters(clinician_client, now, small_pages):
    patient = PatientFactory(full_name="Jane Hopkins")
    routine = SubmissionFactory(patient=patient, level="routine", submitted_at=_ago(hours=5))
    urgent_new = SubmissionFactory(patient=patient, level="urgent", submitted_at=_ago(hours=1))
    urgent_old = SubmissionFactory(patient=patient, level="urgent", submitted_at=_ago(hours=9))
    SubmissionFactory(level="urgent", submitted_at=_ago(hours=10))  # someone else

    first = clinician_client.get(QUEUE_URL, {"q": "hopkins"})
    second = clinician_client.get(QUEUE_URL, {"q": "hopkins", "page": "2"})

    assert _references(first) == [urgent_old.reference, urgent_new.reference]
    assert _references(second) == [routine.reference]


def test_queue_all_matches_counted_pages_in_queue_order_among_them(
    clinician_client, now, small_pages
):
    """No more than QUEUE_MAX_ROWS (5 here) match: the page is picked among the ids the
    count read, in the same order and with the same filters as a longer list."""
    patient = PatientFactory(full_name="Jane Hopkins")
    levels = ["routine", "urgent", "no_flag", "urgent", "review_soon"]
    made = [
        SubmissionFactory(patient=patient, level=level, submitted_at=_ago(hours=hours))
        for hours, level in enumerate(levels)
    ]
    SubmissionFactory.create_batch(3, level="urgent")  # someone else's, more than 5 in all

    with CaptureQueriesContext(connection) as statements:
        pages = [clinician_client.get(QUEUE_URL, {"q": "hopkins", "page": n}) for n in "123"]
    expected = sorted(made, key=lambda s: (s.level_rank, s.submitted_at, s.id))

    assert [_references(page) for page in pages] == [
        [s.reference for s in expected[0:2]],
        [s.reference for s in expected[2:4]],
        [expected[4].reference],
    ]
    assert "5 submissions, page 1 of 3." in pages[0].content.decode()
    # Each page's statement picks among the five ids the count read.
    ids = ", ".join(str(pk) for pk in sorted(s.pk for s in made))
    assert sum(f"IN ({ids})" in q["sql"] for q in statements.captured_queries) == 3


@pytest.mark.parametrize("page", ["abc", "99", "-1"])
def test_queue_bad_page_numbers_show_a_page(clinician_client, now, page):
    SubmissionFactory()

    response = clinician_client.get(QUEUE_URL, {"page": page})

    assert response.status_code == 200
    assert len(response.context["rows"]) == 1


def test_queue_counts_open_submissions_per_level(clinician_client, now):
    SubmissionFactory.create_batch(2, level="urgent")
    SubmissionFactory(level="urgent", status="closed")
    SubmissionFactory(level="routine", status="awaiting_test")
    SubmissionFactory(level="no_flag", status="reviewed")

    response = clinician_client.get(QUEUE_URL, {"level": "routine"})

    assert response.context["level_count_rows"] == [
        ("urgent", "Urgent", 2, False),
        ("review_soon", "Review soon", 0, False),
        ("routine", "Routine", 1, False),
        ("no_flag", "No flag", 0, False),
    ]


def test_queue_counts_per_level_stop_at_the_row_limit(clinician_client, now, small_pages):
    """Past QUEUE_MAX_ROWS (5 here, 1,000 in the clinic) a level's count shows as "5+":
    counting every open row of a level on every page is what a million rows made slow."""
    SubmissionFactory.create_batch(6, level="urgent")
    SubmissionFactory.create_batch(5, level="routine")

    response = clinician_client.get(QUEUE_URL)

    assert response.context["level_count_rows"] == [
        ("urgent", "Urgent", 5, True),
        ("review_soon", "Review soon", 0, False),
        ("routine", "Routine", 5, False),
        ("no_flag", "No flag", 0, False),
    ]
    html = response.content.decode()
    assert '<span class="level-count-number">5+</span>' in html
    assert '<span class="level-count-number">5</span>' in html


@pytest.mark.parametrize(
    ("waited", "overdue"),
    [
        (datetime.timedelta(minutes=59, seconds=59), False),
        (datetime.timedelta(minutes=60), False),
        (datetime.timedelta(minutes=60, seconds=1), True),
    ],
)
def test_queue_urgent_highlight_after_the_limit(clinician_client, now, settings, waited, overdue):
    settings.QUEUE_URGENT_HIGHLIGHT_MINUTES = 60
    SubmissionFactory(level="urgent", submitted_at=NOW - waited)

    response = clinician_client.get(QUEUE_URL)

    assert [row.overdue for row in response.context["rows"]] == [overdue]
    assert ("Waiting over 60 min" in response.content.decode()) is overdue
    assert ("queue-row-overdue" in response.content.decode()) is overdue


def test_queue_highlight_limit_comes_from_settings(clinician_client, now, settings):
    settings.QUEUE_URGENT_HIGHLIGHT_MINUTES = 15
    SubmissionFactory(level="urgent", submitted_at=_ago(minutes=16))

    response = clinician_client.get(QUEUE_URL)

    assert "Waiting over 15 min" in response.content.decode()


@pytest.mark.parametrize(
    ("level", "status"),
    [("review_soon", "new"), ("urgent", "awaiting_test"), ("urgent", "reviewed")],
)
def test_queue_no_highlight_unless_urgent_and_undecided(
    clinician_client, now, settings, level, status
):
    settings.QUEUE_URGENT_HIGHLIGHT_MINUTES = 60
    SubmissionFactory(level=level, status=status, submitted_at=_ago(hours=5))

    response = clinician_client.get(QUEUE_URL, {"status": "all"})

    assert [row.overdue for row in response.context["rows"]] == [False]
    assert "Waiting over" not in response.content.decode()


def test_queue_shows_waiting_time_and_assignee(clinician_client, clinician, now):
    SubmissionFactory(submitted_at=_ago(hours=3, minutes=5), assignee=clinician)

    page = clinician_client.get(QUEUE_URL).content.decode()

    assert "<td>3 h 5 min</td>" in page
    assert "<td>clinician</td>" in page


def test_queue_clinician_sees_level_and_top_three_reasons(clinician_client, now):
    submission = SubmissionFactory(level="review_soon")
    _with_reason(submission, "First reason", "Second reason", "Third reason", "Fourth reason")

    response = clinician_client.get(QUEUE_URL)
    page = response.content.decode()

    assert response.context["rows"][0].top_reasons == [
        "First reason",
        "Second reason",
        "Third reason",
    ]
    assert "Fourth reason" not in page
    assert '<span class="level level-review_soon">Review soon</span>' in page


def test_queue_reasons_are_those_of_the_current_result(clinician_client, now, time_machine):
    submission = SubmissionFactory(level="routine")
    _with_reason(submission, "Old reason")
    time_machine.move_to(NOW + datetime.timedelta(minutes=1), tick=False)
    _with_reason(submission, "New reason")

    response = clinician_client.get(QUEUE_URL)

    assert response.context["rows"][0].top_reasons == ["New reason"]


def test_queue_receptionist_sees_names_contact_status_not_clinical(receptionist_client, now):
    patient = PatientFactory(full_name="Rita Reception", email="rita@example.com", phone="0161 1")
    submission = SubmissionFactory(patient=patient, level="urgent", submitted_at=_ago(hours=5))
    _with_reason(submission, "Red flag answered yes: chest pain")

    response = receptionist_client.get(QUEUE_URL)
    page = response.content.decode()

    assert response.status_code == 200
    for shown in ("Rita Reception", "rita@example.com", "0161 1", submission.reference, "New"):
        assert shown in page
    for hidden in (
        "chest pain",
        "Urgent",
        "level-urgent",
        "Top reasons",
        "Waiting over",
        "queue-row-overdue",
    ):
        assert hidden not in page
    assert response.context["level_count_rows"] is None
    assert "level" not in response.context["form"].fields
    assert not hasattr(response.context["rows"][0].submission, "current_reasons")


def test_queue_receptionist_cannot_filter_by_level(receptionist_client, now):
    SubmissionFactory(level="urgent")
    SubmissionFactory(level="no_flag")

    response = receptionist_client.get(QUEUE_URL, {"level": "urgent"})

    assert len(response.context["rows"]) == 2


def test_queue_receptionist_has_no_record_links(receptionist_client, now):
    submission = SubmissionFactory()

    page = receptionist_client.get(QUEUE_URL).content.decode()

    assert f"/staff/submissions/{submission.public_id}/" not in page


def test_queue_anonymous_goes_to_login(client):
    response = client.get(QUEUE_URL)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('staff_account:login')}?next=/staff/"


def test_queue_outsider_forbidden(outsider_client):
    assert outsider_client.get(QUEUE_URL).status_code == 403


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "bogus"}, "status"),
        ({"level": "<script>"}, "level"),
        ({"submitted_from": "2025-13-01"}, "submitted_from"),
        ({"submitted_from": "2025-06-12", "submitted_to": "2025-06-10"}, "submitted_to"),
        ({"assignee": "999999"}, "assignee"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_queue_bad_filters_explained_not_500(clinician_client, now, params, field):
    SubmissionFactory()

    response = clinician_client.get(QUEUE_URL, params)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert "Some filters were not applied" in response.content.decode()
    assert len(response.context["rows"]) == 1


def test_queue_bad_filter_keeps_the_valid_ones(clinician_client, now):
    urgent = SubmissionFactory(level="urgent")
    SubmissionFactory(level="routine")

    response = clinician_client.get(QUEUE_URL, {"level": "urgent", "status": "bogus"})

    assert _references(response) == [urgent.reference]


def _queue_row_with_everything(index: int):
    submission = SubmissionFactory(
        level="urgent", status="in_review", assignee=UserFactory(), patient=PatientFactory()
    )
    return _with_reason(submission, f"Reason {index}")


@pytest.mark.parametrize("rows", [3, 30])
def test_queue_query_count_does_not_grow_with_rows(
    clinician_client, now, django_assert_num_queries, rows
):
    """Each row's patient, assignee and current reasons come with the page's one query."""
    _queue_row_with_everything(0)
    clinician_client.get(QUEUE_URL)  # settle the session
    with CaptureQueriesContext(connection) as one_row:
        response = clinician_client.get(QUEUE_URL)
    assert len(response.context["rows"]) == 1
    for index in range(1, rows):
        _queue_row_with_everything(index)

    with django_assert_num_queries(len(one_row)):
        response = clinician_client.get(QUEUE_URL)

    assert len(response.context["rows"]) == min(rows, 25)
    assert {row.top_reasons[0] for row in response.context["rows"]} <= {
        f"Reason {index}" for index in range(rows)
    }


QUEUE_PAGES = [
    {},
    {"page": "2"},
    {"level": "urgent"},
    {"assignee": "me"},
    {"assignee": "unassigned"},
    {"submitted_from": "2025-06-08", "submitted_to": "2025-06-15"},
    {"q": "Hopkins"},
    {"q": "Hopkins", "status": "open"},
    {"q": "B12-2", "status": "all"},
    {"q": "jane.hopkins@example.com"},
    {"status": "all"},
    {"status": "reviewed"},
]


@pytest.mark.parametrize("filters", QUEUE_PAGES)
def test_queue_page_takes_at_most_12_statements(clinician_client, now, filters):
    """Issue 15's target (bench/bench_queue.py measures it at a million submissions): the
    session, the user and their permissions, the reviewers, the count, the page, the audit
    row, the counts per level, the staff alerts and the session's update; no filter or
    search adds one."""
    for index in range(30):
        _queue_row_with_everything(index)
    clinician_client.get(QUEUE_URL)  # settle the session and the cached clinic settings

    with CaptureQueriesContext(connection) as statements:
        response = clinician_client.get(QUEUE_URL, filters)

    assert response.status_code == 200
    assert len(statements) <= 12, [query["sql"][:80] for query in statements.captured_queries]


def test_queue_view_is_audited_without_search_text(clinician_client, clinician, now):
    SubmissionFactory()

    clinician_client.get(QUEUE_URL, {"q": "Jane Hopkins", "level": "urgent", "page": "1"})

    event = AuditEvent.objects.get()
    assert event.actor == clinician
    assert event.action == AuditEvent.Action.VIEW
    assert event.what == "queue.list"
    assert event.patient_public_id is None
    assert event.detail == {
        "filters": {"q": "(search)", "level": "urgent"},
        "page": 1,
        "rows": 0,
    }
    assert "Jane" not in str(event.detail)
