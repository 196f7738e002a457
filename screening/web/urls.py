"""The cross-cutting pages: /health/ for a load balancer or an uptime monitor."""

from django.urls import path

from screening.web import health

urlpatterns = [
    path("health/", health.health, name="health"),
]
