"""A URLconf without the follow-up form (as in a deployment that lacks it): reminders
that link to it cannot be built."""

from django.urls import include, path

urlpatterns = [path("", include("screening.reminders.urls"))]
