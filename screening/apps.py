from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ScreeningConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "screening"
    verbose_name = "B12 screening"

    def ready(self) -> None:
        from screening import checks, signin  # noqa: F401  (checks registers itself)

        signin.connect_signals()  # audit events for failed logins and logouts
        # Keep the role groups in step after every migrate (and after a test database
        # flush, which empties the groups the data migrations made).
        post_migrate.connect(_roles_sync_after_migrate, sender=self)


def _roles_sync_after_migrate(**kwargs) -> None:
    from django.contrib.auth.models import Group, Permission

    from screening.roles import roles_sync

    roles_sync(Group, Permission)
