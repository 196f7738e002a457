"""The queue's selector: the date range in the clinic's time zone and what the search finds."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.models import Q

from screening.domain.queries.queue import (
    clinic_day_start,
    queue_level_counts,
    queue_submissions,
    reference_search_prefix,
)
from screening.models import OPEN_STATUSES, Patient, Submission
from tests.factories import PatientFactory, SubmissionFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
MICROSECOND = datetime.timedelta(microseconds=1)


@pytest.fixture
def now(time_machine):
    moment = datetime.datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
    time_machine.move_to(moment, tick=False)
    return moment


def _queue(user=None, **filters) -> list[str]:
    submissions = queue_submissions(user=user, clinical=True, status="all", **filters)
    return [submission.reference for submission in submissions]


def _submitted_at(*moments: datetime.datetime) -> list[str]:
    return [SubmissionFactory(submitted_at=moment).reference for moment in moments]


# --- Dates: days in the clinic's time zone (Europe/London), as a range --------------------


def test_clinic_day_start_is_midnight_in_london_as_utc(settings):
    assert settings.TIME_ZONE == "Europe/London"
    # Summer time (UTC+1): midnight is 23:00 UTC the day before.
    assert clinic_day_start(datetime.date(2025, 6, 10)) == datetime.datetime(
        2025, 6, 9, 23, 0, tzinfo=UTC
    )
    # Winter (UTC+0).
    assert clinic_day_start(datetime.date(2025, 1, 10)) == datetime.datetime(
        2025, 1, 10, 0, 0, tzinfo=UTC
    )


def test_clinic_day_start_out_of_range_is_none(settings):
    settings.TIME_ZONE = "Asia/Tokyo"  # midnight on 1 January of year 1 is in year 0 UTC
    assert clinic_day_start(datetime.date.min) is None


def test_date_range_edges_in_summer_time(now):
    before, first, last, after = _submitted_at(
        datetime.datetime(2025, 6, 9, 23, 0, tzinfo=UTC) - MICROSECOND,  # 9 June 23:59:59
        datetime.datetime(2025, 6, 9, 23, 0, tzinfo=UTC),  # 10 June 00:00 in London
        datetime.datetime(2025, 6, 12, 23, 0, tzinfo=UTC) - MICROSECOND,  # 12 June 23:59:59
        datetime.datetime(2025, 6, 12, 23, 0, tzinfo=UTC),  # 13 June 00:00 in London
    )

    found = _queue(
        submitted_from=datetime.date(2025, 6, 10), submitted_to=datetime.date(2025, 6, 12)
    )

    assert sorted(found) == sorted([first, last])


def test_date_range_edges_in_winter(now):
    before, first, last, after = _submitted_at(
        datetime.datetime(2025, 1, 10, 0, 0, tzinfo=UTC) - MICROSECOND,
        datetime.datetime(2025, 1, 10, 0, 0, tzinfo=UTC),
        datetime.datetime(2025, 1, 10, 23, 59, 59, 999999, tzinfo=UTC),
        datetime.datetime(2025, 1, 11, 0, 0, tzinfo=UTC),
    )

    found = _queue(
        submitted_from=datetime.date(2025, 1, 10), submitted_to=datetime.date(2025, 1, 10)
    )

    assert sorted(found) == sorted([first, last])


def test_date_range_the_day_the_clocks_go_forward_has_23_hours(now):
    # 30 March 2025: London goes from 00:00 GMT to 00:00 BST the next day (23:00 UTC).
    first, last, after = _submitted_at(
        datetime.datetime(2025, 3, 30, 0, 0, tzinfo=UTC),
        datetime.datetime(2025, 3, 30, 23, 0, tzinfo=UTC) - MICROSECOND,
        datetime.datetime(2025, 3, 30, 23, 0, tzinfo=UTC),
    )

    found = _queue(
        submitted_from=datetime.date(2025, 3, 30), submitted_to=datetime.date(2025, 3, 30)
    )

    assert sorted(found) == sorted([first, last])


def test_date_range_open_ended_either_side(now):
    early, late = _submitted_at(
        datetime.datetime(2025, 6, 1, 12, 0, tzinfo=UTC),
        datetime.datetime(2025, 6, 14, 12, 0, tzinfo=UTC),
    )

    assert _queue(submitted_from=datetime.date(2025, 6, 2)) == [late]
    assert _queue(submitted_to=datetime.date(2025, 6, 1)) == [early]


def test_date_range_at_the_ends_of_the_calendar_filters_nothing_out(now):
    references = _submitted_at(datetime.datetime(2025, 6, 1, 12, 0, tzinfo=UTC))

    assert _queue(submitted_from=datetime.date.min, submitted_to=datetime.date.max) == references


def test_date_range_is_a_range_on_submitted_at_not_a_date_cast(now):
    sql = str(
        queue_submissions(
            user=None,
            clinical=True,
            submitted_from=datetime.date(2025, 6, 10),
            submitted_to=datetime.date(2025, 6, 12),
        ).query
    )
    assert '"screening_submission"."submitted_at" >= ' in sql
    assert '"screening_submission"."submitted_at" < ' in sql


# --- Search ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "prefix"),
    [
        ("B12-7KQ4-XM9P", "B12-7KQ4-XM9P"),
        ("  b12 7kq4 xm9p ", "B12-7KQ4-XM9P"),
        ("b127kq4xm9p", "B12-7KQ4-XM9P"),
        ("7kq4-xm9p", "B12-7KQ4-XM9P"),
        ("7KQ4", "B12-7KQ4"),
        ("7KQ4-X", "B12-7KQ4-X"),
        ("B12-2", "B12-2"),
        ("b12", "B12"),
        ("2", "B12-2"),
    ],
)
def test_reference_search_prefix_of_a_reference(text, prefix):
    assert reference_search_prefix(text) == prefix


@pytest.mark.parametrize(
    "text",
    [
        "Okafor",
        "jane.hop",
        "JANE",  # reference characters, but no digit and no B12: a name
        "jane@example.com",
        "B12 deficiency",
        "7KQ4-XM9P-Z",  # too long
        "7KQ1",  # 1 is never in a reference
    ],
)
def test_reference_search_prefix_of_anything_else_is_none(text):
    assert reference_search_prefix(text) is None


@pytest.fixture
def jane(now):
    patient = PatientFactory(full_name="Jane Hopkins", email="jane.hopkins@example.com")
    return SubmissionFactory(patient=patient, reference="B12-7KQ4-XM9P")


@pytest.fixture
def others(now):
    return [
        SubmissionFactory(
            patient=PatientFactory(full_name="Ann Okafor", email="ann@example.org"),
            reference="B12-7KQ5-AAAA",
        ),
        SubmissionFactory(
            patient=PatientFactory(full_name="Bob Smith", email="xjane.hopkins@example.com"),
            reference="B12-2222-2222",
        ),
    ]


@pytest.mark.parametrize("text", ["B12-7KQ4-XM9P", " b12-7kq4-xm9p ", "7kq4xm9p", "B12-7KQ4-X"])
def test_search_by_reference_whole_or_its_start(jane, others, text):
    assert _queue(q=text) == [jane.reference]


def test_search_by_the_start_of_references_finds_each_that_starts_so(jane, others):
    assert sorted(_queue(q="7KQ")) == sorted([jane.reference, others[0].reference])


def test_search_by_reference_does_not_look_inside_references_or_names(jane, others):
    assert _queue(q="XM9P") == []  # the second group alone: not the start of a reference
    assert _queue(q="2222") == [others[1].reference]  # B12-2222-...


@pytest.mark.parametrize("text", ["B12-KXMA-BCDE", "kxma-bcde", " KXMA BCDE "])
def test_search_finds_a_whole_reference_without_digits(jane, others, text):
    """About one reference in twelve has no digit ((22/30)^8): typed whole, without
    "B12", it still finds its submission."""
    letters_only = SubmissionFactory(reference="B12-KXMA-BCDE")
    assert _queue(q=text) == [letters_only.reference]


def test_search_by_eight_reference_letters_that_are_no_reference_is_a_name(now):
    hyphenated = SubmissionFactory(patient=PatientFactory(full_name="Mary-Anne Webb"))
    SubmissionFactory(reference="B12-MARY-ANNA")
    assert _queue(q="mary-anne") == [hyphenated.reference]


@pytest.mark.parametrize("text", ["jane hopkins", "JANE H", "ane hop"])
def test_search_by_any_part_of_the_name_any_case(jane, others, text):
    assert _queue(q=text) == [jane.reference]


def test_search_by_part_of_an_email_finds_every_address_containing_it(jane, others):
    assert sorted(_queue(q="JANE.HOPKINS@EXAMPLE")) == sorted([jane.reference, others[1].reference])
    assert _queue(q="example.org") == [others[0].reference]


@pytest.mark.parametrize("text", ["jane.hopkins@example.com", " Jane.Hopkins@Example.COM "])
def test_search_by_a_whole_email_address_finds_that_address_only(jane, others, text):
    # Not xjane.hopkins@example.com, which contains it: a whole address means one person.
    assert _queue(q=text) == [jane.reference]


def test_search_finds_every_submission_of_the_patient_in_queue_order(now):
    patient = PatientFactory(full_name="Jane Hopkins")
    later = SubmissionFactory(
        patient=patient, submitted_at=datetime.datetime(2025, 6, 14, tzinfo=UTC)
    )
    earlier = SubmissionFactory(
        patient=patient, submitted_at=datetime.datetime(2025, 6, 1, tzinfo=UTC)
    )

    assert _queue(q="hopkins") == [earlier.reference, later.reference]


def test_level_filter_uses_the_level_and_its_rank(now):
    urgent = SubmissionFactory(level="urgent")
    SubmissionFactory(level="routine")

    submissions = queue_submissions(user=None, clinical=True, status="all", level="urgent")

    assert [submission.reference for submission in submissions] == [urgent.reference]
    assert '"screening_submission"."level_rank" = 0' in str(submissions.query)


def test_level_counts_are_open_submissions_counted_to_one_past_the_cap(
    django_assert_num_queries,
):
    SubmissionFactory.create_batch(4, level="urgent", status="new")
    SubmissionFactory(level="urgent", status="tasks_open")
    SubmissionFactory(level="routine", status="awaiting_test")
    SubmissionFactory.create_batch(2, level="routine", status="reviewed")
    SubmissionFactory(level="no_flag", status="closed")

    with django_assert_num_queries(1):
        capped = queue_level_counts(cap=3)
    exact = queue_level_counts(cap=1000)

    assert capped == {"urgent": 4, "review_soon": 0, "routine": 1, "no_flag": 0}
    assert exact == {"urgent": 5, "review_soon": 0, "routine": 1, "no_flag": 0}


# --- PostgreSQL: the indexes the queue's pages use ----------------------------------------


@pytest.mark.postgres  # the trigram indexes are PostgreSQL only
def test_postgres_has_the_trigram_indexes_for_name_and_email_search():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone() == (1,)
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexname LIKE %s ORDER BY indexname",
            ["screening_patient", "%trgm%"],
        )
        indexes = dict(cursor.fetchall())
    assert sorted(indexes) == ["patient_email_trgm_idx", "patient_name_trgm_idx"]
    assert "USING gin (upper((email)::text) gin_trgm_ops)" in indexes["patient_email_trgm_idx"]
    assert "USING gin (upper((full_name)::text) gin_trgm_ops)" in indexes["patient_name_trgm_idx"]


@pytest.mark.postgres
def test_postgres_name_and_email_search_can_use_the_trigram_indexes(now):
    """The lookups the queue's search makes (`icontains` on the patient's name and email)
    are ones these indexes answer: same expression, same operator class."""
    PatientFactory(full_name="Jane Hopkins")
    patients = Patient.objects.filter(
        Q(full_name__icontains="hopkins") | Q(email__icontains="hopkins")
    ).values("pk")
    with connection.cursor() as cursor:
        # A tiny table: leave the planner nothing but the trigram indexes or a seq scan.
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = patients.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Bitmap Index Scan on patient_name_trgm_idx" in plan
    assert "Bitmap Index Scan on patient_email_trgm_idx" in plan


def _plan(queryset_or_sql, params=(), *, index: str) -> str:
    """The plan with `index` the only index of the submissions' table a query could take
    besides the constraints' own. On a table of a few rows the planner's costs tie between
    indexes, and which it picks depends on what earlier tests left in the table (random
    order): this shows that `index` answers the query; bench_queue.py shows the planner
    choosing it at a million rows. The dropped indexes come back with the test's rollback."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT i.relname FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = 'screening_submission' AND i.relname <> %s
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)""",
            [index],
        )
        for (other,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{other}"')
        # Tiny tables: leave the planner nothing but the indexes or a seq scan.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + queryset_or_sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres
def test_postgres_urgent_waiting_count_reads_the_new_submissions_index(now):
    """Every staff page counts the urgent submissions still new (`alerts.staff_alerts`):
    off the small partial index of migration 0019, never the open queue's rows."""
    SubmissionFactory(level="urgent", status="new")
    urgent = Submission.objects.filter(level="urgent", status="new").values("pk")

    plan = _plan(*urgent.query.sql_with_params(), index="submission_new_level_idx")

    assert "submission_new_level_idx" in plan


