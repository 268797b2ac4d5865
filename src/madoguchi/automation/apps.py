from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "madoguchi.automation"
    label = "automation"

    def ready(self) -> None:
        from madoguchi.automation import subscribers  # noqa: F401  (registers event subscribers)
