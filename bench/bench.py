"""Side-by-side benchmark: IronRelay against procrastinate, django-tasks-db, django-q2, Celery.

Run it with bash bench/run.sh (which builds bench/.venv); see bench/README.md. The driver starts
one child process per (run, database, system), because each system needs its own Django settings;
the child migrates a fresh database, runs the workloads and hands back JSON.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from adapters import SYSTEM_KEYS, get_system
from databases import MariaDB, Postgres
from report import raw_runs, result_cost, table
from workloads import DONE_POLL, Counts

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
VENDORS = ("postgres", "sqlite", "mysql")
WORKLOADS = (
    "enqueue_single",
    "enqueue_bulk",
    "drain_1",
    "drain_1_result",
    "drain_2",
    "drain_2_result",
    "latency",
    "latency_result",
)
CHILD_TIMEOUT = 1800.0  # seconds one (system, database) run may take before it is stopped


# -- child: one system, one database, one run --------------------------------------------------


def run_child(key: str, vendor: str, counts: Counts, workloads: list[str], out: Path) -> None:
    """Migrate a fresh database for one system, run the workloads, write the result as JSON."""
    # The driver stops a stuck child with SIGTERM; exiting through finally stops its workers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(3))
    import databases

    system = get_system(key)
    database = databases.for_vendor(vendor)
    os.environ.update(
        BENCH_SYSTEM=key,
        BENCH_DB=vendor,
        BENCH_DB_NAME=database.name,
        DJANGO_SETTINGS_MODULE="benchproject.settings",
    )
    import django
    from django.core.management import call_command
    from django.db import connections
    from workloads import Runner

    database.create_empty()
    try:
        django.setup()
        call_command("migrate", verbosity=0)
        connections.close_all()
        database.snapshot()
        log_dir = RESULTS_DIR / "logs" / vendor
        log_dir.mkdir(parents=True, exist_ok=True)
        for stale in log_dir.glob(f"{key}-drain_*.log"):
            stale.unlink()
        (log_dir / f"{key}-latency.log").unlink(missing_ok=True)
        result = Runner(system, database, counts, log_dir).run(workloads)
    finally:
        connections.close_all()
        database.drop()
    out.write_text(json.dumps(result.to_json()))


# -- driver ------------------------------------------------------------------------------------


def spawn_child(key: str, vendor: str, counts: Counts, workloads: list[str]) -> dict[str, Any]:
    """Run one child and return its result (or a result holding the error)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    command = [
        sys.executable,
        str(BENCH_DIR / "bench.py"),
        "--child",
        key,
        vendor,
        "--out",
        str(out),
        "--counts",
        json.dumps(asdict(counts)),
        "--workloads",
        ",".join(workloads),
    ]
    # The child's stderr (its logging: django-q2 logs every enqueued task) goes to a file, the
    # same for every system, instead of the terminal.
    log = RESULTS_DIR / "logs" / vendor / f"{key}-driver.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as stderr:
        child = subprocess.Popen(command, cwd=BENCH_DIR, stderr=stderr)
    try:
        code = child.wait(timeout=CHILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        child.send_signal(signal.SIGTERM)
        code = child.wait(timeout=60)
    except KeyboardInterrupt:
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=60)
        raise
    try:
        if code == 0:
            return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)
    error = f"child exited with {code}; see {log}"
    print(f"  {error}", flush=True)
    return failed_run(error)


def failed_run(error: str) -> dict[str, Any]:
    """Return the result of a run that could not measure anything."""
    return {"metrics": {}, "checks": {}, "errors": {"run": error}, "bulk_fallback": False}


def versions() -> list[tuple[str, str]]:
    """Return (name, version) of Django, the database driver and every system."""
    names = [
        "Django",
        "psycopg",
        "django-ironrelay",
        "procrastinate",
        "django-tasks",
        "django-tasks-db",
        "django-q2",
        "celery",
        "redis",
    ]
    found = []
    for name in names:
        try:
            found.append((name, importlib.metadata.version(name)))
        except importlib.metadata.PackageNotFoundError:
            found.append((name, "not installed"))
    return found


def ironrelay_revision() -> str:
    """Return the checkout's commit, and whether ironrelay/ has uncommitted changes."""
    repo = BENCH_DIR.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--", "ironrelay"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown revision"
    return f"commit {commit}" + (" + uncommitted changes in ironrelay/" if dirty else "")


def machine() -> list[str]:
    """Describe the machine the figures come from."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{mem_kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        memory = "unknown RAM"
    return [
        f"{os.cpu_count()} cores ({cpu}), {memory}, {platform.system()} {platform.release()}",
        f"Python {platform.python_version()}; PostgreSQL {Postgres.server_version()} and "
        f"MariaDB {MariaDB.server_version()} on 127.0.0.1; SQLite {sqlite3.sqlite_version}; "
        f"Redis {redis_version()}",
    ]


def redis_version() -> str:
    """Return the Redis server's version, or why it could not be asked."""
    from adapters.celery import redis_client

    try:
        return str(redis_client().info("server")["redis_version"])
    except Exception as exc:  # any failure is only noted in the report's header
        return f"unreachable ({type(exc).__name__})"


