from django.apps import AppConfig


class FaqConfig(AppConfig):
    name = "madoguchi.faq"
    label = "faq"
