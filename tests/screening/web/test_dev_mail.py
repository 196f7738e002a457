"""The development email backend (screening/web/dev_mail.py): one .eml file per email,
read back in full, links intact; only well-formed names are opened."""

from __future__ import annotations

import datetime

import pytest
from django.core.mail import EmailMultiAlternatives, get_connection

from screening.web import dev_mail


@pytest.fixture
def mail_folder(settings, tmp_path):
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return tmp_path / "mail"


def _send(subject: str = "Hello", link: str = "https://x.example/follow-up/abc.def/") -> None:
    message = EmailMultiAlternatives(
        subject=subject, body=f"Open it:\n{link}\n", to=["ann@example.com"]
    )
    message.attach_alternative(f'<p><a href="{link}">Open it</a></p>', "text/html")
    get_connection(dev_mail.BACKEND).send_messages([message])


def test_each_email_is_one_file_read_back_in_full(mail_folder, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 2, 9, 30, tzinfo=datetime.UTC), tick=False)
    _send("First")
    _send("Second")

    files = sorted(mail_folder.glob("*.eml"))
    assert len(files) == 2
    emails = dev_mail.outbox_list()
    assert sorted(message.subject for message in emails) == ["First", "Second"]
    message = dev_mail.outbox_read(emails[0].name)
    assert message is not None
    assert message.to == "ann@example.com"
    assert "https://x.example/follow-up/abc.def/" in message.text
    assert 'href="https://x.example/follow-up/abc.def/"' in message.html
    assert message.written_at == datetime.datetime(2026, 12, 2, 9, 30, tzinfo=datetime.UTC)


def test_only_well_formed_names_are_opened(mail_folder):
    _send()
    (mail_folder / "notes.eml").write_text("Subject: stray\n\nx")

    assert len(dev_mail.outbox_list()) == 1
    assert dev_mail.outbox_read("notes") is None
    assert dev_mail.outbox_read("../../etc/passwd") is None
    assert dev_mail.outbox_read("20261202-093000-000000000000") is None


def test_no_folder_yet_is_an_empty_outbox(mail_folder):
    assert dev_mail.outbox_list() == []


def test_the_outbox_is_on_only_in_development_with_this_backend(settings):
    settings.DEBUG, settings.EMAIL_BACKEND = True, dev_mail.BACKEND
    assert dev_mail.outbox_enabled() is True
    settings.DEBUG = False
    assert dev_mail.outbox_enabled() is False
    settings.DEBUG, settings.EMAIL_BACKEND = True, "django.core.mail.backends.smtp.EmailBackend"
    assert dev_mail.outbox_enabled() is False
