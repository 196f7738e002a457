"""Load test: 50 patients at once send N intakes; with --faults, while PostgreSQL's
connections, Redis and Celery workers are killed and restarted.

    .venv/bin/python bench/load.py                     # 500 intakes, no faults: zero errors
    .venv/bin/python bench/load.py --faults            # 500 intakes through the faults below
    .venv/bin/python bench/load.py --quick [--faults]  # 150 intakes (CI, tests/load/)
    .venv/bin/python bench/load.py --two-nodes [--quick]  # behind nginx; 300 [80] intakes

Everything on loopback, in a database of its own (clinic_load_<pid>, dropped afterwards), with a
private redis-server (the web's cache, the rate limit's counters and the Celery broker;
the shared Redis on 6379 is never touched), an SMTP sink (aiosmtpd), gunicorn as the
Procfile runs it (production settings) and two Celery worker processes.

The patients: 50 threads, each a browser of its own (cookies, CSRF token, Origin), take
the next job until N intakes are sent: GET each page, POST it, follow the redirect, GET
"check your answers", POST it with its idempotency key, GET the confirmation. Every
fifth job is a patient who presses "Save and come back later" on "How you feel" and
leaves: its unfinished-intake reminder is due at once (UNFINISHED_INTAKE_REMINDER_HOURS=0)
and a dispatcher in this process (reminders_dispatch every half second, as beat would
every minute) hands it to the workers, which send it to the sink while the load runs.

Without --faults, any 5xx or broken connection fails the run (no retries). With --faults,
a patient who gets one presses the button again (the same request; for the final POST
the same idempotency key), up to 6 times, and these faults are injected as the intakes
come in (at 15%, 30%, ... of N):
  - pg_terminate_backend on every connection to the database (three times),
  - SIGKILL of a Celery worker (and its pool), restarted two seconds later (twice),
  - the private redis-server stopped, restarted empty three seconds later.

Afterwards, in both modes: every intake whose final POST was answered "sent" (302 to the
confirmation) is stored exactly once (its idempotency key, complete, the only submission
with its email), every patient got to "sent", every saved intake is one draft with its
two reminders (the link asked for, sent at once, and the reminder to finish), every sent
intake has its confirmation email, and no reminder was delivered twice (SMTP receipts per
Message-ID); reminders a killed worker was sending when it died are failed, never resent
(docs/reminders.md). Exit status 1 if anything of that does not hold. Latencies are
reported, never asserted.

--two-nodes (issue 15, "Beyond one machine"; main_two_nodes, bench/cluster.py): two
gunicorns (own ports, own process groups) behind a real nginx running docs/nginx.conf's
site with an upstream of both, two Celery workers with distinct names, one beat with the
project's scheduler (clinic/beat.py) instead of the dispatcher thread ("Send due reminders"
every BEAT_DISPATCH_SECONDS: the run is shorter than its minute), all on one database
and one Redis (--redis, default BENCH_REDIS: the shared server, the run's own queue). The
patients go through nginx. Before the load: one patient's intake goes through both nodes
(round-robin; the session is shared), wrong passwords through nginx lock that client out
on each node, and a rate limit spent through nginx holds on each node. During it: one web
node's whole process group SIGKILLed and started again, one worker SIGKILLed with its pool
(TWO_NODE_FAULTS). After it, besides the checks above: every stored intake whole (the same
answer rows and results as the others), and every patient whose final POST got a 502 or a
broken connection stored once after pressing Send again. It prints what nginx answered,
the requests per node, and intakes per hour per core.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import functools
import os
import shutil
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import cluster, harness, patients  # noqa: E402

USERS = 50
SAVE_EVERY = 5  # every fifth job saves and leaves
RETRIES_WITH_FAULTS = 6
DATABASE = f"clinic_load_{os.getpid()}"  # concurrent runs never share one
FAULTS = (  # (fraction of N sent, fault)
    (0.15, "postgres"),
    (0.30, "worker"),
    (0.45, "redis"),
    (0.60, "postgres"),
    (0.75, "worker"),
    (0.90, "postgres"),
)
TWO_NODE_FAULTS = ((0.30, "web"), (0.60, "worker"))  # --two-nodes
BEAT_DISPATCH_SECONDS = 10  # --two-nodes: beat's "Send due reminders", every minute in production
# What each stored intake holds besides its row (all patients answer alike): related names.
ANSWER_ROWS = ("symptoms", "red_flags", "medicines", "conditions", "lab_results", "results")


def midday_zone(now: datetime.datetime | None = None) -> str:
    """A fixed-offset zone where it is about midday now (patient emails go out only in
    PATIENT_EMAIL_HOURS, clinic time; same trick as tests/integration)."""
    now = now or datetime.datetime.now(datetime.UTC)
    offset = 12 - now.hour
    if offset == 0:
        return "Etc/GMT"
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


@dataclass
class Outcome:
    """What happened to one job (one simulated patient)."""

    index: int
    email: str
    saves: bool
    key: str = ""
    sent: bool = False  # the final POST was answered with the confirmation
    saved: bool = False
    error: str = ""  # why the journey did not finish
    final_seconds: float = 0.0
    final_errors: list[str] = field(default_factory=list)  # 5xx/broken final POST attempts


@dataclass
class Run:
    count: int
    faults: bool
    run_id: str = field(default_factory=harness.new_run_id)
    lock: threading.Lock = field(default_factory=threading.Lock)
    outcomes: list[Outcome] = field(default_factory=list)
    retry_errors: list[str] = field(default_factory=list)
    sent: int = 0
    timeline: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    def note(self, text: str) -> None:
        line = f"{time.perf_counter() - self.started:7.2f} s  {self.sent:4} sent  {text}"
        with self.lock:
            self.timeline.append(line)


def patient_thread(
    run: Run, base_url: str, jobs: list[int], deadline: float, browser=harness.Browser
) -> None:
    """Take the next job until none is left; `browser(base_url)` makes each patient's."""
    today = datetime.date.today()
    while time.monotonic() < deadline:
        with run.lock:
            if not jobs:
                return
            index = jobs.pop(0)
        saves = index % SAVE_EVERY == SAVE_EVERY - 1
        outcome = Outcome(index, patients.patient_email(index, run.run_id), saves)
        retry = patients.Retry(attempts=RETRIES_WITH_FAULTS if run.faults else 1)
        client = browser(base_url)
        try:
            answers = patients.pages(index, run.run_id, today)
            if saves:
                patients.walk_to_check(client, answers, retry, save_at="symptoms")
                outcome.saved = True
            else:
                ready = patients.walk_to_check(client, answers, retry)
                outcome.key = ready.idempotency_key
                before = len(retry.errors)
                try:
                    outcome.final_seconds = patients.send(ready, retry)
                finally:
                    outcome.final_errors = retry.errors[before:]
                outcome.sent = True
                with run.lock:
                    run.sent += 1
                patients.see_done(ready, retry)
        except (harness.HTTPError, patients.JourneyError) as error:
            outcome.error = str(error)
        with run.lock:
            run.outcomes.append(outcome)
            run.retry_errors.extend(retry.errors)


