from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "madoguchi.core"
    label = "core"

    def ready(self) -> None:
        # Celery is not imported here (it costs ~0.3 s at every start of a command): each tasks module
        # imports madoguchi.core.celery_app, and tasks modules are imported where a task is sent.
        from madoguchi.core import checks  # noqa: F401  (registers the production checks)
