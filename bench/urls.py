"""The project's URLs plus each benchmark app's under /bench/<label>/ (bench/settings.py)."""

from django.urls import include, path

from clinic.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("bench/bareinsert/", include("bench.bareinsert.urls")),
    *project_urlpatterns,
]
