"""The client's address, read in one place for the audit log, sign-in and the rate limits.

It is REMOTE_ADDR. Behind a reverse proxy that is the proxy's address unless the proxy
passes the client's through the PROXY protocol (docs/production.md); a client-supplied
X-Forwarded-For header is never trusted here.
"""

from __future__ import annotations

from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from, or None when the server gave none."""
    return request.META.get("REMOTE_ADDR") or None
