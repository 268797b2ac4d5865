from django.apps import AppConfig


class NurseryConfig(AppConfig):
    name = "madoguchi.nursery"
    label = "nursery"
