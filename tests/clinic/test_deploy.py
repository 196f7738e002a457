"""Production mode passes Django's deployment checklist and sends the security headers.

`manage.py check --deploy` runs in a child process with a production environment (no
DJANGO_DEBUG, a long random secret, Redis, a site URL and a host name), as a deploy would.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SITE_URL": "https://intake.example.org",
    "DJANGO_ALLOWED_HOSTS": "intake.example.org",
}


def _run(args: list[str], env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "REDIS_URL", "SITE_URL", "CELERY_", "LOG_"))
    }
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "clinic.settings"
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )


def test_check_deploy_finds_no_issues_in_production():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output
    assert "WARNINGS" not in output


def test_check_deploy_warns_in_development():
    """The same check does find issues when they are there (DEBUG on, no HTTPS)."""
    result = _run(["manage.py", "check", "--deploy"], {**PRODUCTION_ENV, "DJANGO_DEBUG": "true"})
    assert "WARNINGS" in result.stdout + result.stderr
    assert "security.W018" in result.stdout + result.stderr  # DEBUG on


def test_production_sends_the_security_headers():
    """A request through the real middleware over HTTPS, as gunicorn behind the proxy sees
    it (a redirect, so that no template needs the collected static files)."""
    code = """
import django, json
django.setup()
from django.test import Client
client = Client(HTTP_HOST="intake.example.org", HTTP_X_FORWARDED_PROTO="https")
response = client.get("/staff/")
plain = Client(HTTP_HOST="intake.example.org").get("/staff/")
print(json.dumps({
    "status": response.status_code,
    "hsts": response.headers.get("Strict-Transport-Security"),
    "csp": response.headers.get("Content-Security-Policy"),
    "frame": response.headers.get("X-Frame-Options"),
    "referrer": response.headers.get("Referrer-Policy"),
    "nosniff": response.headers.get("X-Content-Type-Options"),
    "plain": [plain.status_code, plain.headers.get("Location")],
}))
"""
    result = _run(["-c", code], PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["status"] == 302
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert "default-src 'self'" in seen["csp"]
    assert "frame-ancestors 'none'" in seen["csp"]
    assert seen["frame"] == "DENY"
    assert seen["referrer"] == "same-origin"
    assert seen["nosniff"] == "nosniff"
    assert seen["plain"] == [301, "https://intake.example.org/staff/"]


def test_health_is_not_redirected_to_https(tmp_path):
    """A load balancer probes /health/ over plain HTTP: it gets the report, not a redirect."""
    code = """
import django
django.setup()
from django.test import Client
response = Client(HTTP_HOST="intake.example.org").get("/health/")
print(response.status_code, response.headers.get("Location"), response["Content-Type"])
"""
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    result = _run(["-c", code], {**PRODUCTION_ENV, **database})
    assert result.returncode == 0, result.stderr
    status, location, content_type = result.stdout.split()
    assert status in {"200", "503"}  # no beat and no tables here: what matters is no 301
    assert (location, content_type) == ("None", "application/json")
