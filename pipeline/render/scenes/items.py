"""Scenes whose items appear one by one: list, learning objectives, exercise, quiz, checkpoint.

Item ``k`` of :func:`pipeline.timeline.revealable_items` fades and slides in at
``timing.item_reveal_s[k]``.
"""

from __future__ import annotations

import numpy as np

from pipeline.models import (
    CheckpointScene,
    ExerciseScene,
    LearningObjectivesScene,
    ListScene,
    QuizScene,
)
from pipeline.render.engine import Canvas, SceneRenderer
from pipeline.render.fonts import load_font
from pipeline.render.geometry import Rect, columns, item_grid
from pipeline.render.palette import CORRECT_RGB, ensure_contrast, fill_for_white, mix
from pipeline.render.reading import ReadingPane
from pipeline.render.shapes import card, disc
from pipeline.render.text_layout import draw_block, fit_size, fit_text, layout_at
from pipeline.render.widgets import ItemCards, ItemStyle, chips, default_style, heading, text_panel

LETTERS = "ABCDEF"
MIN_TITLE_PX = 32
"""Smallest item title (at 1080) before a list is split into pages; descriptions are 78 %."""


def _n_cols(canvas: Canvas, n: int) -> int:
    if canvas.landscape:
        return 1 if n <= 4 else 2
    if canvas.portrait:
        return 1 if n <= 7 else 2
    return 1 if n <= 5 else 2


