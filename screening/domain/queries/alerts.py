"""What every signed-in staff page shows above its content: how many urgent submissions
nobody has picked up yet, and whether any clinician is on duty to get their emails.

Both in one statement (two subqueries, no table scan: the urgent count reads the queue's
index), read only when a staff page renders them (`screening.web.context_processors`),
so a page's query count grows by one whatever it lists, and patient pages by none.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Count

from screening.models import Submission
from screening.reminders.scheduling import on_duty_clinicians


@dataclass(frozen=True)
class StaffAlerts:
    urgent_waiting: int  # urgent and still new: nobody has picked it up
    nobody_on_duty: bool  # no active clinician with an email in the on_duty group


def staff_alerts() -> StaffAlerts:
    """The two numbers in one query (composed from the ORM's own SQL)."""
    urgent = (
        Submission.objects.filter(level="urgent", status=Submission.Status.NEW)
        .order_by()
        .values("level")
        .annotate(n=Count("pk"))
        .values("n")
    )
    urgent_sql, urgent_params = urgent.query.sql_with_params()
    duty_sql, duty_params = on_duty_clinicians().order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(({urgent_sql}), 0), EXISTS({duty_sql})",  # noqa: S608 (ORM SQL)
            [*urgent_params, *duty_params],
        )
        urgent_waiting, on_duty = cursor.fetchone()
    return StaffAlerts(urgent_waiting=int(urgent_waiting), nobody_on_duty=not on_duty)
