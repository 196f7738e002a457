"""Behind the documented nginx (docs/nginx.conf, run by a real nginx): the app tells clients
apart by the address nginx saw, ignores a forged X-Forwarded-For from outside, and the
access log holds no patient link's token and no staff search.

Clients are on their own loopback addresses (127.0.0.2, 127.0.0.3, ...); nginx reaches
the app from 127.0.0.1, the one trusted proxy. CI runs this in its service pass (marker
`services`; tests/security/nginx.py skips or fails it without nginx).
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings as django_settings

from screening.models import AuditEvent
from tests.conftest import STAFF_PASSWORD
from tests.security.nginx import SERVER_NAME, NginxProxy, direct_client, free_port, nginx_or_stop

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ALICE, BOB, OUTSIDER = "127.0.0.2", "127.0.0.3", "127.0.0.4"
LOGIN_URL = "/staff/account/login/"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# Patient links and a staff search: what the access log must never hold.
SECRETS = ["LinkTokenResume1", "LinkTokenFollow2", "LinkTokenUrgent3", "LinkTokenUnsub4"]
PRIVATE_REQUESTS = [
    f"/intake/resume/{SECRETS[0]}/",
    f"/follow-up/{SECRETS[1]}/",
    f"/follow-up/{SECRETS[2]}/urgent/",
    f"/unsubscribe/{SECRETS[3]}/",
    "/staff/?q=Ann+Example",
    "/admin/screening/patient/?q=ann.example%40example.com",
]


@pytest.fixture
def nginx():
    return nginx_or_stop()


@pytest.fixture
def app(live_server, settings):
    """The live server, trusting nginx (127.0.0.1) and answering to the site's name."""
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, SERVER_NAME]
    settings.INTAKE_RATE_LIMIT = "2/10m"
    return live_server


@pytest.fixture
def proxy(nginx, app, tmp_path):
    with NginxProxy(nginx, tmp_path, app_port=app.thread.port) as running:
        yield running


def _limited(client, **headers) -> bool:
    """POST a patient page (no CSRF token: 403 if counted and under the limit, 429 over it)."""
    status = client.post("/", headers=headers).status_code
    assert status in (403, 429), status
    return status == 429


def test_two_patients_behind_nginx_are_limited_separately(proxy, app):
    with proxy.client(ALICE) as alice, proxy.client(BOB) as bob:
        assert [_limited(alice) for _ in range(3)] == [False, False, True]
        assert _limited(bob) is False
        # What Alice writes into the header herself lands left of nginx's entry: ignored.
        assert _limited(alice, **{"X-Forwarded-For": "198.51.100.9"}) is True
        assert _limited(alice, **{"X-Forwarded-For": BOB}) is True
        assert _limited(bob) is False  # Bob's second: under his limit still

    log = proxy.access_log_lines(7)
    assert re.search(rf"^{re.escape(ALICE)} .*\"POST /\" 429 ", log, re.M), log


def test_a_forged_header_sent_past_nginx_is_ignored(proxy, app):
    """Straight to the app from an address that is not nginx's: the header counts for nothing."""
    with direct_client(OUTSIDER, app.thread.port) as outsider, proxy.client(BOB) as bob:
        # Claiming to be Bob does not spend Bob's limit...
        assert _limited(outsider, **{"X-Forwarded-For": BOB}) is False
        assert _limited(outsider, **{"X-Forwarded-For": BOB}) is False
        # ...and a new claim each time does not give the outsider a new counter.
        assert _limited(outsider, **{"X-Forwarded-For": "203.0.113.50"}) is True
        assert [_limited(bob) for _ in range(3)] == [False, False, True]


def _sign_in(client, username: str, password: str) -> int:
    page = client.get(LOGIN_URL)
    assert page.status_code == 200
    token = CSRF_INPUT.search(page.text).group(1)
    response = client.post(
        LOGIN_URL,
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
    )
    return response.status_code


def test_wrong_passwords_behind_nginx_lock_out_that_client_only(proxy, clinician):
    with proxy.client(ALICE) as alice, proxy.client(BOB) as bob:
        statuses = [
            _sign_in(alice, "clinician", "wrong") for _ in range(django_settings.AXES_FAILURE_LIMIT)
        ]
        assert statuses[-1] == 429
        assert _sign_in(alice, "clinician", STAFF_PASSWORD) == 429
        assert _sign_in(bob, "clinician", STAFF_PASSWORD) == 302  # on to the second factor

    failures = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED)
    assert set(failures.values_list("ip_address", flat=True)) == {ALICE}


def test_the_access_log_holds_no_patient_link_token_nor_staff_search(proxy):
    referer = f"https://{SERVER_NAME}/staff/?q=Ann+Example"
    with proxy.client(ALICE, headers={"Referer": referer}) as alice:
        for path in PRIVATE_REQUESTS:
            assert alice.get(path).status_code < 500, path
        # The same, encoded so the path does not look like the route at first sight.
        assert alice.get(f"/follow-up%2F{SECRETS[1]}/").status_code < 500

    log = proxy.access_log_lines(len(PRIVATE_REQUESTS) + 1)
    assert log.count("\n") == len(PRIVATE_REQUESTS) + 1, log
    for secret in [*SECRETS, "Ann", "ann.example", "q=", "?", "%40"]:
        assert secret not in log, (secret, log)
    for route in ("/intake/resume/-", "/follow-up/-", "/unsubscribe/-", "/staff/", "/admin/"):
        assert f'"GET {route}' in log, (route, log)
    assert f"{ALICE} " in log


def test_an_app_that_is_down_leaves_no_request_line_in_nginx_logs(nginx, tmp_path):
    """When the upstream fails, nginx's error log (at `error`) quotes the request line;
    the documented level (crit) keeps it out."""
    with NginxProxy(nginx, tmp_path, app_port=free_port()) as proxy, proxy.client(ALICE) as alice:
        for path in PRIVATE_REQUESTS:
            assert alice.get(path).status_code == 502, path
        proxy.access_log_lines(len(PRIVATE_REQUESTS))

    logs = proxy.access_log + proxy.error_logs
    for secret in [*SECRETS, "Ann", "ann.example", "q="]:
        assert secret not in logs, (secret, logs)
    assert proxy.access_log.count('" 502 ') == len(PRIVATE_REQUESTS)