class Dispatcher(threading.Thread):
    """reminders_dispatch every half second in this process, as beat would every minute.
    Its own database connection and broker publishes fail during the faults: it notes
    the failure and carries on (the claimed rows wait in "queued" until found lost)."""

    def __init__(self, run: Run) -> None:
        super().__init__(daemon=True)
        self.run_ = run
        self.stopping = threading.Event()
        self.failures: Counter[str] = Counter()

    def run(self) -> None:
        from django.db import connection

        from screening.reminders import dispatch

        while not self.stopping.wait(0.5):
            try:
                dispatch.reminders_dispatch()
            except Exception as error:  # noqa: BLE001 - a fault is expected; note and go on
                self.failures[type(error).__name__] += 1
                connection.close()
        connection.close()


class Faults(threading.Thread):
    """Injects `plan` (FAULTS, or TWO_NODE_FAULTS with the web `nodes`) as the sent count
    passes each fraction of N."""

    def __init__(
        self,
        run: Run,
        redis: harness.PrivateRedis | None,
        workers: list,
        plan=FAULTS,
        nodes: list[harness.Gunicorn] | None = None,
    ) -> None:
        super().__init__(daemon=True)
        self.run_ = run
        self.redis_server = redis
        self.workers = workers
        self.plan = plan
        self.nodes = nodes or []
        self.stopping = threading.Event()
        self.fired: list[str] = []

    def run(self) -> None:
        for fraction, fault in self.plan:
            while self.run_.sent < fraction * self.run_.count:
                if self.stopping.wait(0.05):
                    return
            getattr(self, fault)()
            self.fired.append(fault)

    def postgres(self) -> None:
        killed = harness.terminate_connections(DATABASE)
        self.run_.note(f"FAULT pg_terminate_backend: {killed} connections to {DATABASE}")

    def worker(self) -> None:
        victim = self.workers.pop(0)
        victim.kill()
        self.run_.note(f"FAULT worker {victim.name} SIGKILLed (with its pool)")
        time.sleep(2)
        replacement = harness.CeleryWorker(
            victim.env, victim.queue, victim.name + "r", log_dir=victim.log_dir
        ).start()
        self.workers.append(replacement)
        self.run_.note(f"       worker {replacement.name} started")

    def web(self) -> None:
        """SIGKILL the first web node's whole process group (a machine gone), start it
        again on its port two seconds later; nginx sends its requests to the other."""
        node = self.nodes[0]
        node.kill()
        self.run_.note(f"FAULT web node :{node.port} SIGKILLed (arbiter and workers)")
        time.sleep(2)
        node.start()
        self.run_.note(f"       web node :{node.port} started again")

    def redis(self) -> None:
        self.redis_server.stop()
        self.run_.note("FAULT redis-server stopped")
        time.sleep(3)
        self.redis_server.start()
        self.run_.note("       redis-server started again (empty)")


