"""The clinicians' review queue (/staff/) with up to a million submissions: statements and latency.

    .venv/bin/python bench/bench_queue.py            # 100,000 submissions, 40 loads a page
    .venv/bin/python bench/bench_queue.py --submissions 1000000   # issue 15's size
    .venv/bin/python bench/bench_queue.py --quick    # 10,000 submissions, 5 loads (CI)
    .venv/bin/python bench/bench_queue.py --explain  # and the plan of each page's queries

In a database of its own (clinic_bench_queue_<pid>, dropped afterwards), production settings on
PostgreSQL, this generates a clinic's history in SQL (`generate`: a million submissions in
about two minutes): about 70% distinct patients with names and emails for the search,
levels as a triage population has them, five years of submissions of which the last
weeks' are still open (about 5% of all), each with a screening result and its reasons.
The filled database is kept on the server as a template
(clinic_bench_queue_filled_<count>_<migrations hash>_v<FILLED_VERSION>) that later runs of
the same size copy in seconds; a changed migration makes a new one (and drops the stale
one). `--no-cache` (and `--quick`, for CI) generates afresh and keeps nothing.

Then a signed-in clinician (and a receptionist) loads queue pages in-process with
Django's test client (the whole middleware stack and template; no network): first a bare
staff page (the same decorators, nothing else: the baseline), then the default open queue,
a level filter, "me", a colleague, unassigned, a date range, searches (a common, a rare
and a whole name across statuses and open only, the start of a reference, a whole
reference, a whole email), all statuses at page 1 and deep in the list, urgent deep in all
statuses. For each page: the SQL statements of a warm load (and of the first, where the
cache was still empty) and p50/p95 of the time to answer. Targets (bench/README.md):
<= 12 statements, p95 < 80 ms. Reports; never fails on a timing, only if a page does not
answer 200.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness  # noqa: E402

DATABASE = f"clinic_bench_queue_{os.getpid()}"  # concurrent runs never share one
LEVEL_WEIGHTS = {"urgent": 3, "review_soon": 17, "routine": 30, "no_flag": 50}
OPEN_DAYS = 30  # submissions of the last 30 days are still open, older ones decided
BATCH = 5000


FIRST_NAMES = (  # noqa: SIM905 (names, read as text)
    "Amara Ana Anil Aisha Ben Carlos Chen Chloe Daniel David Elena Emma Fatima Grace Hannah "
    "Ibrahim Isabel James Jose Julia Kofi Laura Li Lucia Maria Mark Mei Mohammed Nadia Noah "
    "Olivia Omar Priya Rosa Sam Sara Sofia Tom Wei Yusuf"
).split()
# Surnames, most common first: a name's share falls off as 1/rank (Zipf), as in a register.
SURNAMES = (  # noqa: SIM905
    "Smith Garcia Jones Patel Brown Williams Khan Taylor Nguyen Rodriguez Wilson Martin "
    "Lopez Davies Evans Okafor Thomas Johnson Roberts Walker Wright Hernandez Ahmed Clarke "
    "Hughes Edwards Green Hall Wood Harris Lewis Martinez Jackson Turner Hill Scott Moore "
    "Cooper Ward Morris King Watson Baker Harrison Morgan Young Allen Mitchell Kelly Adeyemi "
    "Bennett Gray Cook Bailey Carter Murphy Reyes Kowalski Novak Mensah Osei Ivanova Rossi "
    "Silva Costa Ferreira Dubois Schmidt Fischer Weber Meyer Wagner Becker Hoffmann Kim Park "
    "Choi Tanaka Suzuki Sato Singh Kumar Sharma Gupta Ali Hussain Rahman Chowdhury Begum"
).split()


def _columns(model, given: dict[str, str]) -> tuple[list[str], list[str], list]:
    """Every column of `model` but its id, for an INSERT ... SELECT: the SQL expressions in
    `given` (by column), and for the rest the field's default as a parameter (so a column
    added later is filled the way Django would fill it)."""
    from django.db import connection

    columns, expressions, params = [], [], []
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key:
            continue
        columns.append(connection.ops.quote_name(model_field.column))
        if model_field.column in given:
            expressions.append(given[model_field.column])
        else:
            value = model_field.get_db_prep_save(model_field.get_default(), connection)
            expressions.append("%s")
            params.append(value)
    return columns, expressions, params


def _insert_select(model, given: dict[str, str], source: str, params: list | None = None) -> None:
    from django.db import connection

    columns, expressions, defaults = _columns(model, given)
    # The defaults' placeholders come first in the statement (in the SELECT list).
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(expressions)} {source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*defaults, *(params or [])])


def generate(count: int, seed: int = 12) -> None:
    """`count` submissions with patients, results and reasons, in SQL (INSERT ... SELECT
    over generate_series: a million in a few minutes; the ORM took 20 minutes a million).

    Distributions: 70% as many patients as submissions (first name and surname drawn from
    the lists above, surnames by Zipf: Smith about 15%, Okafor about 1.3%), their email
    made from the name (for the trigram search); five years of submissions, more of them
    recent (age = 1825 days x r^1.5), inserted in time order as an app would; levels 3% urgent,
    17% review soon, 30% routine, 50% no flag; the last week's new or in review, the rest of
    the last 30 days in review, awaiting a test, tasks open or reviewed, older ones reviewed or
    closed (1 in 200 still awaiting a test): about 5% open. Every submission not new is
    assigned to one of 5 clinicians (clinician0 is the one who loads the pages). Each has a
    screening result with 0-4 reasons, a tenth a second, later one.
    """
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.utils import timezone

    from screening.accounts import roles
    from screening.engine import contract
    from screening.models import (
        REFERENCE_ALPHABET,
        REFERENCE_PREFIX,
        Patient,
        ScreeningResult,
        Submission,
    )

    clinicians = []
    for n in range(5):
        user = User.objects.create_user(f"clinician{n}", f"clinician{n}@clinic.example")
        user.groups.add(Group.objects.get(name=roles.CLINICIAN))
        clinicians.append(user.pk)
    now = timezone.now()
    patients = max(int(count * 0.7), 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [seed / 100])
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_name (n int, first text, last text, kind text)"
        )
        cursor.executemany(
            "INSERT INTO bench_name VALUES (%s, %s, %s, %s)",
            [(i, name, None, "first") for i, name in enumerate(FIRST_NAMES)]
            + [(i + 1, None, name, "last") for i, name in enumerate(SURNAMES)],
        )
    first = "(SELECT first FROM bench_name WHERE kind = 'first' AND n = p.f)"
    last = "(SELECT last FROM bench_name WHERE kind = 'last' AND n = p.l)"
    _insert_select(
        Patient,
        {
            "public_id": "gen_random_uuid()",
            "full_name": f"{first} || ' ' || {last}",
            "email": f"lower({first} || '.' || {last}) || p.g || '@example.com'",
            "date_of_birth": "DATE '1935-01-01' + mod(p.g::bigint * 7919, 25000)::int",
            "contact_consent": "true",
            "created_at": "now()",
        },
        "FROM (SELECT g, floor(random() * %s)::int AS f, "
        "floor(exp(random() * ln(%s)))::int AS l FROM generate_series(1, %s) AS g) AS p",
        [len(FIRST_NAMES), len(SURNAMES) + 1, patients],
    )
    # A reference from the row number by a bijection onto the 30^8 codes (a multiplier
    # prime to 30): unique, and as scattered as random ones.
    alphabet, base = REFERENCE_ALPHABET, len(REFERENCE_ALPHABET)
    digits = " || ".join(
        f"substr('{alphabet}', "
        f"mod(mod(s.g * 1000003 + 7, {base**8}) / {base**k}, {base})::int + 1, 1)"
        + (" || '-'" if k == 4 else "")
        for k in range(7, -1, -1)
    )
    level_case = "CASE WHEN s.r_level < 0.03 THEN {0} WHEN s.r_level < 0.20 THEN {1} "
    level_case += "WHEN s.r_level < 0.50 THEN {2} ELSE {3} END"
    levels = contract.LEVELS  # most urgent first: level_rank is the index
    status = (
        "CASE WHEN s.age_days < 7 "
        "THEN (ARRAY['new', 'new', 'in_review'])[1 + floor(s.r_status * 3)::int] "
        "WHEN s.age_days < 30 THEN (ARRAY['in_review', 'awaiting_test', 'tasks_open', 'reviewed', "
        "'reviewed'])[1 + floor(s.r_status * 5)::int] "
        "WHEN s.r_status < 0.005 THEN 'awaiting_test' "
        "ELSE (ARRAY['reviewed', 'reviewed', 'reviewed', 'closed'])"
        "[1 + floor(s.r_status * 4)::int] END"
    )
    status_t = status.replace("s.", "t.")
    _insert_select(
        Submission,
        {
            "reference": f"'{REFERENCE_PREFIX}-' || {digits}",
            "public_id": "gen_random_uuid()",
            "patient_id": "s.patient_id",
            "questionnaire_version": "'1'",
            "submitted_at": "s.submitted_at",
            "completed_at": "s.submitted_at",
            "status": "s.status",
            "status_changed_at": "CASE WHEN s.status = 'new' THEN NULL ELSE s.submitted_at END",
            "is_complete": "true",
            "idempotency_key": "md5(s.g::text)",
            "age_years": "18 + mod(s.g, 73)",
            "sex": f"(ARRAY{list(contract.SEXES[:2])})[1 + mod(s.g, 2)]",
            "diet": f"(ARRAY{list(contract.DIETS)})[1 + mod(s.g, {len(contract.DIETS)})]",
            "b12_treatment": "'none'",
            "level": level_case.format(*(f"'{level}'" for level in levels)),
            "level_rank": level_case.format(*range(len(levels))),
            "assignee_id": "CASE WHEN s.status = 'new' THEN NULL "
            f"ELSE (ARRAY{clinicians})[1 + mod(s.g, {len(clinicians)})] END",
        },
        f"""FROM (
            SELECT row_number() OVER (ORDER BY t.submitted_at) AS g, t.*, {status_t} AS status
            FROM (
                SELECT %s - make_interval(secs => age_days * 86400) AS submitted_at,
                       age_days, r_level, r_status,
                       CASE WHEN n <= %s THEN first_patient + n - 1
                            ELSE first_patient + floor(random() * %s)::bigint END AS patient_id
                FROM (
                    SELECT n, power(random(), 1.5) * 1825 AS age_days, random() AS r_level,
                           random() AS r_status
                    FROM generate_series(1, %s) AS n
                ) AS r, (SELECT min(id) AS first_patient FROM screening_patient) AS p
            ) AS t
        ) AS s ORDER BY s.g""",  # noqa: S608 (constants of this script)
        [now, patients, patients, count],
    )
    reasons = [
        [
            {
                "code": f"bench.reason_{k}",
                "text": f"Reason {k}: a sentence a clinician reads in the queue.",
                "source": "clinical.md A1",
            }
            for k in range(n)
        ]
        for n in range(5)
    ]
    import json

    reasons_case = (
        "CASE mod(s.id, 5) "
        + " ".join(f"WHEN {n} THEN '{json.dumps(r)}'::jsonb" for n, r in enumerate(reasons))
        + " END"
    )
    _insert_select(
        ScreeningResult,
        {
            "submission_id": "s.id",
            "rules_version": "'bench'",
            "level": "s.level",
            "possible_b12_deficiency": "s.level <> 'no_flag'",
            "reasons": reasons_case,
            "b12_status": "'not_tested'",
            "created_at": "s.submitted_at + make_interval(mins => n)",
        },
        "FROM screening_submission AS s, "
        "generate_series(0, CASE WHEN mod(s.id, 10) = 3 THEN 1 ELSE 0 END) AS n ORDER BY s.id, n",
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_name")
        cursor.execute("VACUUM ANALYZE")  # as autovacuum leaves a table in steady use


FILLED_VERSION = "1"  # bump when `generate` changes: the filled copies are made again


def filled_template(count: int) -> str:
    """The name of the filled database that runs with `count` submissions copy (CREATE
    DATABASE ... TEMPLATE: seconds, where generating a million takes minutes)."""
    digest = harness.migrations_digest()
    return f"clinic_bench_queue_filled_{count}_{digest}_v{FILLED_VERSION}"


def keep_filled(name: str, count: int) -> None:
    """Copy this run's freshly generated database as `name`; drop stale copies of the size."""
    from django.db import connections

    connections.close_all()  # a template may have no connection
    harness.database_copy(DATABASE, name)
    import psycopg

    with psycopg.connect(f"{harness.PG_SERVER}/postgres", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s",
            (f"clinic_bench_queue_filled_{count}_%", name),
        ).fetchall()
    for (stale,) in rows:
        harness.database_drop(stale)


