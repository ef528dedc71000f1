"""Helpers the fault and load scripts share: scratch databases, processes, HTTP, tables."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# First, not just present: the editable install appends ROOT after site-packages, where a
# provider SDK ships a top-level `tests` package that would shadow ours.
if sys.path[0] != str(ROOT):  # run as `python scripts/x.py`: make tests/ and scripts/ importable
    sys.path.insert(0, str(ROOT))

SETTINGS = "scripts.loadproject.settings"
PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
MYSQL = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}
WORKER_STARTED = re.compile(r"Worker (\S+) started")


# -- scratch databases ---------------------------------------------------------------------------


@dataclass
class ScratchDatabase:
    """A database of its own for one run: created before Django connects, dropped at the end."""

    vendor: str  # sqlite, postgres or mysql
    name: str  # the database name, or the SQLite file

    @classmethod
    def for_vendor(cls, vendor: str, label: str) -> ScratchDatabase:
        """Name a scratch database for this process, e.g. ironrelay_crash_1234."""
        if vendor == "sqlite":
            directory = tempfile.mkdtemp(prefix=f"ironrelay-{label}-")
            return cls(vendor, os.path.join(directory, "db.sqlite3"))
        return cls(vendor, f"ironrelay_{label}_{os.getpid()}")

    def create(self) -> None:
        """Create the empty database (dropping a leftover of the same name)."""
        if self.vendor == "postgres":
            pg_admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            pg_admin(f'CREATE DATABASE "{self.name}"')
        elif self.vendor == "mysql":
            mysql_admin(
                f"DROP DATABASE IF EXISTS `{self.name}`",
                f"CREATE DATABASE `{self.name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
            )

    def drop(self) -> None:
        """Remove the database; Django's connections in this process are closed first."""
        from django.conf import settings
        from django.db import connections

        if settings.configured:
            connections.close_all()
        if self.vendor == "postgres":
            pg_admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        elif self.vendor == "mysql":
            mysql_admin(f"DROP DATABASE IF EXISTS `{self.name}`")
        else:
            shutil.rmtree(os.path.dirname(self.name), ignore_errors=True)

    def configure_django(self, **extra_env: str) -> None:
        """Point this process (and the subprocesses it starts) at the database; set Django up."""
        import django

        os.environ.update(
            DJANGO_SETTINGS_MODULE=SETTINGS,
            IRONRELAY_TEST_DB=self.vendor,
            IRONRELAY_DB_NAME=self.name,
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            **extra_env,
        )
        django.setup()

    def migrate(self) -> None:
        """Create the tables."""
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


def pg_admin(statement: str, params: tuple = ()) -> list[tuple]:
    """Run one statement on the server's `postgres` database, outside any transaction."""
    import psycopg

    with psycopg.connect(PG_DSN, autocommit=True, connect_timeout=10) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def mysql_admin(*statements: str) -> None:
    """Run statements as root on the MariaDB/MySQL server."""
    import MySQLdb

    conn = MySQLdb.connect(connect_timeout=10, **MYSQL)
    try:
        cursor = conn.cursor()
        for statement in statements:
            cursor.execute(statement)
    finally:
        conn.close()


# -- processes -----------------------------------------------------------------------------------