def run_reminders(run: Run, drafts: list[int]):
    """This run's reminders: the saved intakes' (the link asked for, and the reminder to
    finish) and the sent intakes' confirmations."""
    from django.db.models import Q

    from screening.models import Reminder

    return Reminder.objects.filter(
        Q(draft_id__in=drafts) | Q(submission__patient__email__startswith=f"load-{run.run_id}-")
    )


def reminders_settle(run: Run, drafts: list[int], sink: harness.SmtpSink, timeout: float):
    """Wait for the saved intakes' reminders to finish; then, as a later dispatch would,
    enqueue the ones lost with Redis or a killed worker and fail the ones left sending."""
    from django.db import connection
    from django.utils import timezone

    from screening.reminders import dispatch

    final = ("sent", "failed", "cancelled")
    rows = run_reminders(run, drafts)

    def quiet(seconds: float):
        last, since = None, time.monotonic()

        def check() -> bool:
            nonlocal last, since
            state = (
                sink.received(),
                tuple(sorted(Counter(rows.values_list("status", flat=True)).items())),
            )
            if state != last:
                last, since = state, time.monotonic()
            return all(status in final for status, _n in state[1]) or (
                time.monotonic() - since > seconds
            )

        return check

    connection.close()
    harness.wait_until(quiet(5), timeout=timeout, interval=0.5, what="reminders to settle")
    later = timezone.now() + dispatch.lease() + datetime.timedelta(minutes=1)
    connection.close()
    dispatched = dispatch.reminders_dispatch(now=later)
    run.note(
        f"late dispatch: {dispatched.requeued} requeued (lost), "
        f"{dispatched.interrupted} failed (interrupted while sending)"
    )
    harness.wait_until(
        lambda: not rows.exclude(status__in=final).exists(),
        timeout=timeout,
        interval=0.5,
        what="every reminder sent, failed or cancelled",
    )
    return Counter(rows.values_list("status", flat=True))


