"""Check Postmark's HTTP basic auth credentials; Postmark signs nothing."""

from __future__ import annotations

import base64
import hmac
from collections.abc import Mapping
from datetime import datetime

from .base import Scheme, Verified, check_text_option, lowercase_headers, require_header
from .encoding import decode_base64, to_utf8
from .exceptions import InvalidSignature, MalformedSignature

HEADER = "Authorization"


class PostmarkScheme(Scheme):
    """Compare basic auth (``username`` option, a secret as password) in constant time."""

    name = "postmark"
    options = frozenset({"username"})
    required_options = frozenset({"username"})
    # A password proves the sender; the body, headers and time are not signed.
    signs_body = False

    def configure(self, *, username: str) -> None:
        """Set the user name Postmark puts in the webhook URL's credentials."""
        self.username = check_text_option(username, label=f"{self.name} option 'username'")
        if ":" in username:
            raise ValueError(f"{self.name} option 'username' must not contain ':'")
        self._username = to_utf8(username, what=f"{self.name} option 'username'")

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
    ) -> Verified:
        """Check the Authorization header's user name and password against every secret."""
        value = require_header(lowercase_headers(headers), HEADER)
        kind, _, encoded = value.partition(" ")
        if kind.lower() != "basic" or not encoded.strip():
            raise MalformedSignature(f"{HEADER} header is not Basic credentials")
        user, colon, password = decode_base64(encoded.strip(), what=f"{HEADER} header").partition(
            b":"
        )
        if not colon:
            raise MalformedSignature(f"{HEADER} header credentials are not user:password")
        user_ok = hmac.compare_digest(user, self._username)
        for index, key in enumerate(self._keys):
            if hmac.compare_digest(password, key) and user_ok:
                return Verified(self.name, index)
        raise InvalidSignature(f"{HEADER} credentials match none of the configured secrets")

    def sign(
        self, body: bytes, *, now: datetime | None = None, msg_id: str | None = None
    ) -> dict[str, str]:
        """Return the Authorization header Postmark sends for the first password."""
        credentials = self._username + b":" + self._keys[0]
        return {HEADER: "Basic " + base64.b64encode(credentials).decode("ascii")}
