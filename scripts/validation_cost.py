"""Print the time and peak memory of validating the worst 1 MiB body against a source's schema.

Usage: python scripts/validation_cost.py [--case items|unique] [--size BYTES] [--repeat N]

items:  schema {"type": "array", "items": {"type": "integer"}}, body [[],[],...]: every 3 bytes
        one wrong item, the most errors a body of that size can hold.
unique: schema {"type": "array", "uniqueItems": true}, body [0,"0",1,"1",...]: distinct items
        of mixed types, which a sort cannot order.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# First, not just present: the editable install appends ROOT after site-packages, where a
# provider SDK ships a top-level `tests` package that would shadow ours.
if sys.path[0] != str(ROOT):  # run as `python scripts/validation_cost.py`
    sys.path.insert(0, str(ROOT))

from ironrelay.handlers.validation import PayloadSchemas  # noqa: E402

SCHEMAS = {
    "items": {"type": "array", "items": {"type": "integer"}},
    "unique": {"type": "array", "uniqueItems": True},
}


def worst_body(case: str, size: int) -> bytes:
    """Return the body of at most `size` bytes that costs `case` the most."""
    if case == "items":
        return b"[" + b",".join([b"[]"] * ((size - 1) // 3)) + b"]"
    parts: list[bytes] = []
    used = 2
    n = 0
    while True:
        item = str(n // 2).encode() if n % 2 == 0 else json.dumps(str(n // 2)).encode()
        if used + len(item) + 1 > size:
            break
        parts.append(item)
        used += len(item) + 1
        n += 1
    return b"[" + b",".join(parts) + b"]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(SCHEMAS), default="items")
    parser.add_argument("--size", type=int, default=1024 * 1024, help="body bytes (1 MiB)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (median printed)")
    options = parser.parse_args()

    schemas = PayloadSchemas("bench", schema=SCHEMAS[options.case])
    body = worst_body(options.case, options.size)
    payload = json.loads(body)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    seconds = []
    for _ in range(options.repeat):
        started = time.perf_counter()
        messages = schemas.validate("", payload)
        seconds.append(time.perf_counter() - started)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    tracemalloc.start()
    schemas.validate("", payload)
    peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()

    median_ms = statistics.median(seconds) * 1000
    rows = [
        ("case", f"{options.case}: {json.dumps(SCHEMAS[options.case])}"),
        ("body bytes; items", f"{len(body):,}; {len(payload):,}"),
        ("messages returned", f"{len(messages)}"),
        ("validate, ms (median of runs)", f"{median_ms:,.1f} ({options.repeat})"),
        ("validate peak allocated, MiB", f"{peak:.1f} (tracemalloc)"),
        ("process max RSS, MiB", f"{rss_before:.0f} before validating, {rss_after:.0f} after"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