def load_note(results: dict) -> str:
    """Say how busy the machine was: other processes compete for its cores and PostgreSQL."""
    loads = [run["load_before"] for runs in results.values() for run in runs]
    if not loads:
        return "no runs"
    return (
        f"1-minute load average before each system's run: {min(loads):.1f} to {max(loads):.1f} "
        f"(on {os.cpu_count()} cores; anything else running on the machine shows up here)"
    )


def build_report(
    systems: list, vendors: list[str], results: dict, counts: Counts, runs: int, started: float
) -> tuple[str, str]:
    """Return (summary, appendix) markdown."""
    lines = [
        "# IronRelay side-by-side benchmark",
        "",
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {runs} run(s), medians shown; "
        f"took {(time.monotonic() - started) / 60:.1f} min.",
        "",
        *(f"- {line}" for line in machine()),
        f"- {load_note(results)}",
        "- versions: "
        + ", ".join(f"{n} {v}" for n, v in versions())
        + f" (IronRelay {ironrelay_revision()})",
        f"- counts: enqueue_single {counts.single:,}, enqueue_bulk {counts.bulk:,}, "
        f"drain {counts.drain:,}, latency {counts.latency} tasks "
        f"{counts.latency_gap * 1000:.0f} ms apart",
        "- workers:",
        *(f"  - {s.label}: {s.worker_note}" for s in systems),
        "- a drain ends when each system's store reports every task succeeded (committed), read "
        f"every {DONE_POLL * 1000:.0f} ms from another connection:",
        *(f"  - {s.label}: {s.done_note}" for s in systems),
        "",
    ]
    for vendor in vendors:
        lines += [f"## {vendor}", "", *table(systems, vendor, results), ""]
        cost = result_cost(vendor, results)
        if cost:
            lines += [cost, ""]
    lines += [
        "† no bulk API: `enqueue()`, `async_task()` or `delay_on_commit()` in a loop inside one "
        "`transaction.atomic()`.",
        "IronRelay vs a peer: above 1x IronRelay is better (more tasks/s, or lower latency).",
        "",
    ]
    appendix = ["## Every run", "", *raw_runs(systems, vendors, results), ""]
    return "\n".join(lines), "\n".join(appendix)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Small counts, 1 run: for iterating.")
    parser.add_argument("--runs", type=int, help="Runs per system (default 3, or 1 with --quick).")
    parser.add_argument("--systems", default=",".join(SYSTEM_KEYS), help="Comma-separated.")
    parser.add_argument("--databases", default=",".join(VENDORS), help="postgres,sqlite,mysql")
    parser.add_argument(
        "--workloads", default=None, help=f"Comma-separated subset of {','.join(WORKLOADS)}."
    )
    parser.add_argument("--drain", type=int, help="Tasks per drain workload (default 5,000).")
    parser.add_argument("--latency", type=int, help="Tasks per latency workload (default 200).")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "latest.md")
    parser.add_argument("--child", nargs=2, metavar=("SYSTEM", "DATABASE"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--counts", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        run_child(
            *args.child, Counts(**json.loads(args.counts)), args.workloads.split(","), args.out
        )
        return 0

    started = time.monotonic()
    shutil.rmtree(RESULTS_DIR / "logs", ignore_errors=True)
    counts = Counts.quick() if args.quick else Counts()
    if args.drain:
        counts = replace(counts, drain=args.drain)
    if args.latency:
        counts = replace(counts, latency=args.latency)
    runs = args.runs or (1 if args.quick else 3)
    systems = [get_system(key.strip()) for key in args.systems.split(",") if key.strip()]
    vendors = [v.strip() for v in args.databases.split(",") if v.strip()]
    chosen = args.workloads.split(",") if args.workloads else list(WORKLOADS)
    unknown = [
        w for w in chosen if w not in WORKLOADS and not re.fullmatch(r"drain_\d+(_result)?", w)
    ]
    if unknown:
        parser.error(
            f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}"
        )
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    print("Versions: " + ", ".join(f"{n} {v}" for n, v in versions()), flush=True)
    for run in range(runs):
        for vendor in vendors:
            for system in systems:
                if vendor not in system.databases:
                    continue
                workloads = list(chosen)
                drains = [w for w in chosen if w.startswith("drain_")]
                for suffix in ("", "_result"):
                    if any(w.endswith("_result") == bool(suffix) for w in drains):
                        workloads += [f"drain_{n}{suffix}" for n in system.scale_out]
                print(f"run {run + 1}/{runs}: {system.label} on {vendor}", flush=True)
                load = os.getloadavg()[0]
                problem = system.preflight()
                if problem:
                    print(f"  {problem}", flush=True)
                    result = failed_run(problem)
                else:
                    result = spawn_child(system.key, vendor, counts, workloads)
                result["load_before"] = load
                results.setdefault((system.key, vendor), []).append(result)

    summary, appendix = build_report(systems, vendors, results, counts, runs, started)
    print()
    print(summary)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(summary + "\n" + appendix)
    print(f"Written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
