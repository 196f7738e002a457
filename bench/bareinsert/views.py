"""The baseline view: parse one field, INSERT one row, answer 204."""

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bench.bareinsert.models import BareRow


@csrf_exempt  # a bare baseline: no session and no form, so no CSRF token to check
@require_POST
def insert(request: HttpRequest) -> HttpResponse:
    key = request.POST.get("key", "")
    if not key:
        return HttpResponseBadRequest()
    BareRow.objects.create(key=key)
    return HttpResponse(status=204)
