"""WSGI entry point for gunicorn: scripts.loadproject.wsgi:application."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scripts.loadproject.settings")
application = get_wsgi_application()
