"""The screening app's migrations from zero, on SQLite and on PostgreSQL.

screening/migrations/ is one migration that squashes the old 0001..0010 (issue 10). Each
database here is migrated as a deploy migrates it, by `manage.py migrate` in a process of
its own, into a throwaway database (a file in a temporary folder; on PostgreSQL a database
named after the test run's, made and dropped here). The checks:
- the tables, columns, constraints and indexes are those Django makes straight from the
  models (`migrate --run-syncdb` with the app's migrations switched off); on PostgreSQL
  the migration also makes the queue's trigram indexes, which the models do not declare;
- every role group has exactly the permissions screening/accounts/roles.py names;
- `makemigrations --check` finds nothing to write;
- a database migrated with the old chain (kept in migrations_before_squash/) is taken as
  up to date: nothing to apply, the squash recorded, the same schema. This one goes when
  a later release drops the migration's `replaces`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db.utils import ConnectionHandler

from screening.accounts.roles import ROLE_PERMISSIONS

BASE_DIR = Path(__file__).resolve().parents[2]
SQUASH = "0001_initial_squashed_0010_queue_order_and_search_indexes"
# The last commit with the old chain, 0001_initial .. 0010_queue_order_and_search_indexes.
# The ten migrations the squash replaces, as they were at commit 6973aa5.
OLD_CHAIN_FOLDER = Path(__file__).resolve().parent / "migrations_before_squash"
TRIGRAM_INDEXES = {"patient_name_trgm_idx", "patient_email_trgm_idx"}

# SQLite names the constraints it reports by their place in the table (fk_0, fk_1,
# __unnamed_constraint_2__), and a table remade by an old AddField lists them in another
# order: those are compared by what they are, not by that name.
POSITIONAL_NAME = re.compile(r"fk_\d+|__unnamed_constraint_\d+__|__primary__")


class Database:
    """One throwaway database: its URL for `manage.py`, a connection to look inside
    (`blocker`: pytest-django's, which lets a test connect only when unblocked)."""

    def __init__(self, vendor: str, name: str, folder: Path, blocker: Any) -> None:
        self.vendor = vendor
        self.blocker = blocker
        if vendor == "sqlite":
            self.name = str(folder / f"{name}.sqlite3")
            self.settings: dict[str, Any] = {"ENGINE": "django.db.backends.sqlite3"}
            self.url = f"sqlite:///{self.name}"
        else:
            # Named after the test run's database, so parallel runs on one server differ.
            self.name = f"{settings.DATABASES['default']['NAME']}_migrations_{name}"
            self.settings = dict(settings.DATABASES["default"])
            self.url = _postgres_url({**self.settings, "NAME": self.name})
            with _postgres_server() as server:
                server.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
                server.execute(f'CREATE DATABASE "{self.name}"')
        self.settings["NAME"] = self.name

    def manage(self, *args: str, settings_module: str = "clinic.settings", path: str = "") -> str:
        """Run manage.py against this database; its output (a failure shows stderr)."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "DATABASE_", "PYTEST_", "REDIS_"))
        }
        env.update(
            DJANGO_DEBUG="true", DJANGO_SETTINGS_MODULE=settings_module, DATABASE_URL=self.url
        )
        if path:
            env["PYTHONPATH"] = path
        run = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert run.returncode == 0, f"manage.py {' '.join(args)}:\n{run.stdout}\n{run.stderr}"
        return run.stdout

    def schema(self) -> dict[str, Any]:
        """Every table's columns and constraints, and every index's definition."""
        connection = ConnectionHandler({"default": self.settings})["default"]
        introspection = connection.introspection
        try:
            with self.blocker.unblock(), connection.cursor() as cursor:
                tables = {}
                for table in introspection.get_table_list(cursor):
                    if table.type != "t":
                        continue
                    columns = {
                        column.name: (str(column.type_code), column.null_ok)
                        for column in introspection.get_table_description(cursor, table.name)
                    }
                    constraints = sorted(
                        (
                            "" if POSITIONAL_NAME.fullmatch(name) else name,
                            repr(sorted(details.items())),
                        )
                        for name, details in introspection.get_constraints(
                            cursor, table.name
                        ).items()
                    )
                    tables[table.name] = {"columns": columns, "constraints": constraints}
                if self.vendor == "sqlite":
                    cursor.execute(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                        "AND sql IS NOT NULL"
                    )
                else:
                    cursor.execute(
                        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
                    )
                indexes = dict(cursor.fetchall())
        finally:
            connection.close()
        return {"tables": tables, "indexes": indexes}

    def roles(self) -> dict[str, set[str]]:
        """Each group's permissions, as app_label.codename."""
        connection = ConnectionHandler({"default": self.settings})["default"]
        try:
            with self.blocker.unblock(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT g.name, ct.app_label, p.codename FROM auth_group g "
                    "LEFT JOIN auth_group_permissions gp ON gp.group_id = g.id "
                    "LEFT JOIN auth_permission p ON p.id = gp.permission_id "
                    "LEFT JOIN django_content_type ct ON ct.id = p.content_type_id"
                )
                roles: dict[str, set[str]] = {}
                for group, app_label, codename in cursor.fetchall():
                    granted = roles.setdefault(group, set())
                    if codename is not None:
                        granted.add(f"{app_label}.{codename}")
        finally:
            connection.close()
        return roles

    def drop(self) -> None:
        if self.vendor == "postgresql":
            with _postgres_server() as server:
                server.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def _postgres_url(database: dict[str, Any]) -> str:
    user = quote(database.get("USER") or "postgres", safe="")
    password = database.get("PASSWORD")
    login = f"{user}:{quote(password, safe='')}" if password else user
    host = database.get("HOST") or "127.0.0.1"
    return f"postgres://{login}@{host}:{database.get('PORT') or 5432}/{database['NAME']}"


def _postgres_server() -> psycopg.Connection:
    """The server of the test run's database, through its maintenance database."""
    return psycopg.connect(
        _postgres_url({**settings.DATABASES["default"], "NAME": "postgres"}), autocommit=True
    )


def _settings_module(folder: Path, name: str, migration_module: str | None) -> str:
    """A settings module in `folder`: the project's, with the app's migrations swapped."""
    (folder / f"{name}.py").write_text(
        "from clinic.settings import *  # noqa: F403\n"
        f"MIGRATION_MODULES = {{'screening': {migration_module!r}}}\n"
    )
    return name


def _old_chain(folder: Path) -> str:
    """The old migrations (kept as test data in OLD_CHAIN_FOLDER), as the package
    `old_chain` in `folder`."""
    package = folder / "old_chain"
    package.mkdir()
    for source in sorted(OLD_CHAIN_FOLDER.glob("*.py")):
        shutil.copyfile(source, package / source.name)
    return "old_chain"


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=BACKENDS)
def databases(request, tmp_path_factory, django_db_blocker) -> Iterator[dict[str, Database]]:
    """Three databases of one backend: migrated from zero, made from the models, migrated
    with the old chain and then the new one."""
    vendor = request.param
    folder = tmp_path_factory.mktemp(f"migrations_{vendor}")
    made: dict[str, Database] = {}
    try:
        for name in ("from_zero", "from_models", "old_chain"):
            made[name] = Database(vendor, name, folder, django_db_blocker)
        made["from_zero"].manage("migrate", "--noinput")
        # The other apps' migrations first, then the app's tables from its models
        # (`--run-syncdb` makes them before any migration runs, and on PostgreSQL
        # their foreign keys need auth_user).
        models_only = _settings_module(folder, "settings_from_models", None)
        for run_syncdb in ([], ["--run-syncdb"]):
            made["from_models"].manage(
                "migrate", "--noinput", *run_syncdb, settings_module=models_only, path=str(folder)
            )
        old = _settings_module(folder, "settings_old_chain", _old_chain(folder))
        made["old_chain"].manage("migrate", "--noinput", settings_module=old, path=str(folder))
        yield made
    finally:
        for database in made.values():
            database.drop()


