"""One email connection for a run of reminders (`delivery.reminders_deliver`), and over
SMTP the moment the message data starts to go: before it, a send cut short never reached
the server; after it, the email may have reached the patient (docs/reminders.md,
"Exactly once").
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from typing import Any

from django.core.mail import EmailMessage, get_connection

logger = logging.getLogger(__name__)


class Mailer:
    """One email connection for a run of reminders: opened on the first send, kept open
    for the next, closed (and opened again on the next send) after any error, when the
    server's state is unknown. A context manager: closed at the end of the run.

    Over SMTP it watches the DATA command: `on_data` runs just before it, and
    `data_started` says, after a send, whether the message data began to go (None when
    the backend is not SMTP and nothing could be watched)."""

    def __init__(self) -> None:
        self.backend = get_connection(fail_silently=False)
        self.data_started: bool | None = None

    def send(self, message: EmailMessage, *, on_data: Callable[[], None] | None = None) -> None:
        self.data_started = None
        self.backend.open()  # a no-op while the connection is open
        self._watch_data(on_data)
        message.connection = self.backend
        message.send(fail_silently=False)

    def _watch_data(self, on_data: Callable[[], None] | None) -> None:
        smtp = getattr(self.backend, "connection", None)
        if not isinstance(smtp, smtplib.SMTP):
            return
        self.data_started = False
        send_data = smtplib.SMTP.data

        def data(msg: Any) -> Any:  # smtplib's sendmail calls self.data(msg)
            if on_data is not None:
                on_data()
            self.data_started = True
            return send_data(smtp, msg)

        smtp.data = data  # type: ignore[method-assign]

    def close(self) -> None:
        try:
            self.backend.close()
        except OSError:  # SMTPException included: the connection is dropped either way
            logger.info("email connection closed with an error")

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
