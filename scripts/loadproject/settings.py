"""Settings of the scripts' project: tests.settings, this app, a short worker lease, logging.

The database comes from tests.settings (IRONRELAY_TEST_DB and IRONRELAY_DB_NAME); the scripts
create that scratch database and drop it when they finish.
"""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES, INSTALLED_APPS, IRONRELAY

INSTALLED_APPS = [*INSTALLED_APPS, "scripts.loadproject"]
ROOT_URLCONF = "scripts.loadproject.urls"
WSGI_APPLICATION = "scripts.loadproject.wsgi.application"

# db_outage.py --health-checks: test a kept connection before reusing it after each task.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = os.environ.get("SCRIPT_CONN_HEALTH_CHECKS") == "1"

IRONRELAY = {
    **IRONRELAY,
    # A worker silent this long is dead and its tasks go back to pending (default 60 s).
    "WORKER_LEASE": float(os.environ.get("SCRIPT_WORKER_LEASE", "5")),
    "WORKER_HEARTBEAT_INTERVAL": 1.0,
    # The default, not the tests' 0.05 s: idle workers must not compete with the web server for
    # the CPU in load.py (PostgreSQL wakes them with NOTIFY anyway).
    "WORKER_POLL_INTERVAL": float(os.environ.get("SCRIPT_POLL_INTERVAL", "1.0")),
    # limits_bench.py: a rate far above what one worker drains, so only its cost shows.
    "QUEUES": {**IRONRELAY.get("QUEUES", {}), "generous": {"rate": "100000/s"}},
}

# Timestamped lines on stderr (the scripts send it to a log file per process), so a worker's
# "Worker <id> started" line and any 5xx traceback can be read back.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"}
    },
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {"ironrelay": {"level": "INFO"}},
}
