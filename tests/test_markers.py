"""The `postgres` marker (tests/conftest.py): on another database a marked test is skipped
with the reason on a developer's machine and failed in CI's service run (REQUIRE_SERVICES=1).
CI's SQLite pass deselects these tests instead (`-m "not services and not postgres"`).
Also the collection rule that every transactional test restores the migrated data."""

from __future__ import annotations

import pytest

from tests.conftest import POSTGRESQL_ENGINE, postgres_or_stop, restores_the_migrated_data

SQLITE = "django.db.backends.sqlite3"


def test_postgres_marker_lets_the_test_run_on_postgresql():
    assert postgres_or_stop(POSTGRESQL_ENGINE, required=True) is None


def test_postgres_marker_skips_on_sqlite_with_the_reason():
    with pytest.raises(pytest.skip.Exception) as stopped:
        postgres_or_stop(SQLITE, required=False)
    assert str(stopped.value) == (
        "needs PostgreSQL as the database, not sqlite3 "
        "(set DATABASE_URL=postgres://postgres@127.0.0.1:5432/<name>; docs/testing.md)"
    )


def test_postgres_marker_fails_on_sqlite_when_services_are_required():
    with pytest.raises(pytest.fail.Exception) as stopped:
        postgres_or_stop(SQLITE, required=True)
    assert str(stopped.value).startswith("REQUIRE_SERVICES=1 but the test needs PostgreSQL")


def test_postgres_marker_is_registered(pytestconfig):
    assert any(line.startswith("postgres:") for line in pytestconfig.getini("markers"))


class _Item:
    """What restores_the_migrated_data reads of a collected test."""

    def __init__(self, *fixtures: str, **django_db) -> None:
        self.fixturenames = ["request", *fixtures]
        self.marker = pytest.mark.django_db(**django_db).mark if django_db else None

    def get_closest_marker(self, name: str):
        return self.marker if name == "django_db" else None


def test_a_transactional_test_must_restore_the_migrated_data():
    assert not restores_the_migrated_data(_Item(transaction=True))
    assert not restores_the_migrated_data(_Item("transactional_db"))
    assert not restores_the_migrated_data(_Item("live_server", transaction=True))
    assert restores_the_migrated_data(_Item(transaction=True, serialized_rollback=True))
    assert restores_the_migrated_data(_Item("transactional_db", "django_db_serialized_rollback"))


def test_other_tests_need_no_serialized_rollback():
    assert restores_the_migrated_data(_Item())
    assert restores_the_migrated_data(_Item("db"))
    assert restores_the_migrated_data(_Item(transaction=False))
