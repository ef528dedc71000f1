"""Wakeup.wait watches its own socket and the LISTEN connection's, whatever their numbers."""

from __future__ import annotations

import os
import resource
import socket

import pytest

from ironrelay.tasks.wakeup import Wakeup

HIGH_FD = 1500  # past select()'s limit of 1024 descriptors


def test_wait_returns_when_a_socket_numbered_past_1024_is_readable():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard <= HIGH_FD:
        pytest.skip(f"this process may open at most {hard} descriptors")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, HIGH_FD + 1), hard))
    reader, writer = socket.socketpair()
    high = os.dup2(reader.fileno(), HIGH_FD)
    wake = Wakeup()
    try:
        assert not wake.wait(0.01, also=high)
        writer.send(b"x")
        assert wake.wait(1.0, also=high)
    finally:
        os.close(high)
        reader.close()
        writer.close()
        wake.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_wait_returns_on_set_and_then_waits_again():
    wake = Wakeup()
    try:
        wake.set()
        assert wake.wait(1.0)
        assert not wake.wait(0.01)
    finally:
        wake.close()
