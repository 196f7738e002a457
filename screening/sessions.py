"""Sessions in the database, as Django's, except that a lost database connection while
saving a session is a server error (500: try again), not "Bad Request" (400).

Django's database backend turns every DatabaseError of the session's UPDATE into
UpdateError, meant for "there was no row to update" (a concurrent logout deleted the
session), and SessionMiddleware answers that with 400 "the session was deleted". A
connection that PostgreSQL dropped mid-request (a restart, a failover,
pg_terminate_backend) is a DatabaseError too, so a patient got a 400 page for a
transient server error, and the error rate of 5xx hid it (found by
`bench/load.py --faults`; docs/performance.md). Settings: SESSION_ENGINE.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.db import InterfaceError, OperationalError


class SessionStore(db.SessionStore):
    def save(self, must_create: bool = False) -> None:
        try:
            super().save(must_create=must_create)
        except UpdateError as error:
            lost = error.__context__
            if isinstance(lost, OperationalError | InterfaceError):
                raise lost from None  # the database, not the session, went away
            raise