def check(run: Run, sink: harness.SmtpSink, reminder_statuses: Counter) -> list[str]:
    """Every promise of the module docstring; the list of what does not hold."""
    from screening.models import IntakeDraft, Submission
    from screening.reminders import emails

    problems = []
    unfinished = [o for o in run.outcomes if o.error]
    for outcome in unfinished[:10]:
        problems.append(f"patient {outcome.index} did not finish: {outcome.error}")
    if len(unfinished) > 10:
        problems.append(f"... and {len(unfinished) - 10} more patients did not finish")
    senders = [o for o in run.outcomes if not o.saves]
    if len(senders) != run.count:
        problems.append(f"{len(senders)} intakes attempted, expected {run.count}")

    by_email = Counter(
        Submission.objects.filter(patient__email__startswith=f"load-{run.run_id}-").values_list(
            "patient__email", flat=True
        )
    )
    complete_keys = set(
        Submission.objects.filter(
            idempotency_key__in=[o.key for o in senders if o.key], is_complete=True
        ).values_list("idempotency_key", flat=True)
    )
    for outcome in senders:
        if outcome.sent and outcome.key not in complete_keys:
            problems.append(f"LOST: patient {outcome.index} was told 'sent' but has no row")
        if outcome.sent and by_email[outcome.email] != 1:
            problems.append(f"patient {outcome.index}: {by_email[outcome.email]} submissions")
    stored = sum(by_email.values())
    if stored != sum(1 for o in senders if o.sent):
        problems.append(f"{stored} submissions stored for {run.count} intakes sent")

    drafts = IntakeDraft.objects.filter(email__startswith=f"load-{run.run_id}-")
    saved = [o for o in run.outcomes if o.saved]
    if drafts.count() != len(saved):
        problems.append(f"{drafts.count()} drafts for {len(saved)} saves")

    reminders = list(run_reminders(run, [draft.pk for draft in drafts]))
    kinds = Counter(reminder.kind for reminder in reminders)
    expected_kinds = Counter(
        {"intake_saved": len(saved), "unfinished_intake": len(saved), "confirmation": stored}
    )
    if kinds != +expected_kinds:
        problems.append(
            f"reminders {dict(kinds)} for {len(saved)} saved and {stored} sent intakes "
            f"(expected {dict(+expected_kinds)})"
        )
    ids = {emails.message_id(reminder): reminder for reminder in reminders}
    for message_id, count in sink.by_message_id.items():
        if count > 1:
            problems.append(f"DUPLICATE: reminder {message_id} delivered {count} times")
        if message_id not in ids:
            problems.append(f"an email nobody scheduled: {message_id}")
    for message_id, reminder in ids.items():
        if reminder.status == "sent" and sink.by_message_id[message_id] != 1:
            problems.append(f"reminder {reminder.public_id} sent but not received")
    if not run.faults and reminder_statuses != Counter({"sent": len(reminders)}):
        problems.append(f"without faults every reminder is sent: {dict(reminder_statuses)}")
    if not run.faults and run.retry_errors:
        problems.append(f"{len(run.retry_errors)} errors without faults: {run.retry_errors[:5]}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="150 intakes: CI")
    parser.add_argument("--faults", action="store_true", help="kill and restart services")
    parser.add_argument("--intakes", type=int, help="how many intakes to send (default 500)")
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY", 0)) or None,
        help="gunicorn workers (per node with --two-nodes); default 4, or 2 a node",
    )
    parser.add_argument("--conn-max-age", default=os.environ.get("DATABASE_CONN_MAX_AGE", "0"))
    parser.add_argument("--time-limit", type=float, default=600, help="seconds for the load")
    parser.add_argument(
        "--two-nodes",
        action="store_true",
        help="two gunicorns behind nginx, one beat, a web node and a worker killed "
        "(--quick: 80 intakes; else 300)",
    )
    parser.add_argument(
        "--redis",
        default=harness.SHARED_REDIS,
        help="--two-nodes: the Redis every process shares (default BENCH_REDIS or db 0)",
    )
    args = parser.parse_args()
    args.workers = args.workers or (2 if args.two_nodes else 4)
    if args.two_nodes:
        count = args.intakes or (80 if args.quick else 300)
        return main_two_nodes(args, count, jobs_for(count))
    count = args.intakes or (150 if args.quick else 500)
    run = Run(count=count, faults=args.faults)
    jobs = jobs_for(count)

    print(
        harness.header(
            f"load: {USERS} patients at once, {count} intakes"
            + (", with faults" if args.faults else "")
        )
    )
    print(
        f"gunicorn --workers {args.workers} (sync); DATABASE_CONN_MAX_AGE={args.conn_max_age}; "
        f"2 Celery workers; {len(jobs) - count} patients save and leave"
    )
    harness.database_create(DATABASE)
    zone = midday_zone()
    queue = f"load-{run.run_id}"
    with harness.PrivateRedis() as redis, harness.SmtpSink() as sink:
        env = harness.app_env(
            DATABASE,
            redis.url,
            DATABASE_CONN_MAX_AGE=str(args.conn_max_age),
            UNFINISHED_INTAKE_REMINDER_HOURS="0",
            PATIENT_EMAIL_HOURS="00:00-23:59",
            CLINIC_TIME_ZONE=zone,
            CELERY_QUEUE=queue,
            CELERY_TASK_ALWAYS_EAGER="false",
            **sink.env(),
        )
        harness.app_prepare(env)
        harness.django_setup(env)
        from django.db import connections

        import clinic.celery  # noqa: F401 - this process publishes reminder_send too

        workers = [harness.CeleryWorker(env, queue, f"{queue}-w{n}").start() for n in (1, 2)]
        dispatcher = Dispatcher(run)
        faults = Faults(run, redis, workers)
        try:
            with harness.Gunicorn(env, workers=args.workers) as server:
                dispatcher.start()
                if args.faults:
                    faults.start()
                run.started = time.perf_counter()
                deadline = time.monotonic() + args.time_limit
                threads = [
                    threading.Thread(target=patient_thread, args=(run, server.url, jobs, deadline))
                    for _ in range(USERS)
                ]
                for thread in threads:
                    thread.start()
                while any(thread.is_alive() for thread in threads):
                    server.sample_memory()
                    time.sleep(1)
                load_seconds = time.perf_counter() - run.started
                faults.stopping.set()
                if faults.is_alive():
                    faults.join(timeout=30)
                run.note("load finished")
                peak_mib = server.peak_worker_mib()
                draft_ids = drafts_of(run)
                statuses = reminders_settle(run, draft_ids, sink, timeout=120)
                dispatcher.stopping.set()
                dispatcher.join(timeout=10)
        finally:
            faults.stopping.set()
            dispatcher.stopping.set()
            for worker in workers:
                worker.stop()
        connections.close_all()  # a fault may have killed this process's connection too
        problems = check(run, sink, statuses)

    report(run, load_seconds, peak_mib, statuses, sink, dispatcher, faults)
    harness.database_drop(DATABASE)
    if problems:
        print("\nFAILED:")
        for problem in problems:
            print("  " + problem)
        return 1
    print("\nOK: every intake sent is stored exactly once; no reminder delivered twice")
    return 0


