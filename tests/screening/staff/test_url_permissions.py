"""Walk every URL in the URL conf and prove who is refused.

Nothing here lists the dashboard's pages: the walk finds every pattern (through every
include), builds a URL for it, and checks it by where it lives and by the permission
its view declares through `staff_view` (`view.staff_permission`). A new page under
/staff/ that is not wrapped in `staff_view` fails `test_every_staff_view_is_wrapped`.

- /staff/: anonymous users and users with a password but no second factor go to the
  sign-in page (except the sign-in pages themselves).
- /staff/ views needing a clinical permission: the receptionist and the outsider get
  403 or 404; every permission-carrying view refuses the outsider (no role).
- /staff/dev/: development only (`dev_outbox.development_only`): 404 for everyone in
  production, before any sign-in check; in development (DEBUG with the file email
  backend) the same refusals as every other staff page.
- /admin/: anonymous users, signed-in staff who are not admin staff, and a superuser
  without a second factor are all sent to sign in.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils.regex_helper import normalize

from tests.conftest import STAFF_PASSWORD, signed_in
from tests.factories import SubmissionFactory, TaskFactory

pytestmark = pytest.mark.django_db

LOGIN_PATH = "/staff/account/login/"
ADMIN_LOGIN_PATH = "/admin/login/"
ADMIN_INDEX_PATH = "/admin/"

# How a user gets verified: these pages cannot ask for a verified user.
SIGN_IN_PAGES = {
    "staff_account:login",
    "staff_account:verify",
    "staff_account:enrol",
    "staff_account:new_password",  # the first step after an admin reset
}
# Account pages that check the user themselves rather than through `staff_view`
# (they need no role, only a verified sign-in; the refusal tests still cover them).
ACCOUNT_VIEWS = SIGN_IN_PAGES | {
    "staff_account:logout",
    "staff_account:backup_codes",
    "staff_account:password_change",
}
CLINICAL_PERMISSIONS = {
    "screening.review_submission",
    "screening.export_queue",
    "screening.merge_patients",
}

# Path parameters get one of these, in order, until the URL resolves back to the same
# view. Views that look an object up get a real one (see `objects`) so that a missing
# permission check would show as a 200, not hide behind a 404.
OBJECT_UUID = uuid.UUID("00000000-0000-4000-8000-00000000b12a")
CANDIDATES = [
    str(OBJECT_UUID),
    "1",
    "x",
    *sorted(config.label for config in apps.get_app_configs()),
]


@dataclass(frozen=True)
class Route:
    path: str
    name: str  # "namespace:name", or the regex when the pattern has no name
    view: Callable

    @property
    def staff_permission(self) -> str | None:
        return getattr(self.view, "staff_permission", None)

    def __str__(self) -> str:
        return f"{self.path} ({self.name})"


def _walk(
    resolver: URLResolver, prefix: str = "", namespaces: tuple[str, ...] = ()
) -> Iterator[tuple[str, str, URLPattern]]:
    """(full regex, namespaced name, pattern) for every pattern, through every include."""
    for entry in resolver.url_patterns:
        regex = prefix + entry.pattern.regex.pattern.removeprefix("^")
        if isinstance(entry, URLResolver):
            inner = namespaces + ((entry.namespace,) if entry.namespace else ())
            yield from _walk(entry, regex, inner)
        else:
            name = ":".join((*namespaces, entry.name)) if entry.name else regex
            yield regex, name, entry


def _build(regex: str, pattern: URLPattern) -> str:
    """A URL that resolves to this pattern's view, with plausible path parameters."""
    for template, params in normalize(regex):
        for values in itertools.product(CANDIDATES, repeat=len(params)):
            path = "/" + template % dict(zip(params, values, strict=True))
            try:
                match = resolve(path)
            except Resolver404:
                continue
            if match.func is pattern.callback:
                return path
    raise AssertionError(f"No URL could be built for the pattern {regex!r}: teach CANDIDATES")


