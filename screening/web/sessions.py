"""Sessions in the database, as Django's, with two differences in saving an existing
session (SESSION_ENGINE; every request with a session saves it: SESSION_SAVE_EVERY_REQUEST).

1. A lost database connection is a server error (500: try again), not "Bad Request".
   Django's backend turns every DatabaseError of the session's UPDATE into UpdateError,
   meant for "there was no row to update" (a concurrent logout deleted the session), and
   SessionMiddleware answers that with 400 "the session was deleted". A connection that
   PostgreSQL dropped mid-request (a restart, a failover, pg_terminate_backend) is a
   DatabaseError too, so a patient got a 400 page for a transient server error, and the
   rate of 5xx hid it (found by `bench/load.py --faults`; docs/performance.md).
2. It is one UPDATE statement. Django wraps the save of one row in a transaction: BEGIN
   and COMMIT were two more round trips to the database on every request (the intake's
   final POST went from 17 statements to 15, a queue page from 13 to 11).

A new session (must_create) is saved as Django saves it.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.db import router


class SessionStore(db.SessionStore):
    def save(self, must_create: bool = False) -> None:
        if must_create or self.session_key is None:
            super().save(must_create=must_create)
            return
        # What Django's own save() passes; private, so django-stubs leave it out.
        row = self.create_model_instance(self._get_session())  # type: ignore[attr-defined]
        using = router.db_for_write(self.model, instance=row)
        # One statement is atomic by itself. Any database error (a lost connection)
        # goes up as it is; no row updated means the session was deleted meanwhile.
        updated = (
            self.model.objects.using(using)
            .filter(session_key=row.session_key)
            .update(session_data=row.session_data, expire_date=row.expire_date)
        )
        if not updated:
            raise UpdateError
