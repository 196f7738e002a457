"""An index on the urgent submissions nobody has picked up (status new), for the count
every staff page shows (`screening.domain.queries.alerts`): at a million submissions that
count read some 1,600 open urgent rows from the table each page; now a few index pages.
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
    ]
