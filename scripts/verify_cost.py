"""Print verifications per second of a 10 KiB body for every registered signing scheme.

Usage: python scripts/verify_cost.py [--size BYTES] [--seconds S] [--repeat N]

Each figure is the best of N timed runs: on a shared machine other work only ever slows a run.

Iterates ironrelay.signing.SCHEMES, so schemes added later are measured too. Each is built
from the options it declares: a secret, its required options, a ``url`` for URL-signing
schemes, and a freshly generated key pair (P-256 or Ed25519, whichever it loads) for schemes
verified with a public key. One that cannot be built is listed as skipped with the reason.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

ROOT = Path(__file__).resolve().parent.parent
# First, not just present: the editable install appends ROOT after site-packages, where a
# provider SDK ships a top-level `tests` package that would shadow ours.
if sys.path[0] != str(ROOT):  # run as `python scripts/verify_cost.py`
    sys.path.insert(0, str(ROOT))

from ironrelay.signing import (  # noqa: E402
    SCHEMES,
    Scheme,
    StandardScheme,
    generate_ed25519_keypair,
    generate_secret,
)

NOW = datetime.now(timezone.utc)
SECRET = "bench-secret-3f9a1c"
URL = "https://hooks.example.com/ironrelay/incoming/bench/"


def _standard_v1a(scheme: type[Scheme]) -> Scheme:
    private, public = generate_ed25519_keypair()
    return scheme(public_keys=[public], private_keys=[private])


def _p256_pair() -> dict[str, str]:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    der = private.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return {"private_key": pem, "public_key": base64.b64encode(der).decode()}


def _ed25519_pair() -> dict[str, str]:
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"private_key": seed.hex(), "public_key": public.hex()}


# name -> builders of configured instances (label suffix, builder), for schemes worth measuring
# in more than one configuration; the others are built by ``guess``.
CONFIGS: dict[str, list[tuple[str, Callable[[type[Scheme]], Scheme]]]] = {
    "hmac-sha256": [
        ("", lambda s: s([SECRET])),
        (" (timestamped)", lambda s: s([SECRET], timestamp_header="X-Timestamp")),
    ],
}


def guess(scheme: type[Scheme]) -> Scheme:
    """Build ``scheme`` from the options it declares; asymmetric ones get a fresh key pair."""
    options: dict[str, Any] = dict.fromkeys(scheme.required_options, "bench")
    if "url" in scheme.options:  # schemes that sign the URL they are posted to
        options["url"] = URL
    if not {"public_key", "private_key"} <= scheme.options:
        return scheme([SECRET] if scheme.requires_secrets else [], **options)
    errors = []
    for pair in (_p256_pair, _ed25519_pair):  # whichever kind the scheme loads
        try:
            return scheme(**options, **pair())
        except (TypeError, ValueError) as exc:
            errors.append(str(exc))
    raise ValueError("; ".join(errors))


def builders(name: str, scheme: type[Scheme]) -> list[tuple[str, Callable[[type[Scheme]], Scheme]]]:
    """Return how to build ``scheme`` for measuring: its CONFIGS entry or sensible defaults."""
    if name in CONFIGS:
        return CONFIGS[name]
    if issubclass(scheme, StandardScheme):
        return [(" v1 (HMAC)", lambda s: s([generate_secret()])), (" v1a (Ed25519)", _standard_v1a)]
    return [("", guess)]


def sample_body(size: int) -> bytes:
    """Return a JSON object body of exactly ``size`` bytes."""
    head = {"type": "invoice.paid", "id": "evt_bench", "event_type": "bench", "padding": ""}
    base = len(json.dumps(head).encode())
    head["padding"] = "x" * max(0, size - base)
    return json.dumps(head).encode()


def rate(scheme: Scheme, body: bytes, headers: dict[str, str], seconds: float) -> float:
    """Return verifications per second of ``body`` over about ``seconds``."""
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(50):
            scheme.verify(body, headers, now=NOW)
        count += 50
        elapsed = time.perf_counter() - start
        if time.perf_counter() >= deadline:
            return count / elapsed


def main(argv: list[str] | None = None) -> int:
    """Measure every registered scheme and print one row per configuration."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10 * 1024, help="body size in bytes")
    parser.add_argument("--seconds", type=float, default=0.5, help="time per run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per scheme; the best counts")
    args = parser.parse_args(argv)
    body = sample_body(args.size)
    print(
        f"{len(body)}-byte body, best of {args.repeat} runs of {args.seconds:g} s,"
        f" Python {sys.version.split()[0]}"
    )
    print(f"{'scheme':<28} {'verifications/s':>16}")
    for name in sorted(SCHEMES):
        scheme_class = SCHEMES[name]
        for label, build in builders(name, scheme_class):
            row = f"{name + label:<28}"
            try:
                scheme = build(scheme_class)
                signed_body, headers = scheme.sign_request(body, now=NOW, msg_id="msg_bench")
                scheme.verify(signed_body, headers, now=NOW)  # must pass before it is timed
            except Exception as exc:  # report a scheme that cannot be built, measure the rest
                print(f"{row} skipped: {type(exc).__name__}: {exc}")
                continue
            best = max(rate(scheme, signed_body, headers, args.seconds) for _ in range(args.repeat))
            print(f"{row} {best:>16,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:] if len(sys.argv) > 1 else None))
