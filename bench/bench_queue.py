"""The clinicians' review queue (/staff/) with 100,000 submissions: queries and latency.

    .venv/bin/python bench/bench_queue.py            # 100,000 submissions, 40 loads a page
    .venv/bin/python bench/bench_queue.py --quick    # 10,000 submissions, 5 loads (CI)
    .venv/bin/python bench/bench_queue.py --explain  # and the plan of each page's queries

In a database of its own (clinic_bench_queue_<pid>, dropped afterwards), production settings on
PostgreSQL, this generates a clinic's history in bulk: about 70% distinct patients,
levels as a triage population has them (3% urgent, 17% review soon, 30% routine, 50% no
flag), two years of submissions of which the last weeks' are still open (new, in review,
awaiting test; about 5% of all) and the rest reviewed or closed, each with a screening
result and its reasons (a tenth screened twice), some assigned to one of 5 clinicians.

Then a signed-in clinician (and a receptionist) loads queue pages in-process with
Django's test client (the whole middleware stack and template; no network): the
default open queue, a level filter, "me", a date range, searches (part of a name, the
start of a reference, a whole reference, a whole email), all statuses at page 1 and deep
in the list. For each page: the number of SQL queries and p50/p95 of the time
to answer. Targets (bench/README.md): <= 12 queries, p95 < 80 ms. Reports; never fails
on a timing, only if a page does not answer 200.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness  # noqa: E402

DATABASE = f"clinic_bench_queue_{os.getpid()}"  # concurrent runs never share one
LEVEL_WEIGHTS = {"urgent": 3, "review_soon": 17, "routine": 30, "no_flag": 50}
OPEN_DAYS = 30  # submissions of the last 30 days are still open, older ones decided
BATCH = 5000


def generate(count: int, seed: int = 12) -> None:
    """`count` submissions with patients, results and reasons, in bulk."""
    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from screening.accounts import roles
    from screening.engine import contract
    from screening.models import Patient, ScreeningResult, Submission, new_reference

    rng = random.Random(seed)
    clinicians = []
    for n in range(5):
        user = User.objects.create_user(f"clinician{n}", f"clinician{n}@clinic.example")
        user.groups.add(Group.objects.get(name=roles.CLINICIAN))
        clinicians.append(user)
    now = timezone.now()
    levels = list(LEVEL_WEIGHTS)
    weights = list(LEVEL_WEIGHTS.values())
    patients_total = int(count * 0.7)
    made = 0
    patient_ids: list[int] = []
    while made < count:
        size = min(BATCH, count - made)
        new_patients = [
            Patient(
                full_name=f"Patient {made + i} {rng.choice(['Smith', 'Jones', 'Patel', 'Okafor'])}",
                email=f"patient{made + i}@example.com",
                date_of_birth=datetime.date(1940 + (made + i) % 60, 1 + i % 12, 1 + i % 28),
                contact_consent=True,
            )
            for i in range(min(size, max(patients_total - len(patient_ids), 0)))
        ]
        patient_ids += [p.pk for p in Patient.objects.bulk_create(new_patients)]
        submissions = []
        for _ in range(size):
            age_days = rng.random() ** 2 * 730  # more recent ones are more frequent
            submitted = now - datetime.timedelta(days=age_days)
            level = rng.choices(levels, weights)[0]
            if age_days < OPEN_DAYS * 0.25:
                status = rng.choice(["new", "new", "in_review"])
            elif age_days < OPEN_DAYS:
                status = rng.choice(["in_review", "awaiting_test", "reviewed"])
            else:
                status = rng.choice(["reviewed", "reviewed", "reviewed", "closed"])
            assignee = None if status == "new" else rng.choice(clinicians)
            submissions.append(
                Submission(
                    reference=new_reference(),
                    patient_id=rng.choice(patient_ids),
                    questionnaire_version="1",
                    submitted_at=submitted,
                    completed_at=submitted,
                    status=status,
                    status_changed_at=None if status == "new" else submitted,
                    is_complete=True,
                    idempotency_key=uuid.uuid4().hex,
                    age_years=rng.randint(18, 90),
                    sex=rng.choice(contract.SEXES[:2]),
                    diet=rng.choice(contract.DIETS),
                    b12_treatment="none",
                    level=level,
                    level_rank=contract.LEVELS.index(level),
                    assignee=assignee,
                )
            )
        Submission.objects.bulk_create(submissions)
        results = []
        for submission in submissions:
            screenings = 2 if rng.random() < 0.1 else 1
            for n in range(screenings):
                results.append(
                    ScreeningResult(
                        submission=submission,
                        rules_version="bench",
                        level=submission.level,
                        possible_b12_deficiency=submission.level != "no_flag",
                        reasons=[
                            {
                                "code": f"bench.reason_{k}",
                                "text": f"Reason {k}: a sentence a clinician reads in the queue.",
                                "source": "clinical.md A1",
                            }
                            for k in range(rng.randint(0, 4))
                        ],
                        b12_status="not_tested",
                        created_at=submission.submitted_at + datetime.timedelta(minutes=n),
                    )
                )
        ScreeningResult.objects.bulk_create(results)
        made += size
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum leaves a table in steady use


def staff_client(username: str, group: str):
    from django.contrib.auth.models import Group, User
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = User.objects.create_user(username, f"{username}@clinic.example")
    user.groups.add(Group.objects.get(name=group))
    device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    client = Client(HTTP_X_FORWARDED_PROTO="https")
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def pages(count: int, *, reference: str, email: str) -> list[tuple[str, str]]:
    """The pages measured. `reference` and `email` are one patient's, to look up whole."""
    today = datetime.date.today()
    deep = max(count // 25 // 2, 2)  # half way down "all statuses" (the queue shows page 40)
    return [
        ("open queue, page 1", "/staff/"),
        ("open queue, page 20", "/staff/?page=20"),
        ("level urgent", "/staff/?level=urgent"),
        ("assigned to me", "/staff/?assignee=me"),
        ("unassigned", "/staff/?assignee=unassigned"),
        (
            "last 7 days",
            f"/staff/?submitted_from={today - datetime.timedelta(days=7)}&submitted_to={today}",
        ),
        ("search a name", "/staff/?q=Okafor&status=all"),
        ("search a reference", "/staff/?q=B12-2&status=all"),
        ("search a whole reference", f"/staff/?q={reference}&status=all"),
        ("search a whole email", f"/staff/?q={email}&status=all"),
        ("all statuses, page 1", "/staff/?status=all"),
        (f"all statuses, page {deep}", f"/staff/?status=all&page={deep}"),
        ("status reviewed", "/staff/?status=reviewed"),
    ]


def measure(client, url: str, loads: int) -> tuple[int, list[float]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, secure=True)
    count = len(queries.captured_queries)  # now: the next request empties the log
    if response.status_code != 200:
        raise SystemExit(f"{url}: {response.status_code}")
    seconds = []
    for _ in range(loads):
        started = time.perf_counter()
        client.get(url, secure=True)
        seconds.append(time.perf_counter() - started)
    return count, seconds


def explain(client, url: str) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url, secure=True)
    for query in list(queries.captured_queries):
        sql = query["sql"]
        if "screening_submission" not in sql or not sql.startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = [row[0] for row in cursor.fetchall()]
        print(f"    {sql[:140]}...")
        for line in plan:
            print(f"      {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 submissions: CI")
    parser.add_argument("--submissions", type=int)
    parser.add_argument("--loads", type=int, help="timed loads of each page")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args()
    count = args.submissions or (10_000 if args.quick else 100_000)
    loads = args.loads or (5 if args.quick else 40)

    print(harness.header(f"bench_queue: the review queue with {count:,} submissions"))
    harness.database_create(DATABASE)
    env = harness.app_env(DATABASE, DJANGO_ALLOWED_HOSTS="testserver")
    harness.app_prepare(env)
    harness.django_setup(env)
    started = time.perf_counter()
    generate(count)
    from screening.models import Submission

    open_count = Submission.objects.filter(status__in=("new", "in_review", "awaiting_test"))
    print(
        f"generated {count:,} submissions ({open_count.count():,} open) in "
        f"{time.perf_counter() - started:.0f} s; {loads} timed loads of each page, in-process"
    )
    middle = Submission.objects.select_related("patient").order_by("id")[count // 2]
    clinician = staff_client("bench-clinician", "clinician")
    receptionist = staff_client("bench-receptionist", "receptionist")
    rows = []
    for who, client in (("clinician", clinician), ("receptionist", receptionist)):
        for name, url in pages(count, reference=middle.reference, email=middle.patient.email):
            if who == "receptionist" and name not in ("open queue, page 1", "search a name"):
                continue
            queries, seconds = measure(client, url, loads)
            ms = [s * 1000 for s in seconds]
            rows.append((f"{who}: {name}", queries, ms))
            p50, p95 = harness.percentile(ms, 0.5), harness.percentile(ms, 0.95)
            print(f"  {who}: {name:28} {queries:3} queries; p50 {p50:6.1f} ms; p95 {p95:6.1f} ms")
            if args.explain:
                explain(client, url)
    worst_queries = max(row[1] for row in rows)
    worst_p95 = max(harness.percentile(row[2], 0.95) for row in rows)
    default_p95 = harness.percentile(rows[0][2], 0.95)
    print(f"most queries on a page: {worst_queries} (target <= 12)")
    print(
        f"p95 of the default queue page: {default_p95:.1f} ms; worst page p95 {worst_p95:.1f} ms "
        "(target < 80 ms)"
    )
    if not args.keep_database:
        from django.db import connections

        connections.close_all()
        harness.database_drop(DATABASE)


if __name__ == "__main__":
    main()
