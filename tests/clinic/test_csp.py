"""The Content Security Policy: on every response, and nothing in a page that it would block.

The policy allows scripts and styles from our own origin only, so a page works under it
only if it has no inline script, no event handler attribute and no style attribute. The
rendered pages are checked for that, and so is every template file (a page no test renders
is still scanned).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from screening.models import IntakeDraft, Patient, Reminder, Submission
from screening.reminders import links, unsubscribe
from tests.conftest import (
    ANSWERS_COPY_URL,
    CHECK_URL,
    CONSENT_URL,
    DONE_URL,
    HELP_URL,
    STEP_URLS,
    signed_in,
)
from tests.factories import IntakeDraftFactory, ReminderFactory, SubmissionFactory, TaskFactory
from tests.screening.staff.test_url_permissions import ROUTES

TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"

EXPECTED_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
}

TAG = re.compile(r"<[a-zA-Z][^>]*>")
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
SCRIPT_ELEMENT = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""=\s*["']?\s*javascript:""", re.IGNORECASE)


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    header = response.headers.get("Content-Security-Policy", "")
    parts = [part.split() for part in header.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


def inline_code(html: str) -> list[str]:
    """What in this HTML the policy would block: inline scripts with content, event
    handler attributes, style attributes and elements, javascript: URLs."""
    found = [
        f"inline script: {body.strip()[:60]!r}"
        for body in SCRIPT_ELEMENT.findall(html)
        if body.strip()
    ]
    for tag in TAG.findall(html):
        if EVENT_HANDLER.search(tag):
            found.append(f"event handler: {tag[:80]}")
        if STYLE_ATTRIBUTE.search(tag):
            found.append(f"style attribute: {tag[:80]}")
    found += [f"style element at {m.start()}" for m in STYLE_ELEMENT.finditer(html)]
    found += [f"javascript: URL at {m.start()}" for m in JAVASCRIPT_URL.finditer(html)]
    return found


# --- the scanner finds what it should -----------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<script type="module">\n import x from "./x.js";\n</script>',
        '<button onclick="go()">Go</button>',
        '<body ONLOAD = "go()">',
        '<p style="color: red">',
        "<style>p { color: red }</style>",
        '<a href="javascript:go()">go</a>',
        '<svg><rect style="fill: red"/></svg>',
    ],
)
def test_scanner_finds_inline_code(html):
    assert inline_code(html) != []


@pytest.mark.parametrize(
    "html",
    [
        '<script src="/static/app.js"></script>',
        '<link rel="stylesheet" href="/static/site.css">',
        '<p class="on-duty" data-style="x">online=yes; style=none</p>',
        '<input name="onset" value="3">',
    ],
)
def test_scanner_allows_external_code_and_lookalikes(html):
    assert inline_code(html) == []


# --- every template file ------------------------------------------------------------------


def template_files() -> list[Path]:
    return sorted(p for p in TEMPLATES_DIR.rglob("*") if p.suffix in {".html", ".txt", ".svg"})


def test_template_scan_sees_the_templates():
    names = {str(p.relative_to(TEMPLATES_DIR)) for p in template_files()}
    assert {"base.html", "staff/base.html", "screening/question.html"} <= names


@pytest.mark.parametrize("path", template_files(), ids=lambda p: str(p.relative_to(TEMPLATES_DIR)))
def test_template_has_no_inline_script_handler_or_style(path):
    assert inline_code(path.read_text(encoding="utf-8")) == []


# --- the header on every route ------------------------------------------------------------


@pytest.mark.django_db
def test_every_route_answers_with_the_policy(clinician):
    """Every URL in the URL conf, whatever it answers (a page, a redirect, 404, 405)."""
    client = signed_in(Client(), clinician)
    missing = []
    for route in ROUTES:
        response = client.get(route.path)
        if policy(response) != EXPECTED_POLICY:
            missing.append(f"{route} -> {response.status_code}")
    assert missing == []
    assert len(ROUTES) > 40


