"""The package builds without warnings and ships its data; each make target installs it once."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# A command that installs IronRelay itself: `-e .`, `-e ".[dev]"`, or the sample's requirements.
INSTALLS_IRONRELAY = re.compile(r"pip install .*(-e \.|-e \"\.\[|-r requirements\.txt)")


def test_build_has_no_warnings_and_ships_templates_static_and_migrations(tmp_path):
    # setuptools' own build step, offline: what `pip wheel .` and `pip install -e .` run.
    result = subprocess.run(
        [
            *(sys.executable, "-c", "from setuptools import setup; setup()", "-q"),
            *("egg_info", "--egg-base", str(tmp_path), "build_py", "--build-lib", str(tmp_path)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stderr
    built = tmp_path / "ironrelay"
    assert (built / "migrations" / "0001_initial.py").exists()
    assert (built / "templates" / "ironrelay" / "base.html").exists()
    assert (built / "static" / "ironrelay" / "dashboard.css").exists()
    assert not list(built.rglob("__pycache__"))


@pytest.mark.parametrize("target", ["run", "test", "lint"])
def test_make_target_installs_ironrelay_once(target, tmp_path):
    make = shutil.which("make")
    assert make, "make is needed (CI installs it)"
    result = subprocess.run(
        [make, "-n", target, f"VENV={tmp_path / 'venv'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    installs = [line for line in result.stdout.splitlines() if INSTALLS_IRONRELAY.search(line)]
    assert len(installs) == 1, result.stdout
