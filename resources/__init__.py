"""Data files shipped with Video Studio: fonts, sample documents, templates.

``RESOURCES_DIR`` is the folder that holds them; ``font_path`` finds a bundled font file.
"""

from __future__ import annotations

from pathlib import Path

RESOURCES_DIR = Path(__file__).resolve().parent
FONTS_DIR = RESOURCES_DIR / "fonts"
SAMPLES_DIR = RESOURCES_DIR / "samples"


def font_path(file_name: str) -> Path:
    """Return the path of a bundled font file, e.g. ``font_path("DejaVuSans-Bold.ttf")``.

    Raises:
        FileNotFoundError: when no bundled font has that file name.
    """
    path = FONTS_DIR / file_name
    if not path.is_file():
        raise FileNotFoundError(f"bundled font {file_name!r} not found in {FONTS_DIR}")
    return path
