from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "madoguchi.accounts"
    label = "accounts"

    def ready(self) -> None:
        from madoguchi.accounts.identity.contrib import oidc  # noqa: F401 - registers the provider
