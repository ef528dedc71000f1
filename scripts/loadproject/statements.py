"""Count the SQL statements a process runs, for load.py --profile (SCRIPT_STATEMENTS_DIR).

Each statement is counted under its first words, split by whether it touched a row. SIGUSR1
writes the counts so far to <dir>/<process>-<pid>-before.txt and starts again from zero; at exit
the counts since are written to <dir>/<process>-<pid>.txt.
"""

from __future__ import annotations

import atexit
import os
import re
import signal
import sys
import threading
from collections import Counter
from typing import Any

_counts: Counter = Counter()
_lock = threading.Lock()


def install(directory: str) -> None:
    """Count every statement of every connection this process opens; write them at exit."""
    from django.db.backends.signals import connection_created

    connection_created.connect(_wrap, weak=False)
    atexit.register(_write, directory, "")
    # A thread takes the lock: the handler may run while the main thread holds it.
    signal.signal(
        signal.SIGUSR1,
        lambda signum, frame: threading.Thread(target=_write, args=(directory, "-before")).start(),
    )


def _wrap(sender: Any, connection: Any, **kwargs: Any) -> None:
    if _count not in connection.execute_wrappers:
        connection.execute_wrappers.append(_count)


def _count(execute: Any, sql: str, params: Any, many: bool, context: dict) -> Any:
    result = execute(sql, params, many, context)
    rowcount = getattr(context["cursor"], "rowcount", -1)
    key = re.sub(r"\s+", " ", str(sql))[:90]
    with _lock:
        _counts[(key, "no rows" if rowcount == 0 else "rows")] += 1
    return result


def _write(directory: str, suffix: str) -> None:
    name = "worker" if "ironrelay_worker" in " ".join(sys.argv) else "other"
    path = os.path.join(directory, f"{name}-{os.getpid()}{suffix}.txt")
    with _lock:
        counts = _counts.copy()
        _counts.clear()
    with open(path, "w") as out:
        for (sql, rows), n in counts.most_common():
            out.write(f"{n}\t{rows}\t{sql}\n")
