"""The clinician dashboard. Every view is wrapped in permissions.staff_view."""

from django.urls import path

from screening import staff_views

app_name = "staff"

urlpatterns = [
    path("", staff_views.queue, name="queue"),
]
