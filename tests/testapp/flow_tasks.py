"""Tasks with flow-control limits; each appends what it did to a file the test reads."""

from __future__ import annotations

import os
import threading
import time

from ironrelay import task


def _append(path: str, line: str) -> None:
    # One write() of a short line with O_APPEND: lines of concurrent processes never interleave.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def _hold(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.005)


@task(concurrency=1, concurrency_key="order:{order_id}")
def process_order(order_id: int, path: str, hold: float = 0.05) -> None:
    """Record the wall-clock interval this run held its order."""
    started = time.time()
    _hold(hold)
    _append(path, f"{order_id} {started:.6f} {time.time():.6f}")


@task(rate="5/s")
def ticked(path: str) -> None:
    """Record when this run started."""
    _append(path, f"{time.time():.6f}")


@task(concurrency=2)
def two_at_once(n: int) -> int:
    return n


@task
def plain(n: int) -> int:
    return n


gate = threading.Event()  # held closed by a test; gated runs wait for it
gate_started = threading.Semaphore(0)  # released once per gated run that began
_gate_lock = threading.Lock()
gate_running: dict[str, int] = {"now": 0, "most": 0}


@task(concurrency=1, concurrency_key="gate:{n}", timeout=0.05, max_attempts=1)
def gated(n: int) -> None:
    """Wait for the test's gate, counting how many runs of the key overlap."""
    with _gate_lock:
        gate_running["now"] += 1
        gate_running["most"] = max(gate_running["most"], gate_running["now"])
    gate_started.release()
    try:
        gate.wait(30)
    finally:
        with _gate_lock:
            gate_running["now"] -= 1
