from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "madoguchi.demo"
    label = "demo"
    verbose_name = "デモ（みどり市）"

    def ready(self) -> None:
        from django.conf import settings

        if not settings.DEMO_POSTAL_CODES:
            return
        from madoguchi.jp.postal import register_local_postal_codes

        def postal_addresses():
            from madoguchi.demo.town import postal_addresses

            return postal_addresses()

        # The demo town's fictional 000-xxxx codes, so that postal autofill works for demo addresses; read at
        # the first lookup (importing the town at every start-up costs ~10 ms).
        register_local_postal_codes(postal_addresses)
