"""Integration fixtures: real PostgreSQL, Redis, Celery worker processes and an SMTP server.

Everything here runs on loopback addresses only and is bounded in time:

- `services` is the one place that decides whether these tests can run. They need
  PostgreSQL (a worker process must see the test database, which an in-memory SQLite
  database cannot offer) and a reachable Redis named by REDIS_URL. Without them a test is
  skipped with the reason; with REQUIRE_SERVICES=1 (CI) the same condition fails it.
- `smtp` is an aiosmtpd server on 127.0.0.1 that records every message and can be told
  to refuse the next N with a 4xx or 5xx reply, or to answer slowly.
- `live_celery` turns eager mode off in this process and points `.delay()` at a queue of
  its own on the broker; `workers.start()` runs `celery worker` processes consuming it,
  with the test database, the SMTP server and this process's secret key.
- `private_redis` is a redis-server of our own on a free loopback port, for the test that
  stops the broker (the shared Redis on 6379 is never stopped).
- `watchdog` (autouse) fails a test that runs longer than TEST_TIME_LIMIT seconds, so a
  hang becomes a failure and the fixtures still tear down.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import email
import email.policy
import faulthandler
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parents[2]
CELERY_BIN = Path(sys.executable).parent / "celery"  # .venv/bin/celery next to .venv/bin/python
LOOPBACK = "127.0.0.1"

TEST_TIME_LIMIT = 120  # seconds, per test, setup and teardown included
WORKER_READY_TIMEOUT = 40
WORKER_STOP_TIMEOUT = 10
REDIS_TIMEOUT = 2  # connect and read timeout for every Redis client made here


# --- waiting -------------------------------------------------------------------------


def wait_until(
    condition: Callable[[], object],
    *,
    timeout: float,
    interval: float = 0.2,
    steady_for: float = 0.0,
    message: str | Callable[[], str] = "condition",
):
    """Poll `condition` until it returns something truthy (and has kept doing so for
    `steady_for` seconds); fail after `timeout` seconds.

    `message` (or what it returns) says what was awaited and what was last seen.
    """
    deadline = time.monotonic() + timeout
    true_since = None
    while True:
        result = condition()
        now = time.monotonic()
        if result:
            true_since = now if true_since is None else true_since
            if now - true_since >= steady_for:
                return result
        else:
            true_since = None
        if now >= deadline:
            text = message() if callable(message) else message
            pytest.fail(f"Timed out after {timeout:.0f} s waiting for {text}")
        time.sleep(interval)


def midday_zone(now: datetime.datetime | None = None) -> str:
    """A fixed-offset zone (Etc/GMT±N) where the time is now between 11:00 and 13:00."""
    now = now or datetime.datetime.now(datetime.UTC)
    offset = 12 - now.astimezone(datetime.UTC).hour  # -11 .. +12: all exist
    if offset == 0:
        return "Etc/GMT"
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"  # POSIX: GMT-3 is UTC+3


def free_port() -> int:
    """A TCP port nobody listens on right now, on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def watchdog():
    """Fail the test (not the session) if it runs past TEST_TIME_LIMIT seconds.

    SIGALRM raises in the main thread wherever it is waiting, so the fixtures below still
    run their teardown. If even that hangs, faulthandler dumps every thread's stack and
    ends the process a minute later: no run of this suite waits forever.
    """

    def on_alarm(signum, frame):
        pytest.fail(f"Integration test exceeded {TEST_TIME_LIMIT} s (watchdog)", pytrace=True)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(TEST_TIME_LIMIT)
    faulthandler.dump_traceback_later(TEST_TIME_LIMIT + 60, exit=True)
    try:
        yield
    finally:
        signal.alarm(0)
        faulthandler.cancel_dump_traceback_later()
        signal.signal(signal.SIGALRM, previous)


# --- the services gate ---------------------------------------------------------------


def _redis_client(url: str):
    import redis

    return redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
    )


