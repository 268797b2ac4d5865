"""The fonts printed forms embed: where the TrueType files are (pure; `render.load_font` reads them).

The procedures app sets them from MADOGUCHI_FORMS_FONT_MINCHO / MADOGUCHI_FORMS_FONT_GOTHIC at start-up;
without settings, Debian's IPAex fonts (fonts-ipaexfont-mincho, fonts-ipaexfont-gothic).
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MINCHO = "/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf"
DEFAULT_GOTHIC = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"


@dataclass(frozen=True)
class FontSet:
    """The TrueType files forms are printed with: Mincho for values and fixed texts, Gothic for labels."""

    mincho: str = DEFAULT_MINCHO
    gothic: str = DEFAULT_GOTHIC


_configured = FontSet()


def configure_fonts(*, mincho: str | None = None, gothic: str | None = None) -> None:
    """Set the default fonts (the procedures app does it from MADOGUCHI_FORMS_FONT_MINCHO / _GOTHIC)."""
    global _configured
    _configured = FontSet(mincho=mincho or DEFAULT_MINCHO, gothic=gothic or DEFAULT_GOTHIC)


def default_fonts() -> FontSet:
    return _configured
