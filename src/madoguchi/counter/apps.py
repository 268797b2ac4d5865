from django.apps import AppConfig


class CounterConfig(AppConfig):
    name = "madoguchi.counter"
    label = "counter"
    verbose_name = "Counter (書かない窓口)"
