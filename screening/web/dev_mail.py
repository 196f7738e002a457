"""Development email: every email as a file a developer can read in full, links included.

`make run` (DJANGO_DEBUG=true) sends mail through `EmailBackend`, which writes each email
as one `.eml` file in EMAIL_FILE_PATH (`var/mail/` by default) and logs only the file's
name. The console backend printed the emails through the logging filter, which redacts
signed links (docs/security.md), so the follow-up link could not be followed; the files
are not logs, and the staff outbox page (/staff/dev/outbox/, `outbox_list` and
`outbox_read`; development only, 404 otherwise) shows each in full with its links.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage as ParsedEmail
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.utils import timezone

logger = logging.getLogger(__name__)

BACKEND = "screening.web.dev_mail.EmailBackend"
# A file's name: when it was written (UTC, sorts in order) and a random part, so the
# outbox's URLs name no one. Anything else in the folder is not listed or opened.
NAME = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{12}$")
OUTBOX_LIMIT = 200


class EmailBackend(BaseEmailBackend):
    """Each message as its own .eml file in EMAIL_FILE_PATH (development)."""

    def __init__(self, *, file_path: str | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.folder = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        self.folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:12]}"
            path = self.folder / f"{name}.eml"
            # Django's MIMEMixin.as_bytes takes linesep; the stubs know only email's.
            path.write_bytes(message.message().as_bytes(linesep="\n"))  # type: ignore[call-arg]
            logger.info("email written to %s; read it at /staff/dev/outbox/%s/", path, name)
        return len(email_messages)


@dataclass(frozen=True)
class OutboxEmail:
    name: str
    written_at: datetime.datetime
    subject: str
    to: str
    text: str
    html: str


def outbox_enabled() -> bool:
    """The outbox page exists only in development (DEBUG) with this backend."""
    return bool(settings.DEBUG) and settings.EMAIL_BACKEND == BACKEND


def _parse(path: Path) -> OutboxEmail:
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, ParsedEmail)  # the default policy's class
    text = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    written = datetime.datetime.strptime(path.stem[:15], "%Y%m%d-%H%M%S")
    return OutboxEmail(
        name=path.stem,
        written_at=written.replace(tzinfo=datetime.UTC),
        subject=str(parsed["Subject"] or ""),
        to=str(parsed["To"] or ""),
        text=text.get_content() if text is not None else "",
        html=html.get_content() if html is not None else "",
    )


def outbox_list() -> list[OutboxEmail]:
    """The newest OUTBOX_LIMIT emails written, newest first."""
    folder = Path(settings.EMAIL_FILE_PATH)
    if not folder.is_dir():
        return []
    paths = sorted(
        (path for path in folder.glob("*.eml") if NAME.match(path.stem)),
        key=lambda path: path.stem,
        reverse=True,
    )
    return [_parse(path) for path in paths[:OUTBOX_LIMIT]]


def outbox_read(name: str) -> OutboxEmail | None:
    """One email by its file name (without .eml), or None."""
    if not NAME.match(name):
        return None
    path = Path(settings.EMAIL_FILE_PATH) / f"{name}.eml"
    return _parse(path) if path.is_file() else None
