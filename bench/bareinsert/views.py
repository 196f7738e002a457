"""The baseline views: parse one field, INSERT one row, answer 204 (bench_submit); and a
staff page that reads nothing of its own (bench_queue: what any signed-in staff page costs
before its own queries and template)."""

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bench.bareinsert.models import BareRow
from screening.accounts.access import StaffRequest
from screening.accounts.permissions import staff_view


@csrf_exempt  # a bare baseline: no session and no form, so no CSRF token to check
@require_POST
def insert(request: HttpRequest) -> HttpResponse:
    key = request.POST.get("key", "")
    if not key:
        return HttpResponseBadRequest()
    BareRow.objects.create(key=key)
    return HttpResponse(status=204)


@staff_view("screening.view_queue")
def staff(request: StaffRequest) -> HttpResponse:
    """The queue's decorators (session, user, second factor, permission) and nothing else."""
    return HttpResponse("ok", content_type="text/plain")
