"""The project's URLs plus one view that fails, to see the 500 page a patient would."""

from django.urls import path

from clinic.urls import handler400, handler500
from clinic.urls import urlpatterns as project_urlpatterns

__all__ = ["handler400", "handler500", "urlpatterns"]


def failing_view(request):
    raise RuntimeError("database connection lost: patient Ann Example")


urlpatterns = [
    path("intake/failing/", failing_view),
    path("staff/failing/", failing_view),
    *project_urlpatterns,
]
