from django.apps import AppConfig


class FaqConfig(AppConfig):
    name = "madoguchi.faq"
    label = "faq"

    def ready(self) -> None:
        from madoguchi.faq import subscribers  # noqa: F401  (registers event subscribers)
