"""How an API call finds its tenant: a bearer token, or the session with a CSRF token."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.views.decorators.csrf import csrf_exempt
from jsonschema import Draft202012Validator

from ironrelay.conf import SettingError
from ironrelay.crypto import SecretUnreadable
from ironrelay.portal.access import (
    UNREADABLE,
    InvalidToken,
    bearer_token,
    session_scope,
    token_scope,
)
from ironrelay.portal.openapi import SCHEMAS
from ironrelay.portal.scope import TenantScope

ApiView = Callable[..., HttpResponse]
MAX_BODY = 64 * 1024
_csrf = CsrfViewMiddleware(lambda request: HttpResponse())


class BadRequest(Exception):
    """The request body or query is not what the operation takes (400)."""

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


def error(status: int, message: str, fields: dict[str, list[str]] | None = None) -> JsonResponse:
    """Return the API's error document."""
    body: dict[str, Any] = {"error": message}
    if fields:
        body["fields"] = fields
    return JsonResponse(body, status=status)


def json_body(request: HttpRequest, schema: str, required: bool = True) -> dict[str, Any]:
    """Return the JSON body if the document's `schema` takes it, else raise BadRequest."""
    if len(request.body) > MAX_BODY:
        raise BadRequest(f"The body is larger than {MAX_BODY} bytes.")
    if not request.body.strip():
        if required:
            raise BadRequest("This call needs a JSON object body.")
        return {}
    try:
        data = json.loads(request.body)
    except (ValueError, RecursionError):
        raise BadRequest("The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.")
    problems: dict[str, list[str]] = {}
    for problem in Draft202012Validator(SCHEMAS[schema]).iter_errors(data):
        where = ".".join(str(part) for part in problem.absolute_path) or "body"
        problems.setdefault(where[:100], []).append(problem.message[:300])
    if problems:
        raise BadRequest("The body does not match the API's schema.", problems)
    return data


def api_view(*methods: str) -> Callable[[ApiView], ApiView]:
    """Serve `methods` of an API route to the request's tenant; errors are JSON, never 500s."""
    allowed = set(methods)

    def decorate(view: ApiView) -> ApiView:
        @csrf_exempt  # checked below, unless a bearer token (no cookie) authenticates the call
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in allowed:
                response = error(405, f"{request.method} is not allowed here.")
                response["Allow"] = ", ".join(sorted(allowed))
                return response
            # Sets the csrftoken cookie _scope asked for, as ensure_csrf_cookie does: without
            # CsrfViewMiddleware nothing else would (a no-op when the middleware already did).
            return _csrf.process_response(request, respond(request, *args, **kwargs))

        def respond(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                scope = _scope(request)
                if isinstance(scope, HttpResponse):
                    return scope
                return view(request, scope, *args, **kwargs)
            except InvalidToken as exc:
                response = error(401, str(exc))
                response["WWW-Authenticate"] = 'Bearer realm="webhooks"'
                return response
            except SettingError:
                raise  # the project's mistake: a 500 that names the setting
            except PermissionDenied as exc:
                return error(403, str(exc) or "Forbidden.")
            except Http404 as exc:
                return error(404, str(exc) or "Not found.")
            except BadRequest as exc:
                return error(400, str(exc), exc.fields)
            except SecretUnreadable:
                return error(409, UNREADABLE)

        return wrapped

    return decorate


def _scope(request: HttpRequest) -> TenantScope | HttpResponse:
    token = bearer_token(request)
    if token is not None:
        return token_scope(token)
    scope = session_scope(request)
    _csrf.process_request(request)  # reads the cookie, as the middleware would (it may be absent)
    get_token(request)  # a single-page app reads the csrftoken cookie this sets
    rejected = _csrf.process_view(request, None, (), {})
    if rejected is not None:
        return error(403, "CSRF check failed: send the csrftoken cookie's value as X-CSRFToken.")
    return scope
