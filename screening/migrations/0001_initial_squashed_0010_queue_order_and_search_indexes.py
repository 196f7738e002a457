"""The screening app's tables, its PostgreSQL search indexes and the staff roles, in one
migration: 0001_initial to 0010_queue_order_and_search_indexes squashed before the first
release (issue 10).

The CreateModel, AddIndex and AddConstraint operations are what `makemigrations` writes
for the models today. Two steps it cannot write are ported by hand from the old chain:
- the trigram indexes for the queue's search (old 0010): PostgreSQL only, with the
  pg_trgm extension; nothing on SQLite, and not in the model state (see below);
- the staff roles (old 0003, 0005 and 0008): screening.accounts.roles makes the groups
  and gives them their permissions, once, after every model exists.

Why `replaces` rather than a plain regenerated 0001_initial: a database migrated with
the old chain (a developer's var/db.sqlite3 from `make run`, a CI or benchmark database)
has the ten old names in django_migrations and this very schema. `replaces` tells Django
that this migration stands for those ten: where all ten are recorded it is taken as
applied (the next `migrate` records it and runs nothing); on an empty database it runs.
Nobody drops a database or fakes a migration. A migration without `replaces` would run
again over the existing tables and fail, or, named 0001_initial, be taken as applied on
the strength of that one old name, on a database part-way through the chain too.
The old files are deleted: only development and CI databases ever ran them, and `migrate`
runs them all at once. A database part-way through them is not taken as migrated
(`showmigrations` lists nothing for the app): migrate it to the end from a checkout of
the commit before this squash first (docs/production.md). When every database has
recorded this migration, a later release may drop `replaces` (Django's documentation,
"Squashing migrations").
tests/screening/test_migrations.py checks all of this on SQLite and PostgreSQL.
"""

from django.conf import settings
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models
import django.db.models.deletion
import django.utils.timezone
import uuid

from screening.accounts.roles import roles_sync_migration

# The queue's search by any part of a patient's name or email (`icontains`, which is
# UPPER(column::text) LIKE UPPER('%text%') on PostgreSQL) can use these. PostgreSQL only:
# on SQLite (development, tests) nothing is made and the search scans, which is fine at
# that size. They are not in Patient.Meta.indexes, so the model state never holds them
# and SQLite never tries to build them when it remakes the table. (Written as SQL: a
# GinIndex with OpClass needs django.contrib.postgres in INSTALLED_APPS.)
TRIGRAM_INDEXES = {  # name: column of screening_patient
    "patient_name_trgm_idx": "full_name",
    "patient_email_trgm_idx": "email",
}


