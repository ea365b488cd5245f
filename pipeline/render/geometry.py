"""Rectangles, safe areas and simple grid layouts, in integer pixels."""

from __future__ import annotations

from dataclasses import dataclass

ACTION_SAFE = 0.05
"""Fraction of the frame's width/height kept clear on each side by all drawn content."""
TITLE_SAFE = 0.10
"""Fraction kept clear on each side by captions in landscape and square formats."""


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
