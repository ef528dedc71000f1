"""Exceptions raised when an incoming webhook fails signature verification."""

from __future__ import annotations


class SignatureError(Exception):
    """Reject a webhook whose signature cannot be accepted."""


class MissingSignature(SignatureError):
    """Reject a request that lacks a required signature header."""


class MalformedSignature(SignatureError):
    """Reject a signature header that is present but cannot be parsed."""


class InvalidSignature(SignatureError):
    """Reject a signature that matches none of the configured secrets or keys."""


class TimestampOutOfTolerance(SignatureError):
    """Reject a signed timestamp that is too old or too far in the future."""
