"""Rectangles, safe areas, the layout of each format, and simple grids, in integer pixels.

Safe areas per format (:func:`format_layout`):

* **16:9** — text stays in the *graphics-safe* area of EBU R 95 (5 % of the width and height
  on each side); burned-in captions sit at the bottom of the 10 % title-safe area.
* **9:16** — text stays clear of what TikTok, Instagram/Facebook Reels and YouTube Shorts draw
  over the video: the top 14 % (270 px at 1080 × 1920: Meta's Reels/Stories safe zone keeps
  the top 14 % free; TikTok's tabs and search), the bottom 25 % (480 px: YouTube Shorts'
  title, channel and subscribe button and TikTok's caption, user name and sound line take
  roughly the bottom 20–25 %) and 11 % at each side (120 px: TikTok's and Shorts' action
  column of like/comment/share buttons is about 120 px wide on the right; Meta asks for 6 %
  on the sides; we keep both sides equal so centred text stays centred). Burned-in captions
  sit just above the bottom zone. Meta's stricter 35 % bottom reserve applies to Reels
  *ads*; our captions and content stop at 75 %.
* **1:1** — square video appears in feeds (Instagram, Facebook, LinkedIn) where the player
  draws little over it; text keeps 6 % on each side (Instagram's feed guidance: 64 px at
  1080 px), captions sit at the bottom of the 10 % title-safe area.

Decorations (the accent strip and two faint discs) may bleed into the margins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ACTION_SAFE = 0.05
"""Fraction of the frame's width/height kept clear on each side by all drawn content (16:9)."""
TITLE_SAFE = 0.10
"""Fraction kept clear on each side by captions in landscape and square formats."""
PORTRAIT_TOP = 0.14
"""9:16: fraction of the height kept clear at the top (platform UI, see the module docstring)."""
PORTRAIT_BOTTOM = 0.25
"""9:16: fraction of the height kept clear at the bottom."""
PORTRAIT_SIDE = 0.11
"""9:16: fraction of the width kept clear on each side."""
SQUARE_MARGIN = 0.06
"""1:1: fraction of the size kept clear on each side."""


@dataclass(frozen=True)
class Rect:
    """An axis-aligned rectangle: top-left ``(x, y)``, size ``(w, h)``, pixels."""

    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        """``x + w`` (exclusive)."""
        return self.x + self.w

    @property
    def bottom(self) -> int:
        """``y + h`` (exclusive)."""
        return self.y + self.h

    @property
    def box(self) -> tuple[int, int, int, int]:
        """``(x0, y0, x1, y1)`` for Pillow (``x1``/``y1`` exclusive)."""
        return (self.x, self.y, self.right, self.bottom)

    def inset(self, dx: int, dy: int | None = None) -> Rect:
        """Shrink by ``dx`` left/right and ``dy`` (default ``dx``) top/bottom; never negative."""
        dy = dx if dy is None else dy
        return Rect(self.x + dx, self.y + dy, max(0, self.w - 2 * dx), max(0, self.h - 2 * dy))

    def moved(self, dx: int, dy: int) -> Rect:
        """The same rectangle shifted by ``(dx, dy)``."""
        return Rect(self.x + dx, self.y + dy, self.w, self.h)

    def local(self) -> Rect:
        """The same size at the origin (coordinates inside a crop of this rectangle)."""
        return Rect(0, 0, self.w, self.h)

    def take_top(self, h: int, gap: int = 0) -> tuple[Rect, Rect]:
        """Split into a top part of height ``h`` and the rest below it (after ``gap``)."""
        h = max(0, min(h, self.h))
        rest_y = min(self.bottom, self.y + h + gap)
        return Rect(self.x, self.y, self.w, h), Rect(self.x, rest_y, self.w, self.bottom - rest_y)

    def take_bottom(self, h: int, gap: int = 0) -> tuple[Rect, Rect]:
        """Split into a bottom part of height ``h`` and the rest above it (before ``gap``)."""
        h = max(0, min(h, self.h))
        top_h = max(0, self.h - h - gap)
        return Rect(self.x, self.bottom - h, self.w, h), Rect(self.x, self.y, self.w, top_h)

    def contains(self, other: Rect) -> bool:
        """Whether ``other`` lies entirely inside this rectangle."""
        return (
            other.x >= self.x
            and other.y >= self.y
            and other.right <= self.right
            and other.bottom <= self.bottom
        )


def safe_rect(width_px: int, height_px: int, fraction: float = ACTION_SAFE) -> Rect:
    """The area inside a margin of ``fraction`` of the width/height on each side."""
    mx = round(width_px * fraction)
    my = round(height_px * fraction)
    return Rect(mx, my, width_px - 2 * mx, height_px - 2 * my)