def staff_client(username: str, group: str):
    from django.contrib.auth.models import Group, User
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username, f"{username}@clinic.example")
        user.groups.add(Group.objects.get(name=group))
    device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    client = Client(HTTP_X_FORWARDED_PROTO="https")
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def pages(count: int, *, reference: str, email: str, colleague: int) -> list[tuple[str, str]]:
    """The pages measured. `reference` and `email` are one patient's, to look up whole;
    `colleague` is another clinician's id (the assignee filter)."""
    today = datetime.date.today()
    deep = max(count // 25 // 2, 2)  # half way down "all statuses" (the queue shows page 40)
    return [
        # The bare baseline: the same client, middleware and staff decorators, no query or
        # template of its own (bench/bareinsert/views.py).
        ("bare staff page", "/bench/bareinsert/staff/"),
        ("open queue, page 1", "/staff/"),
        ("open queue, page 20", "/staff/?page=20"),
        ("level urgent", "/staff/?level=urgent"),
        ("assigned to me", "/staff/?assignee=me"),
        ("assigned to a colleague", f"/staff/?assignee={colleague}"),
        ("unassigned", "/staff/?assignee=unassigned"),
        (
            "last 7 days",
            f"/staff/?submitted_from={today - datetime.timedelta(days=7)}&submitted_to={today}",
        ),
        ("search a name", "/staff/?q=Okafor&status=all"),
        ("search a name, any status", "/staff/?q=Okafor"),  # the default: every status
        ("search a name, open only", "/staff/?q=Okafor&status=open"),
        ("search a whole name", "/staff/?q=Amara+Okafor"),
        ("search a rare name", "/staff/?q=Begum"),
        ("search a reference", "/staff/?q=B12-2&status=all"),
        ("search a whole reference", f"/staff/?q={reference}&status=all"),
        ("search a whole email", f"/staff/?q={email}&status=all"),
        ("all statuses, page 1", "/staff/?status=all"),
        (f"all statuses, page {deep}", f"/staff/?status=all&page={deep}"),
        ("urgent, all statuses, page 40", "/staff/?level=urgent&status=all&page=40"),
        ("status reviewed", "/staff/?status=reviewed"),
    ]


RECEPTIONIST_PAGES = (
    "bare staff page",
    "open queue, page 1",
    "search a name",
    "last 7 days",
    "all statuses, page 1",
)


def measure(client, url: str, loads: int) -> tuple[int, int, list[float]]:
    """Statements of the first load and of the next (warm: what the first read into the
    cache, such as the clinic settings, is not read again), and `loads` timed loads."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, secure=True)
        counts.append(len(queries.captured_queries))  # now: the next request empties the log
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code}")
    seconds = []
    for _ in range(loads):
        started = time.perf_counter()
        client.get(url, secure=True)
        seconds.append(time.perf_counter() - started)
    return counts[0], counts[1], seconds


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
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="generate afresh, and keep no filled copy (CI's --quick implies it)",
    )
    args = parser.parse_args()
    count = args.submissions or (10_000 if args.quick else 100_000)
    loads = args.loads or (5 if args.quick else 40)
    args.no_cache = args.no_cache or args.quick

    print(harness.header(f"bench_queue: the review queue with {count:,} submissions"))
    env = harness.app_env(DATABASE, DJANGO_ALLOWED_HOSTS="testserver")
    filled = filled_template(count)
    started = time.perf_counter()
    if args.no_cache or not harness.database_exists(filled):
        harness.database_create(DATABASE)
        harness.app_prepare(env)
        harness.django_setup(env)
        generate(count)
        how = "generated"
        if not args.no_cache:
            keep_filled(filled, count)
    else:
        harness.app_prepare(env, template=filled)
        harness.django_setup(env)
        how = f"copied from {filled}"
    from screening.models import OPEN_STATUSES, Submission

    open_count = Submission.objects.filter(status__in=OPEN_STATUSES).count()
    print(
        f"{how}: {count:,} submissions ({open_count:,} open) in "
        f"{time.perf_counter() - started:.0f} s; {loads} timed loads of each page, in-process"
    )
    middle = Submission.objects.select_related("patient").order_by("id")[count // 2]
    clinician = staff_client("clinician0", "clinician")  # has assignments: "me"
    receptionist = staff_client("bench-receptionist", "receptionist")
    from django.contrib.auth.models import User

    colleague = User.objects.filter(username__startswith="clinician").order_by("-id")[0].pk
    rows = []
    for who, client in (("clinician", clinician), ("receptionist", receptionist)):
        for name, url in pages(
            count, reference=middle.reference, email=middle.patient.email, colleague=colleague
        ):
            if who == "receptionist" and name not in RECEPTIONIST_PAGES:
                continue
            first, queries, seconds = measure(client, url, loads)
            ms = [s * 1000 for s in seconds]
            rows.append((f"{who}: {name}", queries, ms))
            p50, p95 = harness.percentile(ms, 0.5), harness.percentile(ms, 0.95)
            cold = f" (first load {first})" if first != queries else ""
            print(
                f"  {who}: {name:31} {queries:3} statements{cold}; "
                f"p50 {p50:6.1f} ms; p95 {p95:6.1f} ms"
            )
            if args.explain:
                explain(client, url)
    queue_rows = [row for row in rows if "bare" not in row[0]]
    worst_queries = max(row[1] for row in queue_rows)
    worst_p95 = max(harness.percentile(row[2], 0.95) for row in queue_rows)
    default_p95 = harness.percentile(queue_rows[0][2], 0.95)
    print(f"most statements on a page: {worst_queries} (target <= 12)")
    print(
        f"p95 of the default queue page: {default_p95:.1f} ms; worst page p95 {worst_p95:.1f} ms "
        "(target < 80 ms)"
    )
    load = os.getloadavg()
    print(f"load average after {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if not args.keep_database:
        from django.db import connections

        connections.close_all()
        harness.database_drop(DATABASE)


if __name__ == "__main__":
    main()
