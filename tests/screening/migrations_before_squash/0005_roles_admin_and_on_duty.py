from django.db import migrations

from screening.accounts.roles import roles_sync_migration


class Migration(migrations.Migration):
    """Clinic admins may reset authenticators, unlock accounts and edit schedules; the
    on_duty group receives urgent escalations."""

    dependencies = [
        ("screening", "0004_reminders_outbox"),
        ("otp_totp", "0003_add_timestamps"),
        ("otp_static", "0003_add_timestamps"),
        ("axes", "0010_accessattemptexpiration"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(roles_sync_migration, migrations.RunPython.noop)]
