"""The clinician dashboard. Every view is wrapped in permissions.staff_view."""

from django.urls import path

from screening import reminder_views, staff_views

app_name = "staff"

urlpatterns = [
    path("", staff_views.queue, name="queue"),
    path("export.csv", staff_views.queue_export, name="export"),
    path("submissions/<uuid:public_id>/", staff_views.submission_detail, name="submission"),
    path(
        "submissions/<uuid:public_id>/assign/",
        staff_views.submission_assign,
        name="submission_assign",
    ),
    path(
        "submissions/<uuid:public_id>/status/",
        staff_views.submission_status,
        name="submission_status",
    ),
    path(
        "submissions/<uuid:public_id>/decision/",
        staff_views.submission_decision,
        name="submission_decision",
    ),
    path("submissions/<uuid:public_id>/labs/add/", staff_views.lab_add, name="lab_add"),
    path("patients/<uuid:public_id>/", staff_views.patient_detail, name="patient"),
    path("patients/<uuid:public_id>/merge/", staff_views.patient_merge, name="patient_merge"),
    path("patients/<uuid:public_id>/split/", staff_views.patient_split, name="patient_split"),
    path(
        "patients/<uuid:public_id>/export.json", staff_views.patient_export, name="patient_export"
    ),
    path("patients/<uuid:public_id>/erase/", staff_views.patient_erase, name="patient_erase"),
    path("reminders/failed/", reminder_views.reminders_failed, name="reminders_failed"),
]
