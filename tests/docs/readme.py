"""Read README.md: its code blocks, their shell commands and the model attributes it names."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

FENCE = re.compile(r"^```(\w*)\s*$")
# `Model.attr` or `instance.attr()`; `ironrelay.models.` may precede the model.
QUALIFIED = re.compile(r"`(?:ironrelay\.models\.)?([A-Za-z]\w*)\.(\w+)(?:\(\))?`")
BACKTICKED_MODEL = re.compile(r"`(?:ironrelay\.models\.)?([A-Z]\w*)`")
FIELD_NAME = re.compile(r"`([a-z][a-z0-9_]*)`")
# How the README names instances: `endpoint.masked_secret` is an Endpoint's attribute.
INSTANCE_NAMES = {"endpoint": "Endpoint", "webhook": "IncomingWebhook", "delivery": "Delivery"}


@dataclass(frozen=True)
class Block:
    """One fenced code block: its language, the heading above it, and its text."""

    language: str
    heading: str
    line: int
    text: str


def code_blocks(text: str) -> list[Block]:
    """Return the fenced code blocks of a Markdown text, in order."""
    blocks: list[Block] = []
    heading = ""
    opened: tuple[str, int] | None = None
    body: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if opened is None:
            if line.startswith("#"):
                heading = line.lstrip("#").strip()
            elif match := FENCE.match(line):
                opened, body = (match.group(1), number), []
        elif line.startswith("```"):
            blocks.append(Block(opened[0], heading, opened[1], "\n".join(body) + "\n"))
            opened = None
        else:
            body.append(line)
    return blocks


def prose(text: str) -> str:
    """Return a Markdown text without its fenced code blocks."""
    return re.sub(r"^```\w*\s*\n.*?^```\s*$", "", text, flags=re.MULTILINE | re.DOTALL)


def shell_commands(block: Block) -> list[str]:
    """Return a shell block's commands, backslash-continued lines joined, comment lines dropped."""
    commands: list[str] = []
    pending = ""
    for line in block.text.splitlines():
        pending += line + "\n"
        if line.endswith("\\"):
            continue
        if pending.strip() and not pending.lstrip().startswith("#"):
            commands.append(pending.rstrip("\n"))
        pending = ""
    return commands


def model_references(text: str, models: set[str]) -> Iterator[tuple[str, str]]:
    """Yield (model, attribute) for every model attribute the prose of `text` names.

    Two forms count: `Model.attr` (or `endpoint.attr`), and a sentence that names a `Model` and
    then lists "fields `a`, `b`" (names inside a nested parenthesis, like JSON keys, are skipped).
    """
    body = prose(text)
    for match in QUALIFIED.finditer(body):
        model = INSTANCE_NAMES.get(match.group(1), match.group(1))
        if model in models:
            yield model, match.group(2)
    for match in re.finditer(r"\bfields\b", body):
        start = max(body.rfind(". ", 0, match.start()), body.rfind("\n\n", 0, match.start())) + 1
        before = BACKTICKED_MODEL.findall(body[start : match.start()])
        named = [name for name in before if name in models]
        if named:
            for field in _listed_names(body[match.end() :]):
                yield named[-1], field


def _listed_names(rest: str) -> Iterator[str]:
    """Yield the backticked names at the top level of a list, up to its sentence's end."""
    depth = 0
    position = 0
    while position < len(rest):
        char = rest[position]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return
        elif char == "." and depth == 0 and rest[position + 1 : position + 2] in (" ", "\n", ""):
            return
        elif char == "`":
            end = rest.index("`", position + 1)
            if depth == 0 and (match := FIELD_NAME.fullmatch(rest[position : end + 1])):
                yield match.group(1)
            position = end
        position += 1
