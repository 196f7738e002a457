"""Top-level URLs: the patient intake at the root, the clinician dashboard under /staff/,
staff sign-in under /staff/account/, Django's admin for clinic admins."""

from django.contrib import admin
from django.urls import include, path

# The admin is a ClinicAdminSite (clinic/apps.py): second factor, and sign-in through
# /staff/account/login/.

# Error pages in the patient's language and the site's design (screening/web/errors.py);
# 404 is templates/404.html.
handler400 = "screening.web.errors.bad_request"
handler500 = "screening.web.errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("screening.web.urls")),  # /health/
    path("staff/account/", include("screening.accounts.urls")),
    path("staff/", include("screening.staff.urls")),
    path("fhir/", include("screening.fhir.urls")),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the patient pages' switch
    path("", include("screening.reminders.urls")),  # /unsubscribe/<token>/
    path("", include("screening.intake.urls")),
]
