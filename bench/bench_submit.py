"""The intake's final submit under 50 concurrent patients, against a bare one-INSERT view.

    .venv/bin/python bench/bench_submit.py            # 500 submits, about 2 minutes
    .venv/bin/python bench/bench_submit.py --quick    # 60 submits, CI smoke run
    .venv/bin/python bench/bench_submit.py --open-loop --rate 50 --duration 60
    .venv/bin/python bench/bench_submit.py --quick --open-loop   # 20/s for 5 s, CI

What it does, on loopback, in a database of its own (clinic_bench_submit_<pid>, dropped afterwards):
1. Starts gunicorn as the Procfile does (sync workers; --workers, default 4), production
   settings plus the bench apps (bench/settings.py), PostgreSQL, Redis.
2. Prepares N patients: each walks the whole intake over HTTP like a browser (GET each
   page, POST it, follow the redirect) and stops on "check your answers". Not timed.
3. Times only the final POST (`/intake/check/` with the idempotency key) of the N
   patients, 50 at a time (50 threads, each sending its next patient's POST as soon as
   the last one answered): throughput, p50/p95/p99 latency at the client.
4. Times N POSTs to the bare view (`/bench/bareinsert/insert/`: one INSERT, no session,
   no CSRF, same gunicorn, middleware and PostgreSQL) the same way, before and after
   step 3; the ratio is intake throughput / the bare view's (mean of the two rounds).
5. With --open-loop, then an open loop (issue 15): the bare view, then the intake's
   final POST, each at a fixed arrival rate (--rate per second for --duration seconds).
   Request i is sent at start + i / rate whatever the earlier ones are doing (asyncio,
   a connection each, no keep-alive), and its latency is measured from that scheduled
   time, so a server or client that falls behind shows in the figures (no coordinated
   omission). Every final POST has its own patient, prepared on the check page before
   the timed phases. Reports sent / ok / errors, p50/p95/p99/max, the achieved rate,
   how late the client sent (its own lag), and the load average before and after.
6. Checks every submission was stored exactly once, and reports the peak memory
   (VmHWM) of the gunicorn workers.

Targets (bench/README.md): closed-loop ratio 0.5 (issue 15; was 0.7), and in the open
loop at 50 final POSTs a second for 60 s, p99 under 150 ms on 2 cores. This script
reports; it never fails on a timing. It fails if a request errs or a row is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import http.cookiejar
import os
import queue
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness, patients  # noqa: E402

CONCURRENCY = 50
DATABASE = f"clinic_bench_submit_{os.getpid()}"  # concurrent runs never share one


def closed_loop(jobs: list, work, concurrency: int) -> tuple[float, list[float], list[str]]:
    """Run work(job) for every job on `concurrency` threads that start together.
    Returns (wall seconds, latency of each job, errors)."""
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for job in jobs:
        todo.put(job)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(concurrency + 1)

    def run() -> None:
        start.wait()
        while True:
            try:
                job = todo.get_nowait()
            except queue.Empty:
                return
            try:
                seconds = work(job)
            except (harness.HTTPError, patients.JourneyError) as error:
                with lock:
                    errors.append(str(error))
                continue
            with lock:
                latencies.append(seconds)

    threads = [threading.Thread(target=run) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, latencies, errors


def prepare(base_url: str, count: int, run_id: str, concurrency: int) -> list[patients.Prepared]:
    today = datetime.date.today()
    retry = patients.Retry()
    prepared: list[patients.Prepared] = []
    lock = threading.Lock()

    def walk(index: int) -> float:
        browser = harness.Browser(base_url)
        ready = patients.walk_to_check(browser, patients.pages(index, run_id, today), retry)
        with lock:
            prepared.append(ready)
        return 0.0

    _wall, _lat, errors = closed_loop(list(range(count)), walk, concurrency)
    if errors:
        raise SystemExit(f"preparing patients failed: {errors[:5]}")
    return prepared


@dataclass
class Shot:
    """One POST of an open loop, and what a good answer is."""

    path: str
    data: dict
    headers: dict[str, str]
    status: int  # expected status
    location: str | None = None  # expected redirect path, for a 302


@dataclass
class OpenLoop:
    """What one open-loop phase measured (latencies in seconds, from the scheduled time)."""

    name: str
    rate: float
    sent: int
    latencies: list[float]
    errors: list[str]
    span: float  # seconds from the first scheduled send to the last answer
    lag: list[float]  # how late the client actually sent each request
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    timeline: list[tuple[float, float]]  # (scheduled second of the phase, latency s) if ok
    machine_busy: float  # fraction of every core busy during the phase (all processes)
    client_cpu: float  # seconds of CPU this process (the load generator) used

    def windows(self, seconds: float = 10.0) -> str:
        """Latency by when the requests were scheduled: does a queue build, or pass?"""
        lines = []
        end = max((at for at, _took in self.timeline), default=0.0)
        start = 0.0
        while start <= end:
            ms = [took * 1000 for at, took in self.timeline if start <= at < start + seconds]
            if ms:
                lines.append(
                    f"{'':27} {start:4.0f}-{start + seconds:.0f} s: n {len(ms)}; "
                    f"p50 {harness.percentile(ms, 0.5):.0f} ms; "
                    f"p99 {harness.percentile(ms, 0.99):.0f} ms; max {max(ms):.0f} ms"
                )
            start += seconds
        return "\n".join(lines)

    def report(self) -> str:
        ms = [value * 1000 for value in self.latencies] or [float("nan")]
        lag = sorted(self.lag)
        return (
            f"{self.name:27} sent {self.sent} at {self.rate:g}/s; ok {len(self.latencies)}; "
            f"errors {len(self.errors)}; achieved {len(self.latencies) / self.span:.1f}/s\n"
            f"{'':27} p50 {harness.percentile(ms, 0.50):.1f} ms; "
            f"p95 {harness.percentile(ms, 0.95):.1f} ms; "
            f"p99 {harness.percentile(ms, 0.99):.1f} ms; "
            f"max {max(ms):.1f} ms (from the scheduled send)\n"
            f"{'':27} client send lag p99 {harness.percentile(lag, 0.99) * 1000:.1f} ms, "
            f"max {lag[-1] * 1000:.1f} ms; load average {_load(self.load_before)} before, "
            f"{_load(self.load_after)} after\n"
            f"{'':27} machine CPU busy {self.machine_busy * 100:.0f}% (all cores, all "
            f"processes); load generator CPU {self.client_cpu / self.sent * 1000:.1f} ms/request"
        )


def _load(load: tuple[float, float, float]) -> str:
    return " ".join(f"{value:.2f}" for value in load)


def open_loop(base_url: str, name: str, shots: list[Shot], rate: float) -> OpenLoop:
    """Send shots[i] at start + i / rate, each on its own connection, whether or not
    the earlier ones were answered; time each from its scheduled send."""
    import psutil

    load_before = os.getloadavg()
    machine_before, cpu_before = psutil.cpu_times(), time.process_time()
    lags, timeline, errors, span = asyncio.run(_open_loop(base_url, shots, rate))
    client_cpu = time.process_time() - cpu_before
    machine_after = psutil.cpu_times()
    total = sum(machine_after) - sum(machine_before)
    idle = (machine_after.idle + machine_after.iowait) - (
        machine_before.idle + machine_before.iowait
    )
    return OpenLoop(
        name,
        rate,
        len(shots),
        [took for _at, took in timeline],
        errors,
        span,
        lags,
        load_before,
        os.getloadavg(),
        timeline,
        1 - idle / total if total else 0.0,
        client_cpu,
    )


async def _open_loop(
    base_url: str, shots: list[Shot], rate: float
) -> tuple[list[float], list[tuple[float, float]], list[str], float]:
    # No keep-alive (gunicorn's sync workers close each connection), no connection limit
    # (a limit would queue requests in the client: a closed loop again), and no cookie
    # jar: each request carries its own patient's cookies in its headers.
    no_cookies = http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    async with httpx.AsyncClient(
        base_url=base_url,
        timeout=harness.REQUEST_TIMEOUT,
        limits=limits,
        cookies=no_cookies,
        follow_redirects=False,
    ) as client:
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.5  # every coroutine is waiting before the first send
        lags: list[float] = []
        timeline: list[tuple[float, float]] = []
        errors: list[str] = []

        async def fire(index: int, shot: Shot) -> None:
            scheduled = start + index / rate
            await asyncio.sleep(max(0.0, scheduled - loop.time()))
            lags.append(loop.time() - scheduled)
            try:
                response = await client.post(shot.path, data=shot.data, headers=shot.headers)
            except httpx.TransportError as error:
                errors.append(f"POST {shot.path}: connection error {type(error).__name__}")
                return
            took = loop.time() - scheduled
            location = urlsplit(response.headers.get("location", "")).path
            if response.status_code != shot.status or (
                shot.location is not None and location != shot.location
            ):
                errors.append(f"POST {shot.path}: {response.status_code} {location}")
                return
            timeline.append((scheduled - start, took))

        await asyncio.gather(*(fire(index, shot) for index, shot in enumerate(shots)))
        return lags, timeline, errors, loop.time() - start


def intake_shot(prepared: patients.Prepared) -> Shot:
    """The final POST of a patient on the check page, as their browser would send it."""
    return Shot(
        patients.CHECK_PATH,
        prepared.final_form,
        prepared.browser.headers(post=True),
        302,
        patients.DONE_PATH,
    )


def bare_shot(key: str) -> Shot:
    return Shot("/bench/bareinsert/insert/", {"key": key}, {"X-Forwarded-Proto": "https"}, 204)


def bare_round(base_url: str, count: int, tag: str) -> tuple[float, list[float], list[str]]:
    def insert(index: int) -> float:
        browser = harness.Browser(base_url)
        started = time.perf_counter()
        response = browser.post("/bench/bareinsert/insert/", {"key": f"{tag}-{index}"})
        elapsed = time.perf_counter() - started
        if response.status_code != 204:
            raise patients.JourneyError(f"bare insert: {response.status_code}")
        return elapsed

    return closed_loop(list(range(count)), insert, CONCURRENCY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 submits: CI smoke run")
    parser.add_argument("--submits", type=int, help="how many final POSTs (default 500)")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 4)))
    parser.add_argument("--conn-max-age", default=os.environ.get("DATABASE_CONN_MAX_AGE", "0"))
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument(
        "--open-loop", action="store_true", help="then the open loop: bare view, then intake"
    )
    parser.add_argument(
        "--rate", type=float, help="open loop: POSTs a second (default 50; 20 quick)"
    )
    parser.add_argument("--duration", type=float, help="open loop: seconds (default 60; 5 quick)")
    args = parser.parse_args()
    count = args.submits or (60 if args.quick else 500)
    rate = args.rate or (20.0 if args.quick else 50.0)
    duration = args.duration or (5.0 if args.quick else 60.0)
    open_count = round(rate * duration) if args.open_loop else 0

    print(harness.header("bench_submit: final intake POST vs a bare one-INSERT view"))
    print(
        f"{count} submits, {CONCURRENCY} concurrent; gunicorn --workers {args.workers} "
        f"(sync); DATABASE_CONN_MAX_AGE={args.conn_max_age}"
    )
    if args.open_loop:
        print(
            f"then open loop: {rate:g} POSTs/s for {duration:g} s ({open_count}), bare then intake"
        )
    harness.database_create(DATABASE)
    env = harness.app_env(DATABASE, DATABASE_CONN_MAX_AGE=str(args.conn_max_age))
    harness.app_prepare(env)
    run_id = harness.new_run_id()
    cpu_before = time.process_time()
    try:
        with harness.Gunicorn(env, workers=args.workers) as server:
            warm = prepare(server.url, 10, run_id + "w", 10)  # imports, templates, caches
            closed_loop(warm, lambda p: patients.send(p, patients.Retry()), 10)
            bare_round(server.url, 50, run_id + "w")

            started = time.perf_counter()
            ready = prepare(server.url, count + open_count, run_id, 8)
            print(
                f"prepared {len(ready)} patients on the check page in "
                f"{time.perf_counter() - started:.1f} s (not timed below)"
            )
            ready, open_ready = ready[:count], ready[count:]

            cpu = [server.cpu_seconds()]
            bare1 = bare_round(server.url, count, run_id + "a")
            cpu.append(server.cpu_seconds())
            intake = closed_loop(ready, lambda p: patients.send(p, patients.Retry()), CONCURRENCY)
            cpu.append(server.cpu_seconds())
            bare2 = bare_round(server.url, count, run_id + "b")
            cpu.append(server.cpu_seconds())
            loops = []
            if args.open_loop:
                time.sleep(2)  # let the closed loop's last connections close
                shots = [bare_shot(f"{run_id}o-{index}") for index in range(open_count)]
                loops.append(open_loop(server.url, "bare INSERT view, open", shots, rate))
                cpu.append(server.cpu_seconds())
                time.sleep(2)
                shots = [intake_shot(prepared) for prepared in open_ready]
                loops.append(open_loop(server.url, "intake final POST, open", shots, rate))
                cpu.append(server.cpu_seconds())
            peak_mib = server.peak_worker_mib()
    finally:
        client_cpu = time.process_time() - cpu_before

    failures = [*bare1[2], *intake[2], *bare2[2], *(e for loop in loops for e in loop.errors)]
    ready += open_ready
    count += open_count
    rows = stored_once(env, run_id, ready)
    print()
    phases = (
        ("bare INSERT view, round 1", bare1),
        ("intake final POST", intake),
        ("bare INSERT view, round 2", bare2),
    )
    for index, (name, (wall, latencies, _errors)) in enumerate(phases):
        cpu_ms = (cpu[index + 1] - cpu[index]) * 1000 / max(len(latencies), 1)
        print(
            f"{name:27} {len(latencies) / wall:6.1f} req/s; {harness.latency_line(latencies)}; "
            f"gunicorn CPU {cpu_ms:.1f} ms/request"
        )
    bare_rate = (len(bare1[1]) / bare1[0] + len(bare2[1]) / bare2[0]) / 2
    intake_rate = len(intake[1]) / intake[0]
    print(f"ratio intake/bare throughput: {intake_rate / bare_rate:.2f} (target >= 0.5)")
    p99 = harness.percentile([s * 1000 for s in intake[1]], 0.99)
    print(f"intake final POST p99: {p99:.1f} ms (closed loop, {CONCURRENCY} clients)")
    if loops:
        print()
        for index, loop in enumerate(loops, start=3):
            cpu_ms = (cpu[index + 1] - cpu[index]) * 1000 / max(loop.sent, 1)
            print(f"{loop.report()}\n{'':27} gunicorn CPU {cpu_ms:.1f} ms/request")
            print(loop.windows(seconds=1.0 if duration <= 10 else 10.0))
        p99 = harness.percentile([s * 1000 for s in loops[1].latencies], 0.99)
        bare_p99 = harness.percentile([s * 1000 for s in loops[0].latencies], 0.99)
        print(
            f"open loop at {rate:g}/s: intake p99 {p99:.1f} ms (target < 150 ms), "
            f"bare p99 {bare_p99:.1f} ms"
        )
    print(f"peak gunicorn worker memory (VmHWM): {peak_mib:.1f} MiB")
    print(f"load generator CPU in this process: {client_cpu:.1f} s")
    print(f"submissions stored exactly once: {rows}/{count}")
    print(f"load average after: {_load(os.getloadavg())}")
    if not args.keep_database:
        harness.database_drop(DATABASE)
    if failures or rows != count:
        raise SystemExit(f"FAILED: {len(failures)} errors {failures[:5]}; {rows}/{count} stored")


def stored_once(env: dict, run_id: str, ready: list[patients.Prepared]) -> int:
    """How many of the prepared patients have exactly one submission: found by their
    idempotency key, complete, and the only submission with their email."""
    import psycopg

    keys = [p.idempotency_key for p in ready]
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        rows = conn.execute(
            "SELECT p.email, count(*), count(*) FILTER "
            "(WHERE s.idempotency_key = ANY(%s) AND s.is_complete) "
            "FROM screening_submission s JOIN screening_patient p ON p.id = s.patient_id "
            "WHERE p.email LIKE %s GROUP BY p.email",
            (keys, f"load-{run_id}-%"),
        ).fetchall()
    return sum(1 for _email, total, by_key in rows if total == 1 and by_key == 1)


if __name__ == "__main__":
    main()
