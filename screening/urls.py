"""Patient-facing URLs. No URL carries personal data or a database id."""

from django.urls import path

from screening import reminder_views, views

app_name = "screening"

urlpatterns = [
    path("", views.start, name="start"),
    path("intake/about-you/", views.question, {"slug": "about-you"}, name="about_you"),
    path("intake/pregnancy/", views.question, {"slug": "pregnancy"}, name="pregnancy"),
    path("intake/symptoms/", views.question, {"slug": "symptoms"}, name="symptoms"),
    path("intake/urgent/", views.question, {"slug": "urgent"}, name="urgent"),
    path("intake/risk-factors/", views.question, {"slug": "risk-factors"}, name="risk_factors"),
    path("intake/blood-tests/", views.question, {"slug": "blood-tests"}, name="blood_tests"),
    path("intake/check/", views.check, name="check"),
    path("intake/done/", views.done, name="done"),
    path("intake/get-help-now/", views.get_help_now, name="get_help_now"),
    path("unsubscribe/<str:token>/", reminder_views.unsubscribe, name="unsubscribe"),
]
