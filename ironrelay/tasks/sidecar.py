"""Records a task hands over to be written with its outcome, in the transaction that writes it."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import router, transaction

from ironrelay.models import Task

# Writes a list of items of one kind; called with many tasks' items together.
Writer = Callable[[list[Any]], None]
Key = TypeVar("Key", bound=Hashable)


@dataclass(frozen=True)
class Record:
    """One item for `writer` to write with the outcome of the task that made it."""

    writer: Writer
    item: Any


_local = threading.local()


def write_with_outcome(writer: Writer, item: Any) -> None:
    """Have `writer` write `item` with this task's outcome; at once when no worker collects.

    In a worker the item is written in the transaction that writes the task's outcome, with the
    items of the other tasks finished meanwhile: the task's thread does not wait for it, and a
    success is never written without its item. A failed run's items are written with its failure.
    `writer` must be a module-level function: items are grouped by it.
    """
    collected: list[Record] | None = getattr(_local, "records", None)
    if collected is None:
        # Records go where task outcomes do (they are written in one transaction with them); a
        # savepoint inside a caller's transaction, which a refused item must not abort.
        with transaction.atomic(using=router.db_for_write(Task)):
            writer([item])
        return
    collected.append(Record(writer, item))


@contextlib.contextmanager
def collecting() -> Iterator[list[Record]]:
    """Collect the records that the code run inside hands over with its outcome."""
    previous = getattr(_local, "records", None)
    records: list[Record] = []
    _local.records = records
    try:
        yield records
    finally:
        _local.records = previous


def write(records: Sequence[tuple[Key, Sequence[Record]]], using: str) -> dict[Key, Exception]:
    """Write every key's records, grouped by writer; return the keys whose records failed.

    Each group is tried in a savepoint of the caller's transaction, then, if it fails, each
    key's items alone: one bad item fails only its own key.
    """
    refused: dict[Key, Exception] = {}
    for writer, entries in _groups(records).items():
        try:
            with transaction.atomic(using=using):
                writer([item for _, item in entries])
            continue
        except Exception as exc:  # which key's items the database refused is found below
            failed = exc
        by_key: dict[Key, list[Any]] = {}
        for key, item in entries:
            by_key.setdefault(key, []).append(item)
        if len(by_key) == 1:
            refused.update(dict.fromkeys(by_key, failed))
            continue
        for key, items in by_key.items():
            try:
                with transaction.atomic(using=using):
                    writer(items)
            except Exception as exc:  # a record the database refuses fails its task alone
                refused[key] = exc
    return refused


def write_all(records: Sequence[tuple[Key, Sequence[Record]]]) -> None:
    """Write every key's records, grouped by writer, with no savepoint: raise if one fails."""
    for writer, entries in _groups(records).items():
        writer([item for _, item in entries])


def _groups(records: Sequence[tuple[Key, Sequence[Record]]]) -> dict[Writer, list[tuple[Key, Any]]]:
    groups: dict[Writer, list[tuple[Key, Any]]] = {}
    for key, key_records in records:
        for record in key_records:
            groups.setdefault(record.writer, []).append((key, record.item))
    return groups
