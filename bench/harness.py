"""What the benchmarks and the load test share: a database of their own, gunicorn, a
private redis-server, Celery workers, an SMTP sink, a patient's browser, and figures.

Everything listens on 127.0.0.1 only, every wait has a time limit, and every process
started here is stopped by the object that started it (use them as context managers).
The app runs as in production (DJANGO_DEBUG=false, PostgreSQL, Redis), behind what
looks like a TLS proxy: requests carry `X-Forwarded-Proto: https` and an `Origin`.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import hashlib
import html.parser
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # .venv/bin
LOOPBACK = "127.0.0.1"
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
SHARED_REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/0")
START_TIMEOUT = 60  # seconds for gunicorn, a worker or redis-server to come up
STOP_TIMEOUT = 15


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def wait_until(condition, *, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            check=True,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return out.stdout.strip() + ("+dirty-tree" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def header(name: str) -> str:
    """The first lines of every report: what, when, which commit, which machine.

    Also makes SIGTERM (a CI timeout, `kill`) a normal exit, so that every process this
    run started is stopped by its context manager on the way out."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    load = os.getloadavg()
    return (
        f"{name}\n"
        f"date {time.strftime('%Y-%m-%d %H:%M %Z')}; commit {git_commit()}; "
        f"{os.cpu_count()} cores; load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )


# --- a database of our own --------------------------------------------------------------


def database_url(name: str) -> str:
    return f"{PG_SERVER}/{name}"


def database_create(name: str) -> str:
    """Drop and create database `name` on the PostgreSQL server; its URL."""
    assert name.startswith(("clinic_bench", "clinic_load")), name  # never someone else's
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(name)


def database_drop(name: str) -> None:
    assert name.startswith(("clinic_bench", "clinic_load")), name
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def terminate_connections(name: str) -> int:
    """pg_terminate_backend every connection to database `name` (not our own); how many."""
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchall()
    return sum(1 for (done,) in rows if done)


def app_env(database: str, redis_url: str = SHARED_REDIS, **extra: str) -> dict[str, str]:
    """The environment of every app process (gunicorn, manage.py, celery): production
    mode on loopback. Extra keyword arguments are added as variables."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CELERY_", "PYTEST_", "DJANGO_", "DATABASE_", "EMAIL_"))
    }
    env.update(
        {
            # The project's settings plus the benchmark apps (bench/settings.py).
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "bench-only-" + "x" * 50,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "false",  # the "proxy" says https (see Browser)
            "SITE_URL": "https://127.0.0.1",
            "DATABASE_URL": database_url(database),
            "REDIS_URL": redis_url,
            # The per-client limit on public POSTs (screening/web/ratelimit.py): every simulated
            # patient comes from 127.0.0.1, so the limit is set high rather than off: its
            # counting in Redis stays in the measured path, as in production.
            "INTAKE_RATE_LIMIT": os.environ.get("INTAKE_RATE_LIMIT", "1000000/h"),
            "INTAKE_SUBMIT_RATE_LIMIT": os.environ.get("INTAKE_SUBMIT_RATE_LIMIT", "1000000/h"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 300) -> None:
    subprocess.run(
        [str(BIN / "python"), "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        check=True,
        timeout=timeout,
    )


def _migrations_digest() -> str:
    """A hash of every migration file: the template below is reused while it matches."""
    digest = hashlib.sha256()
    for path in sorted(BASE_DIR.glob("*/migrations/*.py")) + sorted(
        BASE_DIR.glob("bench/*/migrations/*.py")
    ):
        digest.update(str(path.relative_to(BASE_DIR)).encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def migrations_digest() -> str:
    """A hash of every migration file (a database made from them is stale when it changes)."""
    return _migrations_digest()


def database_exists(name: str) -> bool:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def database_copy(source: str, name: str) -> None:
    """Database `name` made afresh as a copy of `source` (which nobody may be connected to)."""
    assert name.startswith(("clinic_bench", "clinic_load")), name
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')


def app_prepare(env: dict[str, str], *, template: str | None = None) -> None:
    """What a deploy does before the app starts: migrate, and collectstatic (production
    serves hashed static names from STATIC_ROOT; a missing manifest is a 500).

    Migrating takes 10-20 s, so the first run migrates a template database
    (clinic_bench_template_<hash of the migration files>) and every run's own database
    is a copy of it (CREATE DATABASE ... TEMPLATE), made again when a migration changes.
    `template`: copy that database instead (a benchmark's own, already filled one).
    """
    name = env["DATABASE_URL"].rsplit("/", 1)[-1]
    migrated = template is None
    template = template or f"clinic_bench_template_{_migrations_digest()}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (template,))
        if exists.fetchone() is None:
            assert migrated, f"no database {template} to copy"
            conn.execute(f'CREATE DATABASE "{template}"')
            manage(
                "migrate", "--noinput", "-v0", env={**env, "DATABASE_URL": database_url(template)}
            )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    if not _static_collected():
        manage("collectstatic", "--noinput", "-v0", env=env)


def _static_collected() -> bool:
    """staticfiles/ has a manifest newer than every file of ours in static/ (after a
    `pip install` of a package with static files, delete staticfiles/ to collect again)."""
    manifest = BASE_DIR / "staticfiles" / "staticfiles.json"
    if not manifest.exists():
        return False
    newest = max(p.stat().st_mtime for p in (BASE_DIR / "static").rglob("*") if p.is_file())
    return manifest.stat().st_mtime > newest


def django_setup(env: dict[str, str]) -> None:
    """Use the app's models in this process, with the same settings as the servers
    (but logging warnings only: a JSON line per in-process request is noise here)."""
    os.environ.update({**env, "LOG_LEVEL": "WARNING"})
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


# --- processes ------------------------------------------------------------------------


def _kill_group(process: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def _stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    _kill_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        _kill_group(process, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)


def _vm_hwm_kib(pid: int) -> int:
    """Peak resident set size of a process (VmHWM in /proc/<pid>/status), KiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Gunicorn:
    """`gunicorn clinic.wsgi` as the Procfile runs it, on a free loopback port."""

    env: dict[str, str]
    workers: int = 4
    log_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench-")))
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    peak_kib: dict[int, int] = field(default_factory=dict)  # worker pid -> VmHWM seen

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def __enter__(self) -> Gunicorn:
        return self.start()

    def start(self) -> Gunicorn:
        """Start it (again, after `kill`: same port, same log) and wait until every worker
        is up."""
        log = (self.log_dir / "gunicorn.log").open("ab")
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "clinic.wsgi",
                "--bind",
                f"{LOOPBACK}:{self.port}",
                "--workers",
                str(self.workers),
                "--access-logfile",
                "-",
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

        def up() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log()[-3000:]}")
            try:
                httpx.get(self.url + "/", timeout=2)
            except httpx.TransportError:
                return False
            return len(self.worker_pids()) == self.workers

        wait_until(up, timeout=START_TIMEOUT, what="gunicorn")
        return self

    def __exit__(self, *exc) -> None:
        self.sample_memory()
        _stop(self.process)

    def kill(self) -> None:
        """SIGKILL the whole process group (arbiter and workers), as a machine that dies."""
        if self.process is not None:
            _kill_group(self.process, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT)

    def log(self) -> str:
        return (self.log_dir / "gunicorn.log").read_text(errors="replace")

    def worker_pids(self) -> list[int]:
        import psutil

        try:
            return [child.pid for child in psutil.Process(self.process.pid).children()]
        except psutil.NoSuchProcess:
            return []

    def sample_memory(self) -> None:
        """Remember each worker's VmHWM (the kernel keeps the peak; sample before exit)."""
        for pid in self.worker_pids():
            self.peak_kib[pid] = max(self.peak_kib.get(pid, 0), _vm_hwm_kib(pid))

    def cpu_seconds(self) -> float:
        """User + system CPU the gunicorn workers have used so far (robust to other load
        on the machine, unlike wall-clock figures)."""
        import psutil

        total = 0.0
        for pid in self.worker_pids():
            try:
                times = psutil.Process(pid).cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    def peak_worker_mib(self) -> float:
        self.sample_memory()
        return max(self.peak_kib.values(), default=0) / 1024


@dataclass
class PrivateRedis:
    """A redis-server of our own on a free loopback port, no persistence: stop it and
    start it at will (the shared Redis on 6379 is never stopped)."""

    port: int = field(default_factory=free_port)
    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench-redis-")))
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def start(self) -> None:
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
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_until(self.is_up, timeout=START_TIMEOUT, what=f"redis-server on {self.port}")

    def is_up(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(host=LOOPBACK, port=self.port, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        _stop(self.process)

    def __enter__(self) -> PrivateRedis:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass
class CeleryWorker:
    """`celery -A clinic worker` on queue `queue` (CELERY_QUEUE), in its own process group."""

    env: dict[str, str]
    queue: str
    name: str
    concurrency: int = 1
    log_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench-")))
    process: subprocess.Popen | None = None

    def start(self) -> CeleryWorker:
        log_path = self.log_dir / f"{self.name}.log"
        log = log_path.open("ab")
        self.process = subprocess.Popen(
            [
                str(BIN / "celery"),
                "-A",
                "clinic",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={self.concurrency}",
                "--pool=prefork",
                "-Q",
                self.queue,
                "-n",
                f"{self.name}@%h",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=BASE_DIR,
            env={**self.env, "CELERY_QUEUE": self.queue, "CELERY_TASK_ALWAYS_EAGER": "false"},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        start = len(self.log())

        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker {self.name} exited:\n{self.log()[-3000:]}")
            return " ready." in self.log()[start:]

        wait_until(ready, timeout=START_TIMEOUT, what=f"worker {self.name}")
        return self

    def log(self) -> str:
        path = self.log_dir / f"{self.name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def cpu_seconds(self) -> float:
        """User + system CPU of the worker and its pool processes so far."""
        import psutil

        try:
            main = psutil.Process(self.process.pid)
            processes = [main, *main.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0.0
        total = 0.0
        for process in processes:
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes: no warm shutdown."""
        if self.process is not None:
            _kill_group(self.process, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT)

    def stop(self) -> None:
        _stop(self.process)


# --- SMTP sink ---------------------------------------------------------------------------


class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 that counts every message it takes, by Message-ID."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_message_id: Counter[str] = Counter()
        self.first_at: float | None = None
        self.last_at: float | None = None
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.by_message_id[str(parsed.get("Message-ID", "")).strip()] += 1
            now = time.perf_counter()
            self.first_at = self.first_at or now
            self.last_at = now
        return "250 Message accepted"

    def received(self) -> int:
        with self.lock:
            return sum(self.by_message_id.values())

    def __enter__(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname=LOOPBACK, port=free_port(), ready_timeout=10)
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def env(self) -> dict[str, str]:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": LOOPBACK,
            "EMAIL_PORT": str(self.controller.port),
            "EMAIL_USE_TLS": "false",
            "EMAIL_TIMEOUT": "10",
        }


# --- a patient's browser ------------------------------------------------------------------


class _FormParser(html.parser.HTMLParser):
    """The fields of every <form> on a page, as a browser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (attrs.get("method") or "get").lower(), "fields": []})
            self.forms[-1]["action"] = attrs.get("action")
        elif not self.forms:
            return
        elif tag == "input":
            self.forms[-1]["fields"].append(
                (
                    attrs.get("type", "text").lower(),
                    attrs.get("name"),
                    attrs.get("value", "on" if attrs.get("type") in ("checkbox", "radio") else ""),
                    "checked" in attrs,
                )
            )
        elif tag == "textarea":
            self.forms[-1]["fields"].append(("textarea", attrs.get("name"), "", False))
        elif tag == "select":
            self._select = attrs.get("name")
            self.forms[-1]["fields"].append(("select", self._select, None, False))
        elif tag == "option" and self._select is not None:
            kind, name, value, _ = self.forms[-1]["fields"][-1]
            if value is None or "selected" in attrs:
                self.forms[-1]["fields"][-1] = (kind, name, attrs.get("value", ""), False)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def page_form(page: str, path: str | None = None) -> dict[str, list[str]]:
    """What a browser would send for the page's own form (method post, posting to the page
    itself: no action, or an action whose path is `path`) before the patient changes
    anything: hidden and prefilled fields with their values, empty text fields as "",
    checked boxes; not the buttons."""
    parser = _FormParser()
    parser.feed(page)
    own = [
        form
        for form in parser.forms
        if form["method"] == "post"
        and (not form["action"] or (path is not None and urlsplit(form["action"]).path == path))
    ]
    if not own:
        raise ValueError("no form posting to this page")
    data: dict[str, list[str]] = {}
    for kind, name, value, checked in own[-1]["fields"]:
        if not name or kind in ("submit", "button", "image", "reset"):
            continue
        if kind in ("checkbox", "radio"):
            data.setdefault(name, [])
            if checked:
                data[name].append(value)
        else:
            data.setdefault(name, []).append(value or "")
    return {name: values for name, values in data.items() if values}  # unticked: not sent


def fill(form: dict[str, list[str]], answers: dict) -> dict[str, list[str]]:
    """The form with the patient's answers typed and ticked in (a list ticks several)."""
    filled = dict(form)
    for name, value in answers.items():
        filled[name] = list(value) if isinstance(value, list | tuple) else [str(value)]
    return {name: values for name, values in filled.items() if values}


class HTTPError(Exception):
    """A 5xx answer or a broken connection: what a patient would see as an error."""

    def __init__(self, method: str, path: str, detail: str) -> None:
        super().__init__(f"{method} {path}: {detail}")
        self.detail = detail


REQUEST_TIMEOUT = 30  # seconds; a request that takes longer counts as a connection error
_transport: httpx.HTTPTransport | None = None
_transport_lock = threading.Lock()


def shared_transport() -> httpx.HTTPTransport:
    """One connection pool for every simulated browser, without keep-alive (gunicorn's
    sync workers close each connection after its response)."""
    global _transport
    with _transport_lock:
        if _transport is None:
            _transport = httpx.HTTPTransport(
                limits=httpx.Limits(max_connections=1000, max_keepalive_connections=0)
            )
        return _transport


class Browser:
    """One patient's browser: its own cookies (session, CSRF), an Origin on every POST,
    redirects not followed (the caller follows them, to see each step), no keep-alive
    (gunicorn's sync workers close the connection anyway)."""

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.HTTPTransport | None = None,
        host: str | None = None,
    ) -> None:
        self.base_url = base_url
        # `host`: the site's name, sent as Host (a proxy in front passes it on without the
        # port, so the Origin names the site without one too).
        self.host = host
        self.origin = "https://" + (host or urlsplit(base_url).netloc)
        self.cookies: dict[str, str] = {}
        # Browsers share one transport (connection pool): a client of its own each would
        # build an SSL context each, which costs more CPU than the requests.
        self.client = httpx.Client(
            base_url=base_url,
            timeout=REQUEST_TIMEOUT,
            follow_redirects=False,
            transport=transport or shared_transport(),
        )

    def headers(self, post: bool) -> dict[str, str]:
        headers = {"X-Forwarded-Proto": "https", "Accept-Language": "en"}
        if self.host:
            headers["Host"] = self.host
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if post:
            headers["Origin"] = self.origin
        return headers

    def _remember(self, response: httpx.Response) -> None:
        for line in response.headers.get_list("set-cookie"):
            pair, _, attributes = line.partition(";")
            name, _, value = pair.strip().partition("=")
            expired = "max-age=0" in attributes.lower().replace(" ", "")
            if expired or value in ('""', ""):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def request(self, method: str, path: str, data: dict | None = None) -> httpx.Response:
        try:
            response = self.client.request(
                method, path, data=data, headers=self.headers(method == "POST")
            )
        except httpx.TransportError as error:
            raise HTTPError(method, path, f"connection error {type(error).__name__}") from error
        if response.status_code >= 500:
            raise HTTPError(method, path, f"HTTP {response.status_code}")
        self._remember(response)
        return response

    def get(self, path: str) -> httpx.Response:
        return self.request("GET", path)

    def post(self, path: str, data: dict) -> httpx.Response:
        return self.request("POST", path, data)


# --- figures ---------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (0 < fraction <= 1) of `values`."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def latency_line(seconds: list[float]) -> str:
    ms = [value * 1000 for value in seconds]
    return (
        f"n {len(ms)}; p50 {percentile(ms, 0.50):.1f} ms; p95 {percentile(ms, 0.95):.1f} ms; "
        f"p99 {percentile(ms, 0.99):.1f} ms; max {max(ms):.1f} ms; "
        f"mean {statistics.fmean(ms):.1f} ms"
    )


def new_run_id() -> str:
    return secrets.token_hex(4)
