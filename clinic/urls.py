"""Top-level URLs: the patient intake at the root, Django's admin for clinic admins."""

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Clinic administration"
admin.site.site_title = "Clinic administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("screening.urls")),
]
