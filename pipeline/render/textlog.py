"""A record of every text a renderer draws: size, colour, the colour under it, contrast.

Used by the quality report (``benchmarks/quality_report.py``) and by tests to check text
sizes and WCAG contrast on what the renderers really draw, not on a list kept by hand.
Recording is off by default (it costs a few milliseconds per line); turn it on around the
construction of renderers with :func:`recording_text`::

    with recording_text() as records:
        renderer = make_renderer(scene, ctx, timing)
    smallest = min(r.size_px for r in records)

Drawing code gets its ``ImageDraw`` from :func:`new_draw` (the canvas and its layers do),
which returns a :class:`TextLogDraw` while recording and a plain ``ImageDraw`` otherwise.

Contrast follows WCAG 2.2 (success criterion 1.4.3, "Contrast (Minimum)"): the ratio
``(L1 + 0.05) / (L2 + 0.05)`` of relative luminances, at least 4.5:1 for text and 3:1 for
large text. This project calls text *large* when it is bold and at least
:data:`LARGE_BOLD_PX` pixels tall (em size) in the frame.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from pipeline.render.palette import RGB, contrast_ratio

LARGE_BOLD_PX = 24
"""Bold text at least this many pixels (em) tall needs only 3:1 contrast."""
MIN_CONTRAST = 4.5
"""WCAG AA minimum contrast for normal text."""
MIN_CONTRAST_LARGE = 3.0
"""WCAG AA minimum contrast for large text."""
ELLIPSIS = "\u2026"


@dataclass(frozen=True)
class TextRecord:
    """One drawn run of text.

    Attributes:
        text: the string drawn.
        size_px: font em size in pixels.
        bold: drawn with a bold face.
        fill: text colour ``(r, g, b)``.
        background: the most common colour under the text before it was drawn.
        box: ``(x0, y0, x1, y1)`` of the ink in the coordinates of the image drawn on.
        role: what kind of text (``"text"``, ``"code"``, ``"caption"``, or ``"reading
            band"``: a line of a reading pane again as it looks on its reading band).
    """

    text: str
    size_px: int
    bold: bool
    fill: RGB
    background: RGB
    box: tuple[int, int, int, int]
    role: str = "text"

    @property
    def contrast(self) -> float:
        """WCAG contrast ratio of ``fill`` against ``background`` (1–21)."""
        return contrast_ratio(self.fill, self.background)

    @property
    def large(self) -> bool:
        """Bold and at least :data:`LARGE_BOLD_PX` px: needs only 3:1."""
        return self.bold and self.size_px >= LARGE_BOLD_PX

    @property
    def required_contrast(self) -> float:
        """4.5, or 3.0 for large text."""
        return MIN_CONTRAST_LARGE if self.large else MIN_CONTRAST

    @property
    def cut(self) -> bool:
        """The text was shortened with an ellipsis."""
        return self.text.rstrip().endswith(ELLIPSIS)


_RECORDS: ContextVar[list[TextRecord] | None] = ContextVar("videostudio_text_log", default=None)


@contextlib.contextmanager
def recording_text() -> Iterator[list[TextRecord]]:
    """Record every text drawn through :func:`new_draw` in this context into the yielded list."""
    records: list[TextRecord] = []
    token = _RECORDS.set(records)
    try:
        yield records
    finally:
        _RECORDS.reset(token)


@contextlib.contextmanager
def paused_recording() -> Iterator[None]:
    """Record nothing in this context (a probe drawing whose texts are drawn again later)."""
    token = _RECORDS.set(None)
    try:
        yield
    finally:
        _RECORDS.reset(token)


def record(entry: TextRecord) -> None:
    """Add ``entry`` to the active record list (no-op when not recording)."""
    records = _RECORDS.get()
    if records is not None:
        records.append(entry)


def recording() -> bool:
    """Whether text is being recorded in this context."""
    return _RECORDS.get() is not None


def dominant_color(image: Image.Image, box: tuple[int, int, int, int]) -> RGB:
    """The most common colour of ``image`` (RGB or RGBA) inside ``box`` (clipped), sampled."""
    x0, y0, x1, y1 = box
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(image.width, x1), min(image.height, y1)
    if x1 <= x0 or y1 <= y0:
        x0, y0, x1, y1 = 0, 0, image.width, image.height
    pixels = np.asarray(image.crop((x0, y0, x1, y1)).convert("RGB"))[::2, ::2].reshape(-1, 3)
    packed = pixels[:, 0].astype(np.int64) << 16 | pixels[:, 1].astype(np.int64) << 8 | pixels[:, 2]
    values, counts = np.unique(packed, return_counts=True)
    top = int(values[int(np.argmax(counts))])
    return (top >> 16 & 255, top >> 8 & 255, top & 255)


def _as_rgb(fill: Any) -> RGB | None:
    if isinstance(fill, tuple) and len(fill) >= 3:
        return (int(fill[0]), int(fill[1]), int(fill[2]))
    return None


class TextLogDraw(ImageDraw.ImageDraw):
    """An ``ImageDraw`` that records each :meth:`text` call (see the module docstring).

    Args:
        image: the image to draw on (RGB or RGBA).
        role: the role recorded for its texts.
        background: the colour to record as background instead of sampling the image (for
            transparent layers whose colour is known).
    """

    def __init__(
        self, image: Image.Image, *, role: str = "text", background: RGB | None = None
    ) -> None:
        super().__init__(image)
        self._log_image = image
        self._role = role
        self._background = background

    def text(
        self, xy: Any, text: Any, fill: Any = None, font: Any = None, *args: Any, **kwargs: Any
    ) -> None:
        """Draw like ``ImageDraw.text`` and record the run."""
        rgb = _as_rgb(fill)
        if rgb is not None and font is not None and str(text).strip():
            anchor = kwargs.get("anchor")
            left, top, right, bottom = (
                int(v) for v in self.textbbox(xy, text, font=font, anchor=anchor)
            )
            background = self._background or dominant_color(
                self._log_image, (left, top, right + 1, bottom + 1)
            )
            path = str(getattr(font, "path", ""))
            record(
                TextRecord(
                    text=str(text),
                    size_px=int(font.size),
                    bold="Bold" in path,
                    fill=rgb,
                    background=background,
                    box=(left, top, right, bottom),
                    role="code" if "Mono" in path else self._role,
                )
            )
        super().text(xy, text, fill, font, *args, **kwargs)


def new_draw(image: Image.Image, *, background: RGB | None = None) -> ImageDraw.ImageDraw:
    """A drawing context on ``image``: recording while :func:`recording_text` is active."""
    if _RECORDS.get() is None:
        return ImageDraw.Draw(image)
    return TextLogDraw(image, background=background)
