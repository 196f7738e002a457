"""Migrations that a rolling deploy survives (docs/production.md, "More than one machine").

`migrate` runs once, before the new release's processes start, while the old release's web
processes and workers still serve. So a migration must leave the old code working:

- a column added to an existing table is nullable or has a database default
  (`db_default`): the old code's INSERTs do not name it. Django's `default` alone is not
  enough: it fills the existing rows, then drops the database default;
- nothing is dropped or renamed, unless the migration says it is a contract step
  (`contract = True` on its Migration class): the release before it already stopped
  using what it drops.

The migrations written before this rule are listed with what they did; a rolling deploy
across them breaks the old release's INSERTs until its processes are restarted (stop
them before `migrate` instead). No new one may join the list.
"""

from __future__ import annotations

from django.db import migrations
from django.db.migrations.loader import MigrationLoader
from django.db.models import NOT_PROVIDED

APP = "screening"
DESTRUCTIVE = (
    migrations.RemoveField,
    migrations.RenameField,
    migrations.DeleteModel,
    migrations.RenameModel,
)
# Written before the rule: NOT NULL columns added to existing tables without a database
# default (the old release's INSERTs into these tables fail until it is restarted).
BEFORE_THE_RULE = {
    ("0003_submission_given_details_identity", "submission.given_email"),
    ("0003_submission_given_details_identity", "submission.given_full_name"),
    ("0003_submission_given_details_identity", "submission.given_phone"),
    ("0003_submission_given_details_identity", "submission.identity_status"),
    ("0005_submission_client_tag", "submission.client_tag"),
    ("0006_consent_and_confirmation", "submission.care_consent_version"),
    ("0008_free_text_and_saved_link", "submission.anything_else"),
    ("0008_free_text_and_saved_link", "submission.other_medicines"),
    ("0009_symptom_duration_as_said", "symptomanswer.duration_unit"),
    ("0010_tasks", "statuschange.reason"),
    ("0016_reminder_data_started_and_failure", "reminder.failure"),
    ("0016_reminder_data_started_and_failure", "heartbeat.holder"),
}


def _migrations() -> list[tuple[str, migrations.Migration]]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted(
        (name, migration) for (app, name), migration in loader.disk_migrations.items() if app == APP
    )


def _breaks_old_inserts(migration: migrations.Migration) -> list[str]:
    created = {
        op.name.lower() for op in migration.operations if isinstance(op, migrations.CreateModel)
    }
    return [
        f"{op.model_name}.{op.name}"
        for op in migration.operations
        if isinstance(op, migrations.AddField)
        and op.model_name not in created
        and not op.field.null
        and op.field.db_default is NOT_PROVIDED
    ]


def test_a_column_added_to_a_table_leaves_the_old_release_able_to_insert():
    found = {
        (name, column)
        for name, migration in _migrations()
        for column in _breaks_old_inserts(migration)
    }
    assert found - BEFORE_THE_RULE == set(), (
        "A NOT NULL column added without db_default: the old release's INSERTs fail "
        "during a rolling deploy. Give it db_default (or null=True)."
    )


def test_only_a_contract_step_drops_or_renames():
    found = [
        f"{name}: {type(op).__name__}"
        for name, migration in _migrations()
        if not getattr(migration, "contract", False)
        for op in migration.operations
        if isinstance(op, DESTRUCTIVE)
    ]
    assert found == [], (
        "A drop or rename breaks the old release while it still runs: expand first, "
        "contract in a later release (contract = True on that migration)."
    )


def test_the_rule_sees_a_column_without_a_database_default():
    """The check itself: Django's default alone is caught; db_default or null passes."""
    from django.db import models

    def adding(field: models.Field) -> migrations.Migration:
        migration = migrations.Migration("0999_example", APP)
        migration.operations = [migrations.AddField("reminder", "extra", field)]
        return migration

    assert _breaks_old_inserts(adding(models.CharField(max_length=5, default=""))) == [
        "reminder.extra"
    ]
    assert _breaks_old_inserts(adding(models.CharField(max_length=5, db_default=""))) == []
    assert _breaks_old_inserts(adding(models.CharField(max_length=5, null=True))) == []
