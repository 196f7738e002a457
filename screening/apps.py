from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "screening"
    verbose_name = "B12 screening"

    def ready(self) -> None:
        from screening import checks, signin  # noqa: F401  (checks registers itself)

        signin.connect_signals()  # audit events for failed logins and logouts
