"""Print verifications per second of a 10 KiB body for every registered signing scheme.

Usage: python scripts/verify_cost.py [--size BYTES] [--seconds S] [--repeat N]

Each figure is the best of N timed runs: on a shared machine other work only ever slows a run.

Iterates ironrelay.signing.SCHEMES, so schemes added later are measured too. A scheme that
needs keys or options beyond a plain secret gets them from CONFIGS (asymmetric schemes get a
key pair generated here); one that cannot be built is listed as skipped with the reason.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python scripts/verify_cost.py`
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


def _standard_v1a(scheme: type[Scheme]) -> Scheme:
    private, public = generate_ed25519_keypair()
    return scheme(public_keys=[public], private_keys=[private])


# name -> builders of configured instances (label suffix, builder); default: one plain secret.
CONFIGS: dict[str, list[tuple[str, Callable[[type[Scheme]], Scheme]]]] = {
    "postmark": [("", lambda s: s([SECRET], username="postmark"))],
    "hmac-sha256": [
        ("", lambda s: s([SECRET])),
        (" (timestamped)", lambda s: s([SECRET], timestamp_header="X-Timestamp")),
    ],
}


def builders(name: str, scheme: type[Scheme]) -> list[tuple[str, Callable[[type[Scheme]], Scheme]]]:
    """Return how to build ``scheme`` for measuring: its CONFIGS entry or sensible defaults."""
    if name in CONFIGS:
        return CONFIGS[name]
    if issubclass(scheme, StandardScheme):
        return [(" v1 (HMAC)", lambda s: s([generate_secret()])), (" v1a (Ed25519)", _standard_v1a)]
    if not scheme.requires_secrets:
        return [("", lambda s: s())]
    return [("", lambda s: s([SECRET]))]


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
