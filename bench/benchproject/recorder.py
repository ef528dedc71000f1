"""Where each no-op task notes that it ran: one appended line per call, one file per process.

Every system's task calls record() the same way. A line is ``<argument> <start> <end>`` (Unix
time, seconds); it is written with one os.write() on a file opened with O_APPEND, so threads of
one process never interleave lines and no database work is added to the task.
"""

from __future__ import annotations

import os
import threading
import time

_lock = threading.Lock()
_fd: int | None = None
_fd_pid = 0


def _file() -> int:
    global _fd, _fd_pid
    with _lock:
        if _fd is None or _fd_pid != os.getpid():  # a forked worker opens its own file
            path = os.path.join(os.environ["BENCH_RECORD_DIR"], f"{os.getpid()}.log")
            _fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            _fd_pid = os.getpid()
        return _fd


def record(i: int, started: float) -> None:
    """Note that the task with argument i started at `started` and ends now."""
    os.write(_file(), f"{i} {started:.6f} {time.time():.6f}\n".encode())