def _redis_problem(url: str) -> str | None:
    if not url:
        return "REDIS_URL is not set"
    host = _redis_client(url).connection_pool.connection_kwargs.get("host")
    if host not in (LOOPBACK, "localhost"):
        return f"REDIS_URL must point at a loopback address, not {host!r}"
    try:
        _redis_client(url).ping()
    except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
        return f"Redis at {url} is not reachable ({type(error).__name__}: {error})"
    return None


@dataclass
class Services:
    """What the integration tests run against; `require` skips or fails (REQUIRE_SERVICES)."""

    required: bool
    redis_url: str = ""
    database_url: str = ""

    def require(self, condition: object, reason: str) -> None:
        if condition:
            return
        if self.required:
            pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
        pytest.skip(f"integration test needs real services: {reason}")


def _test_database_url() -> str:
    """The database pytest-django created for this run (test_...), as a DATABASE_URL."""
    db = settings.DATABASES["default"]
    credentials = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or LOOPBACK
    port = db.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{quote(db['NAME'], safe='')}"


@pytest.fixture
def services() -> Services:
    """The gate: PostgreSQL on loopback as the database and a reachable Redis at REDIS_URL.

    Missing any, the test is skipped with every reason, or failed when REQUIRE_SERVICES=1
    (CI), where a skipped integration test would hide a broken environment.
    """
    from django.db import connection

    gate = Services(required=os.environ.get("REQUIRE_SERVICES", "") == "1")
    problems = []
    if connection.vendor != "postgresql":
        problems.append(
            f"the database is {connection.vendor}, not PostgreSQL (set DATABASE_URL="
            "postgres://postgres@127.0.0.1:5432/<name>; worker processes must share the "
            "test database)"
        )
    else:
        host = settings.DATABASES["default"].get("HOST") or LOOPBACK
        if host not in (LOOPBACK, "localhost"):
            problems.append(f"DATABASE_URL must be on loopback, not {host!r}")
    gate.redis_url = settings.REDIS_URL
    redis_problem = _redis_problem(gate.redis_url)
    if redis_problem:
        problems.append(redis_problem + " (set REDIS_URL=redis://127.0.0.1:6379/0)")
    if not CELERY_BIN.exists():
        problems.append(f"no celery executable at {CELERY_BIN}")
    gate.require(not problems, "; ".join(problems))
    gate.database_url = _test_database_url()
    return gate


# --- SMTP ----------------------------------------------------------------------------


@dataclass
class ReceivedMessage:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: email.message.EmailMessage
    at: float = field(default_factory=time.time)  # when the server took it (epoch seconds)

    @property
    def message_id(self) -> str:
        return str(self.message.get("Message-ID", "")).strip()

    @property
    def text(self) -> str:
        """Subject and every text part, decoded: what the reader sees."""
        parts = [str(self.message.get("Subject", ""))]
        for part in self.message.walk():
            if part.get_content_maintype() == "text":
                parts.append(part.get_content())
        return "\n".join(parts)


@dataclass
class Refusal:
    rcpt_tos: list[str]
    reply: str
    stage: str
    at: float = field(default_factory=time.time)


