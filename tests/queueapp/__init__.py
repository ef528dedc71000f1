"""An app whose tasks module defines a django.tasks task on a queue no backend lists."""
