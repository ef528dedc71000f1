"""Post signed webhooks from 20 clients, workers stopped and then running; compare with a bare view.

Serves scripts.loadproject under gunicorn on 127.0.0.1 and, from the same 20 client threads (one
requests.Session each), alternates rounds of requests to

1. POST /bare/: a Django view that inserts one Execution row and answers 200 (the baseline);
2. POST /ironrelay/incoming/github/: GitHub-signed "ping" webhooks, each with its own delivery
   id, whose one handler (scripts/loadproject/relay_handlers.py) inserts one Execution row per run.

Phase 1 runs with no ironrelay worker: the request path alone. Then two workers start and handle
the backlog phase 1 left (their CPU per handler run, with the web server idle). Phase 2 runs with
the workers handling webhooks as they come: a webhook round lasts until every handler of the
round has run, so its rate is webhooks handled per second, end to end. Exit status 0 only when no
request got a 5xx or failed, every webhook was answered 202 and stored once, and each handler ran
exactly once.

    .venv/bin/python scripts/load.py --db sqlite
    .venv/bin/python scripts/load.py --db postgres
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator

from _common import (
    Processes,
    ScratchDatabase,
    free_port,
    github_webhook,
    new_session,
    percentile,
    print_table,
    run_dir,
    verdict,
    wait_until,
)

EVENT = "ping"  # one handler matches it: record_delivery


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "mysql"], default="sqlite")
    parser.add_argument("--requests", type=int, default=2000, help="per endpoint and phase")
    parser.add_argument("--rounds", type=int, default=4, help="alternations of the endpoints")
    parser.add_argument("--clients", type=int, default=20, help="client threads")
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=1, help=">1 selects gunicorn's gthread")
    parser.add_argument("--workers", type=int, default=2, help="ironrelay_worker processes")
    parser.add_argument("--timeout", type=float, default=300, help="wait for handlers, seconds")
    parser.add_argument("--keep-logs", action="store_true")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="py-spy --gil profiles of the workers in phase 2, and their statements, into DIR",
    )
    args = parser.parse_args()

    db = ScratchDatabase.for_vendor(args.db, "load")
    db.create()
    extra_env = {}
    if args.profile:
        os.makedirs(args.profile, exist_ok=True)
        extra_env["SCRIPT_STATEMENTS_DIR"] = os.path.abspath(args.profile)
    try:
        db.configure_django(**extra_env)
        db.migrate()
        with run_dir(Processes(), keep_logs=args.keep_logs) as procs:
            figures, failures = load_run(procs, args)
    finally:
        db.drop()
    print_table(f"load --db {args.db}", figures)
    return verdict(failures)


def load_run(procs: Processes, args: argparse.Namespace):
    """Measure both endpoints without workers, the backlog, then both with workers; judge."""
    from django.conf import settings

    from ironrelay.models import IncomingWebhook
    from tests.testapp.models import Execution

    load_before = loadavg()
    port = free_port()
    procs.start_gunicorn(port, workers=args.web_workers, threads=args.threads)
    base = f"http://127.0.0.1:{port}"
    # Every gunicorn process imports Django on its first request: do that before measuring.
    warm_up = ("GET", f"{base}/ironrelay/incoming/github/", b"", {})
    hammer(Phase("warm-up"), lambda i: warm_up, range(100), args.clients)

    workers = [f"worker-{i + 1}" for i in range(args.workers)]
    cpu = CpuMeter(procs, workers)
    per_round = args.requests // args.rounds
    total = per_round * args.rounds
    runs: Counter = Counter()
    bare, hook = make_bare(base), make_hook(base, settings.GITHUB_SECRET)

    # Phase 1, no worker: alternate the two in rounds, so that other load on the machine weighs
    # on both alike.
    bare1, hooks1 = Phase("bare view, workers stopped"), Phase("webhooks, workers stopped")
    for start in range(0, total, per_round):
        numbers = range(start, start + per_round)
        with cpu.measure(bare1):
            hammer(bare1, bare, numbers, args.clients)
        with cpu.measure(hooks1):
            hammer(hooks1, hook, numbers, args.clients)
    backlog = {f"load-{i}" for i in range(total)}
    stored_unhandled = len(backlog - count_runs(runs))

    # The backlog: stored while no worker ran, each handler runs once when workers start.
    began = time.monotonic()
    for name in workers:
        procs.start_worker(name)
    for name in workers:
        procs.worker_id(name)
    # From here: the workers' CPU for the runs still to do, not for starting Python and Django.
    cpu_before, runs_before = procs.cpu_seconds(*workers), runs_so_far()
    wait_until(lambda: runs_so_far() >= total, args.timeout, interval=0.2)
    backlog_seconds = time.monotonic() - began
    backlog_cpu_ms = (procs.cpu_seconds(*workers) - cpu_before) * 1000 / max(1, total - runs_before)

    own_ms = handler_own_cpu_ms()
    profiler = Profiler(procs, workers, args.profile) if args.profile else None

    # Phase 2, workers running: a webhook round ends when the database says every handler ran.
    bare2, hooks2 = Phase("bare view, workers running"), Phase("webhooks handled, end to end")
    expected = set(backlog)
    answering = 0.0  # the webhook rounds' seconds until the last answer, handlers aside
    for start in range(total, 2 * total, per_round):
        numbers = range(start, start + per_round)
        with cpu.measure(bare2):
            hammer(bare2, bare, numbers, args.clients)
        with cpu.measure(hooks2):
            began = time.monotonic()
            hammer(hooks2, hook, numbers, args.clients, timed=False)
            answering += time.monotonic() - began
            expected.update(f"load-{i}" for i in numbers)
            # A cheap count while waiting; which webhook ran how often is checked at the end.
            wait_until(lambda: runs_so_far() >= len(expected), args.timeout, interval=0.05)
            hooks2.seconds += time.monotonic() - began
    time.sleep(1)  # a repeat would be a late second run: give it a moment to show
    handled = count_runs(runs) >= expected
    stored = Counter(
        IncomingWebhook.objects.filter(source="github").values_list("delivery_id", flat=True)
    )
    bare_rows = Execution.objects.filter(label="bare").count()
    if profiler is not None:
        profiler.stop()
    exit_codes = {name: procs.stop(name) for name in workers}
    if profiler is not None:
        profiler.report(total)

    figures = [
        (
            "gunicorn",
            f"{args.web_workers} x {'gthread' if args.threads > 1 else 'sync'}"
            + (f" ({args.threads} threads)" if args.threads > 1 else ""),
        ),
        ("ironrelay workers", f"{args.workers} x concurrency 4"),
        ("clients; requests per endpoint and phase", f"{args.clients}; {total}"),
        ("rounds (bare, then webhooks)", f"{args.rounds} x {per_round} requests"),
        ("webhook event; handlers per webhook", f"{EVENT}; 1 (inserts one row)"),
        ("load average at start / end", f"{load_before} / {loadavg()}"),
        *bare1.rows(),
        *hooks1.rows(),
        ("workers stopped: webhooks / bare, requests/s", ratio(hooks1.rate, bare1.rate)),
        (
            "workers stopped: webhook / bare, gunicorn CPU",
            ratio(hooks1.cpu_ms("gunicorn"), bare1.cpu_ms("gunicorn")),
        ),
        ("stored while no worker ran, unhandled", stored_unhandled),
        ("backlog handled by starting workers, s", f"{backlog_seconds:.1f}"),
        ("backlog: worker CPU ms per handler run", f"{backlog_cpu_ms:.2f}"),
        ("the handler's own work (its INSERT, here), CPU ms", f"{own_ms:.2f}"),
        ("backlog: worker CPU ms per run beyond it", f"{backlog_cpu_ms - own_ms:.2f}"),
        *bare2.rows(),
        *hooks2.rows(),
        ("workers running: webhooks handled / bare, per s", ratio(hooks2.rate, bare2.rate)),
        ("workers running: webhooks answered / bare, per s", ratio(total / answering, bare2.rate)),
        ("workers running: worker CPU ms per webhook", f"{hooks2.cpu_ms('workers'):.2f}"),
        ("bare rows inserted", bare_rows),
        ("webhooks stored (distinct ids)", f"{sum(stored.values())} ({len(stored)})"),
        ("handlers run exactly once", sum(1 for d in expected if runs[d] == 1)),
        ("handler runs (Execution rows)", sum(runs.values())),
        ("workers' exit codes (SIGTERM)", exit_codes),
    ]
    failures = []
    for phase in (bare1, hooks1, bare2, hooks2):
        bad = {k: v for k, v in phase.statuses.items() if not isinstance(k, int) or k >= 500}
        if bad:
            failures.append(f"{phase.name}: 5xx or failed requests {bad}")
    for phase in (hooks1, hooks2):
        if phase.statuses != Counter({202: total}):
            failures.append(f"{phase.name}: not all answered 202: {dict(phase.statuses)}")
    if set(stored) != expected or set(stored.values()) != {1}:
        failures.append(
            f"stored {sum(stored.values())} webhooks ({len(stored)} ids), not {2 * total}"
        )
    if stored_unhandled != total:
        failures.append(f"{total - stored_unhandled} handlers ran with no worker running")
    if not handled or any(runs[d] != 1 for d in expected) or set(runs) - expected:
        failures.append(f"handlers not run exactly once: {Counter(runs[d] for d in expected)}")
    if bare_rows != 2 * total:
        failures.append(f"bare view inserted {bare_rows} rows, not {2 * total}")
    if any(code != 0 for code in exit_codes.values()):
        failures.append(f"a worker did not exit 0 on SIGTERM: {exit_codes}")
    return figures, failures


def ratio(numerator: float, denominator: float) -> str:
    """Return numerator / denominator as "0.42x"."""
    return f"{numerator / denominator:.2f}x" if denominator else "n/a"


def make_bare(base: str) -> Callable[[int], tuple]:
    """Return the maker of request i to the bare view."""
    return lambda i: ("POST", f"{base}/bare/", b"{}", {"Content-Type": "application/json"})


def make_hook(base: str, secret: str) -> Callable[[int], tuple]:
    """Return the maker of webhook i, signed, with delivery id load-<i>."""
    url = f"{base}/ironrelay/incoming/github/"
    return lambda i: ("POST", url, *github_webhook(f"load-{i}", secret, event=EVENT))


def count_runs(runs: Counter) -> set[str]:
    """Refill `runs` with each delivery id's handler runs; return the ids handled."""
    from tests.testapp.models import Execution

    labels = Execution.objects.filter(label__startswith="hook:").values_list("label", flat=True)
    runs.clear()
    runs.update(label.removeprefix("hook:") for label in labels)
    return set(runs)


