from django.apps import AppConfig


class MyNumberConfig(AppConfig):
    name = "madoguchi.mynumber"
    label = "mynumber"
    verbose_name = "個人番号（特定個人情報）"
