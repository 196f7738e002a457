"""The environment a bench/ script runs in from a test: the test's own settings and
pytest's variables left out (the script makes its own database on the same server)."""

from __future__ import annotations

import os

from django.conf import settings


def bench_env() -> dict[str, str]:
    """os.environ without pytest's, Django's and the test database's variables, with
    BENCH_PG naming the test's PostgreSQL server."""
    db = settings.DATABASES["default"]
    user, host, port = db.get("USER") or "postgres", db.get("HOST") or "127.0.0.1", db.get("PORT")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "DJANGO_", "DATABASE_"))
    }
    env["BENCH_PG"] = f"postgres://{user}@{host}:{port or 5432}"
    return env