def jobs_for(count: int) -> list[int]:
    """Patient numbers for `count` intakes sent: every SAVE_EVERY-th one saves and leaves."""
    jobs: list[int] = []
    while len(jobs) - len(jobs) // SAVE_EVERY < count:
        jobs.append(len(jobs))
    return jobs


def drafts_of(run: Run) -> list[int]:
    from screening.models import IntakeDraft

    return list(
        IntakeDraft.objects.filter(email__startswith=f"load-{run.run_id}-").values_list(
            "pk", flat=True
        )
    )


def report(run, load_seconds, peak_mib, statuses, sink, dispatcher, faults) -> None:
    sent = [o for o in run.outcomes if o.sent]
    print(
        f"\n{len(sent)} intakes sent and {sum(o.saved for o in run.outcomes)} saved "
        f"in {load_seconds:.1f} s ({len(sent) / load_seconds:.1f} intakes/s, each about "
        f"14 requests)"
    )
    if sent:
        print(
            f"final POST latency (successful attempt): "
            f"{harness.latency_line([o.final_seconds for o in sent])}"
        )
    print(f"peak gunicorn worker memory (VmHWM): {peak_mib:.1f} MiB")
    print(f"errors seen by patients (then retried): {len(run.retry_errors)}")
    kinds = Counter(error.split(": ", 1)[-1] for error in run.retry_errors)
    for kind, n in kinds.most_common():
        print(f"  {n:4} x {kind}")
    print(
        f"reminders: {dict(statuses)}; SMTP receipts {sink.received()} "
        f"({len(sink.by_message_id)} distinct Message-IDs)"
    )
    if dispatcher is not None and dispatcher.failures:
        print(f"dispatcher runs that failed during faults: {dict(dispatcher.failures)}")
    if run.faults:
        print(f"faults fired: {', '.join(faults.fired) or 'none'}")
    print("timeline:")
    for line in run.timeline:
        print("  " + line)
    if run.retry_errors:
        print("errors, with the time they happened (epoch s):")
        for line in run.retry_errors[:40]:
            print("  " + line)


# --- two web nodes behind nginx (--two-nodes) ---------------------------------------------


