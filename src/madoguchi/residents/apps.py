from django.apps import AppConfig


class ResidentsConfig(AppConfig):
    name = "madoguchi.residents"
    label = "residents"
    verbose_name = "住民記録"

    def ready(self) -> None:
        from django.conf import settings

        if not settings.DEMO_POSTAL_CODES:
            return
        from madoguchi.jp.postal import register_local_postal_codes
        from madoguchi.residents.demo import postal_addresses

        # The demo town's fictional 000-xxxx codes, so that postal autofill works for demo addresses.
        register_local_postal_codes(postal_addresses())
