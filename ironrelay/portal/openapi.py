"""The OpenAPI 3.1 document of the portal API; its request schemas also check request bodies."""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings

# An event type, a prefix pattern ("shop.order.*") or "*": what pattern_error() accepts.
EVENT_PATTERN = r"^(\*|[^\s,\[\]{}\"'*\u0000-\u001f\u007f]+(\.\*)?)$"
_TIME = {"type": "string", "format": "date-time"}
_TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_HEADERS = {"type": "object", "additionalProperties": {"type": "string"}}
_CUSTOM_HEADERS = {
    "type": "object",
    "maxProperties": 20,
    "propertyNames": {"pattern": "^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$"},
    "additionalProperties": {"type": "string", "maxLength": 4000},
    "description": "Sent with every delivery (for example your receiver's own auth header). "
    "Replaces the stored headers; read back with values masked.",
}
_EVENT_TYPES = {
    "type": "array",
    "maxItems": 100,
    "items": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": EVENT_PATTERN},
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "array"}},
        },
    },
    "EndpointInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["url"],
        "properties": {
            "url": {"type": "string", "format": "uri", "maxLength": 2000},
            "description": {"type": "string", "maxLength": 255},
            "event_types": _EVENT_TYPES,
            "custom_headers": _CUSTOM_HEADERS,
        },
    },
    "EndpointPatch": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "url": {"type": "string", "format": "uri", "maxLength": 2000},
            "description": {"type": "string", "maxLength": 255},
            "event_types": _EVENT_TYPES,
            "custom_headers": _CUSTOM_HEADERS,
        },
    },
    "Endpoint": {
        "type": "object",
        "required": ["id", "url", "description", "event_types", "is_active", "masked_secret"],
        "properties": {
            "id": {"type": "integer"},
            "url": {"type": "string"},
            "description": {"type": "string"},
            "event_types": {"type": "array", "items": {"type": "string"}},
            "is_active": {"type": "boolean"},
            "disabled_reason": {"type": "string"},
            "masked_secret": {"type": ["string", "null"]},  # null: unreadable with the keys
            "custom_headers": {**_HEADERS, "type": ["object", "null"]},
            "created_at": _TIME,
            "updated_at": _TIME,
        },
    },
    "EndpointList": {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/Endpoint"}}
        },
    },
    "Secret": {
        "type": "object",
        "required": ["secret"],
        "properties": {"secret": {"type": "string", "pattern": "^whsec_"}},
    },
    "Deleted": {
        "type": "object",
        "required": ["deleted"],
        "properties": {"deleted": {"const": True}},
    },
    "TestEvent": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"event_type": {"type": "string", "maxLength": 255}},
    },
    "Recover": {
        "type": "object",
        "additionalProperties": False,
        "required": ["since"],
        "properties": {"since": _TIME},
    },
    "Recovered": {
        "type": "object",
        "required": ["queued", "since", "more"],
        "properties": {
            "queued": {"type": "integer", "minimum": 0, "maximum": 1000},
            "since": _TIME,  # the time asked for, or 30 days ago if that is later
            "more": {"type": "boolean"},  # failed deliveries remain: call again
        },
    },
    "Delivery": {
        "type": "object",
        "required": ["id", "message_id", "event_type", "status", "attempts"],
        "properties": {
            "id": {"type": "integer"},
            "message_id": {"type": "string"},
            "event_type": {"type": "string"},
            "status": {"enum": ["pending", "delivered", "failed"]},
            "attempts": {"type": "integer", "minimum": 0},
            "created_at": _TIME,
            "last_attempt_at": _TIME_OR_NULL,
            "next_attempt_at": _TIME_OR_NULL,
            "last_status_code": {"type": ["integer", "null"]},
            "last_error": {"type": "string"},
        },
    },
    "DeliveryList": {
        "type": "object",
        "required": ["data", "next_before"],
        "properties": {
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/Delivery"}},
            "next_before": {"type": ["integer", "null"]},
        },
    },
    "Attempt": {
        "type": "object",
        "required": ["number", "at", "status_code", "error"],
        "properties": {
            "number": {"type": "integer"},
            "at": _TIME,
            "url": {"type": "string"},
            "request_headers": _HEADERS,
            "status_code": {"type": ["integer", "null"]},
            "response_headers": _HEADERS,
            "response_body": {"type": "string"},
            "duration_ms": {"type": "number"},
            "error": {"type": "string"},
        },
    },
    "DeliveryDetail": {
        "allOf": [
            {"$ref": "#/components/schemas/Delivery"},
            {
                "type": "object",
                "required": ["payload", "attempt_log"],
                "properties": {
                    "payload": {},
                    "attempt_log": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Attempt"},
                    },
                },
            },
        ]
    },
    "EventType": {
        "type": "object",
        "required": ["name", "description", "schema", "example", "deprecated"],
        "properties": {
            "name": {"type": "string"},
            "description": {"type": "string"},
            "schema": {"type": ["object", "null"]},
            "example": {},
            "deprecated": {"type": "boolean"},
        },
    },
    "EventTypeList": {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/EventType"}}
        },
    },
}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


def _body(name: str, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": _ref(name)}}}


_ERRORS = {
    "401": _json("Error", "The bearer token is expired or not valid."),
    "403": _json("Error", "No tenant for this request, or the CSRF check failed."),
}
_NOT_FOUND = {"404": _json("Error", "No such endpoint or delivery for this tenant.")}
_BAD = {"400": _json("Error", "The body or query is not valid.")}
_DISABLED = {"409": _json("Error", "The endpoint is disabled.")}
_UNREADABLE = {"409": _json("Error", "The secret cannot be read with the site's keys.")}
_ENDPOINT_ID = {
    "name": "endpoint_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer"},
}
_DELIVERY_ID = {
    "name": "delivery_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer"},
}