def main_two_nodes(args, count: int, jobs: list[int]) -> int:
    """Two gunicorns (own ports, own process groups) behind nginx, two workers, one beat,
    all on one PostgreSQL database and one Redis; the patients go through nginx. Before the
    load, the checks that state is shared (a session, a lockout, a rate limit); during it,
    one web node and then one worker SIGKILLed (TWO_NODE_FAULTS); after it, `check` and
    `check_two_nodes`. Exit status 1 if anything does not hold (never for a timing)."""
    nginx = cluster.find_nginx()
    if nginx is None or shutil.which("openssl") is None:
        print("FAILED: --two-nodes needs nginx (apt-get install nginx, or NGINX=path) and openssl")
        return 1
    run = Run(count=count, faults=True)
    print(harness.header(f"load, two web nodes behind nginx: {USERS} patients, {count} intakes"))
    print(
        f"2 x gunicorn --workers {args.workers} (sync), nginx {nginx}, 2 Celery workers, "
        f"1 beat; Redis {args.redis}; {len(jobs) - count} patients save and leave; "
        f"faults: {', '.join(fault for _fraction, fault in TWO_NODE_FAULTS)}"
    )
    harness.database_create(DATABASE)
    queue = f"load-{run.run_id}"
    problems: list[str] = []
    with harness.SmtpSink() as sink:
        env = harness.app_env(
            DATABASE,
            args.redis,
            DATABASE_CONN_MAX_AGE=str(args.conn_max_age),
            UNFINISHED_INTAKE_REMINDER_HOURS="0",
            PATIENT_EMAIL_HOURS="00:00-23:59",
            CLINIC_TIME_ZONE=midday_zone(),
            CELERY_QUEUE=queue,
            CELERY_TASK_ALWAYS_EAGER="false",
            **cluster.app_env_for_nodes(),
            **sink.env(),
        )
        harness.app_prepare(env)
        harness.manage("setup_periodic_tasks", env=env)  # what a deploy does, for beat
        harness.django_setup(env)
        dispatch_every(BEAT_DISPATCH_SECONDS)
        from django.conf import settings
        from django.db import connections

        import clinic.celery  # noqa: F401 - this process dispatches late (reminders_settle)

        workers: list[harness.CeleryWorker] = []
        nodes = [harness.Gunicorn(env, workers=args.workers) for _node in (1, 2)]
        ports = [node.port for node in nodes]
        with contextlib.ExitStack() as stack:
            stack.callback(lambda: [worker.stop() for worker in workers])
            for n in (1, 2):  # two "machines": distinct names
                workers.append(harness.CeleryWorker(env, queue, f"{queue}-node{n}").start())
            for node in nodes:
                stack.enter_context(node)
            beat = stack.enter_context(cluster.Beat(env, queue))
            proxy = stack.enter_context(cluster.Nginx(nginx, ports))
            browser = functools.partial(
                harness.Browser, transport=proxy.transport(), host=cluster.SERVER_NAME
            )
            deadline = time.monotonic() + args.time_limit
            problems += session_across_nodes(run, proxy, jobs, deadline, browser)
            problems += cluster.lockout_across_nodes(proxy, ports, settings.AXES_FAILURE_LIMIT)
            problems += cluster.ratelimit_across_nodes(proxy, ports)
            faults = Faults(run, None, workers, TWO_NODE_FAULTS, nodes)
            run.started = time.perf_counter()  # the load: after the checks above
            faults.start()
            threads = [
                threading.Thread(
                    target=patient_thread, args=(run, proxy.url, jobs, deadline, browser)
                )
                for _ in range(USERS)
            ]
            for thread in threads:
                thread.start()
            while any(thread.is_alive() for thread in threads):
                for node in nodes:
                    node.sample_memory()
                time.sleep(1)
            load_seconds = time.perf_counter() - run.started
            faults.stopping.set()
            faults.join(timeout=60)
            run.note("load finished")
            peak_mib = max(node.peak_worker_mib() for node in nodes)
            statuses = reminders_settle(run, drafts_of(run), sink, timeout=120)
            access_log = proxy.access_log()
            beat_log = beat.log()
        connections.close_all()
        problems += check(run, sink, statuses)
        problems += check_two_nodes(run)
        unfired = [fault for _fraction, fault in TWO_NODE_FAULTS if fault not in faults.fired]
        if unfired:
            problems.append(f"faults not injected: {unfired} (stderr says why)")

    report(run, load_seconds, peak_mib, statuses, sink, None, faults)
    report_two_nodes(run, load_seconds, access_log, beat_log, ports)
    harness.database_drop(DATABASE)
    if problems:
        print("\nFAILED:")
        for problem in problems:
            print("  " + problem)
        return 1
    print(
        "\nOK: two nodes behind nginx: every intake sent is stored exactly once, none half "
        "stored; no reminder delivered twice; session, lockout and rate limit shared"
    )
    return 0


