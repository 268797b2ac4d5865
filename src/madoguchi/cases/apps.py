from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "madoguchi.cases"
    label = "cases"
