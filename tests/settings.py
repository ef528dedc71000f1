"""Test settings: SQLite by default; IRONRELAY_TEST_DB=postgres or mysql selects a server."""

from __future__ import annotations

import base64
import os
import tempfile
from importlib.util import find_spec

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

DB = os.environ.get("IRONRELAY_TEST_DB", "sqlite")
# A subprocess started by a test (worker, server) is pointed at the test database by name.
DB_NAME = os.environ.get("IRONRELAY_DB_NAME")

if DB == "sqlite":
    sqlite_file = os.path.join(tempfile.gettempdir(), f"ironrelay-test-{os.getpid()}.sqlite3")
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DB_NAME or sqlite_file,
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30},
            # A file, not memory: worker subprocesses must see the same database.
            "TEST": {"NAME": DB_NAME or sqlite_file},
        }
    }
elif DB == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": DB_NAME or "ironrelay",
            "USER": os.environ.get("PGUSER", "postgres"),
            "HOST": os.environ.get("PGHOST", "127.0.0.1"),
            "PORT": os.environ.get("PGPORT", "5432"),
            "CONN_MAX_AGE": 60,
            "TEST": {"NAME": f"test_ironrelay_{os.getpid()}"},
        }
    }
elif DB == "mysql":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.mysql",
            "NAME": DB_NAME or "ironrelay",
            "USER": os.environ.get("MYSQL_USER", "root"),
            "PASSWORD": os.environ.get("MYSQL_PASSWORD", ""),
            "HOST": os.environ.get("MYSQL_HOST", "127.0.0.1"),
            "PORT": os.environ.get("MYSQL_PORT", "3306"),
            "OPTIONS": {"charset": "utf8mb4"},
            "TEST": {
                "NAME": f"test_ironrelay_{os.getpid()}",
                "CHARSET": "utf8mb4",
                "COLLATION": "utf8mb4_unicode_ci",
            },
            "CONN_MAX_AGE": 60,
        }
    }
else:
    raise RuntimeError(f"IRONRELAY_TEST_DB must be sqlite, postgres or mysql, not {DB!r}")

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "tests.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ironrelay",
    "tests.testapp",
]
# django.tasks: built into Django 6; on Django 5.2 the backport is an app of its own.
if find_spec("django.tasks") is None:
    INSTALLED_APPS.append("django_tasks")
# The reference backend the django.tasks contract tests are checked against (tests/djangotasks).
if find_spec("django_tasks_db") is not None:
    INSTALLED_APPS.append("django_tasks_db")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
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
STATIC_URL = "/static/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Test-only secrets, generated for this suite; they protect nothing.
STRIPE_SECRET = "whsec_test_stripe_0123456789"
GITHUB_SECRET = "It's a Secret to Everybody"
STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

IRONRELAY = {
    "RETRY_BACKOFF": 0.01,
    "RETRY_JITTER": 0.0,
    "WORKER_POLL_INTERVAL": 0.05,
    "OUTGOING_ALLOW": ["127.0.0.1/32"],
    # Flow control: tests/integration/test_flow_claim.py and tests/acceptance/test_flow_limits.py
    "QUEUES": {"throttled": {"rate": "10/s", "concurrency": 2}},
    "OUTGOING_RETRY_SCHEDULE": [0.01, 0.01, 0.01],
    "OUTGOING_RETRY_JITTER": 0,
    "PORTAL_TENANT": "tests.portal.tenants.tenant_for",
    "OUTGOING_MODELS": {
        "testapp.Product": {"events": ["created", "updated", "deleted"]},
        "testapp.Note": {"events": ["created"], "serializer": "tests.testapp.tasks.note_payload"},
        "testapp.Order": {"events": ["created", "updated", "deleted"], "tenant": "customer"},
    },
    "SOURCES": {
        "test": {"scheme": "none"},
        "stripe": {"scheme": "stripe", "secrets": [STRIPE_SECRET, "whsec_old_rotated_secret"]},
        "github": {"scheme": "github", "secrets": [GITHUB_SECRET]},
        "slack": {"scheme": "slack", "secrets": ["slack-signing-secret-for-tests"]},
        "shopify": {"scheme": "shopify", "secrets": ["shopify-secret-for-tests"]},
        "standard": {"scheme": "standard", "secrets": [STANDARD_SECRET]},
        "gitlab": {
            "scheme": "token",
            "secrets": ["gitlab-token-for-tests"],
            "header": "X-Gitlab-Token",
        },
        "partner": {
            "scheme": "hmac-sha256",
            "secrets": ["partner-secret-for-tests"],
            "header": "X-Signature",
            "prefix": "sha256=",
            "id_header": "X-Delivery",
            "schema": {
                "type": "object",
                "required": ["event", "amount"],
                "properties": {
                    "event": {"type": "string"},
                    "amount": {"type": "integer", "minimum": 0},
                },
            },
        },
        "typed": {
            "scheme": "none",
            "id_key": "id",
            "schemas": {
                "order.created": {"type": "object", "required": ["order_id"]},
                "*": {"type": "object", "required": ["event"]},
            },
        },
        "small": {"scheme": "none", "max_body": 100},
    },
}

