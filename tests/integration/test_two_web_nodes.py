"""No state that breaks with two web nodes (issue 15, "Beyond one machine").

Two web "nodes" (tests/integration/node.py: two processes in production mode, each with its
own memory, against the test's PostgreSQL and a Redis of this test's own) serve one
browser and one attacker between them, as a load balancer would send them:

- a session made on one node is read on the other (sessions in the database);
- failed sign-ins counted on both add up to one lockout, which holds on both (django-axes,
  database handler);
- public POSTs counted on both add up to one rate limit (the Redis cache);
- a clinic setting saved on one node is what the other shows next (the Redis cache is
  refreshed on save; a per-process cache would show the old name for a minute).

And in development, a patient's whole intake and the staff sign-in page write no file
outside var/ (the database excepted: here PostgreSQL).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import BASE_DIR

pytestmark = [
    pytest.mark.services,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

RATE = 6  # INTAKE_RATE_LIMIT on both nodes: 6 POSTs in 10 minutes per client address
FAILURES = 3  # AXES_FAILURE_LIMIT on both nodes
LOGIN = "/staff/account/login/"
CONSENT = "/intake/before-you-start/"
ABOUT_YOU = "/intake/about-you/"
NODE_TIMEOUT = 60  # seconds for one command (the first one loads Django)
SKIPPED_DIRS = {".git", ".venv", "var", "__pycache__", ".hypothesis", ".pytest_cache"}
SKIPPED_DIRS |= {".mypy_cache", ".ruff_cache", "node_modules"}


class Node:
    """One node process; `call(op, **fields)` sends a command and returns its answer."""

    def __init__(self, name: str, env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.integration.node"],
                cwd=BASE_DIR,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                start_new_session=True,
            )

    def call(self, op: str, **fields: object) -> object:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()  # the test's watchdog bounds the wait
        if not line:
            pytest.fail(f"node {self.name} exited:\n{self.log_path.read_text()[-4000:]}")
        reply = json.loads(line)
        if not reply["ok"]:
            pytest.fail(f"node {self.name}: {reply['error']}\n{self.log_path.read_text()[-3000:]}")
        return reply["answer"]

    def post(self, path: str, data: dict, cookies: dict | None = None) -> dict:
        return self.call("request", method="POST", path=path, data=data, cookies=cookies or {})

    def get(self, path: str, cookies: dict | None = None) -> dict:
        return self.call("request", method="GET", path=path, data={}, cookies=cookies or {})

    def stop(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def _environment(services, extra: dict[str, str]) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "PYTEST_", "REDIS_URL", "EMAIL_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "clinic.settings",
            "DATABASE_URL": services.database_url,
            "DJANGO_SECRET_KEY": "two-nodes-" + "k" * 50,  # one secret on every node
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": "https://127.0.0.1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }
    )
    return env


@pytest.fixture
def nodes(services, private_redis, tmp_path) -> Iterator[tuple[Node, Node]]:
    """Two nodes in production mode sharing the test database and a private Redis."""
    env = _environment(
        services,
        {
            "REDIS_URL": private_redis.url,
            "DJANGO_DEBUG": "false",
            "DJANGO_TESTING": "false",
            "INTAKE_RATE_LIMIT": f"{RATE}/10m",
            "AXES_FAILURE_LIMIT": str(FAILURES),
        },
    )
    started = [Node(name, env, tmp_path / f"{name}.log") for name in ("node-a", "node-b")]
    try:
        yield started[0], started[1]
    finally:
        for node in started:
            node.stop()


def test_both_nodes_keep_their_state_in_the_shared_stores(nodes, private_redis):
    a, b = nodes
    for node in nodes:
        seen = node.call("settings")
        assert seen["cache"] == "django.core.cache.backends.redis.RedisCache"
        assert seen["cache_location"] == private_redis.url
        assert seen["session_engine"] == "screening.web.sessions"  # database sessions
        assert seen["axes_handler"] == "axes.handlers.database.AxesDatabaseHandler"
        assert seen["beat_scheduler"] == "clinic.beat:LockedDatabaseScheduler"
        assert seen["email_backend"] == "django.core.mail.backends.smtp.EmailBackend"
        assert seen["log_handlers"] == ["logging.StreamHandler"]  # standard error, no file


def test_a_session_made_on_one_node_is_read_on_the_other(nodes):
    a, b = nodes
    agreed = a.post(CONSENT, {"care_consent": "yes"})
    assert (agreed["status"], agreed["location"]) == (302, ABOUT_YOU)

    assert b.get(ABOUT_YOU, cookies=agreed["cookies"])["status"] == 200
    assert b.get(ABOUT_YOU)["status"] == 302  # a browser without the session starts again


def test_failed_sign_ins_on_both_nodes_add_up_to_one_lockout(nodes, django_user_model):
    a, b = nodes
    password = secrets.token_urlsafe(16)
    django_user_model.objects.create_user("nurse.two-nodes", password=password, is_staff=True)
    wrong = {"username": "nurse.two-nodes", "password": "not-the-password"}

    statuses = [a.post(LOGIN, wrong)["status"], b.post(LOGIN, wrong)["status"]]
    assert statuses == [200, 200]  # "wrong username or password", counted
    assert a.post(LOGIN, wrong)["status"] == 429  # the third failure, on either node

    right = {"username": "nurse.two-nodes", "password": password}
    assert b.post(LOGIN, right)["status"] == 429  # locked out on the node that saw one


def test_public_posts_on_both_nodes_add_up_to_one_rate_limit(nodes):
    a, b = nodes
    statuses = [
        (a if index % 2 == 0 else b).post(CONSENT, {"care_consent": "yes"})["status"]
        for index in range(RATE + 1)
    ]
    assert statuses == [302] * RATE + [429]  # each node saw only 3 or 4 of them


def test_a_clinic_setting_saved_on_one_node_is_shown_by_the_other_at_once(nodes):
    a, b = nodes
    before = b.call("clinic_name")  # node b has it cached now
    renamed = f"Riverside clinic {secrets.token_hex(3)}"

    a.call("clinic_save", name=renamed)

    assert before != renamed
    assert b.call("clinic_name") == renamed
    assert a.call("clinic_name") == renamed


def _files_outside_var() -> dict[str, tuple[int, int]]:
    """Every file of the project but var/ and caches: its modification time and size."""
    files = {}
    for root, dirs, names in os.walk(BASE_DIR):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        for name in names:
            path = Path(root) / name
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            files[str(path.relative_to(BASE_DIR))] = (stat.st_mtime_ns, stat.st_size)
    return files


def test_development_writes_no_file_outside_var_while_serving(services, tmp_path):
    """A patient's whole intake, the staff sign-in page and /health/ in development
    (DEBUG, the filesystem broker, the development mail folder), with the working directory
    the project (as `make run`) and a temporary directory of the test's own."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    mail = tmp_path / "mail"  # the development outbox, not the developer's var/mail
    env = _environment(
        services,
        {
            "DJANGO_DEBUG": "true",
            "DJANGO_TESTING": "false",
            "CELERY_TASK_ALWAYS_EAGER": "true",  # no message left in the developer's var/
            "EMAIL_FILE_PATH": str(mail),
            "INTAKE_RATE_LIMIT": "off",
            "TMPDIR": str(temporary),
        },
    )
    before = _files_outside_var()
    node = Node("dev", env, tmp_path / "dev.log")
    try:
        statuses = node.call("journey")
    finally:
        node.stop()
    after = _files_outside_var()

    assert statuses[-5:-2] == [200, 302, 200]  # checked, sent, the done page
    assert statuses[-2] == 200  # the staff sign-in page
    changed = sorted(path for path in after if before.get(path) != after[path])
    assert changed == [], f"files written outside var/: {changed}"
    assert sorted(before) == sorted(after)
    assert list(temporary.iterdir()) == []