def dispatch_every(seconds: int) -> None:
    """A run is shorter than beat's minute: "Send due reminders" every `seconds` instead
    (as a clinic admin could set it in the admin), before beat reads the schedule."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every, _created = IntervalSchedule.objects.get_or_create(
        every=seconds, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.filter(task="screening.tasks.reminders_dispatch").update(interval=every)


def session_across_nodes(run: Run, proxy: cluster.Nginx, jobs, deadline, browser) -> list[str]:
    """The first patient alone, before the load, through nginx's round-robin: the intake
    (kept in the session from page to page) is sent, and both nodes answered its requests."""
    first_line = len(proxy.access_log())
    patient_thread(run, proxy.url, [jobs.pop(0)], deadline, browser)
    outcome = run.outcomes[-1]
    answered = cluster.upstream_counts(proxy.access_log()[first_line:])
    print(
        f"session across nodes: one patient's {sum(answered.values())} requests answered by "
        + ", ".join(f"{address} ({n})" for address, n in sorted(answered.items()))
    )
    problems = []
    if not outcome.sent or outcome.error:
        problems.append(f"session: the first patient did not get to 'sent': {outcome.error}")
    if len(answered) != 2 or min(answered.values()) < 3:
        problems.append(f"session: one patient's requests not shared by both nodes: {answered}")
    return problems


def check_two_nodes(run: Run) -> list[str]:
    """Nothing half stored: every stored intake of the run is complete, with the same
    answer rows and results as the others; every final POST that got an error (nginx's
    502, a broken connection) left its intake absent or stored once, and stored once when
    the patient pressed Send again and was told "sent". What does not hold."""
    from django.db.models import Count

    from screening.models import Submission

    stored = {
        key: (complete, counts)
        for key, complete, *counts in Submission.objects.filter(
            patient__email__startswith=f"load-{run.run_id}-"
        )
        .annotate(**{f"n_{name}": Count(name, distinct=True) for name in ANSWER_ROWS})
        .values_list("idempotency_key", "is_complete", *(f"n_{name}" for name in ANSWER_ROWS))
    }
    problems = []
    shapes = Counter(tuple(counts) for _complete, counts in stored.values())
    usual = shapes.most_common(1)[0][0] if shapes else ()
    for key, (complete, counts) in stored.items():
        missing = [name for name, n in zip(ANSWER_ROWS, counts, strict=True) if n == 0]
        if not complete or tuple(counts) != usual or set(missing) - {"conditions"}:
            problems.append(f"HALF STORED: intake {key[:8]}: complete {complete}, rows {counts}")
    for outcome in run.outcomes:
        if not outcome.final_errors:
            continue
        if outcome.sent and outcome.key not in stored:
            problems.append(f"patient {outcome.index}: 'sent' after an error but not stored")
    return problems


def report_two_nodes(run: Run, load_seconds: float, access_log, beat_log: str, ports) -> None:
    sent = sum(o.sent for o in run.outcomes)
    errored = [o for o in run.outcomes if o.final_errors]
    print(
        f"final POSTs that got an error (502 or broken): {len(errored)} patients, "
        f"{sum(len(o.final_errors) for o in errored)} attempts; pressed Send again and "
        f"stored once: {sum(o.sent for o in errored)}; gave up: "
        f"{sum(not o.sent for o in errored)}"
    )
    print(f"nginx answered: {dict(sorted(cluster.status_counts(access_log).items()))}")
    answered = cluster.upstream_counts(access_log)
    print(
        "requests per node: "
        + ", ".join(f"{address} {n}" for address, n in sorted(answered.items()))
    )
    print(
        f"beat: {beat_log.count('holds the scheduler lease')} x 'holds the scheduler lease'; "
        f"'Send due reminders' sent {beat_log.count('Sending due task Send due reminders')} "
        f"times (every {BEAT_DISPATCH_SECONDS} s)"
    )
    cores = os.cpu_count() or 1
    load = os.getloadavg()
    print(
        f"intakes per hour per core: {sent / load_seconds * 3600 / cores:,.0f} "
        f"({sent} stored in {load_seconds:.1f} s on {cores} cores, faults included; "
        f"load average after {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})"
    )


if __name__ == "__main__":
    sys.exit(main())
