"""The clinician dashboard. Every view is wrapped in permissions.staff_view."""

from django.urls import path

from screening.staff import reminder_views, views

app_name = "staff"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("export.csv", views.queue_export, name="export"),
    path("submissions/<uuid:public_id>/", views.submission_detail, name="submission"),
    path(
        "submissions/<uuid:public_id>/assign/",
        views.submission_assign,
        name="submission_assign",
    ),
    path(
        "submissions/<uuid:public_id>/status/",
        views.submission_status,
        name="submission_status",
    ),
    path(
        "submissions/<uuid:public_id>/decision/",
        views.submission_decision,
        name="submission_decision",
    ),
    path("submissions/<uuid:public_id>/labs/add/", views.lab_add, name="lab_add"),
    path("patients/<uuid:public_id>/", views.patient_detail, name="patient"),
    path("patients/<uuid:public_id>/merge/", views.patient_merge, name="patient_merge"),
    path("patients/<uuid:public_id>/split/", views.patient_split, name="patient_split"),
    path("patients/<uuid:public_id>/export.json", views.patient_export, name="patient_export"),
    path("patients/<uuid:public_id>/erase/", views.patient_erase, name="patient_erase"),
    path("reminders/failed/", reminder_views.reminders_failed, name="reminders_failed"),
]
