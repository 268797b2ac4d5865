from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "madoguchi.intake"
    label = "intake"
    verbose_name = "Paper intake (AI-OCR)"
