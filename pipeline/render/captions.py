"""Burned-in captions: one cue at a time, in a dark rounded box, in the layout's caption band.

The band comes from :func:`pipeline.render.geometry.format_layout`: the bottom of the
title-safe area in 16:9 and 1:1, just above the platform UI zone in 9:16. A cue is drawn as
the lines :func:`pipeline.subtitles.cut_captions` chose (white, bold, centred), at the
largest size up to 46 px at 1080 at which its widest line fits; a cue without lines is
wrapped to two lines. In the ``"highlight"`` style (:data:`CAPTION_STYLES`) the word being
spoken is drawn in :data:`HIGHLIGHT_RGB`.

Contrast: white text on the box over a white frame is about 5.7:1 (WCAG AA), the highlight
about 6:1; over darker frames both are higher.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Sequence
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from pipeline.render.base import RGBFrame
from pipeline.render.compositing import blend_rgba
from pipeline.render.fonts import FontSet, FreeTypeFont, has_rtl, load_font
from pipeline.render.geometry import CAPTION_LINE_SPACING, CAPTION_MAX_PX, CAPTION_PAD_Y, Rect
from pipeline.render.palette import RGB, mix
from pipeline.render.shapes import rounded_mask
from pipeline.render.text_layout import fit_text
from pipeline.render.textlog import TextRecord, record, recording
from pipeline.timeline import Caption

CaptionStyle = Literal["plain", "highlight"]
CAPTION_STYLES: tuple[str, ...] = get_args(CaptionStyle)
"""``"plain"``: white text; ``"highlight"``: the word being spoken in :data:`HIGHLIGHT_RGB`."""
BOX_RGB: RGB = (8, 10, 16)
BOX_ALPHA = 190
"""Opacity of the caption box (0–255)."""
TEXT_RGB: RGB = (255, 255, 255)
HIGHLIGHT_RGB: RGB = (255, 214, 10)
"""The spoken word in the ``"highlight"`` style (a warm yellow)."""
MIN_PX = 26
MAX_LINES = 2

CaptionState = tuple[int, int]
"""``(cue index or -1, highlighted word index or -1)``."""


def box_over(background: RGB) -> RGB:
    """The caption box's colour when blended over ``background``."""
    return mix(background, BOX_RGB, BOX_ALPHA / 255)


