from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "madoguchi.core"
    label = "core"

    def ready(self) -> None:
        from madoguchi.core import (
            celery_app,  # noqa: F401  (configures Celery for tasks)
            checks,  # noqa: F401  (registers the production checks)
        )
