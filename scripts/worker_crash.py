"""Kill -9 a worker mid-run and show that no task is lost and only its held tasks run twice.

Defers 2,000 `tests.testapp.tasks.record` tasks (each run inserts one Execution row labelled with
the task's label) into a scratch database, starts two `ironrelay_worker --concurrency 4`
processes with WORKER_LEASE 5 s and heartbeats every second, SIGKILLs one of them once ~30 % of
the tasks are done, starts a replacement, and waits until every task has succeeded.

Exit status 0 only when every task succeeded and ran at least once, and every task that ran
more than once was `running` under the killed worker's id at the kill.

    .venv/bin/python scripts/worker_crash.py --db postgres
    .venv/bin/python scripts/worker_crash.py --db mysql
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections import Counter

from _common import Processes, ScratchDatabase, print_table, run_dir, verdict, wait_until

SETTLE = 1.0  # seconds for the server to finish any commit the killed worker had already sent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgres", "mysql", "sqlite"], default="postgres")
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4, help="threads per worker")
    parser.add_argument("--kill-at", type=float, default=0.3, help="fraction done at the kill")
    parser.add_argument("--lease", type=float, default=5.0, help="WORKER_LEASE, seconds")
    parser.add_argument("--timeout", type=float, default=300, help="give up after, seconds")
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args()

    db = ScratchDatabase.for_vendor(args.db, "crash")
    db.create()
    try:
        db.configure_django(SCRIPT_WORKER_LEASE=str(args.lease))
        db.migrate()
        with run_dir(Processes(), keep_logs=args.keep_logs) as procs:
            figures, failures = crash_run(procs, args)
    finally:
        db.drop()
    print_table(f"worker_crash --db {args.db}", figures)
    return verdict(failures)


def crash_run(procs: Processes, args: argparse.Namespace) -> tuple[list, list[str]]:
    """Run the tasks, kill one worker, wait for the rest; return (figures, broken promises)."""
    from ironrelay.models import Task
    from tests.testapp.models import Execution
    from tests.testapp.tasks import record

    victim = procs.start_worker("worker-1", args.concurrency)
    procs.start_worker("worker-2", args.concurrency)
    victim_id = procs.worker_id("worker-1")
    procs.worker_id("worker-2")

    total = args.tasks
    record.bulk_defer([((f"crash-{i}",), {"value": i}) for i in range(total)])
    started = time.monotonic()
    successes = Task.objects.filter(status=Task.Status.SUCCESS)
    held_rows = Task.objects.filter(status=Task.Status.RUNNING, worker_id=victim_id)
    kill_at = int(total * args.kill_at)

    def time_to_kill() -> bool:
        # A worker briefly holds nothing between two batches; a kill then would prove little.
        return successes.count() >= kill_at and held_rows.count() >= args.concurrency

    if not wait_until(time_to_kill, args.timeout, interval=0.02):
        return [], [f"only {successes.count()} of {total} tasks done before the timeout"]
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(10)
    killed = time.monotonic()
    done_at_kill = successes.count()
    time.sleep(SETTLE)
    label_of_held = {task_id: args[0] for task_id, args in held_rows.values_list("id", "args")}
    held = set(label_of_held)
    # Those whose Execution row is committed had run, their outcome unwritten: they will repeat.
    ran = Execution.objects.filter(label__in=label_of_held.values()).values_list("label", flat=True)
    held_and_ran = {task_id for task_id, label in label_of_held.items() if label in set(ran)}
    procs.start_worker("worker-3", args.concurrency)

    all_done = wait_until(
        lambda: successes.count() == total, args.timeout - (killed - started), interval=0.2
    )
    finished = time.monotonic()
    exit_codes = {name: procs.stop(name) for name in ("worker-2", "worker-3")}

    label_of = {task_id: args[0] for task_id, args in Task.objects.values_list("id", "args")}
    runs = Counter(Execution.objects.values_list("label", flat=True))
    ran_more = {task_id for task_id, label in label_of.items() if runs[label] > 1}
    never_ran = {task_id for task_id, label in label_of.items() if runs[label] == 0}
    not_success = set(Task.objects.exclude(status=Task.Status.SUCCESS).values_list("id", flat=True))
    requeued = {
        row.id
        for row in Task.objects.filter(attempts__gt=1).only("id", "errors")
        if any(e["exception_class_path"].endswith("WorkerLost") for e in row.errors)
    }
    outside = ran_more - held

    figures = [
        ("tasks", total),
        ("successes", total - len(not_success)),
        ("done when worker-1 was killed", f"{done_at_kill} ({done_at_kill / total:.0%})"),
        ("running under worker-1 at the kill", len(held)),
        ("  of which had already run (outcome unwritten)", len(held_and_ran)),
        ("requeued after the lease (WorkerLost)", len(requeued)),
        ("ran more than once", len(ran_more)),
        ("  of which held by worker-1 at the kill", len(ran_more & held)),
        ("never ran", len(never_ran)),
        ("Execution rows (runs)", sum(runs.values())),
        ("kill -> all done, s", f"{finished - killed:.1f}"),
        ("whole run, s", f"{finished - started:.1f}"),
        ("surviving workers' exit codes (SIGTERM)", exit_codes),
    ]
    failures = []
    if not all_done or not_success:
        failures.append(f"{len(not_success)} task(s) not successful: {sorted(not_success)[:10]}")
    if never_ran:
        failures.append(f"{len(never_ran)} task(s) never ran: {sorted(never_ran)[:10]}")
    if outside:
        failures.append(f"repeats not held by the killed worker: {sorted(outside)[:10]}")
    if ran_more != held_and_ran:
        failures.append(
            f"repeats {len(ran_more)} differ from the held tasks that had run {len(held_and_ran)}"
        )
    if requeued - held:
        failures.append(f"requeued but not held by the killed worker: {sorted(requeued - held)}")
    if any(code != 0 for code in exit_codes.values()):
        failures.append(f"a surviving worker did not exit 0 on SIGTERM: {exit_codes}")
    return figures, failures


if __name__ == "__main__":
    sys.exit(main())
