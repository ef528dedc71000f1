from django.apps import AppConfig


class LoadProjectConfig(AppConfig):
    name = "scripts.loadproject"
    label = "loadproject"
