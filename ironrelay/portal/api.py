"""The portal's JSON API: the pages' operations for single-page apps, one tenant at a time."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from ironrelay.models import Delivery
from ironrelay.portal import events, operations, serializers
from ironrelay.portal.api_access import BadRequest, api_view, error, json_body
from ironrelay.portal.forms import ApiEndpointForm, RecoverForm, TestEventForm
from ironrelay.portal.openapi import document
from ironrelay.portal.scope import TenantScope

PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


@require_GET
def openapi(request: HttpRequest) -> JsonResponse:
    """Serve the OpenAPI document of this API."""
    return JsonResponse(document(request.path.rsplit("/", 1)[0]))


@api_view("GET")
def event_types(request: HttpRequest, scope: TenantScope) -> JsonResponse:
    return JsonResponse({"data": events.catalog()})


@api_view("GET", "POST")
def endpoints(request: HttpRequest, scope: TenantScope) -> JsonResponse:
    if request.method == "GET":
        found = scope.endpoints().order_by("id")
        return JsonResponse({"data": [serializers.endpoint_json(e) for e in found]})
    form = ApiEndpointForm(json_body(request, "EndpointInput"), instance=scope.new_endpoint())
    if not form.is_valid():
        raise BadRequest("The endpoint is not valid.", _fields(form))
    return JsonResponse(serializers.endpoint_json(form.save()), status=201)


@api_view("GET", "PATCH", "DELETE")
def endpoint(request: HttpRequest, scope: TenantScope, pk: str) -> JsonResponse:
    found = scope.endpoint(pk)
    if request.method == "DELETE":
        found.delete()
        return JsonResponse({"deleted": True})
    if request.method == "PATCH":
        current = {"url": found.url, "description": found.description}
        current["event_types"] = list(found.event_types)
        form = ApiEndpointForm({**current, **json_body(request, "EndpointPatch")}, instance=found)
        if not form.is_valid():
            raise BadRequest("The endpoint is not valid.", _fields(form))
        found = form.save_changes()
    return JsonResponse(serializers.endpoint_json(found))


@api_view("POST")
def secret(request: HttpRequest, scope: TenantScope, pk: str) -> JsonResponse:
    """Reveal the signing secret: a POST, so it is never cached, prefetched or logged as a URL."""
    found = scope.endpoint(pk)
    response = JsonResponse({"secret": found.secret})
    response["Cache-Control"] = "no-store"
    return response


@api_view("POST")
def secret_rotate(request: HttpRequest, scope: TenantScope, pk: str) -> JsonResponse:
    found = scope.endpoint(pk)
    operations.rotate_secret(found)
    return JsonResponse(serializers.endpoint_json(found))


@api_view("POST")
def enable(request: HttpRequest, scope: TenantScope, pk: str) -> JsonResponse:
    found = scope.endpoint(pk)
    operations.enable(found)
    return JsonResponse(serializers.endpoint_json(found))


@api_view("POST")
def disable(request: HttpRequest, scope: TenantScope, pk: str) -> JsonResponse:
    found = scope.endpoint(pk)
    operations.disable(found)
    return JsonResponse(serializers.endpoint_json(found))


@api_view("POST")
def send_test(request: HttpRequest, scope: TenantScope, pk: str) -> JsonResponse:
    found = scope.endpoint(pk)
    form = TestEventForm(json_body(request, "TestEvent", required=False))
    if not form.is_valid():
        raise BadRequest("The test event is not valid.", _fields(form))
    try:
        delivery = operations.send_test(found, form.cleaned_data["event_type"])
    except operations.EndpointDisabled as exc:
        return error(409, str(exc))
    return JsonResponse(serializers.delivery_json(delivery), status=202)


@api_view("POST")
def recover(request: HttpRequest, scope: TenantScope, pk: str) -> JsonResponse:
    found = scope.endpoint(pk)
    form = RecoverForm(json_body(request, "Recover"))
    if not form.is_valid():
        raise BadRequest("Give the time to recover from as since.", _fields(form))
    try:
        done = operations.recover(found, scope.deliveries(found), form.cleaned_data["since"])
    except operations.EndpointDisabled as exc:
        return error(409, str(exc))
    body = {"queued": done.queued, "since": serializers.time(done.since), "more": done.more}
    return JsonResponse(body, status=202)


@api_view("GET")
def deliveries(request: HttpRequest, scope: TenantScope, pk: str) -> JsonResponse:
    found = scope.endpoint(pk)
    rows = scope.deliveries(found).order_by("-id")
    status = request.GET.get("status", "")
    if status:
        if status not in Delivery.Status.values:
            raise BadRequest(f"status is one of {', '.join(Delivery.Status.values)}.")
        rows = rows.filter(status=status)
    before = _positive(request, "before", None)
    if before is not None:
        rows = rows.filter(id__lt=before)
    limit = min(_positive(request, "limit", PAGE_SIZE) or PAGE_SIZE, MAX_PAGE_SIZE)
    page = list(rows[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return JsonResponse(
        {
            "data": [serializers.delivery_json(d) for d in page],
            "next_before": page[-1].pk if more else None,
        }
    )


@api_view("GET")
def delivery(request: HttpRequest, scope: TenantScope, pk: str, delivery_pk: str) -> JsonResponse:
    found = scope.delivery(scope.endpoint(pk), delivery_pk)
    return JsonResponse(serializers.delivery_detail_json(found))


@api_view("POST")
def redeliver(request: HttpRequest, scope: TenantScope, pk: str, delivery_pk: str) -> JsonResponse:
    found = scope.delivery(scope.endpoint(pk), delivery_pk)
    try:
        operations.redeliver(found)
    except (operations.EndpointDisabled, operations.DeliveryInProgress) as exc:
        return error(409, str(exc))
    found.refresh_from_db()
    return JsonResponse(serializers.delivery_json(found), status=202)


def _positive(request: HttpRequest, name: str, default: int | None) -> int | None:
    raw = request.GET.get(name, "")
    if raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) < 2**63:
        raise BadRequest(f"{name} must be a positive integer.")
    return int(raw)


def _fields(form: object) -> dict[str, list[str]]:
    errors = getattr(form, "errors", {})
    return {name: [str(m) for m in messages] for name, messages in errors.items()}
