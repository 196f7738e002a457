"""Patient-facing URLs. No URL carries personal data or a database id."""

from django.urls import path

from screening.intake import answers_copy, follow_up_views, info_views, message_views, views

app_name = "screening"

urlpatterns = [
    path("", views.start, name="start"),
    path("privacy/", info_views.privacy_notice, name="privacy"),
    path("accessibility/", info_views.accessibility, name="accessibility"),
    path("intake/before-you-start/", info_views.consent, name="consent"),
    path("intake/contact-the-clinic/", info_views.consent_declined, name="consent_declined"),
    path("intake/about-you/", views.question, {"slug": "about-you"}, name="about_you"),
    path("intake/pregnancy/", views.question, {"slug": "pregnancy"}, name="pregnancy"),
    path("intake/symptoms/", views.question, {"slug": "symptoms"}, name="symptoms"),
    path(
        "intake/symptoms/details/",
        views.question,
        {"slug": "symptom-details-1"},
        name="symptom_details_1",
    ),
    path(
        "intake/symptoms/details-2/",
        views.question,
        {"slug": "symptom-details-2"},
        name="symptom_details_2",
    ),
    path("intake/urgent/", views.question, {"slug": "urgent"}, name="urgent"),
    path("intake/risk-factors/", views.question, {"slug": "risk-factors"}, name="risk_factors"),
    path("intake/blood-tests/", views.question, {"slug": "blood-tests"}, name="blood_tests"),
    path("intake/anything-else/", views.question, {"slug": "anything-else"}, name="anything_else"),
    path("intake/check/", views.check, name="check"),
    path("intake/done/", views.done, name="done"),
    path("intake/done/your-answers/", answers_copy.answers_copy, name="answers_copy"),
    path("intake/get-help-now/", views.get_help_now, name="get_help_now"),
    path("intake/saved/", views.saved, name="saved"),
    path("intake/resume/<str:token>/", views.resume, name="intake_resume"),
    # The follow-up check-in. The fixed pages come first: a token never matches them.
    path("follow-up/thank-you/", follow_up_views.done, name="follow_up_done"),
    path(
        "follow-up/get-help-now/",
        follow_up_views.get_help_now,
        name="follow_up_get_help_now",
    ),
    path("follow-up/<str:token>/", follow_up_views.symptoms, name="follow_up"),
    path("follow-up/<str:token>/urgent/", follow_up_views.urgent, name="follow_up_urgent"),
    # A message from the clinic: confirm the date of birth, then read and reply.
    path("message/<str:token>/", message_views.message_confirm, name="message"),
    path("message/<str:token>/read/", message_views.message_read, name="message_read"),
]
