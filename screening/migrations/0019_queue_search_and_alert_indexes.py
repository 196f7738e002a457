"""An index on the urgent submissions nobody has picked up (status new), for the count
every staff page shows (`screening.domain.queries.alerts`): at a million submissions that
count read some 1,600 open urgent rows from the table each page; now a few index pages.
And an index on a patient's submissions with their status and queue order, for the search
by name or email: a rare surname's 2,560 submissions were read row by row from the table
to be sorted (75 ms), a common one's open ones hash-joined against every open submission
(210 ms); both now read the submissions off this index. An index on the open queue by
assignee ("assigned to me", "unassigned": the count to 1,001 was a sequential scan of the
table, quick or not depending on where it met the open rows; now 0.3 ms off the index). Statistics on level and level_rank (below).
bench/README.md, "Queue at 1,000,000 submissions (hL)".
"""

from django.conf import settings
from django.db import migrations, models

# The level filter asks for both `level` and `level_rank` (kept in step). Without knowing
# that one decides the other, PostgreSQL multiplies their selectivities (3% x 3%: 900 rows
# where there are 30,000) and sorted every urgent submission to show page 40 of "urgent,
# all statuses" (310 ms at a million; 17 ms with these statistics). PostgreSQL only, and
# not in the model state (Django has no model option for them), like the trigram indexes.
STATISTICS = "submission_level_rank_stats"


def add_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE STATISTICS {STATISTICS} (dependencies) ON level, level_rank "
            "FROM screening_submission"
        )


def remove_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {STATISTICS}")


class Migration(migrations.Migration):

    dependencies = [
        ('screening', '0009_symptom_duration_as_said'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='submission',
            index=models.Index(condition=models.Q(('status', 'new')), fields=['level'], name='submission_new_level_idx'),
        ),
        migrations.AddIndex(
            model_name='submission',
            index=models.Index(fields=['patient', 'status', 'level_rank', 'submitted_at', 'id'], name='submission_patient_queue_idx'),
        ),
        migrations.AddIndex(
            model_name='submission',
            index=models.Index(condition=models.Q(('status__in', ['new', 'in_review', 'awaiting_test', 'tasks_open'])), fields=['assignee', 'level_rank', 'submitted_at', 'id'], name='submission_open_assignee_idx'),
        ),
        migrations.RunPython(add_statistics, remove_statistics),
    ]
