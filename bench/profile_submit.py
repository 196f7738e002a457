"""Where the intake's final POST spends its time: cProfile and the SQL of one request.

    .venv/bin/python bench/profile_submit.py              # 200 final POSTs profiled
    .venv/bin/python bench/profile_submit.py --count 50 --sql

In-process (Django's test client, no gunicorn, no network), production settings,
PostgreSQL (a database of its own, clinic_bench_profile_<pid>, dropped afterwards).
Patients walk the intake page by page as in bench_submit.py; then only their final POSTs run under
cProfile. Prints the functions with the most cumulative and own time, and the number of
SQL queries of a final POST (with --sql, the queries themselves).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import os
import pstats
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness, patients  # noqa: E402

DATABASE = f"clinic_bench_profile_{os.getpid()}"  # concurrent runs never share one


def walk(client, answers: dict) -> dict:
    """Answer every page with Django's test client; the check page's form."""
    path = patients.START_PATH
    while path != patients.CHECK_PATH:
        slug = patients.page_slug(path)
        page = client.get(path)
        assert page.status_code == 200, (path, page.status_code)
        data = harness.fill(harness.page_form(page.content.decode(), path), answers[slug])
        response = client.post(path, data)
        assert response.status_code == 302, (path, response.status_code)
        path = urlsplit(response["Location"]).path
    return harness.page_form(client.get(patients.CHECK_PATH).content.decode(), patients.CHECK_PATH)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--sql", action="store_true", help="print one final POST's queries")
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args()

    harness.database_create(DATABASE)
    env = harness.app_env(DATABASE, DJANGO_ALLOWED_HOSTS="testserver,127.0.0.1")
    harness.app_prepare(env)
    harness.django_setup(env)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    run_id = harness.new_run_id()
    today = datetime.date.today()
    ready = []
    for index in range(args.count + 1):
        client = Client(HTTP_X_FORWARDED_PROTO="https")
        ready.append((client, walk(client, patients.pages(index, run_id, today))))

    first_client, first_form = ready.pop()
    with CaptureQueriesContext(connection) as queries:
        response = first_client.post(patients.CHECK_PATH, first_form)
    assert response.status_code == 302, response.status_code
    print(harness.header("profile_submit: the final intake POST, in-process"))
    print(f"SQL queries in one final POST: {len(queries.captured_queries)}")
    if args.sql:
        for query in queries.captured_queries:
            print("   ", query["sql"][:150])

    half = len(ready) // 2
    wall, cpu = time.perf_counter(), time.process_time()
    for client, form in ready[:half]:
        client.post(patients.CHECK_PATH, form)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"{half} final POSTs without the profiler: {wall / half * 1000:.1f} ms each "
        f"(this process's CPU: {cpu / half * 1000:.1f} ms each; the rest is PostgreSQL)"
    )
    profile = cProfile.Profile()
    profile.enable()
    for client, form in ready[half:]:
        client.post(patients.CHECK_PATH, form)
    profile.disable()
    stats = pstats.Stats(profile).strip_dirs()
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)
    harness.database_drop(DATABASE)


if __name__ == "__main__":
    main()