def all_routes() -> list[Route]:
    return [
        Route(_build(regex, pattern), name, pattern.callback)
        for regex, name, pattern in _walk(get_resolver())
    ]


ROUTES = all_routes()
STAFF_ROUTES = [r for r in ROUTES if r.path.startswith("/staff/")]
DEVELOPMENT_ROUTES = [r for r in STAFF_ROUTES if r.path.startswith("/staff/dev/")]
ADMIN_ROUTES = [r for r in ROUTES if r.path.startswith("/admin/")]


def ids(routes: list[Route]) -> list[str]:
    return [route.path for route in routes]


@pytest.fixture(autouse=True)
def objects(db):
    """A patient, a submission and a task whose public ids are OBJECT_UUID."""
    submission = SubmissionFactory(public_id=OBJECT_UUID, patient__public_id=OBJECT_UUID)
    TaskFactory(public_id=OBJECT_UUID, submission=submission)
    return submission


def responses(client: Client, route: Route) -> dict[str, int | str]:
    """GET and POST: the status, or for a redirect the path it goes to."""
    out: dict[str, int | str] = {}
    for method in ("get", "post"):
        response = getattr(client, method)(route.path)
        out[method] = (
            urlsplit(response["Location"]).path
            if response.status_code == 302
            else response.status_code
        )
    return out


def assert_sent_to_sign_in(client: Client, route: Route) -> None:
    """Each method is sent to the sign-in page or not allowed (405); at least one is sent
    to sign in, so a page that answers 405 to everything proves nothing."""
    seen = responses(client, route)
    assert set(seen.values()) <= {LOGIN_PATH, 405}, f"{route}: {seen}"
    assert LOGIN_PATH in seen.values(), f"{route}: {seen}"


# --- the walk itself ------------------------------------------------------------------


def test_walk_finds_the_account_and_admin_pages():
    names = {route.name for route in ROUTES}
    assert names >= ACCOUNT_VIEWS
    assert names >= {"admin:index", "admin:screening_auditevent_changelist"}
    assert len(ADMIN_ROUTES) > 20


def test_every_staff_view_is_wrapped():
    """The guard: a page under /staff/ is either an account page or wrapped in
    `staff_view(permission)`. Wrap a new view before adding it to urls_staff.py."""
    unwrapped = [
        str(route)
        for route in STAFF_ROUTES
        if route.name not in ACCOUNT_VIEWS and route.staff_permission is None
    ]
    assert unwrapped == [], "Not wrapped in permissions.staff_view: " + ", ".join(unwrapped)


def test_every_staff_permission_exists():
    """A misspelt permission would lock everyone out of a page, silently."""
    declared = {r.staff_permission for r in STAFF_ROUTES if r.staff_permission}
    existing = {
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.values_list(
            "content_type__app_label", "codename"
        )
    }
    assert declared - existing == set()


# --- /staff/ --------------------------------------------------------------------------

GUARDED_STAFF_ROUTES = [r for r in STAFF_ROUTES if r.name not in SIGN_IN_PAGES]


@pytest.fixture
def development(request, settings, tmp_path):
    """The development outbox's pages exist (DEBUG, the file backend) for routes under
    /staff/dev/; everything else runs as the suite does."""
    route = request.node.callspec.params.get("route")
    if route in DEVELOPMENT_ROUTES:
        from screening.web import dev_mail

        settings.DEBUG = True
        settings.EMAIL_BACKEND = dev_mail.BACKEND
        settings.EMAIL_FILE_PATH = str(tmp_path)


def test_walk_finds_the_development_pages():
    assert {r.name for r in DEVELOPMENT_ROUTES} == {"staff:dev_outbox", "staff:dev_outbox_email"}


