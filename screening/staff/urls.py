"""The clinician dashboard. Every view is wrapped in permissions.staff_view."""

from django.urls import path

from screening.staff.views import (
    dev_outbox,
    messages,
    patients,
    queue,
    reminders,
    submissions,
    tasks,
)

app_name = "staff"

urlpatterns = [
    path("", queue.queue, name="queue"),
    path("export.csv", queue.queue_export, name="export"),
    path("submissions/<uuid:public_id>/", submissions.submission_detail, name="submission"),
    path(
        "submissions/<uuid:public_id>/assign/",
        submissions.submission_assign,
        name="submission_assign",
    ),
    path(
        "submissions/<uuid:public_id>/status/",
        submissions.submission_status,
        name="submission_status",
    ),
    path(
        "submissions/<uuid:public_id>/decision/",
        submissions.submission_decision,
        name="submission_decision",
    ),
    path("submissions/<uuid:public_id>/close/", tasks.submission_close, name="submission_close"),
    path("submissions/<uuid:public_id>/labs/add/", submissions.lab_add, name="lab_add"),
    path(
        "submissions/<uuid:public_id>/messages/new/",
        messages.message_new,
        name="message_new",
    ),
    path("submissions/<uuid:public_id>/match/", patients.submission_match, name="submission_match"),
    path("patients/<uuid:public_id>/", patients.patient_detail, name="patient"),
    path("patients/<uuid:public_id>/merge/", patients.patient_merge, name="patient_merge"),
    path("patients/<uuid:public_id>/split/", patients.patient_split, name="patient_split"),
    path("patients/<uuid:public_id>/export.json", patients.patient_export, name="patient_export"),
    path("patients/<uuid:public_id>/erase/", patients.patient_erase, name="patient_erase"),
    path("tasks/", tasks.tasks_list, name="tasks"),
    path("tasks/<uuid:public_id>/close/", tasks.task_close, name="task_close"),
    path("tasks/<uuid:public_id>/reassign/", tasks.task_reassign, name="task_reassign"),
    path("reminders/failed/", reminders.reminders_failed, name="reminders_failed"),
    # Development only (404 in production): every email written, in full.
    path("dev/outbox/", dev_outbox.outbox, name="dev_outbox"),
    path("dev/outbox/<str:name>/", dev_outbox.outbox_email, name="dev_outbox_email"),
]
