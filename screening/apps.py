"""The one app. Its code lives in subpackages by subject (README.md, "Layout")."""

from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "screening"
    verbose_name = "B12 screening"

    def ready(self) -> None:
        # Registration by import: the admin's ModelAdmins, the system checks, the
        # sign-in signal handlers (audit events for failed logins and logouts), and the
        # Celery tasks, in every process: a dispatch publishes `reminders_send` by its
        # name (screening.reminders.dispatch), in the web process and tests too.
        from screening import tasks  # noqa: F401
        from screening.accounts import (  # noqa: F401
            admin,
            admin_clinic,
            admin_messages,
            admin_settings,
            admin_staff,
            admin_tasks,
            signin,
        )
        from screening.intake import privacy  # noqa: F401  (its start-up check)
        from screening.reminders import checks  # noqa: F401

        signin.connect_signals()
