"""What makes an incoming webhook a repeat: the sender's delivery id or its signed content."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from ironrelay.signing import Scheme, Verified

# A repeat is a request whose delivery id (read from the source's id places) was seen before.
DELIVERY_ID = "delivery_id"
# A repeat is a request whose signed bytes hash to a digest seen before.
CONTENT = "content"
MODES = (CONTENT, DELIVERY_ID)


def id_is_signed(scheme: Scheme, id_places: Sequence[tuple[str, str]]) -> bool:
    """Return whether the signature covers every place the delivery id is read from."""
    if not id_places:
        return False
    headers = scheme.signed_headers()
    return all(
        scheme.signs_body if kind == "json" else name.lower() in headers for kind, name in id_places
    )


def default_mode(scheme: Scheme, id_places: Sequence[tuple[str, str]]) -> str:
    """Return CONTENT where a signed body is bounded by neither a signed id nor a signed time."""
    if scheme.signs_body and not scheme.signs_timestamp() and not id_is_signed(scheme, id_places):
        return CONTENT
    return DELIVERY_ID


def content_hash(verified: Verified, body: bytes) -> str:
    """Return the digest of the signed content, or of the body when the scheme signs none."""
    # A shared token or "none" covers no content; a custom scheme may not report it.
    return verified.content_digest or hashlib.sha256(body).hexdigest()
