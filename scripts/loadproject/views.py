"""The baseline load.py compares the webhook endpoint with."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tests.testapp.models import Execution


@csrf_exempt
@require_POST
def bare_insert(request: HttpRequest) -> HttpResponse:
    """Insert one row and answer 200: the least a Django view that stores something does."""
    Execution.objects.create(label="bare")
    return HttpResponse("ok")
