"""Top-level URLs: the patient intake at the root, the clinician dashboard under /staff/,
staff sign-in under /staff/account/, Django's admin for clinic admins."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from screening import health
from screening.admin_site import ClinicAdminSite

# The admin needs the second factor too, and signs in through /staff/account/login/.
admin.site.__class__ = ClinicAdminSite
admin.site.site_header = "Clinic administration"
admin.site.site_title = "Clinic administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health.health, name="health"),
    path("staff/account/", include("screening.urls_account")),
    path("staff/", include("screening.urls_staff")),
    path("fhir/", include("screening.urls_fhir")),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the patient pages' switch
    path("", include("screening.urls")),
]

# Benchmarks only: each app in BENCH_APPS (e.g. bench.bareinsert) under /bench/<label>/.
for _app in settings.BENCH_APPS:
    urlpatterns.insert(0, path(f"bench/{_app.rsplit('.', 1)[-1]}/", include(f"{_app}.urls")))