# Provider pack sources. URL-signing ones are given the test client's URL, so tests that sign
# without a request sign what the view checks; square-proxied's is the URL the provider was
# given in front of a proxy (tests that need the rebuilt URL drop the option).
_SENDGRID_KEY = ec.derive_private_key(424242, ec.SECP256R1())
SENDGRID_PRIVATE_KEY = _SENDGRID_KEY.private_bytes(
    Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
).decode()
SENDGRID_PUBLIC_KEY = base64.b64encode(
    _SENDGRID_KEY.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
).decode()
DISCORD_PRIVATE_KEY = "5a" * 32
DISCORD_PUBLIC_KEY = (
    Ed25519PrivateKey.from_private_bytes(bytes.fromhex(DISCORD_PRIVATE_KEY))
    .public_key()
    .public_bytes(Encoding.Raw, PublicFormat.Raw)
    .hex()
)
PROXIED_URL = "https://hooks.example.com/ironrelay/incoming/square-proxied/"
IRONRELAY["SOURCES"].update(
    {
        "twilio": {
            "scheme": "twilio",
            "secrets": ["twilio-auth-token-for-tests"],
            "url": "http://testserver/ironrelay/incoming/twilio/",
        },
        "sendgrid": {
            "scheme": "sendgrid",
            "public_key": SENDGRID_PUBLIC_KEY,
            "private_key": SENDGRID_PRIVATE_KEY,
        },
        "square": {
            "scheme": "square",
            "secrets": ["square-signature-key-for-tests"],
            "url": "http://testserver/ironrelay/incoming/square/",
        },
        "square-proxied": {
            "scheme": "square",
            "secrets": ["square-signature-key-for-tests"],
            "url": PROXIED_URL,
        },
        "zoom": {"scheme": "zoom", "secrets": ["zoom-secret-token-for-tests"]},
        "discord": {
            "scheme": "discord",
            "public_key": DISCORD_PUBLIC_KEY,
            "private_key": DISCORD_PRIVATE_KEY,
        },
        "hubspot": {
            "scheme": "hubspot",
            "secrets": ["hubspot-client-secret-for-tests"],
            "url": "http://testserver/ironrelay/incoming/hubspot/",
        },
        "mandrill": {
            "scheme": "mandrill",
            "secrets": ["mandrill-webhook-key-for-tests"],
            "url": "http://testserver/ironrelay/incoming/mandrill/",
        },
    }
)

TASK_QUEUES = ["default", "emails"]
TASKS = {
    "default": {
        "BACKEND": "ironrelay.backends.IronRelayBackend",
        "QUEUES": TASK_QUEUES,
        "OPTIONS": {"max_attempts": 1, "retry_backoff": 0.01, "retry_jitter": 0},
    },
}
if find_spec("django_tasks_db") is not None:
    TASKS["reference"] = {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}

# Acceptance tests start workers with extra IRONRELAY keys (schedules, a short lease).
if os.environ.get("IRONRELAY_TEST_OVERRIDES"):
    import json

    IRONRELAY.update(json.loads(os.environ["IRONRELAY_TEST_OVERRIDES"]))
