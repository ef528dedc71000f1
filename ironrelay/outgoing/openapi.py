"""The event catalog as an OpenAPI 3.1 document: one `webhooks` entry per event type."""

from __future__ import annotations

from typing import Any

from ironrelay.outgoing.catalog import EventType, event_catalog

SIGNATURE_HEADERS = [
    ("webhook-id", "The message id: the same for every retry, so receivers can deduplicate."),
    ("webhook-timestamp", "Seconds since the epoch when this attempt was signed."),
    (
        "webhook-signature",
        "Space-separated Standard Webhooks signatures (v1,<base64 HMAC-SHA256>; v1a with an "
        "Ed25519 key) of '<webhook-id>.<webhook-timestamp>.<body>'.",
    ),
]


def openapi_document(title: str = "Webhooks", version: str = "1") -> dict[str, Any]:
    """Return an OpenAPI 3.1 document describing every event the site sends."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "Events sent as signed POST requests (Standard Webhooks) to the "
            "endpoints subscribed to them. Every body is {type, timestamp, data}.",
        },
        "webhooks": {entry.name: {"post": _operation(entry)} for entry in event_catalog().values()},
    }


def _operation(entry: EventType) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": envelope_schema(entry)}
    if entry.example is not None:
        media["example"] = {
            "type": entry.name,
            "timestamp": "2026-01-31T12:00:00Z",
            "data": entry.example,
        }
    operation: dict[str, Any] = {
        "operationId": entry.name,
        "summary": entry.description or entry.name,
        "parameters": [
            {
                "name": name,
                "in": "header",
                "required": True,
                "description": text,
                "schema": {"type": "string"},
            }
            for name, text in SIGNATURE_HEADERS
        ],
        "requestBody": {"required": True, "content": {"application/json": media}},
        "responses": {
            "2XX": {"description": "Received. Any other answer is retried on a schedule."},
            "410": {"description": "Gone: the endpoint is disabled and receives nothing more."},
        },
    }
    if entry.deprecated:
        operation["deprecated"] = True
    return operation


def envelope_schema(entry: EventType) -> dict[str, Any]:
    """Return the JSON Schema of the whole body of an event: type, timestamp and data."""
    data = entry.schema if entry.schema is not None else {"description": "Not described."}
    return {
        "type": "object",
        "required": ["type", "timestamp", "data"],
        "properties": {
            "type": {"const": entry.name},
            "timestamp": {"type": "string", "format": "date-time"},
            "data": data,
        },
    }
