"""Settings shared by every system under test; the environment picks the system and database.

BENCH_SYSTEM    ironrelay | procrastinate | django_tasks_db | django_q2 | celery
BENCH_DB        postgres | sqlite | mysql (MariaDB)
BENCH_DB_NAME   PostgreSQL or MariaDB database name, or SQLite file path
BENCH_WORKERS   worker processes asked for (only django-q2 reads it: its pool size)
"""

from __future__ import annotations

import os

from adapters import get_system

SYSTEM = get_system(os.environ.get("BENCH_SYSTEM", "ironrelay"))
VENDOR = os.environ.get("BENCH_DB", "postgres")
DB_NAME = os.environ.get("BENCH_DB_NAME", "ironrelay_bench")

SECRET_KEY = "bench-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS: list[str] = []
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", *SYSTEM.installed_apps]

# The same connection settings for every system: persistent connections, no health checks.
if VENDOR == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": DB_NAME,
            "USER": "postgres",
            "HOST": "127.0.0.1",
            "PORT": "5432",
            "CONN_MAX_AGE": 600,
        }
    }
elif VENDOR == "sqlite":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DB_NAME,
            "CONN_MAX_AGE": 600,
            "OPTIONS": {
                # What IronRelay applies to its own connections, given to every system so that
                # none fails with "database is locked" for want of a busy timeout.
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=30000; PRAGMA synchronous=NORMAL"
                ),
            },
        }
    }
elif VENDOR == "mysql":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.mysql",
            "NAME": DB_NAME,
            "USER": "root",
            "HOST": "127.0.0.1",
            "PORT": "3306",
            "CONN_MAX_AGE": 600,
            "OPTIONS": {"charset": "utf8mb4"},
        }
    }
else:
    raise SystemExit(f"BENCH_DB must be postgres, sqlite or mysql, not {VENDOR!r}")

globals().update(SYSTEM.settings(workers=int(os.environ.get("BENCH_WORKERS", "1"))))