@pytest.mark.postgres
def test_postgres_level_counts_read_the_open_queue_index(now):
    SubmissionFactory(level="urgent", status="new")
    matches = (
        Submission.objects.filter(status__in=OPEN_STATUSES, level="urgent", level_rank=0)
        .order_by()
        .values("pk")[:1001]
    )

    plan = _plan(*matches.query.sql_with_params(), index="submission_open_queue_idx")

    assert "Index Only Scan using submission_open_queue_idx" in plan


@pytest.mark.postgres
def test_postgres_assignee_filters_read_the_open_assignee_index(now, django_user_model):
    clinician = django_user_model.objects.create_user("ada")
    SubmissionFactory(level="urgent", status="in_review", assignee=clinician)
    for assignee in ("me", "unassigned"):
        matches = queue_submissions(user=clinician, clinical=True, assignee=assignee)
        sql, params = matches.order_by().values("pk")[:1001].query.sql_with_params()
        plan = _plan(sql, params, index="submission_open_assignee_idx")
        assert "submission_open_assignee_idx" in plan, plan


@pytest.mark.postgres
def test_postgres_knows_that_the_level_decides_its_rank():
    """Migration 0019's statistics: without them the planner takes the level filter
    (level and level_rank) to keep 3% of 3% of the rows, and sorts instead of paging."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT stxkeys::text FROM pg_statistic_ext WHERE stxname = %s",
            ["submission_level_rank_stats"],
        )
        assert cursor.fetchone() is not None
