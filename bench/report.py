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
        return self.key.removesuffix("_p50").removesuffix("_p95")


RETURNS = (("", "returns None"), ("_result", "returns its argument"))
ROWS = (
    Row("enqueue_single", "enqueue_single", "tasks/s", True),
    Row("enqueue_bulk", "enqueue_bulk", "tasks/s", True),
    *(
        Row(
            f"drain_{p}{suffix}",
            f"drain_{p} ({p} process{'es' if p > 1 else ''}), {what}",
            "tasks/s",
            True,
        )
        for p in (1, 2, 4)
        for suffix, what in RETURNS
    ),
    *(
        Row(f"latency{suffix}_{q}", f"latency {q}, {what}", "ms", False)
        for q in ("p50", "p95")
        for suffix, what in RETURNS
    ),
)

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


def _ratio(peers: Sequence[System], vendor: str, results: dict, row: Row) -> str:
    """Return IronRelay's median over the best of peers' (above 1x IronRelay is better)."""
    ours, _ = median_of(results.get(("ironrelay", vendor)) or [], row.key)
    values = []
    for system in peers:
        value, _ = median_of(results.get((system.key, vendor)) or [], row.key)
        if value is not None:
            values.append((value, system.label))
    if ours is None or not values:
        return "—"
    if row.higher_is_better:
        best, label = max(values)
        ratio = ours / best
    else:
        best, label = min(values)
        ratio = best / ours if ours > 0 else float("inf")
    return f"{ratio:.2f}x" if len(peers) == 1 else f"{ratio:.2f}x vs {label}"


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
    database_peers = [s for s in present if s.key != "ironrelay" and s.queue_in_database]
    broker_peers = [s for s in present if not s.queue_in_database]
    groups = [database_peers, *([b] for b in broker_peers)]
    header = [
        "workload",
        "unit",
        *(s.label for s in present),
        "IronRelay vs best database peer",
        *(f"IronRelay vs {b.label}" for b in broker_peers),
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in ROWS:
        if not any(
            row.key in run["metrics"] for s in present for run in results.get((s.key, vendor)) or []
        ):
            continue
        cells = [_cell(s, vendor, results.get((s.key, vendor)), row) for s in present]
        ratios = [_ratio(group, vendor, results, row) for group in groups]
        lines.append(f"| {row.label} | {row.unit} | " + " | ".join([*cells, *ratios]) + " |")
    checks = [_checks(results.get((s.key, vendor))) for s in present]
    lines.append("| exactly-once | | " + " | ".join(checks) + " |" + " |" * len(groups))
    # A run that failed as a whole (a service down, a crashed child) is said here, not only below.
    for system in present:
        runs = results.get((system.key, vendor)) or []
        for message in sorted({run["errors"]["run"] for run in runs if "run" in run["errors"]}):
            lines += ["", f"{system.label} did not run: {message}"]
    return lines


def result_cost(vendor: str, results: dict) -> str | None:
    """Return IronRelay's drain rate returning its argument over returning None, per drain."""
    runs = results.get(("ironrelay", vendor)) or []
    ratios = []
    for p in (1, 2, 4):
        value, _ = median_of(runs, f"drain_{p}_result")
        none, _ = median_of(runs, f"drain_{p}")
        if value is not None and none:
            ratios.append(f"drain_{p} {value / none:.2f}x")
    if not ratios:
        return None
    return (
        "IronRelay's drain returning its argument / returning None (1x: the return value costs "
        "nothing): " + ", ".join(ratios) + "."
    )


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
