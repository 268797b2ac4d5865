from django.apps import AppConfig


class BenefitsConfig(AppConfig):
    name = "madoguchi.benefits"
    label = "benefits"
    verbose_name = "Benefits (給付金)"
