"""One web "node" for tests/integration/test_two_web_nodes.py: a process of its own with the
settings its environment gives (production: Redis cache, database sessions), answering
one JSON command a line on standard input with one JSON line on standard output.

Requests go through the whole middleware stack (Django's test client, over HTTPS as behind
the proxy). The browser's cookies travel with each command, so one browser can move
between nodes as a load balancer sends it. Only the static files storage differs from a
deploy: no test collects static files, and what the nodes share is not static.

Commands: {"op": "request", "method", "path", "data", "cookies"} -> status, location,
cookies; {"op": "clinic_name"}; {"op": "clinic_save", "name"}; {"op": "journey"} (a patient
sends a whole intake); {"op": "settings"} (what decides where state lives).
"""

from __future__ import annotations

import json
import sys
from http.cookies import SimpleCookie
from typing import Any

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

override_settings(
    STORAGES={
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
).enable()

HOST = "127.0.0.1"


def _client(cookies: dict[str, str] | None = None) -> Client:
    client = Client(HTTP_HOST=HOST, HTTP_X_FORWARDED_PROTO="https")
    client.cookies = SimpleCookie()
    for name, value in (cookies or {}).items():
        client.cookies[name] = value
    return client


def request(method: str, path: str, data: dict | None = None, cookies: dict | None = None) -> dict:
    client = _client(cookies)
    response = getattr(client, method.lower())(path, data or {})
    return {
        "status": response.status_code,
        "location": response.headers.get("Location", ""),
        "cookies": {name: morsel.value for name, morsel in client.cookies.items()},
    }


def clinic_name() -> str:
    from screening.domain.queries.clinic import clinic_settings

    return clinic_settings().name


def clinic_save(name: str) -> str:
    from screening.domain.clinic import clinic_settings_save
    from screening.domain.queries.clinic import first_row
    from screening.models import ClinicSettings
    from screening.models.clinic import SINGLETON_ID

    row = ClinicSettings.objects.filter(pk=SINGLETON_ID).first() or first_row()
    row.name = name
    clinic_settings_save(row=row, changed=["name"])
    return name


def journey() -> list[int]:
    """A patient agrees, answers every page, checks and sends; then the staff sign-in page
    and /health/. The statuses, in order."""
    from tests.conftest import CHECK_URL, CONSENT_URL, STEP_URLS, VALID_PAGES

    client = _client()
    statuses = [client.get(CONSENT_URL).status_code]
    statuses.append(client.post(CONSENT_URL, {"care_consent": "yes"}).status_code)
    for slug, url in STEP_URLS.items():
        statuses.append(client.post(url, VALID_PAGES[slug]).status_code)
    check = client.get(CHECK_URL)
    statuses.append(check.status_code)
    key = check.content.decode().split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]
    sent = client.post(CHECK_URL, {"idempotency_key": key})
    statuses.append(sent.status_code)
    statuses.append(client.get(sent.headers["Location"]).status_code)
    statuses.append(client.get("/staff/account/login/").status_code)
    statuses.append(client.get("/health/").status_code)
    return statuses


def shared_state_settings() -> dict[str, Any]:
    handlers = settings.LOGGING["handlers"]
    return {
        "cache": settings.CACHES["default"]["BACKEND"],
        "cache_location": settings.CACHES["default"].get("LOCATION", ""),
        "session_engine": settings.SESSION_ENGINE,
        "axes_handler": settings.AXES_HANDLER,
        "email_backend": settings.EMAIL_BACKEND,
        "beat_scheduler": settings.CELERY_BEAT_SCHEDULER,
        "log_handlers": sorted(handler["class"] for handler in handlers.values()),
        "message_storage": settings.MESSAGE_STORAGE,
    }


def main() -> None:
    for line in sys.stdin:
        command = json.loads(line)
        op = command.pop("op")
        try:
            if op == "request":
                answer: Any = request(**command)
            elif op == "clinic_name":
                answer = clinic_name()
            elif op == "clinic_save":
                answer = clinic_save(**command)
            elif op == "journey":
                answer = journey()
            elif op == "settings":
                answer = shared_state_settings()
            else:
                raise ValueError(f"unknown op {op!r}")
            reply = {"ok": True, "answer": answer}
        except Exception as error:  # noqa: BLE001 - reported to the test, which fails
            reply = {"ok": False, "error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
