"""Rate limits on the public POSTs, per client address, counted in Django's cache.

What is counted: every POST to a patient page (the `screening` URL namespace: the intake
steps, check and send, start again, resume, follow-up; and `reminders`: unsubscribe) against
INTAKE_RATE_LIMIT, and every `POST /fhir/QuestionnaireResponse` against FHIR_RATE_LIMIT.
GETs and the staff pages are not counted (staff sign-in has django-axes). The intake views
also count every intake about to be *stored* (a red flag's early store, or a send that is
not completing one) against INTAKE_SUBMIT_RATE_LIMIT (`intake_store_refused`): a red-flag
intake is stored after a few POSTs, so the POST limit alone let one address store (and
escalate) over a hundred urgent submissions an hour.

How: a fixed window. The counter's key is the scope, a keyed hash of the client's address
(so the cache holds no address) and the window's start; `cache.add` creates it, then
`cache.incr` counts (both atomic on Redis, so two web processes never lose a hit). A burst
across a window's edge can reach twice the limit; that is the price of one key per window.

Over the limit: 429 with a Retry-After header, before the view runs, so nothing of the
request is kept or stored. Patients get a translated page saying to wait and where to
get care now; an EHR gets an OperationOutcome.

The address is `screening.web.addresses.client_ip`: REMOTE_ADDR, or behind the proxies named
in TRUSTED_PROXIES the client their X-Forwarded-For names (docs/security.md); a header from
anyone else is ignored. Behind a proxy left out of TRUSTED_PROXIES every patient shares one
counter. An IPv6 address counts as its /64 network, which one household or phone usually holds.

A cache that does not answer lets the request through: the form stays up. The outage is
logged once per OUTAGE_LOG_SECONDS per process, with a count of the requests let through
unchecked since the last line, and once more when the cache answers again (a 30 s Redis
outage logged one ERROR per POST: hundreds of lines that hid everything else).
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import ResolverMatch
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from screening.fhir.outcomes import outcome_response
from screening.web.addresses import client_ip

logger = logging.getLogger(__name__)

OFF = "off"
KEY_PREFIX = "ratelimit"
HASH_SALT = "screening.ratelimit"
UNIT_SECONDS = {"s": 1, "m": 60, "h": 60 * 60}
RATE_PATTERN = re.compile(r"([1-9][0-9]*)/([1-9][0-9]*)?([smh])")
INTAKE = "intake"
FHIR = "fhir"
INTAKE_SUBMIT = "intake_submit"  # intakes stored, counted by the intake views
OUTAGE_LOG_SECONDS = 60
SETTING_NAMES = {
    INTAKE: "INTAKE_RATE_LIMIT",
    FHIR: "FHIR_RATE_LIMIT",
    INTAKE_SUBMIT: "INTAKE_SUBMIT_RATE_LIMIT",
}


class CacheOutage:
    """Logs a cache outage once per OUTAGE_LOG_SECONDS, counting the rest (one per process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._unlogged = 0  # requests let through since the last line
        self._total = 0  # requests let through since the outage began
        self._last_logged: float | None = None  # None: no outage going on

    def failed(self, *, now: float) -> None:
        with self._lock:
            self._total += 1
            first = self._last_logged is None
            if not first and now - self._last_logged < OUTAGE_LOG_SECONDS:  # type: ignore[operator]
                self._unlogged += 1
                return
            unlogged, self._unlogged, self._last_logged = self._unlogged, 0, now
        if first:
            logger.exception(
                "Rate limit not checked: the cache did not answer "
                "(logged once per %s s while it lasts)",
                OUTAGE_LOG_SECONDS,
            )
        else:
            logger.error(
                "Rate limit still not checked: the cache did not answer; "
                "%s more requests let through unchecked since the last line",
                unlogged + 1,
            )

    def answered(self) -> None:
        if self._last_logged is None:  # the usual case: no lock taken
            return
        with self._lock:
            if self._last_logged is None:
                return
            total, self._total, self._unlogged, self._last_logged = self._total, 0, 0, None
        logger.warning(
            "Rate limit checked again: the cache answers; %s requests were let through "
            "unchecked during the outage",
            total,
        )


cache_outage = CacheOutage()


@dataclass(frozen=True)
class Rate:
    count: int  # requests allowed in each window
    seconds: int  # the window


@functools.lru_cache(maxsize=16)
def parse_rate(text: str) -> Rate | None:
    """'60/10m' (60 in 10 minutes), '5/s', '1000/h'; 'off' for no limit (None).
    Anything else raises ImproperlyConfigured."""
    if text == OFF:
        return None
    match = RATE_PATTERN.fullmatch(text)
    if match is None:
        raise ImproperlyConfigured(
            f"A rate limit must look like 60/10m (count/window, window in s, m or h) "
            f"or be '{OFF}', not {text!r}."
        )
    count, multiple, unit = match.groups()
    return Rate(count=int(count), seconds=int(multiple or 1) * UNIT_SECONDS[unit])


def rate_for(scope: str) -> Rate | None:
    name = SETTING_NAMES[scope]
    return parse_rate(getattr(settings, name))


PATIENT_NAMESPACES = ("screening", "reminders")  # the patient pages' URL namespaces


def scope_for(request: HttpRequest, match: ResolverMatch | None) -> str | None:
    """Which limit a request counts against, or None."""
    if request.method != "POST" or match is None:
        return None
    if match.namespace in PATIENT_NAMESPACES:
        return INTAKE
    if match.namespace == "fhir" and match.url_name == "questionnaire_response_create":
        return FHIR
    return None


def _network(address: str) -> str:
    """What one client is: the address, an IPv6 address as its /64 network."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address  # not an IP (a unix socket, a test): counted as it is
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:203.0.113.5 is 203.0.113.5
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def address_key(address: str) -> str:
    """A keyed hash of the client's address (an IPv6 address as its /64 network)."""
    return salted_hmac(HASH_SALT, _network(address)).hexdigest()[:32]


TAG_SALT = "screening.client-tag"
TAG_SECONDS = 60 * 60  # a tag links one client's submissions within one clock hour


def client_tag(request: HttpRequest, *, now: float | None = None) -> str:
    """Which client sent an intake, as 32 hex characters stored on the submission so that
    urgent escalations from one client are batched into one email
    (`reminders.scheduling`): a keyed hash of the address (as counted here) and the clock
    hour, so it never holds the address and links a client's submissions within one
    hour only."""
    hour = int(time.time() if now is None else now) // TAG_SECONDS
    address = client_ip(request) or "unknown"
    return salted_hmac(TAG_SALT, f"{_network(address)}|{hour}").hexdigest()[:32]


@dataclass(frozen=True)
class Hit:
    count: int  # requests so far in this window, this one included
    allowed: bool
    retry_after: int  # seconds until the window ends


def hit(*, scope: str, address: str, rate: Rate, now: float) -> Hit:
    """Count one request from `address` against `rate`."""
    window_start = int(now) - int(now) % rate.seconds
    key = f"{KEY_PREFIX}:{scope}:{address_key(address)}:{window_start}"
    cache.add(key, 0, timeout=rate.seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr: a new window
        cache.add(key, 1, timeout=rate.seconds)
        count = 1
    return Hit(
        count=count,
        allowed=count <= rate.count,
        retry_after=max(1, window_start + rate.seconds - int(now)),
    )


def too_many_response(
    request: HttpRequest, *, scope: str, retry_after: int, context: dict[str, Any] | None = None
) -> HttpResponse:
    if scope == FHIR:
        response = outcome_response(
            429,
            [
                (
                    "throttled",
                    f"Too many requests from this address: retry after {retry_after} seconds",
                    None,
                )
            ],
        )
    else:
        minutes = max(1, -(-retry_after // 60))
        page = {"title": _("Too many attempts from your connection"), "minutes": minutes}
        response = render(
            request, "screening/too_many_attempts.html", {**page, **(context or {})}, status=429
        )
    response["Retry-After"] = str(retry_after)
    return response


class RateLimitMiddleware:
    """Counts public POSTs (see the module docstring) and answers 429 over the limit.

    Placed after LocaleMiddleware (the page is translated) and before CsrfViewMiddleware
    (a flood without CSRF tokens is counted too)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        for scope in SETTING_NAMES:
            rate_for(scope)  # a malformed setting fails at start-up, not at a patient

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        scope = scope_for(request, request.resolver_match)
        if not scope:
            return None
        return _refusal(request, scope=scope)


def _refusal(
    request: HttpRequest, *, scope: str, context: dict[str, Any] | None = None
) -> HttpResponse | None:
    """Count the request against `scope`'s limit: the 429 response over it, else None."""
    rate = rate_for(scope)
    if rate is None:
        return None
    address = client_ip(request) or "unknown"
    try:
        result = hit(scope=scope, address=address, rate=rate, now=time.time())
    except Exception:  # the cache is down: let the patient through
        cache_outage.failed(now=time.monotonic())
        return None
    cache_outage.answered()
    if result.allowed:
        return None
    if result.count == rate.count + 1:  # once a window, not once a request
        logger.warning(
            "Rate limit reached: %s POSTs in %s s (%s, client %s); answering 429",
            rate.count,
            rate.seconds,
            scope,
            address_key(address)[:12],
        )
    return too_many_response(request, scope=scope, retry_after=result.retry_after, context=context)


def intake_store_refused(
    request: HttpRequest, *, context: dict[str, Any] | None = None
) -> HttpResponse | None:
    """Count one intake about to be stored from this client against
    INTAKE_SUBMIT_RATE_LIMIT (a red flag's early store and a send count the same): the
    429 page over the limit (nothing is stored then), else None. `context` adds to the
    page's: a red-flag intake passes where to get care today, so a patient with an
    emergency is still told where to go when their answers cannot be taken."""
    return _refusal(request, scope=INTAKE_SUBMIT, context=context)