class CaptionLayer:
    """Caption cues of one scene, rendered lazily and cached per cue.

    Args:
        cues: scene-relative cues, in time order.
        band: where caption boxes may appear (the layout's caption band).
        fonts: font faces (captions use the bold face of the theme's family).
        unit: the layout's scale (sizes are given at 1080).
        style: ``"plain"`` or ``"highlight"``.
    """

    def __init__(
        self,
        cues: Sequence[Caption],
        band: Rect,
        fonts: FontSet,
        unit: float,
        style: str = "highlight",
    ) -> None:
        if style not in CAPTION_STYLES:
            raise ValueError(f"unknown caption style {style!r}; use one of {CAPTION_STYLES}")
        self._cues = tuple(cues)
        self._starts = [cue.start_s for cue in self._cues]
        self._font_file = fonts.bold
        self._highlight = style == "highlight"
        self._max_px = round(CAPTION_MAX_PX * unit)
        self._min_px = round(MIN_PX * unit)
        self._pad_x = round(28 * unit)
        self._pad_y = round(CAPTION_PAD_Y * unit)
        self._radius = round(18 * unit)
        self.band = band
        """Where caption boxes may appear (content layouts keep clear of it)."""
        self._cache: dict[int, _CueLayout] = {}
        self._last: tuple[CaptionState, npt.NDArray[np.uint8]] | None = None
        if recording():
            for background in ((255, 255, 255), (0, 0, 0)):
                for color in (TEXT_RGB, HIGHLIGHT_RGB) if self._highlight else (TEXT_RGB,):
                    worst = TextRecord(
                        "caption",
                        self._min_px,
                        True,
                        color,
                        box_over(background),
                        (0, 0, 0, 0),
                        role="caption",
                    )
                    record(worst)

    def state_at(self, t_s: float) -> CaptionState:
        """The cue shown at ``t_s`` and, in the highlight style, the word being spoken."""
        index = self.index_at(t_s)
        if index < 0 or not self._highlight:
            return index, -1
        words = self._cues[index].words
        starts = [w.start_s for w in words]
        return index, max(0, bisect.bisect_right(starts, t_s) - 1) if words else -1

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

    def _layout(self, index: int) -> _CueLayout:
        cached = self._cache.get(index)
        if cached is not None:
            return cached
        band = self.band
        cue = self._cues[index]
        inner_w = band.w - 2 * self._pad_x
        inner_h = band.h - 2 * self._pad_y
        lines = [line for line in cue.display_lines if line.strip()][:MAX_LINES]
        size = self._max_px
        font: FreeTypeFont = load_font(self._font_file, size)
        while size > self._min_px and max(font.getlength(line) for line in lines) > inner_w:
            size -= 1
            font = load_font(self._font_file, size)
        fits = max(font.getlength(line) for line in lines) <= inner_w and len(lines) == len(
            cue.display_lines
        )
        if fits:
            ascent, descent = font.getmetrics()
            line_h = max(ascent + descent, round(size * CAPTION_LINE_SPACING))
            text_w = max(round(font.getlength(line)) for line in lines)
            text_h = (len(lines) - 1) * line_h + ascent + descent
        else:  # a word longer than a line: wrap and shrink
            block = fit_text(
                " ".join(cue.text.split()),
                self._font_file,
                inner_w,
                inner_h,
                max_px=self._max_px,
                min_px=self._min_px,
                line_spacing=1.2,
                max_lines=MAX_LINES,
            )
            font, lines, line_h = block.font, list(block.lines), block.line_height_px
            text_w, text_h = block.width_px, block.height_px
        box_w = min(band.w, text_w + 2 * self._pad_x)
        box_h = min(band.h, text_h + 2 * self._pad_y)
        words: list[tuple[str, float, int]] = []
        for i, line in enumerate(lines):
            line_w = font.getlength(line)
            x = (box_w - line_w) / 2
            y = self._pad_y + i * line_h
            if has_rtl(line) and any(unicodedata.bidirectional(ch) == "L" for ch in line):
                words.append((line, x, y))  # mixed directions: raqm orders the whole line
                continue
            rtl = has_rtl(line)  # right-to-left words: the first one on the right
            offset = 0
            for token in line.split(" "):
                if token:
                    before = font.getlength(line[:offset])
                    left = x + line_w - before - font.getlength(token) if rtl else x + before
                    words.append((token, left, y))
                offset += len(token) + 1
        highlightable = fits and len(words) == len(cue.words)
        layout = _CueLayout(
            font, box_w, box_h, band.x + (band.w - box_w) // 2, band.bottom - box_h, words,
            highlightable,
        )  # fmt: skip
        self._cache[index] = layout
        return layout

    def _patch(self, index: int, word: int) -> npt.NDArray[np.uint8]:
        """The RGBA pixels of cue ``index`` with word ``word`` highlighted (``-1``: none)."""
        key = (index, word)
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        layout = self._layout(index)
        image = Image.new("RGBA", (layout.box_w, layout.box_h), (0, 0, 0, 0))
        box = Image.new("RGBA", (layout.box_w, layout.box_h), (*BOX_RGB, BOX_ALPHA))
        image.paste(box, (0, 0), rounded_mask(layout.box_w, layout.box_h, self._radius))
        draw = ImageDraw.Draw(image)
        for k, (token, x, y) in enumerate(layout.words):
            fill = HIGHLIGHT_RGB if k == word and layout.highlightable else TEXT_RGB
            draw.text((x, y), token, font=layout.font, fill=fill, anchor="la")
        patch = np.asarray(image, dtype=np.uint8)
        self._last = (key, patch)
        return patch

    def draw(self, frame: RGBFrame, state: CaptionState | int) -> None:
        """Blend the cue of ``state`` onto ``frame`` in place (no-op for cue ``-1``)."""
        index, word = (state, -1) if isinstance(state, int) else state
        if index < 0:
            return
        layout = self._layout(index)
        blend_rgba(frame, self._patch(index, word), layout.x, layout.y)


class _CueLayout:
    """Font, box size and position, and each word's place (patch coordinates) of one cue."""

    def __init__(
        self,
        font: FreeTypeFont,
        box_w: int,
        box_h: int,
        x: int,
        y: int,
        words: list[tuple[str, float, int]],
        highlightable: bool,
    ) -> None:
        self.font = font
        self.box_w, self.box_h = box_w, box_h
        self.x, self.y = x, y
        self.words = words
        self.highlightable = highlightable


__all__ = ["CAPTION_STYLES", "CaptionLayer", "CaptionStyle", "box_over"]