class RecordingHandler:
    """aiosmtpd handler: records accepted messages; refuses or holds messages when told to.

    - `refuse_next(n, reply)`: the next n messages get `reply` (e.g. "451 4.3.0 Try later"),
      at DATA or, with stage="rcpt", at RCPT TO.
    - `refuse_for(address, *replies, stage="data")`: the next messages to `address` get
      these replies, in order, at DATA or at RCPT TO (then it is accepted again).
    - `delay`: seconds to wait before answering DATA (a slow server).
    - `hold_at(n, seconds)`: record the n-th accepted message, set `held`, then wait
      `seconds` before answering 250: the sender is stuck mid-send, the message taken.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[ReceivedMessage] = []
        self.refusals: list[Refusal] = []
        self._next: list[tuple[str, str]] = []  # (stage, reply) for the next messages
        self._by_recipient: dict[str, list[tuple[str, str]]] = {}
        self.delay = 0.0
        self._hold: tuple[int, float] | None = None
        self.held = threading.Event()

    # -- control, from the test --

    def refuse_next(self, count: int, reply: str, *, stage: str = "data") -> None:
        assert stage in ("data", "rcpt")
        with self.lock:
            self._next.extend([(stage, reply)] * count)

    def refuse_for(self, address: str, *replies: str, stage: str = "data") -> None:
        assert stage in ("data", "rcpt")
        with self.lock:
            script = self._by_recipient.setdefault(address.lower(), [])
            script.extend((stage, reply) for reply in replies)

    def hold_at(self, count: int, seconds: float) -> None:
        with self.lock:
            self._hold = (count, seconds)
            self.held.clear()

    def received(self) -> list[ReceivedMessage]:
        with self.lock:
            return list(self.messages)

    def refused(self) -> list[Refusal]:
        with self.lock:
            return list(self.refusals)

    def count_by_recipient(self) -> Counter:
        return Counter(rcpt.lower() for msg in self.received() for rcpt in msg.rcpt_tos)

    def count_by_message_id(self) -> Counter:
        return Counter(msg.message_id for msg in self.received())

    # -- SMTP hooks, on the server's event loop --

    def _scripted(self, stage: str, recipients: list[str]) -> str | None:
        with self.lock:
            if self._next and self._next[0][0] == stage:
                return self._next.pop(0)[1]
            for address in recipients:
                script = self._by_recipient.get(address.lower())
                if script and script[0][0] == stage:
                    return script.pop(0)[1]
        return None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self._scripted("rcpt", [address])
        if reply:
            with self.lock:
                self.refusals.append(Refusal([address], reply, "rcpt"))
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        reply = self._scripted("data", envelope.rcpt_tos)
        if reply:
            with self.lock:
                self.refusals.append(Refusal(list(envelope.rcpt_tos), reply, "data"))
            return reply
        raw = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        hold = 0.0
        with self.lock:
            self.messages.append(
                ReceivedMessage(envelope.mail_from, list(envelope.rcpt_tos), raw, parsed)
            )
            if self._hold and len(self.messages) == self._hold[0]:
                hold = self._hold[1]
                self.held.set()
        if hold:
            await asyncio.sleep(hold)
        return "250 Message accepted"


@dataclass
class SMTPServer:
    host: str
    port: int
    handler: RecordingHandler


@pytest.fixture
def smtp():
    """An SMTP server on 127.0.0.1:<free port> recording what it accepts."""
    from aiosmtpd.controller import Controller

    handler = RecordingHandler()
    controller = Controller(handler, hostname=LOOPBACK, port=free_port(), ready_timeout=10)
    controller.start()
    try:
        yield SMTPServer(LOOPBACK, controller.port, handler)
    finally:
        controller.stop()


# --- Celery: this process and worker processes ----------------------------------------


def _reset_celery_connections(app) -> None:
    """Drop the cached broker pools and routing so changed settings take effect. kombu
    keeps connection and producer pools in process-wide registries keyed by the broker
    URL: reset those too, or the next test gets a closed pool back."""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.__dict__.pop("amqp", None)  # cached_property: queues, router, producer pool


@dataclass
class LiveCelery:
    """This process's Celery app, pointed at a real broker and a queue of the test's own."""

    app: object
    broker_url: str
    queue: str
    run_id: str

    def purge(self) -> int:
        """Empty the test's queue; how many messages were dropped (0 if the broker is down)."""
        try:
            with self.app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=REDIS_TIMEOUT)
                return conn.default_channel.queue_purge(self.queue) or 0
        except Exception:  # noqa: BLE001 - a stopped broker has nothing to purge
            return 0

    def queue_length(self) -> int:
        return _redis_client(self.broker_url).llen(self.queue)