def handler_own_cpu_ms(count: int = 300) -> float:
    """Return the CPU ms this process spends on what the handler does: one Execution INSERT."""
    from tests.testapp.models import Execution

    Execution.objects.create(label="own-work")  # connect first
    began = time.process_time()
    for _ in range(count):
        Execution.objects.create(label="own-work")
    spent = time.process_time() - began
    Execution.objects.filter(label="own-work").delete()
    return spent * 1000 / count


def runs_so_far() -> int:
    """Return how many handler runs the database holds."""
    from tests.testapp.models import Execution

    return Execution.objects.filter(label__startswith="hook:").count()


def loadavg() -> str:
    """Return the 1-minute load average (other jobs on the machine show here)."""
    return f"{os.getloadavg()[0]:.1f}"


class Profiler:
    """Sample the workers with py-spy and count their statements, from now until stop()."""

    def __init__(self, procs: Processes, workers: list[str], directory: str) -> None:
        import signal
        import subprocess

        self.directory = directory
        self.pids = [procs.started[name].pid for name in workers]
        for pid in self.pids:
            os.kill(pid, signal.SIGUSR1)  # the statement counts start again from zero
        spy = os.path.join(os.path.dirname(sys.executable), "py-spy")
        options = ["record", "--gil", "--nonblocking", "--format", "raw", "--rate", "200"]
        self.spies = [
            subprocess.Popen(
                [spy, *options, "-p", str(pid), "-o", f"{directory}/worker-{pid}.pyspy.txt"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for pid in self.pids
        ]

    def stop(self) -> None:
        """Stop sampling (py-spy writes its file on SIGINT)."""
        import signal

        for spy in self.spies:
            spy.send_signal(signal.SIGINT)
        for spy in self.spies:
            spy.wait(30)

    def report(self, webhooks: int) -> None:
        """Print the workers' statements per webhook of phase 2 (after the workers exited)."""
        counts: Counter = Counter()
        for pid in self.pids:
            path = os.path.join(self.directory, f"worker-{pid}.txt")
            with open(path) as lines:
                for line in lines:
                    n, rows, sql = line.rstrip("\n").split("\t", 2)
                    counts[(sql, rows)] += int(n)
        print(f"workers' statements in phase 2, per webhook handled ({webhooks}):")
        for (sql, rows), n in counts.most_common(25):
            print(f"  {n / webhooks:6.3f}  {rows:8} {sql}")
        print(f"  {sum(counts.values()) / webhooks:6.3f}  in all")


class CpuMeter:
    """Add the CPU time gunicorn, the ironrelay workers and the clients use to a phase."""

    def __init__(self, procs: Processes, workers: list[str]) -> None:
        self.parts = {
            "gunicorn": lambda: procs.cpu_seconds("gunicorn"),
            "workers": lambda: procs.cpu_seconds(*[w for w in workers if w in procs.started]),
            "clients": time.process_time,
        }

    @contextlib.contextmanager
    def measure(self, phase: Phase) -> Iterator[None]:
        """Count what the block uses (webhook rounds include the wait for their handlers)."""
        before = {name: read() for name, read in self.parts.items()}
        yield
        for name, read in self.parts.items():
            phase.cpu[name] += read() - before[name]


class Phase:
    """The answers and latencies of one batch of requests."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.statuses: Counter = Counter()
        self.latencies: list[float] = []
        self.seconds = 0.0
        self.cpu: Counter = Counter()  # CPU seconds by part, see CpuMeter
        self._lock = threading.Lock()

    def note(self, status: int | str, latency: float) -> None:
        """Record one answer."""
        with self._lock:
            self.statuses[status] += 1
            self.latencies.append(latency)

    def cpu_ms(self, part: str) -> float:
        """Return the CPU milliseconds `part` used per request of this phase."""
        return self.cpu[part] * 1000 / len(self.latencies)

    @property
    def rate(self) -> float:
        """Return the requests answered per second of wall time."""
        return len(self.latencies) / self.seconds

    def rows(self) -> list[tuple[str, object]]:
        """Return the phase's figures for print_table."""
        label = self.name
        return [
            (f"{label}: statuses", dict(self.statuses)),
            (f"{label}: requests/s", f"{self.rate:.0f}"),
            (
                f"{label}: CPU ms per request",
                ", ".join(f"{k} {v * 1000 / len(self.latencies):.1f}" for k, v in self.cpu.items()),
            ),
            (
                f"{label}: latency p50 / p95, ms",
                f"{percentile(self.latencies, 0.5) * 1000:.1f} / "
                f"{percentile(self.latencies, 0.95) * 1000:.1f}",
            ),
        ]


def hammer(
    phase: Phase, make: Callable[[int], tuple], numbers: range, clients: int, timed: bool = True
) -> None:
    """Send the requests make(i) for i in `numbers` from `clients` threads into `phase`.

    With timed=False the caller adds the phase's seconds (when the work counts as done).
    """
    import requests

    todo = iter(numbers)
    lock = threading.Lock()

    def client() -> None:
        session = new_session()
        while True:
            with lock:
                i = next(todo, None)
            if i is None:
                return
            method, url, body, headers = make(i)
            begin = time.perf_counter()
            try:
                status: int | str = session.request(
                    method, url, data=body, headers=headers, timeout=60
                ).status_code
            except requests.RequestException as exc:
                status = type(exc).__name__
            phase.note(status, time.perf_counter() - begin)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    if timed:
        phase.seconds += time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
