"""Bearer-token authentication for the FHIR API (EHR clients, not people).

A token is `<key_id>.<secret>`. `key_id` finds the ApiClient row; the SHA-256 of the
secret is compared with the stored hash by `hmac.compare_digest`. Only the hash is
stored, so a copy of the database cannot call the API.

`api_client_required(scope)` wraps a view: a missing, malformed, unknown or inactive
token answers 401, a token without the scope answers 403, both as an OperationOutcome.
The view sees `request.api_client`; `request.user` is anonymous whatever cookies came
along, so a browser session can never stand in for a token (and the views are
CSRF-exempt for that reason).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from screening.fhir.outcomes import outcome_response
from screening.models import ApiClient

KEY_ID_BYTES = 6  # 8 URL-safe characters
SECRET_BYTES = 32
AUTH_SCHEME = "bearer"
# Compared against when no client matches, so a wrong key id takes as long as a wrong secret.
_UNUSED_HASH = hashlib.sha256(b"no such client").hexdigest()

View = Callable[..., HttpResponse]


class ApiRequest(HttpRequest):
    """A request `api_client_required` let through: `api_client` is the caller."""

    api_client: ApiClient


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_client_create(*, name: str, scopes: list[str]) -> tuple[ApiClient, str]:
    """Create a client; returns it and its token, which is not stored and cannot be
    shown again."""
    unknown = [scope for scope in scopes if scope not in ApiClient.Scope.values]
    if not scopes or unknown:
        raise ValueError(f"Scopes must be one or more of {ApiClient.Scope.values}: {unknown}")
    secret = secrets.token_urlsafe(SECRET_BYTES)
    with transaction.atomic():
        client = ApiClient.objects.create(
            name=name,
            key_id=secrets.token_urlsafe(KEY_ID_BYTES),
            token_hash=token_hash(secret),
            scopes=list(dict.fromkeys(scopes)),
        )
    return client, f"{client.key_id}.{secret}"


def client_for_token(token: str) -> ApiClient | None:
    """The active client this token belongs to, or None."""
    key_id, sep, secret = token.partition(".")
    if not sep or not key_id or not secret:
        return None
    client = ApiClient.objects.filter(key_id=key_id, active=True).first()
    expected = client.token_hash if client else _UNUSED_HASH
    if not hmac.compare_digest(token_hash(secret), expected):
        return None
    return client


def bearer_token(request: HttpRequest) -> str | None:
    scheme, _sep, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != AUTH_SCHEME or not token.strip():
        return None
    return token.strip()


def api_client_required(scope: str) -> Callable[[View], View]:
    if scope not in ApiClient.Scope.values:
        raise ValueError(scope)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            request.user = AnonymousUser()
            token = bearer_token(request)
            client = client_for_token(token) if token else None
            if client is None:
                response = outcome_response(
                    401,
                    [("login", "A valid bearer token is required (Authorization: Bearer …)", None)],
                )
                response["WWW-Authenticate"] = 'Bearer realm="fhir"'
                return response
            if scope not in client.scopes:
                return outcome_response(
                    403, [("forbidden", f"This client's token lacks the {scope!r} scope", None)]
                )
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=timezone.now())
            api_request = cast(ApiRequest, request)
            api_request.api_client = client
            return view(api_request, *args, **kwargs)

        return wrapper

    return decorator
