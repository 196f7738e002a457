"""Django's admin with the clinic's site (the documented way: an AdminConfig subclass)."""

from django.contrib.admin.apps import AdminConfig


class ClinicAdminConfig(AdminConfig):
    """The admin behind the staff sign-in and its second factor (ClinicAdminSite)."""

    default_site = "screening.accounts.admin_site.ClinicAdminSite"
