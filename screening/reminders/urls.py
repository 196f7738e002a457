"""The reminder emails' patient-facing link: one-click unsubscribe (RFC 8058)."""

from django.urls import path

from screening.reminders import views

app_name = "reminders"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