class TrigramExtensionOnPostgres(TrigramExtension):
    """CREATE EXTENSION pg_trgm on PostgreSQL, nothing elsewhere: Django's own operation
    skips other databases going forwards but not backwards (it looks for pg_extension)."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def add_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for name, column in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX {quote(name)} ON {quote('screening_patient')} "
            f"USING gin ((UPPER({quote(column)})) gin_trgm_ops)"
        )


def remove_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):

    replaces = [
        ("screening", "0001_initial"),
        ("screening", "0002_review_audit_queue"),
        ("screening", "0003_roles"),
        ("screening", "0004_reminders_outbox"),
        ("screening", "0005_roles_admin_and_on_duty"),
        ("screening", "0006_apiclient"),
        ("screening", "0007_heartbeat_patienttombstone"),
        ("screening", "0008_roles_api_clients"),
        ("screening", "0009_submission_open_queue_idx"),
        ("screening", "0010_queue_order_and_search_indexes"),
    ]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        # The roles name permissions of these apps: their tables and models come first.
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("otp_totp", "0003_add_timestamps"),
        ("otp_static", "0003_add_timestamps"),
        ("axes", "0010_accessattemptexpiration"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name='ApiClient',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, unique=True, verbose_name='name')),
                ('key_id', models.CharField(editable=False, max_length=16, unique=True)),
                ('token_hash', models.CharField(editable=False, max_length=64)),
                ('scopes', models.JSONField(default=list, verbose_name='scopes')),
                ('active', models.BooleanField(default=True, verbose_name='active')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created')),
                ('last_used_at', models.DateTimeField(blank=True, null=True, verbose_name='last used')),
            ],
        ),
        migrations.CreateModel(
            name='EmailOptOut',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('email', models.EmailField(max_length=254, unique=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.CreateModel(
            name='Heartbeat',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=50, unique=True)),
                ('at', models.DateTimeField()),
            ],
        ),
        migrations.CreateModel(
            name='IntakeDraft',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('email', models.EmailField(max_length=254)),
                ('data', models.JSONField(default=dict)),
                ('language', models.CharField(default='en', max_length=10)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('expires_at', models.DateTimeField()),
                ('submitted_at', models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.CreateModel(
            name='PatientTombstone',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.UUIDField(editable=False, unique=True)),
                ('reason', models.CharField(choices=[('patient_request', 'The patient asked for their record to be erased'), ('entered_in_error', 'Entered in error or a test record'), ('retention', 'The retention period ended')], max_length=30, verbose_name='reason')),
                ('erased_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='erased')),
            ],
        ),
        migrations.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('actor_username', models.CharField(blank=True, max_length=150)),
                ('action', models.CharField(choices=[('view', 'View'), ('change', 'Change'), ('export', 'Export'), ('login', 'Login'), ('login_failed', 'Failed login'), ('logout', 'Logout')], max_length=20)),
                ('what', models.CharField(max_length=100)),
                ('object_type', models.CharField(blank=True, max_length=50)),
                ('object_id', models.CharField(blank=True, max_length=64)),
                ('patient_public_id', models.UUIDField(blank=True, db_index=True, null=True)),
                ('detail', models.JSONField(blank=True, default=dict)),
                ('ip_address', models.GenericIPAddressField(blank=True, null=True)),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='Patient',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('full_name', models.CharField(max_length=200, verbose_name='full name')),
                ('email', models.EmailField(max_length=254, verbose_name='email')),
                ('phone', models.CharField(blank=True, max_length=30, verbose_name='phone')),
                ('date_of_birth', models.DateField(verbose_name='date of birth')),
                ('contact_consent', models.BooleanField(default=False, verbose_name='agreed to be contacted by email')),
                ('language', models.CharField(default='en', max_length=10, verbose_name='language')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created')),
                ('merged_into', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='merged_from', to='screening.patient')),
            ],
        ),
        migrations.CreateModel(
            name='Submission',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reference', models.CharField(editable=False, max_length=13, unique=True, verbose_name='reference')),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('questionnaire_version', models.CharField(max_length=20, verbose_name='questionnaire version')),
                ('language', models.CharField(default='en', max_length=10, verbose_name='language')),
                ('submitted_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='submitted')),
                ('completed_at', models.DateTimeField(blank=True, null=True, verbose_name='completed')),
                ('status', models.CharField(choices=[('new', 'New'), ('in_review', 'In review'), ('awaiting_test', 'Awaiting test'), ('reviewed', 'Reviewed'), ('closed', 'Closed')], default='new', max_length=20, verbose_name='status')),
                ('is_complete', models.BooleanField(default=False, verbose_name='complete')),
                ('kind', models.CharField(choices=[('intake', 'Intake'), ('follow_up', 'Follow-up')], default='intake', max_length=20, verbose_name='kind')),
                ('idempotency_key', models.CharField(editable=False, max_length=64, unique=True)),
                ('age_years', models.PositiveSmallIntegerField(verbose_name='age (years)')),
                ('sex', models.CharField(blank=True, choices=[('female', 'Female'), ('male', 'Male'), ('other', 'Other'), ('prefer_not_to_say', 'I prefer not to say')], max_length=20, verbose_name='sex')),
                ('pregnant', models.CharField(blank=True, choices=[('yes', 'Yes'), ('no', 'No'), ('not_sure', "I'm not sure")], max_length=10, verbose_name='pregnant')),
                ('breastfeeding', models.BooleanField(blank=True, null=True, verbose_name='breastfeeding')),
                ('diet', models.CharField(blank=True, choices=[('omnivore', 'I eat meat or fish'), ('vegetarian', 'Vegetarian: no meat or fish, but I eat eggs or dairy'), ('vegan', 'Vegan: no food from animals'), ('little_animal_food', 'I eat very little meat, fish, eggs or dairy')], max_length=20, verbose_name='diet')),
                ('alcohol_units_per_week', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='alcohol units per week')),
                ('medicines_answered', models.BooleanField(default=False, verbose_name='medicines answered')),
                ('conditions_answered', models.BooleanField(default=False, verbose_name='conditions answered')),
                ('family_history', models.BooleanField(blank=True, null=True, verbose_name='family history')),
                ('b12_treatment', models.CharField(blank=True, choices=[('none', 'No'), ('oral', 'Yes, by mouth (tablets, drops or spray)'), ('injections', 'Yes, injections')], max_length=20, verbose_name='B12 treatment now')),
                ('level', models.CharField(choices=[('urgent', 'Urgent'), ('review_soon', 'Review soon'), ('routine', 'Routine'), ('no_flag', 'No flag')], default='no_flag', max_length=20, verbose_name='level')),
                ('level_rank', models.PositiveSmallIntegerField(default=3)),
                ('status_changed_at', models.DateTimeField(blank=True, null=True, verbose_name='status changed')),
                ('assignee', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='assigned_submissions', to=settings.AUTH_USER_MODEL, verbose_name='assignee')),
                ('follow_up_of', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='follow_ups', to='screening.submission')),
                ('patient', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='submissions', to='screening.patient')),
            ],
            options={
                'permissions': [('view_queue', 'Can see the review queue (names, contact details, status)'), ('review_submission', 'Can see answers and results and record reviews'), ('export_queue', 'Can export the review queue as CSV'), ('merge_patients', 'Can merge and split patient records')],
            },
        ),
        migrations.CreateModel(
            name='StatusChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('from_status', models.CharField(choices=[('new', 'New'), ('in_review', 'In review'), ('awaiting_test', 'Awaiting test'), ('reviewed', 'Reviewed'), ('closed', 'Closed')], max_length=20)),
                ('to_status', models.CharField(choices=[('new', 'New'), ('in_review', 'In review'), ('awaiting_test', 'Awaiting test'), ('reviewed', 'Reviewed'), ('closed', 'Closed')], max_length=20)),
                ('changed_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('changed_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('submission', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='status_changes', to='screening.submission')),
            ],
            options={
                'ordering': ['changed_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='ScreeningResult',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('rules_version', models.CharField(max_length=60, verbose_name='rules version')),
                ('level', models.CharField(choices=[('urgent', 'Urgent'), ('review_soon', 'Review soon'), ('routine', 'Routine'), ('no_flag', 'No flag')], db_index=True, max_length=20, verbose_name='level')),
                ('possible_b12_deficiency', models.BooleanField(verbose_name='possible B12 deficiency')),
                ('red_flags', models.JSONField(default=list, verbose_name='red flags')),
                ('reasons', models.JSONField(default=list, verbose_name='reasons')),
                ('suggested_actions', models.JSONField(default=list, verbose_name='suggested actions')),
                ('b12_status', models.CharField(choices=[('deficiency_likely', 'Deficiency likely'), ('indeterminate', 'Indeterminate'), ('deficiency_unlikely', 'Deficiency unlikely'), ('not_tested', 'Not tested')], max_length=30, verbose_name='B12 status')),
                ('trigger', models.CharField(choices=[('intake', 'Intake'), ('lab', 'Lab result'), ('rescreen', 'Rescreen')], default='intake', max_length=20, verbose_name='trigger')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created')),
                ('submission', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='results', to='screening.submission')),
            ],
            options={
                'ordering': ['created_at', 'id'],
                'get_latest_by': ['created_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='Review',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('outcomes', models.JSONField(default=list, verbose_name='outcomes')),
                ('note', models.TextField(blank=True, max_length=5000, verbose_name='note')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('clinician', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reviews', to=settings.AUTH_USER_MODEL)),
                ('submission', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reviews', to='screening.submission')),
            ],
            options={
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='Reminder',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('key', models.CharField(max_length=120, unique=True)),
                ('kind', models.CharField(choices=[('follow_up', 'Follow-up check-in'), ('blood_test', 'Blood test reminder'), ('unfinished_intake', 'Unfinished intake'), ('escalation', 'Urgent escalation'), ('digest', 'Daily queue digest')], max_length=30)),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('queued', 'Queued'), ('sending', 'Sending'), ('sent', 'Sent'), ('cancelled', 'Cancelled'), ('failed', 'Failed')], default='pending', max_length=20)),
                ('due_at', models.DateTimeField()),
                ('language', models.CharField(default='en', max_length=10)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('last_error', models.TextField(blank=True)),
                ('cancelled_reason', models.CharField(blank=True, max_length=100)),
                ('queued_at', models.DateTimeField(blank=True, null=True)),
                ('sending_at', models.DateTimeField(blank=True, null=True)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('link_used_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('draft', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='reminders', to='screening.intakedraft')),
                ('patient', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='reminders', to='screening.patient')),
                ('staff_user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='reminders', to=settings.AUTH_USER_MODEL)),
                ('submission', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='reminders', to='screening.submission')),
            ],
        ),
        migrations.CreateModel(
            name='RedFlagAnswer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(choices=[('bladder_or_bowel_control_loss', 'Lost control of bladder or bowels'), ('saddle_numbness', 'Numbness around the bottom, genitals or inner thighs'), ('rapidly_worsening_weakness_or_numbness', 'Weakness or numbness getting worse quickly'), ('new_difficulty_walking', 'New difficulty walking'), ('sudden_one_sided_weakness_or_speech_difficulty', 'Sudden weakness on one side, or difficulty speaking'), ('sudden_vision_loss', 'Sudden loss of sight'), ('chest_pain', 'Chest pain'), ('breathless_at_rest', 'Out of breath at rest'), ('thoughts_of_self_harm', 'Thoughts of self-harm')], max_length=60, verbose_name='red flag')),
                ('answer', models.BooleanField(verbose_name='answer')),
                ('submission', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='red_flags', to='screening.submission')),
            ],
        ),
        migrations.CreateModel(
            name='MedicineAnswer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(choices=[('metformin', 'Metformin (for diabetes)'), ('proton_pump_inhibitor', 'A medicine that reduces stomach acid, such as omeprazole or lansoprazole'), ('h2_blocker', 'Another medicine that reduces stomach acid, such as famotidine'), ('colchicine', 'Colchicine (for gout)'), ('pregabalin', 'Pregabalin'), ('topiramate', 'Topiramate'), ('phenobarbital', 'Phenobarbital'), ('primidone', 'Primidone'), ('nitrous_oxide', 'Nitrous oxide (laughing gas), used outside medical care'), ('combined_oral_contraceptive', 'The combined contraceptive pill')], max_length=40, verbose_name='medicine')),
                ('submission', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='medicines', to='screening.submission')),
            ],
        ),
        migrations.CreateModel(
            name='LabResult',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('test', models.CharField(choices=[('total_b12', 'Vitamin B12 (total B12)'), ('active_b12', 'Active B12 (holotranscobalamin)'), ('mma', 'Methylmalonic acid (MMA)'), ('haemoglobin', 'Haemoglobin'), ('mcv', 'Mean cell volume (MCV)'), ('folate', 'Folate')], max_length=20, verbose_name='test')),
                ('value', models.DecimalField(decimal_places=3, max_digits=12, verbose_name='value')),
                ('unit', models.CharField(choices=[('ng/L', 'ng/L'), ('pg/mL', 'pg/mL'), ('pmol/L', 'pmol/L'), ('umol/L', 'µmol/L'), ('nmol/L', 'nmol/L'), ('g/L', 'g/L'), ('g/dL', 'g/dL'), ('fL', 'fL'), ('ug/L', 'µg/L')], max_length=10, verbose_name='unit')),
                ('date', models.DateField(verbose_name='date of test')),
                ('source', models.CharField(choices=[('patient', 'Patient'), ('clinician', 'Clinician')], max_length=20, verbose_name='source')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created')),
                ('entered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('patient', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='lab_results', to='screening.patient')),
                ('submission', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='lab_results', to='screening.submission')),
            ],
        ),
        migrations.CreateModel(
            name='ConditionAnswer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(choices=[('autoimmune_gastritis', 'Pernicious anaemia (autoimmune gastritis)'), ('atrophic_gastritis', 'Atrophic gastritis (thinning of the stomach lining)'), ('coeliac_disease', 'Coeliac disease'), ('sjogrens_syndrome', "Sjögren's syndrome"), ('type1_diabetes', 'Type 1 diabetes'), ('autoimmune_thyroid_disease', 'An autoimmune thyroid condition'), ('vitiligo', 'Vitiligo'), ('addisons_disease', "Addison's disease"), ('crohns_disease', "Crohn's disease"), ('ileal_resection', 'Surgery to remove part of the small bowel (ileum)'), ('gastrectomy', 'Surgery to remove all or part of the stomach'), ('bariatric_surgery', 'Weight-loss surgery'), ('abdominal_or_pelvic_radiotherapy', 'Radiotherapy to the tummy or pelvis'), ('previous_b12_deficiency', 'Low vitamin B12 in the past')], max_length=40, verbose_name='condition')),
                ('submission', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='conditions', to='screening.submission')),
            ],
        ),
        migrations.CreateModel(
            name='SymptomAnswer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(choices=[('fatigue', 'Tiredness or lack of energy'), ('numbness_tingling', 'Numbness, tingling or pins and needles'), ('joint_pain', 'Joint pain'), ('muscle_pain_or_cramps', 'Muscle pain or cramps'), ('muscle_weakness', 'Muscle weakness'), ('balance_problems', 'Problems with balance or coordination'), ('memory_or_concentration', 'Problems with memory, thinking or concentration'), ('low_mood_or_irritability', 'Low mood or feeling irritable'), ('sore_or_red_tongue', 'A sore or red tongue'), ('mouth_ulcers', 'Mouth ulcers'), ('vision_changes', 'Changes in your eyesight'), ('breathlessness_or_palpitations', 'Getting out of breath easily, or a pounding or fluttering heartbeat'), ('pale_or_yellow_skin', 'Pale or yellowish skin')], max_length=40, verbose_name='symptom')),
                ('present', models.BooleanField(verbose_name='present')),
                ('severity', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='severity (0-10)')),
                ('duration_weeks', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='duration (weeks)')),
                ('sites', models.JSONField(blank=True, null=True, verbose_name='sites')),
                ('both_sides', models.BooleanField(blank=True, null=True, verbose_name='both sides')),
                ('submission', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='symptoms', to='screening.submission')),
            ],
        ),
        migrations.AddConstraint(
            model_name='patient',
            constraint=models.UniqueConstraint(fields=('email', 'date_of_birth'), name='patient_unique_email_date_of_birth'),
        ),
        migrations.AddIndex(
            model_name='submission',
            index=models.Index(fields=['status'], name='submission_status_idx'),
        ),
        migrations.AddIndex(
            model_name='submission',
            index=models.Index(fields=['submitted_at'], name='submission_submitted_at_idx'),
        ),
        migrations.AddIndex(
            model_name='submission',
            index=models.Index(fields=['status', 'level_rank', 'submitted_at'], name='submission_queue_idx'),
        ),
        migrations.AddIndex(
            model_name='submission',
            index=models.Index(condition=models.Q(('status__in', ['new', 'in_review', 'awaiting_test'])), fields=['level_rank', 'submitted_at', 'id', 'level'], name='submission_open_queue_idx'),
        ),
        migrations.AddIndex(
            model_name='submission',
            index=models.Index(fields=['level_rank', 'submitted_at', 'id'], name='submission_queue_order_idx'),
        ),
        migrations.AddIndex(
            model_name='reminder',
            index=models.Index(fields=['status', 'due_at'], name='reminder_due_idx'),
        ),
        migrations.AddConstraint(
            model_name='redflaganswer',
            constraint=models.UniqueConstraint(fields=('submission', 'code'), name='red_flag_unique_code'),
        ),
        migrations.AddConstraint(
            model_name='medicineanswer',
            constraint=models.UniqueConstraint(fields=('submission', 'code'), name='medicine_unique_code'),
        ),
        migrations.AddConstraint(
            model_name='conditionanswer',
            constraint=models.UniqueConstraint(fields=('submission', 'code'), name='condition_unique_code'),
        ),
        migrations.AddConstraint(
            model_name='symptomanswer',
            constraint=models.UniqueConstraint(fields=('submission', 'code'), name='symptom_unique_code'),
        ),
        # pg_trgm is a trusted extension: the database's owner may create it.
        TrigramExtensionOnPostgres(),
        migrations.RunPython(add_trigram_indexes, remove_trigram_indexes),
        # Last, when every model (and so every permission the roles name) exists.
        migrations.RunPython(roles_sync_migration, migrations.RunPython.noop),
    ]
