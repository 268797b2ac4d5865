from django.apps import AppConfig


class BenefitsConfig(AppConfig):
    name = "madoguchi.benefits"
    label = "benefits"
    verbose_name = "Benefits (給付金)"

    def ready(self) -> None:
        # A returned 確認書 is read by the paper intake (below this room): register what files it.
        from madoguchi.intake import sources

        from .paper import source

        sources.register(source)
