from django.db import migrations

from screening.accounts.roles import roles_sync_migration


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0002_review_audit_queue"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(roles_sync_migration, migrations.RunPython.noop)]
