"""Response headers that keep patient data out of caches and out of other pages' logs.

- `Cache-Control: no-store` on every response the app makes: the patient pages hold
  names, dates of birth and symptoms, the staff pages and the admin patient records,
  the FHIR API whole submissions. Without it a browser may keep a page on disk and show
  it again with Back on a shared computer (a waiting-room tablet, a clinic PC after
  sign-out), and a proxy may cache it. One rule for every response, so a new view
  cannot forget it; views that set `no-store` themselves keep it. Static files are
  served by whitenoise before this middleware and keep their long-term caching.
- `Referrer-Policy: strict-origin` on the pages a link in an email opens
  (EMAIL_LINK_PAGES): their URL carries the link's signed token, which must not leave in
  a `Referer` header, not even to our own next page or the request log; `strict-origin`
  sends the site's origin only, never the path. Not `no-referrer`: under it a browser
  sends `Origin: null` with the page's own form POST, and Django's CSRF check refuses it
  (403), so a patient could not send the follow-up form or resume (browser tests). Every other
  page keeps SECURE_REFERRER_POLICY (`same-origin`). SecurityMiddleware sets that only
  where no header is set yet, so this middleware comes after it in MIDDLEWARE.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control

# URL names (namespace:name) of the pages a link in an email opens.
# The origin only, never the path that holds the token; see the module docstring.
EMAIL_LINK_REFERRER_POLICY = "strict-origin"

EMAIL_LINK_PAGES = frozenset(
    {
        "screening:intake_resume",
        "screening:follow_up",
        "screening:follow_up_urgent",
        "screening:message",
        "screening:message_read",
        "reminders:unsubscribe",
    }
)


class PrivateResponseHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        patch_cache_control(response, no_store=True)
        match = request.resolver_match
        if match is not None and match.view_name in EMAIL_LINK_PAGES:
            response.headers["Referrer-Policy"] = EMAIL_LINK_REFERRER_POLICY
        return response
