from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "madoguchi.procedures"
    label = "procedures"

    def ready(self) -> None:
        from django.conf import settings

        from .forms import fonts

        # The fonts printed forms embed (a missing file is reported when a form is printed, not at start-up).
        fonts.configure_fonts(
            mincho=getattr(settings, "FORMS_FONT_MINCHO", None),
            gothic=getattr(settings, "FORMS_FONT_GOTHIC", None),
        )
