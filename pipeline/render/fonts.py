"""Bundled DejaVu fonts, loaded once per (file, size).

Headings use the Bold face of the theme's family; body text the regular face; code always
DejaVu Sans Mono.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from PIL import ImageFont

from pipeline.models import Theme
from resources import font_path

FreeTypeFont = ImageFont.FreeTypeFont


@lru_cache(maxsize=1024)
def load_font(file_name: str, size_px: int) -> FreeTypeFont:
    """The bundled font ``file_name`` at ``size_px`` pixels (cached).

    Raises:
        FileNotFoundError: when no bundled font has that file name.
        ValueError: when ``size_px`` is not positive.
    """
    if size_px <= 0:
        raise ValueError(f"font size must be positive, got {size_px}")
    return ImageFont.truetype(str(font_path(file_name)), size_px)


@dataclass(frozen=True)
class FontSet:
    """File names of the four faces a scene uses."""

    regular: str
    bold: str
    mono: str = "DejaVuSansMono.ttf"
    mono_bold: str = "DejaVuSansMono-Bold.ttf"


def font_set(theme: Theme) -> FontSet:
    """The faces for ``theme.font_family`` (``"sans"`` or ``"serif"``)."""
    if theme.font_family == "serif":
        return FontSet(regular="DejaVuSerif.ttf", bold="DejaVuSerif-Bold.ttf")
    return FontSet(regular="DejaVuSans.ttf", bold="DejaVuSans-Bold.ttf")
