"""The Procfile (what `make run` starts with honcho, and production runs the same way):
web under gunicorn, a worker and one beat; gunicorn really serves the app and its logs
are JSON lines."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
PROCFILE = BASE_DIR / "Procfile"


def processes(*, raw: bool = False) -> dict[str, str]:
    """Each process's command (without its leading `exec` unless `raw`)."""
    found = {}
    for line in PROCFILE.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_-]+):\s*(.+)$", line)
        if match:
            command = match.group(2)
            found[match.group(1)] = command if raw else command.removeprefix("exec ")
    return found


def test_procfile_has_web_worker_and_one_beat():
    procs = processes()
    assert list(procs) == ["web", "worker", "beat"]
    assert procs["web"].startswith("gunicorn clinic.wsgi ")
    assert "--forwarded-allow-ips" in procs["web"]
    assert "--access-logfile" not in procs["web"]  # the app logs requests, without queries
    assert procs["worker"].startswith("celery -A clinic worker")
    assert procs["beat"].startswith("celery -A clinic beat")


def test_make_run_starts_the_procfile():
    """With honcho (`clinic.run_dev`: `honcho start` with a longer stop grace period)."""
    makefile = (BASE_DIR / "Makefile").read_text()
    assert "$(BIN)/python -m clinic.run_dev" in makefile.split("\nrun:")[1].split("\n\n")[0]


def test_run_dev_gives_the_processes_longer_to_stop_than_honchos_five_seconds(monkeypatch):
    import honcho.manager

    from clinic import run_dev

    seen = {}
    monkeypatch.setattr(honcho.manager, "KILL_WAIT", 5)
    monkeypatch.setattr(run_dev, "main", lambda argv: seen.setdefault("argv", argv))

    run_dev.run()

    assert seen["argv"] == ["start"]
    assert honcho.manager.KILL_WAIT == run_dev.STOP_GRACE_SECONDS > 5


def test_every_process_replaces_honchos_shell():
    """honcho runs each line in a shell and stops it with SIGTERM: without `exec` the shell
    dies of the signal ("stopped (rc=-15)") instead of the program exiting cleanly."""
    assert all(command.startswith("exec ") for command in processes(raw=True).values())


def test_ctrl_c_is_not_an_error_for_make():
    """Ctrl-C: honcho stops everything and exits 130, which make reported as "Error 130".
    The recipe treats 130 as a clean stop and any other failure as one."""
    makefile = (BASE_DIR / "Makefile").read_text()
    recipe = makefile.split("\nrun:")[1].split("\n\n")[0]
    assert "clinic.run_dev \\\n\t\t|| test $$? -eq 130" in recipe
    guard = "|| test $? -eq 130"
    for code, clean in ((130, True), (0, True), (1, False), (143, False)):
        status = subprocess.run(["sh", "-c", f"sh -c 'exit {code}' {guard}"], check=False)
        assert (status.returncode == 0) is clean, code


def test_a_worker_pool_child_leaves_sigterm_to_the_worker():
    """honcho and systemd signal the whole process group; a pool child that died of it
    mid-task made the worker log "exited with signal 15" (clinic/celery.py)."""
    script = (
        "import signal, clinic.celery as c;"
        "c.pool_child_leaves_sigterm_to_the_worker();"
        "print(signal.getsignal(signal.SIGTERM) is signal.SIG_IGN)"
    )
    env = {**os.environ, "DJANGO_DEBUG": "true"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert done.stdout.strip() == "True", done.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_serves_the_app_and_logs_json(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "LOG_"))}
    env.update(
        {
            "DJANGO_DEBUG": "true",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "clinic.settings",
        }
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = processes()["web"].split()
    assert command[:2] == ["gunicorn", "clinic.wsgi"]
    server = subprocess.Popen(
        [str(gunicorn), "clinic.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body, request_id = None, None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=5) as r:
                    body, request_id = r.read(), r.headers["X-Request-ID"]
            except urllib.error.HTTPError as error:  # 503: no tables, no heartbeat here
                body, request_id = error.read(), error.headers["X-Request-ID"]
            except OSError:
                time.sleep(0.2)
                continue
            break
        assert body is not None, "gunicorn did not answer"
        assert set(json.loads(body)) == {"status", "failed", "checks"}
    finally:
        server.terminate()
        _out, err = server.communicate(timeout=30)
    json_lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    request_lines = [line for line in json_lines if line["logger"] == "screening.request"]
    assert request_lines[-1]["path"] == "/health/"
    assert request_lines[-1]["request_id"] == request_id
