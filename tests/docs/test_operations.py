"""docs/operations.md and the Grafana dashboard name only metrics, options, settings that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from django.core.management import load_command_class
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

from ironrelay.conf import RelaySettings
from ironrelay.metrics.collector import IronRelayCollector

ROOT = Path(__file__).resolve().parent.parent.parent
OPERATIONS = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
DASHBOARD = json.loads((ROOT / "docs" / "grafana" / "ironrelay.json").read_text(encoding="utf-8"))
NAME = re.compile(r"\bironrelay_[a-z_]+\b")


def exposed_names() -> set[str]:
    """Return every sample name a scrape can hold (counters end _total, histograms _bucket...)."""
    names = set()
    for family in IronRelayCollector().describe():
        if isinstance(family, CounterMetricFamily):
            names.add(family.name + "_total")
        elif isinstance(family, HistogramMetricFamily):
            names |= {family.name + suffix for suffix in ("_bucket", "_sum", "_count")}
        else:
            names.add(family.name)
    return names


def family_names() -> set[str]:
    found = set()
    for family in IronRelayCollector().describe():
        suffix = "_total" if isinstance(family, CounterMetricFamily) else ""
        found.add(family.name + suffix)
    return found


def expressions() -> list[str]:
    return [target["expr"] for panel in DASHBOARD["panels"] for target in panel["targets"]]


def test_dashboard_is_a_grafana_dashboard_with_panels():
    assert DASHBOARD["title"] and DASHBOARD["panels"]
    ids = [panel["id"] for panel in DASHBOARD["panels"]]
    assert len(ids) == len(set(ids))
    for panel in DASHBOARD["panels"]:
        assert panel["targets"] and panel["datasource"]["type"] == "prometheus"


@pytest.mark.parametrize("expr", expressions())
def test_each_dashboard_expression_names_metrics_that_exist(expr):
    used = set(NAME.findall(expr))
    assert used, f"no IronRelay metric in {expr!r}"
    assert used <= exposed_names(), used - exposed_names()


def test_dashboard_shows_every_metric():
    used = {name for expr in expressions() for name in NAME.findall(expr)}
    shown = {re.sub(r"_(bucket|sum|count)$", "", name) for name in used}
    assert family_names() <= shown, family_names() - shown


def test_metrics_table_lists_exactly_the_metrics_exported():
    table = re.findall(r"^\| `(ironrelay_[a-z_]+)` \|", OPERATIONS, flags=re.MULTILINE)
    assert set(table) == family_names()


def yaml_blocks() -> list[object]:
    blocks = re.findall(r"```yaml\n(.*?)```", OPERATIONS, flags=re.DOTALL)
    return [yaml.safe_load(block) for block in blocks]


def probe_commands() -> list[list[str]]:
    found = []
    for document in yaml_blocks():
        for container in document if isinstance(document, list) else []:
            for probe in ("livenessProbe", "readinessProbe"):
                if probe in container:
                    found.append(container[probe]["exec"]["command"])
    return found


def test_probe_yaml_parses_and_runs_the_health_command_with_real_options():
    commands = probe_commands()
    assert len(commands) == 3
    parser = load_command_class("ironrelay", "ironrelay_health").create_parser(
        "manage.py", "ironrelay_health"
    )
    for command in commands:
        assert command[:3] == ["python", "manage.py", "ironrelay_health"]
        parser.parse_args(command[3:])  # exits on an unknown option


def test_settings_named_in_the_docs_exist():
    named = set(re.findall(r'"((?:METRICS|ALERT)_?[A-Z_]*)"', OPERATIONS))
    assert named and named <= set(RelaySettings.__dataclass_fields__)