def _op(op_id: str, summary: str, responses: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"operationId": op_id, "summary": summary, "responses": {**responses, **_ERRORS}, **more}


def _endpoint_action(op_id: str, summary: str, ok: dict[str, Any]) -> dict[str, Any]:
    return {"post": _op(op_id, summary, {**ok, **_NOT_FOUND})}


def paths() -> dict[str, Any]:
    """Return the API's paths, relative to where the API is mounted."""
    endpoint_ok = {"200": _json("Endpoint", "The endpoint.")}
    return {
        "/event-types": {
            "get": _op(
                "listEventTypes",
                "The event types endpoints may subscribe to",
                {"200": _json("EventTypeList", "The event catalog.")},
            )
        },
        "/endpoints": {
            "get": _op(
                "listEndpoints",
                "This tenant's endpoints",
                {"200": _json("EndpointList", "The endpoints.")},
            ),
            "post": _op(
                "createEndpoint",
                "Add an endpoint",
                {"201": _json("Endpoint", "The new endpoint."), **_BAD},
                requestBody=_body("EndpointInput"),
            ),
        },
        "/endpoints/{endpoint_id}": {
            "parameters": [_ENDPOINT_ID],
            "get": _op("getEndpoint", "One endpoint", {**endpoint_ok, **_NOT_FOUND}),
            "patch": _op(
                "updateEndpoint",
                "Change an endpoint's URL, description or event types",
                {**endpoint_ok, **_BAD, **_NOT_FOUND},
                requestBody=_body("EndpointPatch"),
            ),
            "delete": _op(
                "deleteEndpoint",
                "Delete an endpoint with its deliveries",
                {"200": _json("Deleted", "Deleted."), **_NOT_FOUND},
            ),
        },
        "/endpoints/{endpoint_id}/secret": {
            "parameters": [_ENDPOINT_ID],
            **_endpoint_action(
                "revealSecret",
                "Reveal the signing secret",
                {"200": _json("Secret", "The secret."), **_UNREADABLE},
            ),
        },
        "/endpoints/{endpoint_id}/secret/rotate": {
            "parameters": [_ENDPOINT_ID],
            **_endpoint_action(
                "rotateSecret", "Make a new secret; the old one signs a while longer", endpoint_ok
            ),
        },
        "/endpoints/{endpoint_id}/enable": {
            "parameters": [_ENDPOINT_ID],
            **_endpoint_action("enableEndpoint", "Deliver to the endpoint again", endpoint_ok),
        },
        "/endpoints/{endpoint_id}/disable": {
            "parameters": [_ENDPOINT_ID],
            **_endpoint_action("disableEndpoint", "Stop delivering to the endpoint", endpoint_ok),
        },
        "/endpoints/{endpoint_id}/test": {
            "parameters": [_ENDPOINT_ID],
            "post": _op(
                "sendTestEvent",
                "Queue a test event to this endpoint",
                {
                    "202": _json("Delivery", "The queued delivery."),
                    **_BAD,
                    **_NOT_FOUND,
                    **_DISABLED,
                },
                requestBody=_body("TestEvent", required=False),
            ),
        },
        "/endpoints/{endpoint_id}/recover": {
            "parameters": [_ENDPOINT_ID],
            "post": _op(
                "recoverFailed",
                "Redeliver failed deliveries since a time (30 days at most, 1,000 per call)",
                {
                    "202": _json("Recovered", "How many were queued."),
                    **_BAD,
                    **_NOT_FOUND,
                    **_DISABLED,
                },
                requestBody=_body("Recover"),
            ),
        },
        "/endpoints/{endpoint_id}/deliveries": {
            "parameters": [_ENDPOINT_ID],
            "get": _op(
                "listDeliveries",
                "The endpoint's message log, newest first",
                {"200": _json("DeliveryList", "A page of deliveries."), **_BAD, **_NOT_FOUND},
                parameters=[
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"enum": ["pending", "delivered", "failed"]},
                    },
                    {"name": "before", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                    },
                ],
            ),
        },
        "/endpoints/{endpoint_id}/deliveries/{delivery_id}": {
            "parameters": [_ENDPOINT_ID, _DELIVERY_ID],
            "get": _op(
                "getDelivery",
                "One delivery with its payload and every attempt",
                {"200": _json("DeliveryDetail", "The delivery."), **_NOT_FOUND},
            ),
        },
        "/endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver": {
            "parameters": [_ENDPOINT_ID, _DELIVERY_ID],
            "post": _op(
                "redeliver",
                "Queue one more attempt of a failed or delivered delivery",
                {
                    "202": _json("Delivery", "The delivery."),
                    **_NOT_FOUND,
                    "409": _json("Error", "The endpoint is disabled or the delivery is pending."),
                },
            ),
        },
    }


def document(server_url: str = "") -> dict[str, Any]:
    """Return the OpenAPI document, its server the URL the API is mounted at."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Webhooks portal API",
            "version": "1",
            "description": "Manage your webhook endpoints, their secrets and deliveries. "
            "Authenticate with the site's session (send the CSRF token as X-CSRFToken) or "
            "with a bearer token the site issued.",
        },
        "servers": [{"url": server_url or "/"}],
        "security": [{"session": []}, {"bearer": []}],
        "paths": paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": django_settings.SESSION_COOKIE_NAME,
                },
                "bearer": {"type": "http", "scheme": "bearer"},
            },
        },
    }
