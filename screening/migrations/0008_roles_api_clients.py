from django.db import migrations


def sync_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    from screening.roles import roles_sync

    roles_sync(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    """Clinic admins can see and revoke FHIR API clients."""

    dependencies = [("screening", "0007_heartbeat_patienttombstone")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
