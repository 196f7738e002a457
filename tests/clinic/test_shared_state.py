"""Where the state lives that two web nodes must share (issue 15, "Beyond one machine").

Settings as production and development load them, in a child process (tests set their own
switch). The behaviour with two real node processes is in
tests/integration/test_two_web_nodes.py (services); /health/'s cache probe with two nodes
is in tests/screening/web/test_health.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.apps import apps
from django.db import models

BASE_DIR = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/0"
PRODUCTION = {
    "DJANGO_SECRET_KEY": "x" * 50,
    "REDIS_URL": REDIS_URL,
    "SITE_URL": "https://intake.example.org",
}
CODE = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "cache": settings.CACHES["default"]["BACKEND"],
    "cache_location": settings.CACHES["default"].get("LOCATION", ""),
    "session_engine": settings.SESSION_ENGINE,
    "session_base": [c.__module__ for c in
        __import__(settings.SESSION_ENGINE, fromlist=["SessionStore"]).SessionStore.__mro__],
    "axes_handler": settings.AXES_HANDLER,
    "beat_scheduler": settings.CELERY_BEAT_SCHEDULER,
    "email_backend": settings.EMAIL_BACKEND,
    "log_handlers": sorted(h["class"] for h in settings.LOGGING["handlers"].values()),
}))
"""


def _settings(env_overrides: dict[str, str]) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "REDIS_URL", "SITE_URL", "EMAIL_", "AXES_"))
    }
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "clinic.settings"
    result = subprocess.run(
        [sys.executable, "-c", CODE], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_keeps_shared_state_in_the_database_and_redis():
    seen = _settings(PRODUCTION)

    assert seen["cache"] == "django.core.cache.backends.redis.RedisCache"  # rate limits, clinic
    assert seen["cache_location"] == REDIS_URL
    assert "django.contrib.sessions.backends.db" in seen["session_base"]  # not file or cache
    assert seen["axes_handler"] == "axes.handlers.database.AxesDatabaseHandler"  # lockouts
    assert seen["beat_scheduler"] == "clinic.beat:LockedDatabaseScheduler"  # no schedule file
    assert seen["email_backend"] == "django.core.mail.backends.smtp.EmailBackend"  # no mail file
    assert seen["log_handlers"] == ["logging.StreamHandler"]  # standard error, no log file


def test_development_with_redis_shares_the_cache_too():
    """`make run` with REDIS_URL set: the web, worker and beat processes share the cache,
    as in production (a per-process cache showed a saved clinic setting a minute late)."""
    seen = _settings({"DJANGO_DEBUG": "true", "REDIS_URL": REDIS_URL})
    assert seen["cache"] == "django.core.cache.backends.redis.RedisCache"


def test_development_without_redis_keeps_the_cache_in_memory():
    seen = _settings({"DJANGO_DEBUG": "true"})
    assert seen["cache"] == "django.core.cache.backends.locmem.LocMemCache"


def test_no_model_stores_an_uploaded_file():
    """Uploads would be files on one node's disk: the logo is a static file's path."""
    file_fields = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField)
    ]
    assert file_fields == []
