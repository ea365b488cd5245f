"""Reusable drawn elements: headings, chips, item cards, text panels and code cards.

Every function draws inside the rectangle it is given (coordinates of the ``draw``/``image``
it receives) and never outside it; sizes scale with :attr:`Canvas.unit`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from pipeline.render.engine import Canvas, SceneRenderer
from pipeline.render.fonts import load_font
from pipeline.render.geometry import Rect
from pipeline.render.palette import RGB, Palette
from pipeline.render.reading import ReadingPane
from pipeline.render.shapes import card, disc, rounded_rect
from pipeline.render.text_layout import TextBlock, draw_block, fit_size, fit_text, layout_at


def heading(
    canvas: Canvas,
    rect: Rect,
    text: str,
    *,
    eyebrow: str = "",
    max_px: int = 64,
    min_px: int = 26,
    max_lines: int = 2,
) -> int:
    """Draw a heading (accent bar, optional small-caps eyebrow, bold text) at the top of ``rect``.

    Returns the y just below what was drawn. Sizes are at 1080 px and scaled.
    """
    draw, p, px = canvas.draw, canvas.palette, canvas.px
    y = rect.y
    bar_w = px(10)
    text_x = rect.x + bar_w + px(22)
    text_w = rect.right - text_x
    if eyebrow:
        eb = fit_text(
            eyebrow.upper(),
            canvas.fonts.bold,
            text_w,
            px(40),
            max_px=px(24),
            min_px=px(20),
            max_lines=1,
        )
        draw_block(draw, eb, text_x, y, p.accent_text)
        y += eb.height_px + px(10)
    block = fit_text(
        text,
        canvas.fonts.bold,
        text_w,
        max(0, min(rect.bottom - y, round(rect.h * 0.3))),
        max_px=px(max_px),
        min_px=px(min_px),
        line_spacing=1.15,
        max_lines=max_lines,
    )
    draw_block(draw, block, text_x, y, p.text)
    top = rect.y
    bottom = y + max(block.height_px, px(20))
    rounded_rect(canvas.image, Rect(rect.x, top, bar_w, bottom - top), bar_w // 2, p.accent)
    return bottom


def chips(canvas: Canvas, rect: Rect, labels: list[str]) -> int:
    """Draw pill-shaped labels left to right along the top of ``rect``; returns their bottom.

    Labels that do not fit the remaining width are shortened with an ellipsis or dropped.
    """
    labels = [label for label in labels if label.strip()]
    if not labels:
        return rect.y
    px, p = canvas.px, canvas.palette
    size = px(26)
    pad_x, pad_y = px(18), px(8)
    x = rect.x
    bottom = rect.y
    for label in labels:
        room = rect.right - x - 2 * pad_x
        if room < px(40):
            break
        block = fit_text(
            label, canvas.fonts.bold, room, size * 2, max_px=size, min_px=size, max_lines=1
        )
        if not block.lines:
            break
        chip = Rect(x, rect.y, block.width_px + 2 * pad_x, block.height_px + 2 * pad_y)
        rounded_rect(canvas.image, chip, chip.h // 2, p.accent_tint)
        draw_block(canvas.draw, block, x + pad_x, rect.y + pad_y, p.accent_text)
        x = chip.right + px(12)
        bottom = max(bottom, chip.bottom)
    return bottom


@dataclass(frozen=True)
class ItemText:
    """Title and description of an item card, laid out at a common size."""

    title: TextBlock
    description: TextBlock | None


def _item_blocks(
    title: str,
    description: str,
    bold: str,
    regular: str,
    w: int,
    h: int,
    size: int,
    truncate: bool,
) -> ItemText | None:
    """Title (bold, ``size``) over description (regular, 78 %) in a ``w`` × ``h`` box.

    Without ``truncate`` returns ``None`` unless both fit whole; with it, the title keeps at
    most 60 % of the height and both are cut with an ellipsis as needed.
    """
    gap = round(size * 0.25)
    desc_size = max(1, round(size * 0.78))
    title_block = layout_at(title, bold, size, w, h, line_spacing=1.2)
    if title_block is not None:
        if not description:
            return ItemText(title_block, None)
        rest = h - title_block.height_px - gap
        desc = layout_at(description, regular, desc_size, w, rest) if rest > 0 else None
        if desc is not None:
            return ItemText(title_block, desc)
    if not truncate:
        return None
    title_h = h if not description else round(h * 0.6)
    title_block = layout_at(title, bold, size, w, title_h, line_spacing=1.2, truncate=True)
    assert title_block is not None
    if not description:
        return ItemText(title_block, None)
    rest = max(0, h - title_block.height_px - gap)
    return ItemText(title_block, layout_at(description, regular, desc_size, w, rest, truncate=True))


@dataclass(frozen=True)
class ItemStyle:
    """Look of an item card.

    Attributes:
        marker: text in the round badge (``"1"``, ``"A"``, ``"✓"``…), ``""`` for none.
        badge_fill, badge_text: badge colours.
        fill, border, text, muted: card colours.
    """

    marker: str
    badge_fill: RGB
    badge_text: RGB
    fill: RGB
    border: RGB
    text: RGB
    muted: RGB


def default_style(palette: Palette, marker: str) -> ItemStyle:
    """Accent badge on a white (or dark slate) card."""
    return ItemStyle(
        marker=marker,
        badge_fill=palette.accent_fill,
        badge_text=palette.on_accent,
        fill=palette.card,
        border=palette.card_border,
        text=palette.text,
        muted=palette.muted,
    )


class ItemCards:
    """Cards for a set of items that share one font size (fitted to the tightest card).

    Args:
        canvas: the canvas (fonts, scale).
        cells: one rectangle per card.
        items: ``(title, description)`` per card.
        max_px, min_px: title font size range at 1080 px (descriptions are 78 % of it).
    """

    def __init__(
        self,
        canvas: Canvas,
        cells: list[Rect],
        items: list[tuple[str, str]],
        *,
        max_px: int = 40,
        min_px: int = 24,
        badges: bool = True,
    ) -> None:
        self.canvas = canvas
        self.cells = cells
        self.items = items
        px = canvas.px
        self.radius = px(18)
        self.shadow = px(4)
        self.badges = badges
        self.max_px, self.min_px = px(max_px), px(min_px)
        self.pad_x = px(20)
        glyph_h = sum(load_font(canvas.fonts.bold, self.min_px).getmetrics())
        min_cell_h = min((cell.h for cell in cells), default=0)
        self.pad = max(px(4), min(px(20), (min_cell_h - self.shadow - glyph_h) // 2))
        sizes = [
            self._fit_size(cell, title, desc)
            for cell, (title, desc) in zip(cells, items, strict=True)
        ]
        self.size_px = min(sizes, default=self.min_px)

    def _badge_d(self, cell: Rect, size: int) -> int:
        if not self.badges:
            return 0
        face_h = cell.h - self.shadow - 2 * self.pad
        return max(0, min(round(size * 1.5), face_h, round(cell.w * 0.2)))

    def _text_box(self, cell: Rect, size: int) -> Rect:
        badge = self._badge_d(cell, size)
        left = cell.x + self.pad_x + (badge + self.pad_x if badge else 0)
        return Rect(
            left,
            cell.y + self.pad,
            max(0, cell.right - self.pad_x - left),
            max(0, cell.h - self.shadow - 2 * self.pad),
        )

    def _fit_size(self, cell: Rect, title: str, desc: str) -> int:
        fonts = self.canvas.fonts
        lo, hi = self.min_px, max(self.min_px, self.max_px)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            box = self._text_box(cell, mid)
            if _item_blocks(title, desc, fonts.bold, fonts.regular, box.w, box.h, mid, False):
                lo = mid
            else:
                hi = mid - 1
        return lo

    def draw(
        self,
        image: Image.Image,
        draw: ImageDraw.ImageDraw,
        k: int,
        cell: Rect,
        style: ItemStyle,
        *,
        describe: bool = True,
    ) -> tuple[Rect, int] | None:
        """Draw card ``k`` into ``cell`` (coordinates of ``image``) in ``style``.

        With ``describe=False`` the description is left out; returns where it would go
        (down to the card's inner bottom) and its font size, for a
        :class:`~pipeline.render.reading.ReadingPane` to reveal it; else ``None``.
        """
        title, desc = self.items[k]
        size = self.size_px
        face = card(
            image,
            cell,
            self.radius,
            style.fill,
            border=style.border,
            border_px=max(1, self.canvas.px(2)),
            shadow=self.canvas.palette.shadow,
            shadow_px=self.shadow,
        )
        box = self._text_box(cell, size)
        fonts = self.canvas.fonts
        blocks = _item_blocks(title, desc, fonts.bold, fonts.regular, box.w, box.h, size, True)
        assert blocks is not None
        gap = round(size * 0.25)
        total = blocks.title.height_px
        if blocks.description is not None and blocks.description.lines:
            total += gap + blocks.description.height_px
        y = box.y + max(0, (box.h - total) // 2)
        badge = self._badge_d(cell, size)
        if badge and style.marker:
            cx = cell.x + self.pad_x + badge // 2
            cy = face.y + face.h // 2
            disc(image, cx, cy, badge, style.badge_fill)
            mark = fit_text(
                style.marker,
                fonts.bold,
                round(badge * 0.8),
                round(badge * 0.8),
                max_px=round(badge * 0.5),
                min_px=max(1, round(badge * 0.3)),
                max_lines=1,
            )
            if mark.lines:
                draw.text(
                    (cx, cy), mark.lines[0], font=mark.font, fill=style.badge_text, anchor="mm"
                )
        draw_block(draw, blocks.title, box.x, y, style.text)
        if blocks.description is not None and blocks.description.lines:
            desc_y = y + blocks.title.height_px + gap
            if not describe:
                area = Rect(box.x, desc_y, box.w, max(0, box.bottom - desc_y))
                return area, blocks.description.size_px
            draw_block(draw, blocks.description, box.x, desc_y, style.muted)
        return None


def text_panel(
    canvas: Canvas,
    rect: Rect,
    text: str,
    *,
    max_px: int = 40,
    min_px: int = 24,
    accent_edge: bool = True,
    title: str = "",
    fill_height: bool = False,
) -> None:
    """A card of wrapped body text (optionally a bold title above it) at the top of ``rect``.

    The card is as tall as its text needs (all of ``rect`` with ``fill_height``).
    """
    p, px = canvas.palette, canvas.px
    if rect.w < px(80) or rect.h < px(60):
        return
    shadow, edge, pad_x, pad_y = px(4), (px(8) if accent_edge else 0), px(32), px(26)
    inner_w = rect.w - edge - 2 * pad_x
    inner_h = rect.h - shadow - 2 * pad_y
    title_block = None
    title_h = 0
    if title:
        title_block = fit_text(
            title,
            canvas.fonts.bold,
            inner_w,
            inner_h // 3,
            max_px=px(30),
            min_px=px(22),
            max_lines=1,
        )
        title_h = title_block.height_px + px(12)
    block = fit_text(
        text,
        canvas.fonts.regular,
        inner_w,
        max(0, inner_h - title_h),
        max_px=px(max_px),
        min_px=px(min_px),
        line_spacing=1.35,
    )
    height = rect.h if fill_height else min(rect.h, title_h + block.height_px + 2 * pad_y + shadow)
    face = _edged_card(
        canvas.image, canvas.draw, Rect(rect.x, rect.y, rect.w, height), canvas, edge, shadow
    )
    x, y = face.x + edge + pad_x, face.y + pad_y
    if title_block is not None:
        draw_block(canvas.draw, title_block, x, y, p.accent_text)
        y += title_h
    draw_block(canvas.draw, block, x, y, p.text)


def _edged_card(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    rect: Rect,
    canvas: Canvas,
    edge: int,
    shadow: int,
) -> Rect:
    """The text panels' card (radius 18, 2 px border, ``shadow`` px shadow, at 1080) drawn on
    ``image`` in ``rect``, with an accent stripe ``edge`` px wide down its left side when
    ``edge`` > 0; returns the card's face."""
    p, px = canvas.palette, canvas.px
    face = card(
        image,
        rect,
        px(18),
        p.card,
        border=p.card_border,
        border_px=px(2),
        shadow=p.shadow,
        shadow_px=shadow,
    )
    if edge:
        rounded_rect(image, Rect(face.x, face.y, edge * 2, face.h), edge, p.accent)
        draw.rectangle(
            (face.x + edge, face.y + px(2), face.x + edge * 2, face.bottom - 1 - px(2)), fill=p.card
        )
    return face


def reading_panel(
    renderer: SceneRenderer,
    canvas: Canvas,
    rect: Rect,
    text: str,
    *,
    max_px: int = 40,
    min_px: int = 26,
    accent_edge: bool = True,
) -> None:
    """A card at the top of ``rect`` whose text is revealed phrase by phrase as the scene's
    narration reads it (a :class:`~pipeline.render.reading.ReadingPane`); the largest size
    in ``[min_px, max_px]`` (at 1080) that fits one page is used, else pages at ``min_px``."""
    p, px = canvas.palette, canvas.px
    if rect.w < px(80) or rect.h < px(60) or not text.strip():
        return
    shadow, edge, pad_x, pad_y = px(4), (px(8) if accent_edge else 0), px(32), px(26)
    inner = Rect(rect.x + edge + pad_x, rect.y + pad_y, rect.w - edge - 2 * pad_x, rect.h - shadow - 2 * pad_y)  # fmt: skip
    if inner.w <= 0 or inner.h <= 0:
        return

    def pane(size: int, base: npt.NDArray[np.uint8] | None = None) -> ReadingPane:
        return ReadingPane(
            text, inner, canvas.fonts.regular, size, p.text, p.card, renderer.timing.words,
            renderer.ctx.fps, min_px=px(min_px), line_spacing=1.35,
            end_s=renderer.timing.narration_end_s, base=base, highlight=p.accent,
        )  # fmt: skip

    size = px(min_px)
    for candidate in range(px(max_px), px(min_px) - 1, -2):
        if len(pane(candidate).pages) == 1:
            size = candidate
            break
    probe = pane(size)
    height = min(rect.h, probe.height_px + 2 * pad_y + shadow)
    # The card appears just before its first phrase is read (no empty card meanwhile).
    layer = canvas.layer(Rect(rect.x, rect.y, rect.w, height))
    _edged_card(layer.image, layer.draw, layer.local, canvas, edge, shadow)
    first_s = probe.reveal_frames[0] / renderer.ctx.fps if probe.reveal_frames else 0.0
    canvas.add_sprite(layer, max(0.0, first_s - 0.5))
    inner = Rect(inner.x, inner.y, inner.w, max(1, min(inner.h, probe.height_px)))
    local = inner.moved(-layer.rect.x, -layer.rect.y)
    canvas.add_overlay(pane(size, np.asarray(layer.image.crop(local.box), dtype=np.uint8)))


def centered_text_height(blocks: list[TextBlock], gap: int) -> int:
    """Total height of ``blocks`` stacked with ``gap`` between non-empty ones."""
    heights = [b.height_px for b in blocks if b.lines]
    return sum(heights) + gap * max(0, len(heights) - 1)


__all__ = [
    "ItemCards",
    "ItemStyle",
    "centered_text_height",
    "chips",
    "default_style",
    "fit_size",
    "heading",
    "reading_panel",
    "text_panel",
]
