"""How close defer() is to the floor: the cheapest INSERT a Django transaction can commit.

Usage (from the repository root, with the benchmark's virtualenv that run.sh builds):
    bench/.venv/bin/python bench/floor.py [--db postgres|sqlite|mysql] [--count 5000] [--rounds 3]

enqueue_single is bound by what every system pays per task: a transaction.atomic() block, its
BEGIN, one INSERT and its COMMIT (a WAL flush). This script measures that floor with a table of one
integer column and no index but its primary key, next to IronRelay's noop.defer(), in alternating
rounds on one fresh database, and prints both rates and their ratio. On PostgreSQL it also runs
defer() with IRONRELAY["PREPARED_STATEMENTS"] = False, the INSERT parsed and planned on every call.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="postgres", choices=["postgres", "sqlite", "mysql"])
    parser.add_argument("--count", type=int, default=5_000, help="inserts per round")
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()

    import databases

    database = databases.for_vendor(options.db)
    database.create_empty()
    os.environ.update(BENCH_SYSTEM="ironrelay", BENCH_DB=options.db, BENCH_DB_NAME=database.name)
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchproject.settings"
    try:
        figures = measure(options.count, options.rounds)
    finally:
        from django.db import connections

        connections.close_all()
        database.drop()
    print(f"{options.db}: {options.rounds} rounds of {options.count:,} transactions, medians")
    for label, rates in figures.items():
        runs = ", ".join(f"{rate:,.0f}" for rate in rates)
        print(f"  {label:<34} {statistics.median(rates):>8,.0f} /s   ({runs})")
    ratio = statistics.median(figures["IronRelay noop.defer(i)"]) / statistics.median(
        figures["floor: INSERT INTO floor (n)"]
    )
    print(f"  defer() reaches {ratio:.0%} of the floor")


def measure(count: int, rounds: int) -> dict[str, list[float]]:
    import django

    django.setup()
    from benchproject.tasks_ironrelay import noop
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import override_settings

    call_command("migrate", verbosity=0)
    key = "INTEGER PRIMARY KEY" if connection.vendor == "sqlite" else "SERIAL PRIMARY KEY"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE floor (id {key}, n INTEGER NOT NULL)")

    def floor(i: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO floor (n) VALUES (%s)", [i])

    unprepared = override_settings(IRONRELAY={"PREPARED_STATEMENTS": False})
    steps = {
        "floor: INSERT INTO floor (n)": (floor, contextlib.nullcontext()),
        "IronRelay noop.defer(i)": (noop.defer, contextlib.nullcontext()),
    }
    if connection.vendor == "postgresql":
        steps["  the same, not prepared"] = (noop.defer, unprepared)
    figures: dict[str, list[float]] = {label: [] for label in steps}
    connection.ensure_connection()
    for _ in range(rounds):
        for label, (step, context) in steps.items():
            with context:
                started = time.perf_counter()
                for i in range(count):
                    with transaction.atomic():
                        step(i)
                figures[label].append(count / (time.perf_counter() - started))
    return figures


if __name__ == "__main__":
    main()
