"""Tokens in links and the FHIR bearer token: what tests/screening/intake/test_follow_up.py,
test_resume.py, test_reminder_views.py, test_fhir_views.py and test_fhir_api_auth.py do
not already try. Truncated tokens and bare ids on every route, the kinds not yet crossed,
tokens spliced from two patients' links, one patient's link in another patient's
browser, signatures compared in constant time, and bearer tokens altered, cut, sent in
the URL, from another client or revoked, on the POST.

Link routes: /follow-up/<token>/ (and /urgent/), /intake/resume/<token>/ (signed,
expiring, single-use: screening.reminders.links) and /unsubscribe/<token>/ (signed, its own salt,
reusable and not expiring by design: screening.reminders.unsubscribe)."""

from __future__ import annotations

import datetime
import json
from unittest import mock

import pytest
from django.core import signing
from django.test import Client

from screening.fhir import api_auth
from screening.intake.forms.about_you import AboutYouForm
from screening.models import ApiClient, EmailOptOut, IntakeDraft, Reminder, Submission
from screening.reminders import links, unsubscribe
from tests.conftest import (
    ALL_NO_RED_FLAGS,
    FOLLOW_UP_SYMPTOMS,
    INTAKE_DAY,
    INTAKE_MOMENT,
    VALID_PAGES,
)
from tests.factories import IntakeDraftFactory, PatientFactory, ReminderFactory, SubmissionFactory
from tests.security.support import FHIR_JSON, FHIR_POST_URL, api_token, bearer, fhir_payload

pytestmark = pytest.mark.django_db


def _follow_up(name: str) -> Reminder:
    original = SubmissionFactory(
        patient=PatientFactory(full_name=name), status=Submission.Status.REVIEWED
    )
    return ReminderFactory(kind=Reminder.Kind.FOLLOW_UP, submission=original)


def _resume(email: str) -> Reminder:
    """A saved draft with "About you" answered with `email`, and its reminder."""
    about_you = AboutYouForm({**VALID_PAGES["about-you"], "email": email}, today=INTAKE_DAY)
    assert about_you.is_valid()
    draft = IntakeDraftFactory(
        email=email,
        data={
            "idempotency_key": f"key-{email}",
            "intake_date": INTAKE_DAY.isoformat(),
            "steps": {"about-you": about_you.session_data()},
            "urgent_submission": None,
            "saved_draft": None,
        },
    )
    return ReminderFactory(
        kind=Reminder.Kind.UNFINISHED_INTAKE, submission=None, draft=draft, patient=None
    )


def _urls(kind: str, token: str) -> list[str]:
    return {
        "follow_up": [f"/follow-up/{token}/", f"/follow-up/{token}/urgent/"],
        "resume": [f"/intake/resume/{token}/"],
        "unsubscribe": [f"/unsubscribe/{token}/"],
    }[kind]


def _token(kind: str, reminder: Reminder) -> str:
    if kind == "unsubscribe":
        return unsubscribe.unsubscribe_token(reminder)
    return links.reminder_link_token(reminder)


REFUSED = {"follow_up": 400, "resume": 400, "unsubscribe": 404}


def _assert_refused(kind: str, token: str) -> None:
    for url in _urls(kind, token):
        for response in (Client().get(url), Client().post(url, ALL_NO_RED_FLAGS)):
            assert response.status_code == REFUSED[kind], (url, response.status_code)


def _nothing_used(*reminders: Reminder) -> None:
    for reminder in reminders:
        reminder.refresh_from_db()
        assert reminder.link_used_at is None
    assert EmailOptOut.objects.count() == 0
    assert Submission.objects.filter(kind="follow_up").count() == 0


@pytest.fixture
def reminders(frozen_day) -> dict[str, Reminder]:
    return {
        "follow_up": _follow_up("Ann Example"),
        "resume": _resume("ann@example.com"),
        "unsubscribe": _follow_up("Ann Example"),
    }


