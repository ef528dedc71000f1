"""The incoming webhook endpoint: verify -> parse -> validate -> store -> dispatch."""

from __future__ import annotations

import ipaddress
import logging

from django.db import Error as DatabaseError  # InterfaceError too: any driver's dead link
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from ironrelay import tracing
from ironrelay.handlers import dispatch
from ironrelay.handlers.payloads import BadPayload, check_storable, parse_body
from ironrelay.handlers.sources import Source, get_source
from ironrelay.metrics import counters
from ironrelay.models import IncomingWebhook
from ironrelay.signing import Handshake, SignatureError, UrlSignedScheme, Verified

logger = logging.getLogger("ironrelay.incoming")


class BodyTooLarge(ValueError):
    """The request body is larger than the source allows."""


def _error(status: int, message: str, **extra: object) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


@method_decorator(csrf_exempt, name="dispatch")
class IncomingWebhookView(View):
    """POST /ironrelay/incoming/<source>/ for every source in IRONRELAY["SOURCES"]."""

    http_method_names = ["post", "head"]

    def head(self, request: HttpRequest, source: str) -> HttpResponse:
        """Answer a provider's unsigned URL check where its scheme needs one; 405 otherwise."""
        config = get_source(source)
        if config is None or not config.scheme.answers_head:
            return self.http_method_not_allowed(request)
        return HttpResponse(status=200)

    def post(self, request: HttpRequest, source: str) -> HttpResponse:
        config = get_source(source)
        if config is None:  # not counted: a label per made-up name would grow without bound
            return _error(404, f"unknown webhook source {source!r}")
        with tracing.span("ironrelay.incoming", **{"ironrelay.source": source}) as span:
            response = self.receive(request, config)
            tracing.set_attribute(span, "http.response.status_code", response.status_code)
        labels = {"source": source, "status": str(response.status_code)}
        counters.add(counters.WEBHOOKS_RECEIVED, labels)
        return response

    def receive(self, request: HttpRequest, config: Source) -> HttpResponse:
        """Verify, parse, validate and store one webhook of a known source; return the answer."""
        source = config.name
        try:
            body = self.read_body(request, config.max_body)
        except BodyTooLarge as exc:
            return _error(413, str(exc))
        try:
            # A SignatureError leaving the span marks it failed.
            with tracing.span("ironrelay.verify", **{"ironrelay.source": source}):
                verified = verify(request, config, body)
        except SignatureError as exc:
            logger.warning("Rejected webhook for source %r: %s", source, exc)
            counters.add(counters.SIGNATURE_FAILURES, {"source": source})
            return _error(401, f"signature verification failed: {exc}")
        try:
            payload = parse_body(body, request.content_type or "")
            check_storable(dict(request.headers), "a header")
        except BadPayload as exc:
            return _error(400, str(exc))
        handshake = config.scheme.handshake(payload, verified)
        if handshake is not None:
            return _answer(handshake)
        try:
            with tracing.span("ironrelay.handle", **{"ironrelay.source": source}):
                return self.store(request, config, payload, config.content_hash(verified, body))
        except DatabaseError:
            logger.exception("Could not store a webhook for source %r", source)
            response = _error(503, "temporarily unable to store the webhook; retry later")
            response["Retry-After"] = "10"
            return response

    def read_body(self, request: HttpRequest, limit: int) -> bytes:
        """Read at most `limit` bytes of body, or raise BodyTooLarge."""
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            raise BodyTooLarge(f"body of {declared} bytes is larger than the {limit} allowed")
        body = request.read(limit + 1)
        if len(body) > limit:
            raise BodyTooLarge(f"body is larger than the {limit} bytes allowed")
        return body

    def store(
        self, request: HttpRequest, source: Source, payload: object, content_hash: str | None
    ) -> JsonResponse:
        """Validate and store the payload, then answer the sender."""
        event, delivery_id = source.identify(payload, request.headers)
        errors = source.schemas.validate(event, payload)
        status = IncomingWebhook.Status.INVALID if errors else IncomingWebhook.Status.RECEIVED
        stored = dispatch.store(
            source=source.name,
            event=event,
            # An invalid webhook holds no dedupe key, so a corrected resend is not a repeat.
            delivery_id=None if errors else (delivery_id or None),
            content_hash=None if errors else content_hash,
            payload=payload,
            headers=source.headers_to_store(request.headers),
            remote_addr=_remote_addr(request),
            status=status,
            errors=errors,
        )
        webhook = stored.webhook
        if errors:
            logger.warning("Webhook #%s from %r failed schema validation", webhook.pk, source.name)
            return _error(422, "payload failed schema validation", id=webhook.pk, errors=errors)
        body = {"id": webhook.pk, "status": webhook.status}
        if stored.duplicate:
            return JsonResponse({**body, "duplicate": True}, status=200)
        return JsonResponse(body, status=202)


def verify(request: HttpRequest, source: Source, body: bytes) -> Verified:
    """Verify the request, giving URL-signing schemes the URL the sender called."""
    scheme = source.scheme
    if isinstance(scheme, UrlSignedScheme):
        # Behind a proxy Django may see another scheme or host: the 'url' option wins.
        url = scheme.url or request.build_absolute_uri()
        return scheme.verify(body, request.headers, url=url, method=request.method or "POST")
    return scheme.verify(body, request.headers)


def _answer(handshake: Handshake) -> HttpResponse:
    # A setup check (URL validation, ping) is answered, never stored as an event.
    if handshake.reply is None:
        return HttpResponse(status=handshake.status)
    return JsonResponse(handshake.reply, status=handshake.status)


def _remote_addr(request: HttpRequest) -> str | None:
    address = request.META.get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
