import os
import sys

from django.apps import AppConfig


class LoadProjectConfig(AppConfig):
    name = "scripts.loadproject"
    label = "loadproject"

    def ready(self) -> None:
        # load.py --profile: count the statements each process runs.
        directory = os.environ.get("SCRIPT_STATEMENTS_DIR")
        if directory and "ironrelay_worker" in sys.argv:
            from scripts.loadproject import statements

            statements.install(directory)