class _ItemsRenderer(SceneRenderer):
    """Shared drawing of revealed item cards."""

    def reveal_cards(
        self,
        canvas: Canvas,
        area: Rect,
        items: list[tuple[str, str]],
        markers: list[str],
        *,
        n_cols: int | None = None,
        first_k: int = 0,
        max_px: int = 40,
    ) -> tuple[ItemCards, list[Rect]]:
        """Lay out ``items`` as cards in ``area``; card ``k`` appears at reveal ``first_k + k``."""
        px = canvas.px
        has_desc = any(desc for _, desc in items)
        cells = item_grid(
            area,
            len(items),
            n_cols if n_cols is not None else _n_cols(canvas, len(items)),
            px(18),
            max_cell_h=px(210 if has_desc else 130),
        )
        cards = ItemCards(canvas, cells, items, max_px=max_px)
        for k, cell in enumerate(cells):
            layer = canvas.layer(cell)
            cards.draw(
                layer.image, layer.draw, k, layer.local, default_style(canvas.palette, markers[k])
            )
            canvas.add_sprite(layer, self.reveal_s(first_k + k))
        return cards, cells

    def paged_cards(
        self,
        canvas: Canvas,
        area: Rect,
        items: list[tuple[str, str]],
        markers: list[str],
        *,
        n_cols: int | None = None,
        first_k: int = 0,
        max_px: int = 40,
    ) -> None:
        """Item cards in pages that keep the text readable (title at least
        :data:`MIN_TITLE_PX` at 1080), never cut: card ``k`` appears at reveal ``first_k + k``;
        a page gives way to the next when the next page's first item is said. Descriptions
        are revealed phrase by phrase as they are read."""
        px = canvas.px
        n = len(items)
        if not n:
            return
        has_desc = any(desc for _, desc in items)
        cap = px((240 if has_desc else 150) * (1.0 if canvas.landscape else 1.3))
        gap = px(18)

        def cells_for(count: int) -> list[Rect]:
            cols = n_cols if n_cols is not None else _n_cols(canvas, count)
            return item_grid(area, count, cols, gap, max_cell_h=cap)

        pages: list[list[int]] = [list(range(n))]
        for per_page in range(n, 0, -1):
            n_pages = -(-n // per_page)
            pages = [list(range(n))[p::n_pages] for p in range(n_pages)]
            pages = [list(range(sum(map(len, pages[:p])), sum(map(len, pages[: p + 1]))))
                     for p in range(n_pages)]  # fmt: skip
            sizes = [
                ItemCards(canvas, cells_for(len(page)), [items[k] for k in page], max_px=max_px)
                for page in pages
            ]
            if all(cards.size_px >= px(MIN_TITLE_PX) for cards in sizes) or per_page == 1:
                break
        starts = [0.0] + [self.reveal_s(first_k + page[0]) for page in pages[1:]]
        for p, page in enumerate(pages):
            hide = starts[p + 1] if p + 1 < len(pages) else None
            cells = cells_for(len(page))
            cards = ItemCards(canvas, cells, [items[k] for k in page], max_px=max_px)
            for j, (k, cell) in enumerate(zip(page, cells, strict=True)):
                layer = canvas.layer(cell)
                style = default_style(canvas.palette, markers[k])
                desc = cards.draw(layer.image, layer.draw, j, layer.local, style, describe=False)
                reveal = self.reveal_s(first_k + k)
                group = "item" if p == 0 else "later"
                canvas.add_sprite(layer, reveal, hide_s=hide, group=group)
                if desc is None:
                    continue
                local, size = desc
                next_reveal = (
                    self.reveal_s(first_k + k + 1) if k + 1 < n else self.timing.narration_end_s
                )
                pane = ReadingPane(
                    items[k][1],
                    local.moved(layer.rect.x, layer.rect.y),
                    canvas.fonts.regular,
                    size,
                    canvas.palette.muted,
                    canvas.palette.card,
                    self.timing.words,
                    self.ctx.fps,
                    min_px=max(1, size - px(4)),
                    line_spacing=1.25,
                    start_s=reveal + 0.2,
                    end_s=max(reveal + 0.2, next_reveal),
                    base=np.asarray(layer.image.crop(local.box), dtype=np.uint8),
                    until_s=hide,
                    in_thumbnail=p == 0,
                    highlight=canvas.palette.accent,
                )
                canvas.add_overlay(pane)

    def intro(self, canvas: Canvas, text: str, top: int, max_lines: int = 3) -> int:
        """Muted description text below the heading; returns the y below it."""
        if not text:
            return top
        c, px = canvas.content, canvas.px
        block = fit_text(
            text,
            canvas.fonts.regular,
            c.w,
            round(c.h * 0.18),
            max_px=px(32),
            min_px=px(24),
            max_lines=max_lines,
            line_spacing=1.3,
        )
        draw_block(canvas.draw, block, c.x, top, canvas.palette.muted)
        return top + block.height_px


class ListRenderer(_ItemsRenderer):
    """Heading, optional description and up to 12 item cards."""

    scene_type = "list"
    scene: ListScene

    def build(self, canvas: Canvas) -> None:
        """Draw heading and description; register one card sprite per item."""
        c, px = canvas.content, canvas.px
        y = heading(canvas, c, self.scene.header)
        y = self.intro(canvas, self.scene.description, y + px(20))
        top = y + px(32)
        items = [(item.title, item.description) for item in self.scene.items]
        markers = [str(k + 1) for k in range(len(items))]
        self.paged_cards(canvas, Rect(c.x, top, c.w, c.bottom - top), items, markers)


class LearningObjectivesRenderer(_ItemsRenderer):
    """Lesson title, duration/difficulty chips and numbered objectives."""

    scene_type = "learning_objectives"
    scene: LearningObjectivesScene

    def build(self, canvas: Canvas) -> None:
        """Draw heading and chips; register one card sprite per objective."""
        c, px = canvas.content, canvas.px
        scene = self.scene
        y = heading(canvas, c, scene.lesson_title, eyebrow="Learning objectives")
        labels = [f"{scene.duration_min} min" if scene.duration_min else "", scene.difficulty]
        y = chips(canvas, Rect(c.x, y + px(22), c.w, px(80)), labels) if any(labels) else y
        top = y + px(32)
        items = [(text, "") for text in scene.objectives]
        markers = [str(k + 1) for k in range(len(items))]
        self.paged_cards(canvas, Rect(c.x, top, c.w, c.bottom - top), items, markers)


class ExerciseRenderer(_ItemsRenderer):
    """Title, chips, numbered instructions and an optional hints panel."""

    scene_type = "exercise"
    scene: ExerciseScene

    def build(self, canvas: Canvas) -> None:
        """Draw heading, chips and hints; register one card sprite per instruction."""
        c, px = canvas.content, canvas.px
        scene = self.scene
        y = heading(canvas, c, scene.title, eyebrow="Exercise")
        labels = [scene.difficulty, scene.estimated_time]
        y = chips(canvas, Rect(c.x, y + px(22), c.w, px(80)), labels) if any(labels) else y
        top = y + px(32)
        area = Rect(c.x, top, c.w, c.bottom - top)
        if scene.hints:
            hints = "\n".join(f"\u2022 {hint}" for hint in scene.hints)
            gap = px(32)
            if canvas.landscape:
                left, right = round(area.w * 0.6), area.w - round(area.w * 0.6) - gap
                hint_rect = Rect(area.right - right, area.y, right, area.h)
                area = Rect(area.x, area.y, left, area.h)
            else:
                hint_rect, area = area.take_bottom(round(area.h * 0.32), gap)
            text_panel(
                canvas, hint_rect, hints, title="Hints", max_px=32, min_px=22, accent_edge=False
            )
        items = [(text, "") for text in scene.instructions]
        markers = [str(k + 1) for k in range(len(items))]
        n_cols = (1 if len(items) <= 6 else 2) if canvas.landscape and scene.hints else None
        self.paged_cards(canvas, area, items, markers, n_cols=n_cols)


class QuizRenderer(_ItemsRenderer):
    """Question, lettered options; the correct one is highlighted after the narration."""

    scene_type = "quiz"
    scene: QuizScene

    def build(self, canvas: Canvas) -> None:
        """Draw the question; register option sprites and the answer highlight sprites."""
        c, px, p = canvas.content, canvas.px, canvas.palette
        scene = self.scene
        y = heading(canvas, c, scene.question, eyebrow="Quiz", max_px=56, max_lines=5)
        top = y + px(40)
        items = [(text, "") for text in scene.options]
        n = len(items)
        n_cols = 2 if canvas.landscape and n >= 4 else 1
        cards, cells = self.reveal_cards(
            canvas, Rect(c.x, top, c.w, c.bottom - top), items, list(LETTERS[:n]), n_cols=n_cols
        )
        if not scene.show_answer:
            return
        correct = ItemStyle(
            marker="\u2713",
            badge_fill=fill_for_white(CORRECT_RGB),
            badge_text=(255, 255, 255),
            fill=mix(p.card, CORRECT_RGB, 0.12),
            border=CORRECT_RGB,
            text=p.text,
            muted=p.muted,
        )
        fade = mix(p.card, p.background, 0.5)
        for k, cell in enumerate(cells):
            base = default_style(p, LETTERS[k])
            style = (
                correct
                if k == scene.correct_index
                else ItemStyle(  # dimmed, but still readable (WCAG AA)
                    marker=base.marker,
                    badge_fill=mix(base.badge_fill, fade, 0.6),
                    badge_text=ensure_contrast(
                        mix(base.badge_text, fade, 0.3), mix(base.badge_fill, fade, 0.6)
                    ),
                    fill=fade,
                    border=mix(base.border, fade, 0.5),
                    text=ensure_contrast(mix(p.text, fade, 0.55), fade),
                    muted=ensure_contrast(mix(p.muted, fade, 0.55), fade),
                )
            )
            layer = canvas.layer(cell)
            cards.draw(layer.image, layer.draw, k, layer.local, style)
            canvas.add_sprite(layer, self.timing.narration_end_s, slide=False, group="answer")


class CheckpointRenderer(_ItemsRenderer):
    """Completed topics, review questions and next topics in three panels."""

    scene_type = "checkpoint"
    scene: CheckpointScene

    def build(self, canvas: Canvas) -> None:
        """Draw the heading and panels; register one row sprite per entry."""
        c, px, p = canvas.content, canvas.px, canvas.palette
        scene = self.scene
        y = heading(canvas, c, f"Checkpoint {scene.checkpoint_number}", eyebrow="Progress check")
        top = y + px(36)
        area = Rect(c.x, top, c.w, c.bottom - top)
        sections = [
            (title, mark, entries)
            for title, mark, entries in (
                ("Completed", "\u2713", scene.completed_topics),
                ("Review", "?", scene.review_questions),
                ("Up next", "\u2192", scene.next_topics),
            )
            if entries
        ]
        gap = px(28)
        if canvas.landscape:
            panels = columns(area, len(sections), gap)
        else:
            weights = [len(entries) + 1.6 for _, _, entries in sections]
            avail = area.h - gap * (len(sections) - 1)
            panels, py = [], area.y
            for w in weights:
                h = int(avail * w / sum(weights))
                panels.append(Rect(area.x, py, area.w, h))
                py += h + gap
        title_px, row_max, row_min = px(30), px(32), px(22)
        plans = []
        for (title, mark, entries), panel in zip(sections, panels, strict=True):
            inner = panel.inset(px(26), px(22))
            inner = Rect(inner.x, inner.y, inner.w, inner.h - px(4))
            title_block = fit_text(
                title,
                canvas.fonts.bold,
                inner.w,
                min(inner.h, px(48)),
                max_px=title_px,
                min_px=px(22),
                max_lines=1,
            )
            rows_area = Rect(
                inner.x,
                inner.y + title_block.height_px + px(18),
                inner.w,
                max(0, inner.h - title_block.height_px - px(18)),
            )
            row_gap = px(10)
            min_row = sum(load_font(canvas.fonts.regular, row_min).getmetrics())
            room = max(0, (rows_area.h + row_gap) // (min_row + row_gap))
            shown = list(entries)
            if len(shown) > room:  # too many rows even at the minimum size
                shown = shown[: max(0, room - 1)]
                if room:
                    shown.append(f"+{len(entries) - len(shown)} more")
            cells = item_grid(rows_area, len(shown), 1, row_gap, max_cell_h=px(72))
            plans.append((panel, title_block, mark, shown, cells))
        size = row_max
        for _, _, _, entries, cells in plans:
            for text, cell in zip(entries, cells, strict=True):
                marker_w = min(cell.h, px(40))
                size = min(
                    size,
                    fit_size(
                        text,
                        canvas.fonts.regular,
                        cell.w - marker_w - px(14),
                        cell.h,
                        max_px=row_max,
                        min_px=row_min,
                    ),
                )
        k = 0
        for (_, _, all_entries), (panel, title_block, mark, entries, cells) in zip(
            sections, plans, strict=True
        ):
            face = card(
                canvas.image,
                panel,
                px(18),
                p.card,
                border=p.card_border,
                border_px=px(2),
                shadow=p.shadow,
                shadow_px=px(4),
            )
            inner = face.inset(px(26), px(22))
            draw_block(canvas.draw, title_block, inner.x, inner.y, p.accent_text)
            for text, cell in zip(entries, cells, strict=True):
                layer = canvas.layer(cell)
                local = layer.local
                marker_d = min(local.h, px(40))
                text_x = marker_d + px(14)
                if marker_d >= px(12):
                    disc(layer.image, marker_d // 2, local.h // 2, marker_d, p.accent_tint)
                    layer.draw.text(
                        (marker_d // 2, local.h // 2),
                        mark,
                        fill=p.accent_text,
                        anchor="mm",
                        font=fit_text(
                            mark,
                            canvas.fonts.bold,
                            marker_d,
                            marker_d,
                            max_px=round(marker_d * 0.55),
                            min_px=1,
                        ).font,
                    )
                block = layout_at(
                    text, canvas.fonts.regular, size, local.w - text_x, local.h, truncate=True
                )
                assert block is not None
                draw_block(layer.draw, block, text_x, (local.h - block.height_px) // 2, p.text)
                canvas.add_sprite(layer, self.reveal_s(k))
                k += 1
            k += len(all_entries) - len(entries)  # entries folded into "+N more"
