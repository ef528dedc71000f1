"""Shared fixtures: starting real worker processes against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def subprocess_env() -> dict[str, str]:
    """Return an environment in which `manage.py`-style commands use the test database."""
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    env["IRONRELAY_DB_NAME"] = str(connection.settings_dict["NAME"])
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


@pytest.fixture
def start_worker(transactional_db: None) -> Iterator:
    """Start `ironrelay_worker` subprocesses; each is stopped and reaped after the test."""
    procs: list[subprocess.Popen] = []

    def start(*extra: str) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-m", "django", "ironrelay_worker", *extra],
            cwd=ROOT,
            env=subprocess_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


@pytest.fixture(autouse=True)
def _close_wait_listeners() -> Iterator[None]:
    """Close wait()'s LISTEN connection, which would keep the test database from being dropped."""
    yield
    from ironrelay.tasks import waiting

    waiting.stop_listeners()
