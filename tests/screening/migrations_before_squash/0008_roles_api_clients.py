from django.db import migrations

from screening.accounts.roles import roles_sync_migration


class Migration(migrations.Migration):
    """Clinic admins can see and revoke FHIR API clients."""

    dependencies = [("screening", "0007_heartbeat_patienttombstone")]

    operations = [migrations.RunPython(roles_sync_migration, migrations.RunPython.noop)]
