from django.apps import AppConfig


class HandoffConfig(AppConfig):
    """Its own app label (inside the counter room) so that its tables and migrations stand on their own."""

    name = "madoguchi.counter.handoff"
    label = "handoff"
    verbose_name = "Core-system hand-off (中核システム連携)"

    def ready(self) -> None:
        # The shipped formats (contrib/) are imported by the registry the first time it is read.
        from madoguchi.counter.handoff import checks  # noqa: F401 - registers the configuration check
