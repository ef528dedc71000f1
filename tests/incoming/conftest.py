from __future__ import annotations

import json
from typing import Any

import pytest

from ironrelay.handlers.sources import get_source


@pytest.fixture
def post_webhook(client):
    """POST to the incoming endpoint; signs the body with the source's first secret unless told."""

    def post(
        source: str,
        payload: Any = None,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        sign: bool = True,
        content_type: str = "application/json",
    ):
        raw = body if body is not None else json.dumps(payload).encode()
        signed = {}
        config = get_source(source)
        if sign and config is not None:
            signed = config.scheme.sign(raw, msg_id="msg_test_1")
        return client.post(
            f"/ironrelay/incoming/{source}/",
            data=raw,
            content_type=content_type,
            headers={**signed, **(headers or {})},
        )

    return post