@pytest.mark.django_db
def test_error_pages_have_the_policy(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert policy(response) == EXPECTED_POLICY


# --- rendered pages: the header, and nothing inline -----------------------------------------


def assert_page_is_clean(response, url: str) -> str:
    assert response.status_code == 200, url
    assert policy(response) == EXPECTED_POLICY, url
    html = response.content.decode()
    assert inline_code(html) == [], url
    return html


def test_patient_intake_pages(journey):
    client = journey.client
    assert_page_is_clean(client.get("/"), "/")
    for url in (CONSENT_URL, "/privacy/", "/accessibility/"):
        assert_page_is_clean(client.get(url), url)
    journey.consent()
    for slug, url in STEP_URLS.items():
        assert_page_is_clean(client.get(url), url)
        journey.answer(slug)
    assert_page_is_clean(client.get(CHECK_URL), CHECK_URL)
    journey.submit()
    assert_page_is_clean(client.get(DONE_URL), DONE_URL)
    assert_page_is_clean(client.get(ANSWERS_COPY_URL), ANSWERS_COPY_URL)
    assert Submission.objects.count() == 1


def test_patient_get_help_now_page(journey):
    journey.answer_all(until="urgent")
    assert journey.answer("urgent", chest_pain="yes")["Location"] == HELP_URL
    html = assert_page_is_clean(journey.client.get(HELP_URL), HELP_URL)
    assert Submission.objects.get().reference in html


def test_patient_link_pages(client, frozen_day, db):
    """Pages reached from an email: follow-up, resume, unsubscribe, and a bad link."""
    reviewed = SubmissionFactory(status=Submission.Status.REVIEWED)
    follow_up = ReminderFactory(
        kind=Reminder.Kind.FOLLOW_UP,
        submission=reviewed,
        patient=reviewed.patient,
        key=f"follow_up:{reviewed.public_id}",
    )
    draft = IntakeDraftFactory()
    resume = ReminderFactory(
        kind=Reminder.Kind.UNFINISHED_INTAKE, draft=draft, key=f"unfinished:{draft.public_id}"
    )
    token = links.reminder_link_token(follow_up)
    urls = [
        f"/follow-up/{token}/",
        f"/intake/resume/{links.reminder_link_token(resume)}/",
        f"/unsubscribe/{unsubscribe.unsubscribe_token(follow_up)}/",
    ]
    for url in urls:
        assert_page_is_clean(client.get(url), url)
    bad = client.get("/follow-up/not-a-real-link/")
    assert bad.status_code == 400
    assert policy(bad) == EXPECTED_POLICY
    assert inline_code(bad.content.decode()) == []
    assert IntakeDraft.objects.count() == 1


def test_staff_pages(journey, clinician, admin_client):
    journey.answer_all()
    journey.submit()
    submission = Submission.objects.get()
    patient = Patient.objects.get()
    task = TaskFactory(submission=submission, owner=clinician)
    staff = signed_in(Client(), clinician)
    urls = [
        "/staff/",
        f"/staff/submissions/{submission.public_id}/",
        f"/staff/submissions/{submission.public_id}/decision/",
        f"/staff/submissions/{submission.public_id}/labs/add/",
        f"/staff/patients/{patient.public_id}/",
        f"/staff/patients/{patient.public_id}/merge/",
        f"/staff/patients/{patient.public_id}/split/",
        f"/staff/patients/{patient.public_id}/erase/",
        f"/staff/patients/{patient.public_id}/export.json",
        "/staff/reminders/failed/",
        "/staff/account/backup-codes/",
        "/staff/tasks/",
        f"/staff/tasks/{task.public_id}/close/",
        f"/staff/tasks/{task.public_id}/reassign/",
        f"/staff/submissions/{submission.public_id}/close/",
    ]
    for url in urls:
        assert_page_is_clean(staff.get(url), url)
    assert_page_is_clean(Client().get("/staff/account/login/"), "/staff/account/login/")
    admin_index = admin_client.get("/admin/")
    assert admin_index.status_code == 200
    assert policy(admin_index) == EXPECTED_POLICY
