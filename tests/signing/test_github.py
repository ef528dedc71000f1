"""GitHub: X-Hub-Signature-256 and GitHub's published test vector."""

from __future__ import annotations

import pytest

from ironrelay.signing import GitHubScheme, MalformedSignature, MissingSignature

# https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
SECRET = "It's a Secret to Everybody"
PAYLOAD = b"Hello, World!"
SIGNATURE = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_github_sign_published_vector_matches() -> None:
    assert GitHubScheme([SECRET]).sign(PAYLOAD) == {"X-Hub-Signature-256": f"sha256={SIGNATURE}"}


def test_github_verify_published_vector_passes() -> None:
    headers = {"X-Hub-Signature-256": f"sha256={SIGNATURE}"}
    verified = GitHubScheme(["other secret", SECRET]).verify(PAYLOAD, headers)
    assert verified.scheme == "github"
    assert verified.secret_index == 1
    assert verified.timestamp is None


def test_github_verify_uppercase_hex_passes() -> None:
    headers = {"x-hub-signature-256": f"sha256={SIGNATURE.upper()}"}
    assert GitHubScheme([SECRET]).verify(PAYLOAD, headers).secret_index == 0


def test_github_verify_sha1_header_only_raises_missing() -> None:
    headers = {"X-Hub-Signature": "sha1=" + "0" * 40}
    with pytest.raises(MissingSignature, match="X-Hub-Signature-256 header is missing"):
        GitHubScheme([SECRET]).verify(PAYLOAD, headers)


@pytest.mark.parametrize(
    "value",
    [SIGNATURE, f"sha1={SIGNATURE}", f"sha256={SIGNATURE[:-2]}", f"sha256={SIGNATURE}00"],
)
def test_github_verify_bad_format_raises_malformed(value: str) -> None:
    with pytest.raises(MalformedSignature):
        GitHubScheme([SECRET]).verify(PAYLOAD, {"X-Hub-Signature-256": value})
