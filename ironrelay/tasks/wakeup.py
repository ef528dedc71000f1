"""A wake-up call that signal handlers may make: a socket pair instead of a lock.

A signal handler runs in the main thread between two bytecodes, possibly while that thread holds
a threading.Event's internal lock (inside wait() or clear()). Event.set() from the handler then
waits for that lock forever: a SIGTERM could hang the worker it was meant to stop. Writing a byte
to a socket takes no Python lock, so set() is safe anywhere.
"""

from __future__ import annotations

import contextlib
import select
import socket


class Wakeup:
    """Wake whoever waits in wait(); set() may be called from any thread or a signal handler."""

    def __init__(self) -> None:
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)

    def set(self) -> None:
        """Wake the waiter now, or at its next wait()."""
        # OSError: full of unread wake-ups (the waiter will wake), or closed (nobody waits).
        with contextlib.suppress(OSError):
            self._writer.send(b"\0")

    def wait(self, timeout: float | None, also: int | None = None) -> bool:
        """Wait up to `timeout` seconds for set() or socket `also`; return whether either came."""
        watched = [self._reader.fileno()] if also is None else [self._reader.fileno(), also]
        ready = _readable(watched, timeout)
        if watched[0] not in ready:
            return bool(ready)
        # One read: wake-ups beyond it (thousands of set() calls) only make the next wait short.
        with contextlib.suppress(BlockingIOError):
            self._reader.recv(4096)
        return True

    def close(self) -> None:
        """Release the socket pair."""
        self._reader.close()
        self._writer.close()


def _readable(fds: list[int], timeout: float | None) -> list[int]:
    """Return which of `fds` are readable within `timeout` seconds."""
    if hasattr(select, "poll"):
        # poll, not select: select refuses a descriptor numbered past 1023, which a connection
        # opened again in a busy process (many keep-alive sockets) may get.
        poller = select.poll()
        for fd in fds:
            poller.register(fd, select.POLLIN)
        return [fd for fd, _ in poller.poll(None if timeout is None else timeout * 1000)]
    return select.select(fds, [], [], timeout)[0]  # Windows: no poll
