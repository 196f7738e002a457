"""A URLconf without the follow-up form (as in a deployment that lacks it): reminders
that link to it cannot be built."""

from django.urls import include, path

from screening import reminder_views

patient_urls = [path("unsubscribe/<str:token>/", reminder_views.unsubscribe, name="unsubscribe")]

urlpatterns = [path("", include((patient_urls, "screening")))]
