"""Burned-in captions: one cue at a time, in a dark rounded box inside the title-safe area.

The box sits at the bottom of the title-safe area in landscape and square frames, and centred
at about 70 % of the height in portrait (9:16) frames, clear of the app UI that short-form
players draw at the bottom. Text is white, wrapped to at most two lines, shrunk to fit.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from pipeline.render.base import RGBFrame
from pipeline.render.compositing import blend_rgba
from pipeline.render.fonts import FontSet
from pipeline.render.geometry import TITLE_SAFE, Rect
from pipeline.render.shapes import rounded_mask
from pipeline.render.text_layout import draw_block, fit_text
from pipeline.timeline import Caption

BOX_ALPHA = 190
"""Opacity of the caption box (0–255)."""
PORTRAIT_CENTER = 0.70
"""Vertical centre of the caption band in portrait frames, as a fraction of the height."""
MAX_LINES = 2


class CaptionLayer:
    """Caption cues of one scene, rendered lazily and cached per cue.

    Args:
        cues: scene-relative cues, in time order.
        width_px, height_px: frame size.
        fonts: font faces (captions use the bold face of the theme's family).
    """

    def __init__(
        self, cues: Sequence[Caption], width_px: int, height_px: int, fonts: FontSet
    ) -> None:
        self._cues = tuple(cues)
        self._starts = [cue.start_s for cue in self._cues]
        self._font_file = fonts.bold
        self._width = width_px
        self._height = height_px
        unit = min(width_px, height_px) / 1080
        self._max_px = round(46 * unit)
        self._min_px = round(26 * unit)
        self._pad_x = round(28 * unit)
        self._pad_y = round(16 * unit)
        self._radius = round(18 * unit)
        portrait = height_px > width_px
        margin_x = round(width_px * (0.075 if portrait else TITLE_SAFE))
        line_h = round(self._max_px * 1.25)
        band_h = MAX_LINES * line_h + 2 * self._pad_y
        if portrait:
            top = round(height_px * PORTRAIT_CENTER - band_h / 2)
        else:
            top = round(height_px * (1 - TITLE_SAFE)) - band_h
        self.band = Rect(margin_x, top, width_px - 2 * margin_x, band_h)
        """Where caption boxes may appear (content layouts keep clear of it)."""
        self._cache: dict[int, tuple[npt.NDArray[np.uint8], int, int]] = {}

    def index_at(self, t_s: float) -> int:
        """Index of the cue whose ``[start_s, end_s)`` contains ``t_s``, or ``-1``."""
        i = bisect.bisect_right(self._starts, t_s) - 1
        while i >= 0:
            cue = self._cues[i]
            if cue.start_s <= t_s < cue.end_s and cue.text.strip():
                return i
            if cue.end_s <= t_s:
                return -1
            i -= 1
        return -1

    def _patch(self, index: int) -> tuple[npt.NDArray[np.uint8], int, int]:
        cached = self._cache.get(index)
        if cached is not None:
            return cached
        band = self.band
        inner_w = band.w - 2 * self._pad_x
        inner_h = band.h - 2 * self._pad_y
        block = fit_text(
            " ".join(self._cues[index].text.split()),
            self._font_file,
            inner_w,
            inner_h,
            max_px=self._max_px,
            min_px=self._min_px,
            line_spacing=1.2,
            max_lines=MAX_LINES,
        )
        box_w = min(band.w, block.width_px + 2 * self._pad_x)
        box_h = min(band.h, block.height_px + 2 * self._pad_y)
        image = Image.new("RGBA", (box_w, box_h), (0, 0, 0, 0))
        box = Image.new("RGBA", (box_w, box_h), (8, 10, 16, BOX_ALPHA))
        image.paste(box, (0, 0), rounded_mask(box_w, box_h, self._radius))
        draw_block(
            ImageDraw.Draw(image),
            block,
            self._pad_x,
            self._pad_y,
            (255, 255, 255),
            align="center",
            box_w=box_w - 2 * self._pad_x,
        )
        x = band.x + (band.w - box_w) // 2
        y = band.bottom - box_h if self._height <= self._width else band.y + (band.h - box_h) // 2
        patch = (np.asarray(image, dtype=np.uint8).copy(), x, y)
        self._cache[index] = patch
        return patch

    def draw(self, frame: RGBFrame, index: int) -> None:
        """Blend cue ``index`` onto ``frame`` in place (no-op for ``-1``)."""
        if index < 0:
            return
        rgba, x, y = self._patch(index)
        blend_rgba(frame, rgba, x, y)
