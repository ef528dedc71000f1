"""Settings for the IronRelay sample project: SQLite, DEBUG on, every feature switched on."""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "sample-project-only-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ironrelay",
    "shop",
]
if find_spec("django.tasks") is None:  # Django 5.2: django.tasks comes from the backport app
    INSTALLED_APPS.append("django_tasks")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "sample_project.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
WSGI_APPLICATION = "sample_project.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SAMPLE_DB", str(BASE_DIR / "db.sqlite3")),
        # IMMEDIATE: the web server and the worker queue for the write lock instead of failing.
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30},
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "/admin/login/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "ironrelay": {"handlers": ["console"], "level": "INFO"},
        "shop": {"handlers": ["console"], "level": "INFO"},
    },
}

# Demo secrets for local development only; real projects read them from the environment.
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_sample_stripe_secret")
GITHUB_WEBHOOK_SECRET = os.environ.get("GITHUB_WEBHOOK_SECRET", "sample-github-secret")

# django.tasks (@django.tasks.task, .enqueue(), get_result()) stored and run by IronRelay.
TASKS = {
    "default": {
        "BACKEND": "ironrelay.backends.IronRelayBackend",
        "QUEUES": ["default"],
        "OPTIONS": {"max_attempts": 3},
    }
}

IRONRELAY: dict = {
    "WORKER_POLL_INTERVAL": 0.5,
    # Periodic tasks: every ironrelay_worker enqueues each slot once (see the Schedules page).
    "SCHEDULES": {
        "send-digest": {"task": "shop.tasks.send_email", "every": 30, "args": [0]},
        "nightly-sync": {
            "task": "shop.tasks.flaky_sync",
            "cron": "0 3 * * *",
            "timezone": "Europe/Berlin",
            "args": [1],
        },
    },
    # Order changes become outgoing webhooks: shop.order.created / updated / deleted, each
    # owned by the order's customer (its endpoints get it; other customers' never do).
    "OUTGOING_MODELS": {
        "shop.Order": {"events": ["created", "updated", "deleted"], "tenant": "customer"}
    },
    # The event catalog customers see in the portal (order events are listed automatically).
    "EVENT_TYPES": {
        "invoice.paid": {
            "description": "An invoice was paid in full.",
            "schema": {
                "type": "object",
                "required": ["invoice", "amount"],
                "properties": {"invoice": {"type": "string"}, "amount": {"type": "string"}},
            },
            "example": {"invoice": "INV-1", "amount": "42.50"},
        }
    },
    # The customer portal at /webhooks/: the logged-in user's customer, inside the shop's page.
    "PORTAL_TENANT": "shop.webhooks.tenant_for",
    "PORTAL_BASE_TEMPLATE": "shop/base.html",
    # The demo receiver runs on this machine; real endpoints never may (SSRF guard).
    "OUTGOING_ALLOW": ["127.0.0.1/32"],
    # Flow control: at most 10 emails a minute, 2 at once; pause with
    # `python manage.py ironrelay_queue pause emails`.
    "QUEUES": {"emails": {"rate": "10/m", "concurrency": 2}},
    "SOURCES": {
        # Unsigned, so the README's curl example works as written (a system check warns when
        # DEBUG is off).
        "test": {"scheme": "none"},
        "stripe": {"scheme": "stripe", "secrets": [STRIPE_WEBHOOK_SECRET]},
        "github": {"scheme": "github", "secrets": [GITHUB_WEBHOOK_SECRET]},
    },
}
