"""Slack: X-Slack-Signature v0=<hex> over v0:<timestamp>:<body>, with Slack's documented example."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ironrelay.signing import MalformedSignature, MissingSignature, SlackScheme

# https://api.slack.com/authentication/verifying-requests-from-slack (worked example)
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TIMESTAMP = 1531420618
BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    b"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
    b"%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
SIGNED_AT = datetime.fromtimestamp(TIMESTAMP, tz=timezone.utc)
HEADERS = {"X-Slack-Request-Timestamp": str(TIMESTAMP), "X-Slack-Signature": SIGNATURE}


def test_slack_sign_documented_example_matches() -> None:
    assert SlackScheme([SECRET]).sign(BODY, now=SIGNED_AT) == HEADERS


def test_slack_verify_documented_example_passes() -> None:
    verified = SlackScheme([SECRET]).verify(BODY, HEADERS, now=SIGNED_AT)
    assert (verified.scheme, verified.secret_index, verified.timestamp) == ("slack", 0, SIGNED_AT)


def test_slack_verify_missing_timestamp_header_raises_missing() -> None:
    headers = {"X-Slack-Signature": SIGNATURE}
    with pytest.raises(MissingSignature, match="X-Slack-Request-Timestamp"):
        SlackScheme([SECRET]).verify(BODY, headers, now=SIGNED_AT)


@pytest.mark.parametrize("value", [SIGNATURE[3:], "v1=" + SIGNATURE[3:], SIGNATURE + "0"])
def test_slack_verify_bad_signature_format_raises_malformed(value: str) -> None:
    headers = {**HEADERS, "X-Slack-Signature": value}
    with pytest.raises(MalformedSignature):
        SlackScheme([SECRET]).verify(BODY, headers, now=SIGNED_AT)
