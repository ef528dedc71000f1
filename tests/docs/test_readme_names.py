"""What README.md names exists: its Python compiles, its commands, make targets and model fields."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys

import pytest
from django.apps import apps

from tests.docs.readme import README, ROOT, code_blocks, model_references, prose

TEXT = README.read_text(encoding="utf-8")
PYTHON_BLOCKS = [block for block in code_blocks(TEXT) if block.language == "python"]


def ironrelay_models() -> dict[str, type]:
    return {model.__name__: model for model in apps.get_app_config("ironrelay").get_models()}


def missing_attributes(text: str) -> list[str]:
    """Return `Model.attr` for every attribute the text names that the model does not have."""
    models = ironrelay_models()
    return [
        f"{name}.{attr}"
        for name, attr in model_references(text, set(models))
        if not hasattr(models[name], attr)
    ]


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=lambda block: f"line{block.line}")
def test_readme_python_block_compiles_and_defines_its_names(block):
    compile(block.text, f"README.md:{block.line}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    # ruff's undefined-name rule (pyflakes F821): `env(...)` without a definition fails here.
    result = subprocess.run(
        [
            *(sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--select"),
            *("F821", "--output-format", "concise", "--stdin-filename"),
            *(f"readme_line{block.line}.py", "-"),
        ],
        input=block.text,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_has_python_and_shell_blocks():
    languages = {block.language for block in code_blocks(TEXT)}
    assert {"python", "bash"} <= languages


def test_readme_manage_py_commands_exist_in_the_sample_project():
    named = set(re.findall(r"manage\.py (\w+)", TEXT))
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, "manage.py", "help", "--commands"],
        cwd=ROOT / "sample_project",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    available = set(result.stdout.split())
    assert {"ironrelay_worker", "ironrelay_send_test", "demo_receiver"} <= named
    assert sorted(named - available) == []


def test_readme_make_targets_exist():
    in_code = re.findall(r"`make (\w[\w-]*)", TEXT) + re.findall(r"^make (\w[\w-]*)", TEXT, re.M)
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([\w-]+):", makefile, re.MULTILINE))
    assert {"run", "test"} <= set(in_code)
    assert sorted(set(in_code) - targets) == []


def test_readme_model_fields_exist():
    named = list(model_references(TEXT, set(ironrelay_models())))
    assert ("OutgoingWebhook", "event_type") in named
    assert ("Endpoint", "is_active") in named
    assert ("Task", "return_value") in named
    assert missing_attributes(TEXT) == []


@pytest.mark.parametrize(
    "text, missing",
    [
        ("Each event is one `OutgoingWebhook` (fields `id` (`msg_…`), `type`).", ["type"]),
        ("Read `OutgoingWebhook.type` or `endpoint.token`.", ["type", "token"]),
        (
            "`ironrelay.models.Task` has the fields `status`, `errors` (keys `at`), `colour`.",
            ["colour"],
        ),
        ("`Task` rows are stored. The default payload is the model's fields `nope`.", []),
    ],
)
def test_model_field_check_reports_missing_fields(text, missing):
    assert [ref.split(".")[1] for ref in missing_attributes(text)] == missing


def test_prose_leaves_out_code_blocks():
    assert prose("a\n```python\nx = `Task.nope`\n```\nb\n").split() == ["a", "b"]
