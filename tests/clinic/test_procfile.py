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


def processes() -> dict[str, str]:
    found = {}
    for line in PROCFILE.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_-]+):\s*(.+)$", line)
        if match:
            found[match.group(1)] = match.group(2)
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
    makefile = (BASE_DIR / "Makefile").read_text()
    assert "honcho start" in makefile


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
