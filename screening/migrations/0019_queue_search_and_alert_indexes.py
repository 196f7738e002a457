"""An index on the urgent submissions nobody has picked up (status new), for the count
every staff page shows (`screening.domain.queries.alerts`): at a million submissions that
count read some 1,600 open urgent rows from the table each page; now a few index pages.
And an index on a patient's submissions with their status and queue order, for the search
by name or email: a rare surname's 2,560 submissions were read row by row from the table
to be sorted (75 ms), a common one's open ones hash-joined against every open submission
(210 ms); both now read the submissions off this index (bench/README.md, "Queue at 1,000,000 submissions").
"""

from django.conf import settings
from django.db import migrations, models


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
    ]