@dataclass
class Processes:
    """The subprocesses of one run, each logging to its own file; stop_all() ends every one."""

    logdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="ironrelay-logs-")))
    started: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, *argv: str) -> subprocess.Popen:
        """Start `python argv...` in the repository with this process's environment."""
        log = open(self.logdir / f"{name}.log", "wb")  # noqa: SIM115 - the child writes to it
        proc = subprocess.Popen(
            [sys.executable, *argv],
            cwd=ROOT,
            env=dict(os.environ),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: gunicorn's children go with it
        )
        log.close()
        self.started[name] = proc
        return proc

    def start_worker(self, name: str, concurrency: int = 4) -> subprocess.Popen:
        """Start `python -m django ironrelay_worker --concurrency N`."""
        return self.start(
            name, "-m", "django", "ironrelay_worker", "--concurrency", str(concurrency)
        )

    def start_gunicorn(self, port: int, workers: int, threads: int = 1) -> subprocess.Popen:
        """Serve scripts.loadproject under gunicorn on 127.0.0.1:port; wait until it answers."""
        proc = self.start(
            "gunicorn",
            "-m",
            "gunicorn",
            "scripts.loadproject.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            f"--threads={threads}",
            f"--worker-class={'gthread' if threads > 1 else 'sync'}",
            "--timeout=60",
            "--graceful-timeout=20",
            "--log-level=warning",
        )
        if not wait_until(lambda: _answers(port) or proc.poll() is not None, timeout=60):
            raise RuntimeError(
                f"gunicorn did not answer on port {port}; see {self.log('gunicorn')}"
            )
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {self.tail('gunicorn')}")
        return proc

    def worker_id(self, name: str, timeout: float = 60) -> str:
        """Return the id a worker printed in its "Worker <id> started" line."""
        found: list[str] = []

        def started() -> bool:
            match = WORKER_STARTED.search(self.log(name).read_text(errors="replace"))
            if match:
                found.append(match.group(1))
            return bool(match) or self.started[name].poll() is not None

        if not wait_until(started, timeout) or not found:
            raise RuntimeError(f"{name} did not start: {self.tail(name)}")
        return found[0]

    def cpu_seconds(self, *names: str) -> float:
        """Return the CPU time used so far by these processes and their process groups."""
        groups = {self.started[name].pid for name in names}
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:
                continue  # the process ended meanwhile
            if int(fields[2]) in groups:  # pgrp; utime and stime follow at 11 and 12
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def log(self, name: str) -> Path:
        """Return the log file of a process."""
        return self.logdir / f"{name}.log"

    def tail(self, name: str, lines: int = 15) -> str:
        """Return the last lines of a process's log."""
        text = self.log(name).read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self, name: str, timeout: float = 60) -> int | None:
        """SIGTERM a process (and its group), SIGKILL it after `timeout`; return its exit code."""
        proc = self.started[name]
        if proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                # Not reaped yet, so the group id is still ours: its children go too.
                _signal_group(proc, signal.SIGKILL)
                proc.wait(10)
        return proc.returncode

    def stop_all(self) -> dict[str, int | None]:
        """Stop every process still running; return each one's exit code."""
        return {name: self.stop(name) for name in self.started}

    def remove_logs(self) -> None:
        """Delete the log directory."""
        shutil.rmtree(self.logdir, ignore_errors=True)


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signum)  # the group start_new_session made for this process


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"GET /ironrelay/incoming/github/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            return sock.recv(12).startswith(b"HTTP/")
    except OSError:
        return False


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    """Poll `predicate` until it holds or `timeout` seconds pass; return whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


@contextlib.contextmanager
def run_dir(procs: Processes, *, keep_logs: bool) -> Iterator[Processes]:
    """Stop every process on the way out; keep the logs only when asked (or on a crash)."""
    ok = False
    try:
        yield procs
        ok = True
    finally:
        procs.stop_all()
        if keep_logs or not ok:
            print(f"logs kept in {procs.logdir}")
        else:
            procs.remove_logs()


# -- signed webhooks -----------------------------------------------------------------------------


def github_webhook(delivery_id: str, secret: str, event: str = "push") -> tuple[bytes, dict]:
    """Return the body and headers of a GitHub-signed webhook with this delivery id."""
    body = json.dumps({"ref": "refs/heads/main", "delivery": delivery_id, "pad": "x" * 200})
    data = body.encode()
    signature = hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()
    return data, {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id,
        "X-Hub-Signature-256": f"sha256={signature}",
    }


def new_session():
    """Return a requests.Session that ignores proxy settings (all traffic is to 127.0.0.1)."""
    import requests

    session = requests.Session()
    session.trust_env = False
    return session


# -- figures -------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Return the value below which `fraction` of `values` lie (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def print_table(title: str, rows: list[tuple[str, object]]) -> None:
    """Print two aligned columns under a title."""
    if not rows:
        return
    width = max(len(label) for label, _ in rows)
    print(f"\n{title}\n{'-' * len(title)}")
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


def verdict(failures: list[str]) -> int:
    """Print PASS or each broken promise; return the exit code."""
    if not failures:
        print("\nPASS")
        return 0
    print("\nFAIL")
    for failure in failures:
        print(f"  - {failure}")
    return 1
