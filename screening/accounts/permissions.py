"""Who may open a staff page.

Every view under /staff/ is wrapped in `staff_view(permission)`: anonymous users and
staff without a verified second factor go to the login page; a signed-in user without
the permission gets 403. Access to one patient's record goes through `screening.accounts.access`,
which answers 404 and writes the audit event.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

View = Callable[..., HttpResponseBase]


def is_verified(request: HttpRequest) -> bool:
    """Signed in and past the second factor (django-otp's OTPMiddleware sets is_verified)."""
    user = request.user
    # OTPMiddleware gives every request's user is_verified(); django-stubs' User has none.
    return user.is_authenticated and user.is_active and user.is_verified()  # type: ignore[attr-defined]


def staff_view(permission: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not is_verified(request):
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if not request.user.has_perm(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        # A function attribute (mypy knows none), read by the URL-walk test.
        wrapper.staff_permission = permission  # type: ignore[attr-defined]
        return wrapper

    return decorator
