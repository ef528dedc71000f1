"""Turn the runs' figures into the markdown report: medians, IronRelay vs the best peer."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from adapters.base import System


@dataclass(frozen=True)
class Row:
    key: str  # metric name in RunResult.metrics
    label: str
    unit: str
    higher_is_better: bool

    @property
    def workload(self) -> str:
        """Return the workload that produces this metric (its name in RunResult.errors)."""
        return "latency" if self.key.startswith("latency_") else self.key


ROWS = (
    Row("enqueue_single", "enqueue_single", "tasks/s", True),
    Row("enqueue_bulk", "enqueue_bulk", "tasks/s", True),
    Row("drain_1", "drain_1 (1 process)", "tasks/s", True),
    Row("drain_2", "drain_2 (2 processes)", "tasks/s", True),
    Row("drain_4", "drain_4 (4 processes)", "tasks/s", True),
    Row("latency_p50", "latency p50", "ms", False),
    Row("latency_p95", "latency p95", "ms", False),
)
CHECKED = ("enqueue_single", "enqueue_bulk", "drain_1", "drain_2", "drain_4", "latency")

Runs = list[dict[str, Any]]  # RunResult.to_json() of each run


def median_of(runs: Runs, key: str) -> tuple[float | None, int]:
    """Return the median of a metric over the runs that produced it, and how many did."""
    values = [run["metrics"][key] for run in runs if key in run["metrics"]]
    return (statistics.median(values) if values else None), len(values)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def _cell(system: System, vendor: str, runs: Runs | None, row: Row) -> str:
    if vendor not in system.databases:
        return "n/a (no " + vendor + ")"
    if not runs:
        return "not run"
    attempted = [r for r in runs if row.key in r["metrics"] or row.workload in r["errors"]]
    if not attempted:
        return "—"
    value, count = median_of(runs, row.key)
    if value is None:
        return "failed"
    text = _number(value)
    if row.key == "enqueue_bulk" and any(r["bulk_fallback"] for r in runs):
        text += " †"
    if count < len(attempted):
        text += f" ({count}/{len(attempted)} runs)"
    return text


def _ratio(systems: Sequence[System], vendor: str, results: dict, row: Row) -> str:
    ours, _ = median_of(results.get(("ironrelay", vendor)) or [], row.key)
    peers = []
    for system in systems:
        if system.key == "ironrelay":
            continue
        value, _ = median_of(results.get((system.key, vendor)) or [], row.key)
        if value is not None:
            peers.append((value, system.label))
    if ours is None or not peers:
        return "—"
    if row.higher_is_better:
        best, label = max(peers)
        ratio = ours / best
    else:
        best, label = min(peers)
        ratio = best / ours if ours > 0 else float("inf")
    return f"{ratio:.2f}x vs {label}"


def _checks(runs: Runs | None) -> str:
    if not runs:
        return "—"
    problems = sorted(
        {
            f"{name}: {verdict}"
            for run in runs
            for name, verdict in run["checks"].items()
            if verdict != "ok"
        }
    )
    failed = sorted({name for run in runs for name in run["errors"]})
    if failed:
        problems.append("not checked, failed: " + ", ".join(failed))
    checked = sum(len(run["checks"]) for run in runs)
    return "; ".join(problems) if problems else f"ok ({checked} checks)"


def table(systems: Sequence[System], vendor: str, results: dict) -> list[str]:
    """Return the markdown table for one database."""
    present = [s for s in systems if vendor in s.databases]
    header = ["workload", "unit", *(s.label for s in present), "IronRelay vs best peer"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in ROWS:
        if not any(
            row.key in run["metrics"] for s in present for run in results.get((s.key, vendor)) or []
        ):
            continue
        cells = [_cell(s, vendor, results.get((s.key, vendor)), row) for s in present]
        lines.append(
            f"| {row.label} | {row.unit} | "
            + " | ".join(cells)
            + f" | {_ratio(systems, vendor, results, row)} |"
        )
    checks = [_checks(results.get((s.key, vendor))) for s in present]
    lines.append("| exactly-once | | " + " | ".join(checks) + " | |")
    return lines


def raw_runs(systems: Sequence[System], vendors: Sequence[str], results: dict) -> list[str]:
    """Return every run's figures, for the spread behind each median."""
    lines = ["| system | database | metric | runs |", "|---|---|---|---|"]
    for vendor in vendors:
        for system in systems:
            runs = results.get((system.key, vendor))
            if not runs:
                continue
            for row in ROWS:
                values = [_number(r["metrics"][row.key]) for r in runs if row.key in r["metrics"]]
                if values:
                    lines.append(f"| {system.label} | {vendor} | {row.key} | {', '.join(values)} |")
    errors = [
        f"- {key[0]} / {key[1]} run {i + 1}, {name}: {message}"
        for key, runs in results.items()
        for i, run in enumerate(runs)
        for name, message in run["errors"].items()
    ]
    if errors:
        lines += ["", "Errors:", "", *errors]
    return lines