def _tidy_broker(redis_url: str, run_id: str) -> None:
    """Remove what this run left on a shared Redis: its queues, bindings, unacked messages."""
    try:
        client = _redis_client(redis_url)
        for key in client.scan_iter(match=f"*{run_id}*", count=500):
            client.delete(key)
        for key in client.scan_iter(match="_kombu.binding.*", count=500):
            for member in client.smembers(key):
                if run_id.encode() in member:
                    client.srem(key, member)
        # Messages a killed worker held (acks_late) wait in the global unacked hash.
        for tag, payload in client.hscan_iter("unacked", count=500):
            if run_id.encode() in payload:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
    except Exception:  # noqa: BLE001, S110 - tidying is best effort; the broker may be gone
        pass


@pytest.fixture
def clinic_midday(settings) -> str:
    """Patient emails only go out inside PATIENT_EMAIL_HOURS, clinic time. For these tests
    the clinic is in a zone where it is about midday now, in this process and in the
    workers, and the hours are 00:00-23:59: no run falls outside them, whatever the time
    of day (not even in the minute after 23:59). Returns the zone's name."""
    settings.TIME_ZONE = midday_zone()
    settings.PATIENT_EMAIL_HOURS = "00:00-23:59"
    return settings.TIME_ZONE


@pytest.fixture
def celery_queue() -> str:
    """A queue name nobody else uses: itest-<uuid>."""
    return f"itest-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def broker_url(services) -> str:
    """The broker for this test; the private-Redis test overrides it."""
    return services.redis_url


@pytest.fixture
def live_celery(services, broker_url, celery_queue):
    """Eager mode off, `.delay()` to `celery_queue` on `broker_url`; restored afterwards."""
    from clinic.celery import app

    # Raw values (conf.get), not the properties: broker_write_url falls back to broker_url
    # when unset, and a test that pinned it elsewhere would send our messages there.
    keys = (
        "task_always_eager",
        "task_default_queue",
        "broker_url",
        "broker_write_url",
        "broker_read_url",
    )
    saved = {key: app.conf.get(key) for key in keys}
    app.conf.task_always_eager = False
    app.conf.task_default_queue = celery_queue
    app.conf.broker_url = broker_url
    app.conf.broker_write_url = broker_url
    app.conf.broker_read_url = broker_url
    _reset_celery_connections(app)
    assert app.connection_for_write().as_uri(include_password=True) == broker_url
    live = LiveCelery(app, broker_url, celery_queue, run_id=celery_queue)
    live.purge()
    try:
        yield live
    finally:
        live.purge()
        for key, value in saved.items():
            app.conf[key] = value
        _reset_celery_connections(app)
        for url in {broker_url, services.redis_url}:  # the shared Redis too, in case of a leak
            _tidy_broker(url, celery_queue)


