from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "madoguchi.notify"
    label = "notify"

    def ready(self) -> None:
        from madoguchi.notify import subscribers  # noqa: F401  (registers event subscribers)
