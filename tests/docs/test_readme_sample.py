"""Paste the README's shell blocks in order, as a reader would, and watch the sample project work.

The blocks run in a scratch folder laid out like the checkout: `sample_project` (linked), and
`.venv` linked to the virtualenv running this suite, so `source .venv/bin/activate` works as after
`make run`. PATH starts without any virtualenv, so a command that needs one fails unless the README
activated it. The sample's database is a scratch SQLite file (SAMPLE_DB). Nothing else changes, but:
lines that create the virtualenv or install packages are not run (tests never reach the network) but
checked instead, and the server, worker and receiver listen on free ports instead of 8000 and 8001.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.docs.readme import README, ROOT, Block, code_blocks, shell_commands
from tests.waiting import wait_until

pytestmark = pytest.mark.acceptance

# Shell blocks are run by heading; every other one must be listed here with the reason.
RUN = ["The sample project", "Incoming webhooks"]
NOT_RUN = {
    "IronRelay": "make run installs into .venv and serves until Ctrl-C (the blocks below start the "
    "same server, worker and receiver); make test runs this suite",
    "Install in your project": "installs into the reader's own project",
    "The portal API": "calls the reader's own site with a token it issued; "
    "tests/acceptance/test_portal_live.py makes the same calls",
}
NOT_PASTED = re.compile(r"^(python3 -m venv|pip install)\b")
LONG_RUNNING = re.compile(r"manage\.py (runserver|ironrelay_worker|demo_receiver)\b")
DEMO_URL = "http://127.0.0.1:8001/webhooks/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Session:
    """A reader's terminal: a working directory and environment carried from command to command."""

    root: Path
    cwd: Path
    env: dict[str, str]
    web_port: int = field(default_factory=free_port)
    demo_port: int = field(default_factory=free_port)
    running: dict[str, tuple[subprocess.Popen, Path]] = field(default_factory=dict)

    def localise(self, command: str) -> str:
        """Point the sample's server, receiver and the commands that reach them at free ports."""
        command = command.replace("127.0.0.1:8000", f"127.0.0.1:{self.web_port}")
        command = re.sub(r"\brunserver\b(?!\s+[\w.]*:\d)", f"runserver {self.web_port}", command)
        command = re.sub(
            r"\bironrelay_send_test\b",
            f"ironrelay_send_test --url http://127.0.0.1:{self.web_port}",
            command,
        )
        return re.sub(r"\bdemo_receiver\b", f"demo_receiver --port {self.demo_port}", command)

    def run(self, command: str) -> str:
        """Run one command in bash, keep its directory and environment, return its output."""
        state = self.root / ".state"
        script = (
            f'{command}\nstatus=$?\npwd > "{state}.cwd"\nenv -0 > "{state}.env"\nexit $status\n'
        )
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"README command failed: {command}\n{output}"
        self.cwd = Path(Path(f"{state}.cwd").read_text().strip())
        pairs = Path(f"{state}.env").read_text().split("\0")
        self.env = dict(pair.split("=", 1) for pair in pairs if "=" in pair)
        return output

    def start(self, command: str) -> None:
        """Start a command that keeps running (as in its own terminal) and wait until it is up."""
        name = LONG_RUNNING.search(command).group(1)
        log = self.root / f"{name}.log"
        proc = subprocess.Popen(
            ["bash", "-c", command],
            cwd=self.cwd,
            env=self.env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.running[name] = (proc, log)
        ready = {
            "runserver": lambda: port_open(self.web_port),
            "demo_receiver": lambda: port_open(self.demo_port),
            "ironrelay_worker": lambda: " started: " in log.read_text(),
        }[name]
        assert wait_until(lambda: ready() or proc.poll() is not None, timeout=30)
        assert proc.poll() is None, f"{command} exited:\n{log.read_text()}"

    def log(self, name: str) -> str:
        return self.running[name][1].read_text()

    def stop_all(self) -> None:
        for proc, _ in self.running.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc, _ in self.running.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def check_not_pasted(session: Session, command: str) -> None:
    """Check what a line that is not run would do: the virtualenv is the one `make run` makes, and
    the requirements file exists and installs this checkout."""
    if command.startswith("python3 -m venv"):
        makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
        assert f"VENV ?= {command.split()[3]}\n" in makefile
    if command.startswith("pip install -r"):
        requirements = session.cwd / command.split()[3]
        lines = requirements.read_text().splitlines()
        # An editable line may name extras: "-e ..[backport]" installs the checkout too.
        editable = [
            line.split(None, 1)[1].split("[")[0] for line in lines if line.startswith("-e ")
        ]
        assert [(session.cwd / path).resolve() for path in editable] == [ROOT]


def create_order(session: Session) -> None:
    """Click "Create an order" on the sample's home page."""
    home = f"http://127.0.0.1:{session.web_port}/"
    with requests.Session() as browser:
        browser.get(home, timeout=10).raise_for_status()
        token = browser.cookies["csrftoken"]
        form = {"csrfmiddlewaretoken": token, "action": "order"}
        response = browser.post(home, data=form, headers={"Referer": home}, timeout=10)
        response.raise_for_status()
        assert "Order #1 for" in response.text


def redirect_demo_endpoint(session: Session) -> None:
    """Point the demo endpoints the sample's migrations created at this test's receiver port."""
    with sqlite3.connect(session.env["SAMPLE_DB"]) as db:
        changed = db.execute(
            "UPDATE ironrelay_endpoint SET url = replace(url, ?, ?) WHERE url LIKE ?",
            (DEMO_URL, DEMO_URL.replace("8001", str(session.demo_port)), DEMO_URL + "%"),
        ).rowcount
    assert changed == 3  # the site's own, and one per demo customer


def check_customer_portal(session: Session) -> None:
    """Log in as a demo customer: the portal shows its endpoint only; its orders reach only it."""
    site = f"http://127.0.0.1:{session.web_port}"
    with requests.Session() as browser:
        browser.get(f"{site}/accounts/login/", timeout=10).raise_for_status()
        login = {
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
            "username": "globex",
            "password": "globex",
            "next": "/webhooks/",
        }
        portal = browser.post(
            f"{site}/accounts/login/", data=login, headers={"Referer": site}, timeout=10
        )
        assert portal.url == f"{site}/webhooks/", portal.text[:500]
        assert "Globex&#x27;s receiver" in portal.text and "Acme" not in portal.text
        order = {
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
            "action": "customer-order",
            "customer": "globex",
        }
        browser.post(f"{site}/", data=order, headers={"Referer": site}, timeout=10)
    delivered = "verified shop.order.created msg_"
    assert wait_until(
        lambda: any(
            delivered in line and "for /webhooks/globex/" in line
            for line in session.log("demo_receiver").splitlines()
        ),
        30,
    ), session.log("demo_receiver")
    assert "for /webhooks/acme/" not in session.log("demo_receiver")


def shell_blocks() -> list[Block]:
    return [
        block
        for block in code_blocks(README.read_text(encoding="utf-8"))
        if block.language in ("bash", "sh", "shell")
    ]


def test_every_readme_shell_block_is_run_or_says_why_not():
    headings = [block.heading for block in shell_blocks()]
    assert sorted(set(headings) - set(RUN) - set(NOT_RUN)) == []
    assert set(RUN) <= set(headings)


def test_readme_sample_blocks_work_pasted_in_order(tmp_path):
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    (tmp_path / "sample_project").symlink_to(ROOT / "sample_project")
    assert (tmp_path / ".venv" / "bin" / "activate").exists(), "the suite must run in a virtualenv"
    fresh_terminal = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(ROOT),  # this checkout's ironrelay, whatever the virtualenv installed
        "SAMPLE_DB": str(tmp_path / "sample.sqlite3"),
    }
    session = Session(root=tmp_path, cwd=tmp_path, env=fresh_terminal)
    outputs: list[tuple[str, str]] = []
    try:
        for block in (b for b in shell_blocks() if b.heading in RUN):
            # Each block starts in a new terminal at the top of the checkout.
            session.cwd, session.env = tmp_path, dict(fresh_terminal)
            for command in shell_commands(block):
                if NOT_PASTED.match(command):
                    check_not_pasted(session, command)
                elif LONG_RUNNING.search(command):
                    session.start(session.localise(command))
                else:
                    if "ironrelay_send_test stripe" in command:
                        create_order(session)  # the README asks for this click first
                    outputs.append((command, session.run(session.localise(command))))
                if "manage.py migrate" in command:
                    redirect_demo_endpoint(session)

        assert set(session.running) == {"runserver", "ironrelay_worker", "demo_receiver"}
        curl = next(out for cmd, out in outputs if cmd.startswith("curl"))
        assert '"status": "received"' in curl
        send_test = next(out for cmd, out in outputs if "ironrelay_send_test" in cmd)
        assert "-> 202" in send_test
        worker_says = [
            "ping received with value 123",
            "payment pi_test_",
            "succeeded: order 1 marked paid",
        ]
        assert wait_until(
            lambda: all(s in session.log("ironrelay_worker") for s in worker_says), 30
        ), session.log("ironrelay_worker")
        receiver_says = ["verified shop.order.created", "verified shop.order.updated"]
        assert wait_until(
            lambda: all(s in session.log("demo_receiver") for s in receiver_says), 30
        ), session.log("demo_receiver")
        check_customer_portal(session)
    finally:
        session.stop_all()