def columns(rect: Rect, n: int, gap: int) -> list[Rect]:
    """Split ``rect`` into ``n`` equal columns separated by ``gap`` pixels."""
    n = max(1, n)
    w = max(0, (rect.w - gap * (n - 1)) // n)
    return [Rect(rect.x + i * (w + gap), rect.y, w, rect.h) for i in range(n)]


def rows(rect: Rect, n: int, gap: int) -> list[Rect]:
    """Split ``rect`` into ``n`` equal rows separated by ``gap`` pixels."""
    n = max(1, n)
    h = max(0, (rect.h - gap * (n - 1)) // n)
    return [Rect(rect.x, rect.y + i * (h + gap), rect.w, h) for i in range(n)]


def item_grid(
    rect: Rect, n: int, n_cols: int, gap: int, max_cell_h: int | None = None
) -> list[Rect]:
    """Cells for ``n`` items in ``n_cols`` columns, filled column by column.

    Cells are at most ``max_cell_h`` tall; the grid starts at the top of ``rect``.
    """
    if n <= 0:
        return []
    n_cols = max(1, min(n_cols, n))
    n_rows = -(-n // n_cols)
    cell_h = max(0, (rect.h - gap * (n_rows - 1)) // n_rows)
    if max_cell_h is not None:
        cell_h = min(cell_h, max_cell_h)
    used_h = n_rows * cell_h + gap * (n_rows - 1)
    top = rect.y
    cols = columns(Rect(rect.x, top, rect.w, used_h), n_cols, gap)
    cells = []
    for i in range(n):
        col, row = divmod(i, n_rows)
        cells.append(Rect(cols[col].x, top + row * (cell_h + gap), cols[col].w, cell_h))
    return cells


FormatKind = Literal["landscape", "portrait", "square"]


@dataclass(frozen=True)
class FormatLayout:
    """Where things go in one frame size (see the module docstring for the sources).

    Attributes:
        kind: ``"landscape"`` (wider than 1.2:1), ``"portrait"`` (taller than wide) or
            ``"square"``.
        safe: where text and content are drawn.
        caption_band: where burned-in captions are drawn (two lines at most).
        unit: scale of every size given "in pixels at 1080": the frame's short side ÷ 1080,
            times a type factor (1.15 in 9:16, 1.08 in 1:1) for larger type on phones.
    """

    kind: FormatKind
    safe: Rect
    caption_band: Rect
    unit: float

    @property
    def portrait(self) -> bool:
        """9:16 (taller than wide)."""
        return self.kind == "portrait"

    @property
    def landscape(self) -> bool:
        """16:9 (clearly wider than tall)."""
        return self.kind == "landscape"


CAPTION_MAX_PX = 46
"""Largest caption font size at 1080 (scaled by the layout's unit)."""
CAPTION_LINE_SPACING = 1.25
CAPTION_PAD_Y = 16


def caption_band_height(unit: float) -> int:
    """Height of a two-line caption box at ``unit`` (text, line spacing and padding)."""
    return round(2 * round(CAPTION_MAX_PX * unit) * CAPTION_LINE_SPACING + 2 * CAPTION_PAD_Y * unit)


def format_layout(width_px: int, height_px: int) -> FormatLayout:
    """The :class:`FormatLayout` of a ``width_px`` × ``height_px`` frame."""
    short = min(width_px, height_px) / 1080
    if height_px > width_px:
        unit = short * 1.15
        mx = round(width_px * PORTRAIT_SIDE)
        top = round(height_px * PORTRAIT_TOP)
        bottom = round(height_px * (1 - PORTRAIT_BOTTOM))
        safe = Rect(mx, top, width_px - 2 * mx, bottom - top)
        band_h = caption_band_height(unit)
        band = Rect(safe.x, bottom - band_h, safe.w, band_h)
        return FormatLayout("portrait", safe, band, unit)
    if width_px >= 1.2 * height_px:
        unit = short
        safe = safe_rect(width_px, height_px, ACTION_SAFE)
        kind: FormatKind = "landscape"
    else:
        unit = short * 1.08
        safe = safe_rect(width_px, height_px, SQUARE_MARGIN)
        kind = "square"
    band_h = caption_band_height(unit)
    title = safe_rect(width_px, height_px, TITLE_SAFE)
    band = Rect(title.x, title.bottom - band_h, title.w, band_h)
    return FormatLayout(kind, safe, band, unit)
