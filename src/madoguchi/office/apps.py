from django.apps import AppConfig


class OfficeConfig(AppConfig):
    name = "madoguchi.office"
    label = "office"