def _without(schema: dict[str, Any], indexes: set[str]) -> dict[str, Any]:
    """The schema less these indexes (listed both as indexes and as table constraints)."""
    return {
        "tables": {
            name: {
                "columns": table["columns"],
                "constraints": [c for c in table["constraints"] if c[0] not in indexes],
            }
            for name, table in schema["tables"].items()
        },
        "indexes": {n: sql for n, sql in schema["indexes"].items() if n not in indexes},
    }


def test_migrated_from_zero_the_schema_is_the_models(databases):
    migrated = databases["from_zero"].schema()
    from_models = databases["from_models"].schema()

    only_migrated = set(migrated["indexes"]) - set(from_models["indexes"])
    if databases["from_zero"].vendor == "postgresql":
        # The queue's search: made by the migration only, on PostgreSQL only.
        assert only_migrated == TRIGRAM_INDEXES
        for name in TRIGRAM_INDEXES:
            assert "USING gin" in migrated["indexes"][name]
            assert "gin_trgm_ops" in migrated["indexes"][name]
    else:
        assert only_migrated == set()
    assert _without(migrated, only_migrated) == from_models


def test_migrated_from_zero_every_role_has_exactly_its_permissions(databases):
    expected = {name: set(codenames) for name, codenames in ROLE_PERMISSIONS.items()}

    assert databases["from_zero"].roles() == expected


def test_migrated_from_zero_makemigrations_finds_nothing_to_write(databases):
    output = databases["from_zero"].manage("makemigrations", "--check", "--dry-run")

    assert output.strip() == "No changes detected"


def test_a_database_migrated_with_the_old_chain_is_taken_as_up_to_date(databases):
    old = databases["old_chain"]
    before = old.schema()

    # Up to the squash (later migrations are new to every database): nothing to apply.
    old.manage("migrate", "screening", SQUASH, "--check")  # exits 1 if one is unapplied
    assert "No migrations to apply." in old.manage("migrate", "screening", SQUASH, "--noinput")
    assert f"[X] {SQUASH} (10 squashed migrations)" in old.manage("showmigrations", "screening")
    assert old.schema() == before

    old.manage("migrate", "--noinput")  # the migrations after the squash, as a deploy does
    after = old.schema()
    assert after["tables"] == databases["from_zero"].schema()["tables"]
    assert after["indexes"] == databases["from_zero"].schema()["indexes"]
    assert old.roles() == databases["from_zero"].roles()
