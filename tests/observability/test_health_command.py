"""ironrelay_health, run as a real command next to real worker processes."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from ironrelay.models import Task, Worker
from tests.conftest import ROOT, subprocess_env
from tests.testapp.tasks import send_email
from tests.waiting import wait_until

pytestmark = pytest.mark.acceptance


def health(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "django", "ironrelay_health", *args],
        cwd=ROOT,
        env=env or subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_health_follows_workers_stopping_and_starting(start_worker):
    stopped = health()
    assert stopped.returncode == 1
    assert stopped.stderr.strip() == "unhealthy: no worker is registered"
    proc = start_worker("--concurrency", "1", "--queues", "default")
    assert wait_until(lambda: Worker.objects.exists(), timeout=60)
    running = health()
    assert running.returncode == 0, running.stderr
    assert running.stdout.startswith("ok: 1 worker(s), newest heartbeat")
    # A due task in a queue no worker serves makes the lag check fail.
    send_email.defer(1)
    Task.objects.update(run_after=timezone.now() - timedelta(seconds=90))
    behind = health("--max-lag", "60")
    assert behind.returncode == 1
    assert behind.stderr.startswith("unhealthy: queue emails is behind: oldest due task waited 9")
    assert health("--max-lag", "60", "--queues", "default").returncode == 0
    assert health("--max-lag", "600").returncode == 0
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == 0
    after = health()
    assert after.returncode == 1 and "no worker is registered" in after.stderr
    assert health("--no-workers").returncode == 0


def test_a_stale_heartbeat_fails(transactional_db):
    Worker.objects.create(
        id="gone", hostname="h", pid=1, last_heartbeat=timezone.now() - timedelta(minutes=5)
    )
    result = health()
    assert result.returncode == 1
    assert "no fresh worker heartbeat: newest is 30" in result.stderr
    assert health("--max-heartbeat-age", "600").returncode == 0


def test_an_unreachable_database_fails(transactional_db, tmp_path):
    env = subprocess_env()
    if env.get("IRONRELAY_TEST_DB", "sqlite") == "sqlite":
        env["IRONRELAY_DB_NAME"] = str(tmp_path / "missing-dir" / "db.sqlite3")
    else:
        env["IRONRELAY_DB_NAME"] = "ironrelay_no_such_database"
    result = health(env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("unhealthy: database unreachable: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_option_is_a_clear_error(transactional_db):
    result = health("--max-lag", "-1")
    assert result.returncode != 0
    assert "--max-lag must be a number of seconds >= 0" in result.stderr