# --- Cut, bare and spliced tokens ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["follow_up", "resume", "unsubscribe"])
def test_truncated_tokens_are_refused(reminders, kind):
    token = _token(kind, reminders[kind])
    for cut in (1, len(token) // 2, len(token) - 1, token.rindex(":")):
        _assert_refused(kind, token[:cut])
    _nothing_used(*reminders.values())


@pytest.mark.parametrize("kind", ["follow_up", "resume", "unsubscribe"])
def test_the_bare_reminder_id_or_an_unsigned_token_is_refused(reminders, kind):
    reminder = reminders[kind]
    public_id = str(reminder.public_id)
    _assert_refused(kind, public_id)
    _assert_refused(kind, f"{public_id}:")
    timestamped = signing.TimestampSigner(salt=links.SALT).sign(public_id)
    _assert_refused(kind, timestamped.rsplit(":", 1)[0] + ":")
    _nothing_used(*reminders.values())


@pytest.mark.parametrize("kind", ["follow_up", "resume", "unsubscribe"])
def test_a_token_signed_with_another_key_is_refused(reminders, kind, settings):
    reminder = reminders[kind]
    settings.SECRET_KEY = "an attacker's guess at the key"
    forged = _token(kind, reminder)
    settings.SECRET_KEY = "development-only-not-secret"
    assert forged != _token(kind, reminder)
    _assert_refused(kind, forged)
    _nothing_used(*reminders.values())


@pytest.mark.parametrize(
    ("token_kind", "route_kind"),
    [
        # follow-up -> resume and unsubscribe, resume -> follow-up: tests/screening.
        ("unsubscribe", "follow_up"),
        ("unsubscribe", "resume"),
        ("resume", "unsubscribe"),
    ],
)
def test_a_token_of_another_kind_is_refused(reminders, token_kind, route_kind):
    _assert_refused(route_kind, _token(token_kind, reminders[token_kind]))
    _nothing_used(*reminders.values())


@pytest.mark.parametrize("kind", ["follow_up", "resume", "unsubscribe"])
def test_spliced_tokens_of_two_patients_are_refused(frozen_day, kind):
    make = _resume if kind == "resume" else _follow_up
    ann, bob = make("ann@example.com"), make("bob@example.com")
    ann_token, bob_token = _token(kind, ann), _token(kind, bob)
    ann_id, ann_rest = ann_token.split(":", 1)
    bob_id, bob_rest = bob_token.split(":", 1)
    assert ann_id == str(ann.public_id)

    _assert_refused(kind, f"{bob_id}:{ann_rest}")  # Bob's id with Ann's signature
    _assert_refused(kind, f"{ann_id}:{bob_rest}")
    _nothing_used(ann, bob)


# --- One patient's link, another patient's things -------------------------------------------


def test_a_follow_up_link_sends_answers_about_its_own_patient_only(frozen_day):
    ann, bob = _follow_up("Ann Example"), _follow_up("Bob Example")
    browser = Client()  # one computer, two patients: Bob started his check-in first
    bob_urls = _urls("follow_up", _token("follow_up", bob))
    browser.post(bob_urls[0], FOLLOW_UP_SYMPTOMS)
    ann_urls = _urls("follow_up", _token("follow_up", ann))

    # Ann's second page without her first page: back to her first page, not Bob's answers.
    response = browser.post(ann_urls[1], ALL_NO_RED_FLAGS)
    assert response.status_code == 302
    assert response["Location"] == ann_urls[0]
    browser.post(ann_urls[0], FOLLOW_UP_SYMPTOMS)
    assert browser.post(ann_urls[1], ALL_NO_RED_FLAGS)["Location"] == "/follow-up/thank-you/"

    follow_up = Submission.objects.get(kind="follow_up")
    assert follow_up.patient == ann.submission.patient
    bob.refresh_from_db()
    assert bob.link_used_at is None
    assert str(bob.public_id) in browser.session["follow_up"]  # Bob's page is still there
    assert browser.post(bob_urls[1], ALL_NO_RED_FLAGS)["Location"] == "/follow-up/thank-you/"
    assert Submission.objects.get(kind="follow_up", patient=bob.submission.patient)


def test_an_unsubscribe_link_opts_out_its_own_address_only(frozen_day):
    ann, bob = _follow_up("Ann Example"), _follow_up("Bob Example")
    response = Client().post(_urls("unsubscribe", _token("unsubscribe", ann))[0])
    assert response.status_code == 200
    assert list(EmailOptOut.objects.values_list("email", flat=True)) == [
        ann.submission.patient.email
    ]
    assert bob.submission.patient.email != ann.submission.patient.email


def test_a_resume_link_restores_its_own_draft_and_leaves_the_others(frozen_day):
    ann, bob = _resume("ann@example.com"), _resume("bob@example.com")

    browser = Client()
    response = browser.post(_urls("resume", _token("resume", ann))[0])

    assert response.status_code == 302
    assert browser.session["intake"]["steps"]["about-you"]["email"] == "ann@example.com"
    bob.refresh_from_db()
    assert bob.link_used_at is None
    assert IntakeDraft.objects.get(pk=bob.draft.pk).data["steps"]  # Bob's answers kept


@pytest.mark.parametrize("kind", ["follow_up", "resume", "unsubscribe"])
def test_a_leaked_link_shows_nothing_about_the_patient(reminders, kind):
    reminder = reminders[kind]
    patient = reminder.submission.patient if reminder.submission else None
    secrets = [
        "Ann Example",
        "ann@example.com",
        "1990",
        *([patient.email, patient.full_name, reminder.submission.reference] if patient else []),
    ]
    for url in _urls(kind, _token(kind, reminder))[:1]:
        response = Client().get(url)
        assert response.status_code == 200
        assert response["Referrer-Policy"] == "strict-origin"  # the token is never sent on
        page = response.content.decode()
        for secret in secrets:
            assert secret not in page, secret


# --- Expiry and reuse not covered elsewhere -------------------------------------------------


def test_an_expired_follow_up_link_cannot_send_even_with_both_pages_answered(
    reminders, time_machine, settings
):
    reminder = reminders["follow_up"]
    browser = Client()
    first, second = _urls("follow_up", _token("follow_up", reminder))
    browser.post(first, FOLLOW_UP_SYMPTOMS)
    time_machine.move_to(
        INTAKE_MOMENT + datetime.timedelta(days=settings.REMINDER_LINK_MAX_AGE_DAYS, seconds=1),
        tick=False,
    )
    assert browser.post(second, ALL_NO_RED_FLAGS).status_code == 410
    _nothing_used(reminder)


def test_a_used_resume_link_cannot_be_reused_in_the_same_browser_after_sending(reminders):
    reminder = reminders["resume"]
    browser = Client()
    url = _urls("resume", _token("resume", reminder))[0]
    assert browser.post(url).status_code == 302
    response = browser.post(url)
    assert response.status_code == 410
    assert "This link has already been used" in response.content.decode()


def test_an_unsubscribe_link_works_years_later_by_design(reminders, time_machine):
    reminder = reminders["unsubscribe"]
    time_machine.move_to(INTAKE_MOMENT + datetime.timedelta(days=3 * 365), tick=False)
    response = Client().post(_urls("unsubscribe", _token("unsubscribe", reminder))[0])
    assert response.status_code == 200
    assert EmailOptOut.objects.count() == 1


# --- Constant-time comparison -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["follow_up", "resume", "unsubscribe"])
def test_link_signatures_are_compared_in_constant_time(reminders, kind):
    token = _token(kind, reminders[kind])
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    with mock.patch(
        "django.core.signing.constant_time_compare", wraps=signing.constant_time_compare
    ) as compare:
        Client().get(_urls(kind, altered)[0])
    assert compare.call_count == 1


def test_bearer_secrets_are_compared_in_constant_time_even_for_an_unknown_client(db):
    token = api_token()
    key_id = token.split(".")[0]
    with mock.patch.object(
        api_auth.hmac, "compare_digest", wraps=api_auth.hmac.compare_digest
    ) as compare:
        assert api_auth.client_for_token(f"{key_id}.wrong") is None
        assert api_auth.client_for_token("unknown.wrong") is None
        assert api_auth.client_for_token(token) is not None
    assert compare.call_count == 3


# --- The FHIR bearer token on the POST ----------------------------------------------------------


def _post(headers: dict, query: str = ""):
    return Client().post(
        FHIR_POST_URL + query, json.dumps(fhir_payload()), content_type=FHIR_JSON, **headers
    )


def test_post_refuses_altered_cut_and_misplaced_tokens(frozen_day):
    token = api_token("Practice EHR")
    other = api_token("Other EHR")
    key_id, secret = token.split(".", 1)
    other_key_id, other_secret = other.split(".", 1)
    for headers, query in (
        (bearer(token[:-1] + ("A" if token[-1] != "A" else "B")), ""),
        (bearer(token[:-1]), ""),
        (bearer(key_id), ""),
        (bearer(f"{key_id}.{other_secret}"), ""),  # another client's secret
        (bearer(f"{other_key_id}.{secret}"), ""),
        (bearer(secret), ""),
        ({"HTTP_AUTHORIZATION": f"Token {token}"}, ""),
        ({"HTTP_AUTHORIZATION": token}, ""),
        ({}, f"?access_token={token}"),  # tokens never go in URLs
        ({"HTTP_X_API_KEY": token}, ""),
    ):
        response = _post(headers, query)
        assert response.status_code == 401, (headers, query)
    assert Submission.objects.count() == 0


def test_post_refuses_a_revoked_client_at_once(frozen_day):
    token = api_token("Practice EHR")
    assert _post(bearer(token)).status_code == 201
    ApiClient.objects.filter(name="Practice EHR").update(active=False)
    response = _post(bearer(token))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="fhir"'
    assert Submission.objects.count() == 1


def test_a_staff_session_is_not_a_token_for_the_post(clinician_client, frozen_day):
    response = clinician_client.post(
        FHIR_POST_URL, json.dumps(fhir_payload()), content_type=FHIR_JSON
    )
    assert response.status_code == 401
    assert Submission.objects.count() == 0


def test_the_token_never_appears_in_a_response(frozen_day):
    token = api_token("Practice EHR")
    key_id, secret = token.split(".", 1)
    for response in (_post(bearer(token)), _post(bearer(f"{key_id}.x{secret}"))):
        assert secret not in response.content.decode()
        assert secret not in str(response.headers)


def test_no_token_can_shadow_the_fixed_follow_up_pages():
    """The fixed follow-up pages come before the token route (screening/intake/urls.py)."""
    from django.urls import resolve

    assert resolve("/follow-up/thank-you/").url_name == "follow_up_done"
    assert resolve("/follow-up/get-help-now/").url_name == "follow_up_get_help_now"
    assert resolve("/follow-up/thank-you/urgent/").url_name == "follow_up_urgent"