@dataclass
class Worker:
    name: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def task_done(self, task_id: str) -> str | None:
        """The log line saying task `task_id` finished (succeeded, failed, retry), if any."""
        for line in self.log().splitlines():
            if f"[{task_id}]" in line and any(w in line for w in ("succeeded", "failed", "retry")):
                return line
        return None

    def idle(self) -> bool:
        """Every task this worker received has finished (a retry waiting for its countdown
        counts as received, not finished)."""
        log = self.log()
        received = len(re.findall(r"Task \S+\[[\w-]+\] received", log))
        finished = len(re.findall(r"Task \S+\[[\w-]+\] (?:succeeded|failed|retry)", log))
        return received == finished

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the worker and its pool processes (its own process group)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def stop(self, timeout: float = WORKER_STOP_TIMEOUT) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL for whatever is left."""
        if self.running:
            self.kill(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        self.kill(signal.SIGKILL)  # pool children too, even if the main process is gone
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=timeout)


@dataclass
class WorkerPool:
    """Starts `celery worker` processes for one test and always stops them."""

    services: Services
    live: LiveCelery
    smtp: SMTPServer
    directory: Path
    workers: list[Worker] = field(default_factory=list)

    def environment(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("CELERY_", "PYTEST_"))
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "clinic.settings",
                "DATABASE_URL": self.services.database_url,
                "DATABASE_CONN_MAX_AGE": "0",
                "REDIS_URL": self.live.broker_url,
                "CELERY_QUEUE": self.live.queue,
                "CELERY_TASK_ALWAYS_EAGER": "false",
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": self.smtp.host,
                "EMAIL_PORT": str(self.smtp.port),
                "EMAIL_HOST_USER": "",
                "EMAIL_HOST_PASSWORD": "",
                "EMAIL_USE_TLS": "false",
                "EMAIL_TIMEOUT": "10",
                "DJANGO_SECRET_KEY": settings.SECRET_KEY,  # signed links must validate here
                "SITE_URL": "http://127.0.0.1:8000",
                "DJANGO_DEBUG": "false",  # production-like
                "DJANGO_TESTING": "false",  # pytest's switch (pyproject.toml) stays here
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
                "PATIENT_EMAIL_HOURS": settings.PATIENT_EMAIL_HOURS,
                "CLINIC_TIME_ZONE": settings.TIME_ZONE,
                "LOG_LEVEL": "INFO",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(extra or {})
        return env

    def start(
        self, *, concurrency: int = 2, env: dict[str, str] | None = None, wait: bool = True
    ) -> Worker:
        name = f"{self.live.run_id}-w{len(self.workers) + 1}"
        log_path = self.directory / f"{name}.log"
        command = [
            str(CELERY_BIN),
            "-A",
            "clinic",
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            "--pool=prefork",
            "-Q",
            self.live.queue,
            "-n",
            f"{name}@%h",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=self.environment(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill() reaches the pool too
            )
        worker = Worker(name, process, log_path)
        self.workers.append(worker)
        if wait:
            self.wait_ready(worker)
        return worker

    def wait_ready(self, worker: Worker, timeout: float = WORKER_READY_TIMEOUT) -> None:
        def ready():
            if not worker.running:
                pytest.fail(f"worker {worker.name} exited early:\n{worker.log()[-4000:]}")
            return " ready." in worker.log()

        wait_until(
            ready,
            timeout=timeout,
            interval=0.1,
            message=lambda: f"worker {worker.name} to be ready:\n{worker.log()[-4000:]}",
        )

    def stop_all(self) -> None:
        for worker in self.workers:
            if worker.running:
                worker.kill(signal.SIGTERM)
        for worker in self.workers:
            worker.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {w.name} ---\n{w.log()[-3000:]}" for w in self.workers)


@pytest.fixture
def workers(services, live_celery, smtp, clinic_midday, transactional_db, tmp_path, request):
    """Start workers with `workers.start(concurrency=N)`; they are stopped after the test
    (before the test database is flushed). Their logs are printed if the test failed."""
    pool = WorkerPool(services, live_celery, smtp, tmp_path)
    try:
        yield pool
    finally:
        pool.stop_all()
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            sys.stderr.write(pool.logs())


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# --- a private Redis -------------------------------------------------------------------


@dataclass
class PrivateRedis:
    """redis-server on 127.0.0.1:<port>, no persistence; stop() and start() at will."""

    port: int
    directory: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, "already running"
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--bind",
                LOOPBACK,
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                "--daemonize",
                "no",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        wait_until(self.is_up, timeout=10, interval=0.05, message=f"redis-server on {self.port}")

    def is_up(self) -> bool:
        return _redis_problem(self.url) is None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        wait_until(lambda: not self.is_up(), timeout=10, message="redis-server to stop")


@pytest.fixture
def private_redis(services, tmp_path):
    services.require(shutil.which("redis-server"), "redis-server is not on PATH")
    directory = tmp_path / "redis"
    directory.mkdir()
    server = PrivateRedis(free_port(), directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()
