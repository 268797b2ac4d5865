from django.apps import AppConfig


class VaccinationConfig(AppConfig):
    name = "madoguchi.vaccination"
    label = "vaccination"
    verbose_name = "集団接種予約 (mass vaccination booking)"