@pytest.mark.parametrize("route", DEVELOPMENT_ROUTES, ids=ids(DEVELOPMENT_ROUTES))
def test_development_pages_do_not_exist_in_production(
    client, clinician_client, receptionist_client, outsider_client, route
):
    for who in (client, clinician_client, receptionist_client, outsider_client):
        assert responses(who, route) == {"get": 404, "post": 404}, route


@pytest.mark.parametrize("route", GUARDED_STAFF_ROUTES, ids=ids(GUARDED_STAFF_ROUTES))
def test_staff_url_sends_anonymous_users_to_sign_in(development, client, route):
    assert_sent_to_sign_in(client, route)


@pytest.mark.parametrize("route", GUARDED_STAFF_ROUTES, ids=ids(GUARDED_STAFF_ROUTES))
def test_staff_url_refuses_a_password_without_second_factor(development, clinician, route):
    """The clinician may see everything, so only the missing second factor refuses them:
    once signed in with the password through the form (pending), once with a Django
    session that has no verified device."""
    pending = Client()
    assert (
        pending.post(LOGIN_PATH, {"username": "clinician", "password": STAFF_PASSWORD}).status_code
        == 302
    )
    assert_sent_to_sign_in(pending, route)
    unverified = Client()
    unverified.force_login(clinician)
    assert_sent_to_sign_in(unverified, route)


CLINICAL_ROUTES = [r for r in STAFF_ROUTES if r.staff_permission in CLINICAL_PERMISSIONS]
PERMISSION_ROUTES = [r for r in STAFF_ROUTES if r.staff_permission]


@pytest.mark.parametrize("route", CLINICAL_ROUTES, ids=ids(CLINICAL_ROUTES))
def test_clinical_staff_url_refuses_the_receptionist(development, receptionist_client, route):
    seen = responses(receptionist_client, route)
    assert set(seen.values()) <= {403, 404, 405}, f"{route}: {seen}"
    assert seen != {"get": 405, "post": 405}, route


@pytest.mark.parametrize("route", PERMISSION_ROUTES, ids=ids(PERMISSION_ROUTES))
def test_staff_url_refuses_a_user_without_a_role(development, outsider_client, route):
    seen = responses(outsider_client, route)
    assert set(seen.values()) <= {403, 404, 405}, f"{route}: {seen}"
    assert seen != {"get": 405, "post": 405}, route


# --- /admin/ --------------------------------------------------------------------------

ADMIN_REFUSALS = {ADMIN_LOGIN_PATH, LOGIN_PATH, ADMIN_INDEX_PATH, 403, 404, 405}


def assert_admin_refused(client: Client, route: Route) -> None:
    seen = responses(client, route)
    assert set(seen.values()) <= ADMIN_REFUSALS, f"{route}: {seen}"
    # /admin/ itself is where a refused logout is sent; any other page must not be.
    if route.path == ADMIN_INDEX_PATH:
        assert set(seen.values()) <= {ADMIN_LOGIN_PATH, LOGIN_PATH}, f"{route}: {seen}"


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=ids(ADMIN_ROUTES))
def test_admin_url_refuses_anonymous_and_non_admin_users(
    client, clinician_client, receptionist_client, outsider_client, clinic_admin, route
):
    for who in (client, clinician_client, receptionist_client, outsider_client):
        assert_admin_refused(who, route)
    # Admin staff with only a password are refused too.
    password_only = Client()
    password_only.force_login(clinic_admin)
    assert_admin_refused(password_only, route)


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=ids(ADMIN_ROUTES))
def test_admin_url_refuses_a_superuser_without_second_factor(admin_user, route):
    password_only = Client()
    password_only.force_login(admin_user)
    assert_admin_refused(password_only, route)


def test_admin_is_open_to_a_verified_clinic_admin(clinic_admin):
    """The refusals above are not the admin being broken for everyone."""
    client = signed_in(Client(), clinic_admin)
    assert client.get(ADMIN_INDEX_PATH).status_code == 200
    assert client.get("/admin/screening/auditevent/").status_code == 200
