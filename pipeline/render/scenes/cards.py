"""Card-like scenes: title, outro, quote, problem."""

from __future__ import annotations

import numpy as np

from pipeline.models import OutroScene, ProblemScene, QuoteScene, TitleScene
from pipeline.render.engine import Canvas, SceneRenderer
from pipeline.render.fonts import load_font
from pipeline.render.geometry import Rect
from pipeline.render.reading import ReadingPane
from pipeline.render.shapes import rounded_rect
from pipeline.render.text_layout import draw_block, fit_text
from pipeline.render.widgets import centered_text_height, chips, heading, reading_panel
from pipeline.subtitles import fold, is_sentence_end

TITLE_FADE_S = 0.6


READING_MIN_WORDS = 14
"""A title scene whose narration says at least this many words besides the title shows
them, revealed as they are read (:func:`reading_body`)."""
READING_ROWS = {"landscape": 8, "square": 9, "portrait": 11}
"""Lines per page of read text, per format kind."""


def reading_body(title: str, words: list[str]) -> str:
    """What a title scene shows as read text: its narration without leading sentences that
    only repeat the title; ``""`` when that leaves fewer than
    :data:`READING_MIN_WORDS` words (the scene is then a plain title card)."""
    sentences: list[list[str]] = [[]]
    for word in words:
        sentences[-1].append(word)
        if is_sentence_end(word):
            sentences.append([])
    sentences = [s for s in sentences if s]
    while sentences and fold(" ".join(sentences[0])) == fold(title):
        sentences.pop(0)
    body = [w for s in sentences for w in s]
    return " ".join(body) if len(body) >= READING_MIN_WORDS else ""


class TitleRenderer(SceneRenderer):
    """Big centred title with an accent bar and a subtitle; both fade in.

    When the narration says more than the title (a section's paragraphs), the title becomes
    a heading and the narration's text is shown below it, page by page, each phrase fading
    in as it is read (:class:`~pipeline.render.reading.ReadingPane`).
    """

    scene_type = "title"
    scene: TitleScene

    def build(self, canvas: Canvas) -> None:
        """Draw the title group centred in the content area, or the heading and read text."""
        body = reading_body(self.scene.title, [w.text for w in self.timing.words])
        if body:
            self._build_reading(canvas, body)
            return
        c, px, p = canvas.content, canvas.px, canvas.palette
        text_w = round(c.w * (0.84 if canvas.landscape else 1.0))
        title = fit_text(
            self.scene.title,
            canvas.fonts.bold,
            text_w,
            round(c.h * 0.55),
            max_px=px(112),
            min_px=px(30),
            line_spacing=1.12,
            max_lines=5,
        )
        sub = fit_text(
            self.scene.subtitle,
            canvas.fonts.regular,
            text_w,
            round(c.h * 0.25),
            max_px=px(50),
            min_px=px(26),
            line_spacing=1.3,
            max_lines=4,
        )
        bar_h, gap = px(10), px(36)
        total = title.height_px + gap + bar_h + (gap + sub.height_px if sub.lines else 0)
        y = c.y + max(0, (c.h - total) // 2)
        x = c.x + (c.w - text_w) // 2
        group = canvas.layer(Rect(x, y, text_w, title.height_px + gap + bar_h))
        draw_block(group.draw, title, 0, 0, p.text, align="center", box_w=text_w)
        bar_w = min(text_w, px(140))
        rounded_rect(
            group.image,
            Rect((text_w - bar_w) // 2, title.height_px + gap, bar_w, bar_h),
            bar_h // 2,
            p.accent,
        )
        canvas.add_sprite(group, 0.0, fade_s=TITLE_FADE_S)
        if sub.lines:
            sub_layer = canvas.layer(Rect(x, group.rect.bottom + gap, text_w, sub.height_px))
            draw_block(sub_layer.draw, sub, 0, 0, p.muted, align="center", box_w=text_w)
            canvas.add_sprite(sub_layer, 0.25, fade_s=TITLE_FADE_S)

    def _pane(self, canvas: Canvas, body: str, area: Rect, size: int, rows: int) -> ReadingPane:
        return ReadingPane(
            body,
            area,
            canvas.fonts.regular,
            size,
            canvas.palette.text,
            canvas.palette.background,
            self.timing.words,
            self.ctx.fps,
            min_px=min(size, canvas.px(36)),
            max_rows=rows,
            end_s=self.timing.narration_end_s,
            base=np.asarray(canvas.image.crop(area.box), dtype=np.uint8),
            highlight=canvas.palette.accent,
        )

    def _build_reading(self, canvas: Canvas, body: str) -> None:
        c, px, p = canvas.content, canvas.px, canvas.palette
        y = heading(canvas, c, self.scene.title, max_px=64 if canvas.landscape else 60)
        subtitle = self.scene.subtitle.rstrip("\u2026").strip()
        if subtitle and fold(subtitle) not in fold(body):
            block = fit_text(
                subtitle,
                canvas.fonts.regular,
                c.w,
                round(c.h * 0.15),
                max_px=px(34),
                min_px=px(24),
                max_lines=2,
                line_spacing=1.3,
            )
            draw_block(canvas.draw, block, c.x, y + px(20), p.muted)
            y += px(20) + block.height_px
        top = y + px(44)
        area = Rect(c.x, top, c.w, max(0, c.bottom - top))
        rows = READING_ROWS[canvas.layout.kind]
        pane = None
        for size in (60, 56, 52, 48):  # larger type when the text fits on one page
            pane = self._pane(canvas, body, area, px(size), rows)
            if len(pane.pages) == 1:
                break
        else:
            pane = self._pane(canvas, body, area, px(46), rows)
        if len(pane.pages) == 1 and pane.height_px < area.h:  # centre a single page
            shift = (area.h - pane.height_px) // 3
            area = Rect(area.x, area.y + shift, area.w, area.h - shift)
            pane = self._pane(canvas, body, area, pane.size_px, rows)
        canvas.add_overlay(pane)


class OutroRenderer(SceneRenderer):
    """Closing line and a call-to-action pill; both fade in."""

    scene_type = "outro"
    scene: OutroScene

    def build(self, canvas: Canvas) -> None:
        """Draw the main line and the call to action centred in the content area."""
        c, px, p = canvas.content, canvas.px, canvas.palette
        text_w = round(c.w * (0.84 if canvas.landscape else 1.0))
        main = fit_text(
            self.scene.main_text,
            canvas.fonts.bold,
            text_w,
            round(c.h * 0.5),
            max_px=px(96),
            min_px=px(28),
            line_spacing=1.12,
            max_lines=5,
        )
        pad_x, pad_y = px(44), px(22)
        cta = fit_text(
            self.scene.sub_text,
            canvas.fonts.bold,
            text_w - 2 * pad_x,
            round(c.h * 0.3) - 2 * pad_y,
            max_px=px(40),
            min_px=px(24),
            max_lines=4,
        )
        gap = px(56)
        cta_h = cta.height_px + 2 * pad_y if cta.lines else 0
        total = main.height_px + (gap + cta_h if cta_h else 0)
        y = c.y + max(0, (c.h - total) // 2)
        x = c.x + (c.w - text_w) // 2
        head = canvas.layer(Rect(x, y, text_w, main.height_px))
        draw_block(head.draw, main, 0, 0, p.text, align="center", box_w=text_w)
        canvas.add_sprite(head, 0.0, fade_s=TITLE_FADE_S)
        if cta_h:
            pill_w = cta.width_px + 2 * pad_x
            pill = canvas.layer(
                Rect(c.x + (c.w - pill_w) // 2, y + main.height_px + gap, pill_w, cta_h)
            )
            rounded_rect(pill.image, pill.local, min(cta_h // 2, px(40)), p.accent_fill)
            draw_block(
                pill.draw, cta, pad_x, pad_y, p.on_accent, align="center", box_w=cta.width_px
            )
            canvas.add_sprite(pill, 0.3, fade_s=TITLE_FADE_S)


class QuoteRenderer(SceneRenderer):
    """A large quotation mark, the quote, and its attribution."""

    scene_type = "quote"
    scene: QuoteScene

    def build(self, canvas: Canvas) -> None:
        """Draw the quote group centred in the content area."""
        c, px, p, draw = canvas.content, canvas.px, canvas.palette, canvas.draw
        text_w = round(c.w * (0.8 if canvas.landscape else 1.0))
        mark_font = load_font(canvas.fonts.bold, px(180))
        ink = mark_font.getbbox("\u201c", anchor="la")
        mark_h = min(round(ink[3] - ink[1]), round(c.h * 0.2))
        quote = fit_text(
            self.scene.quote_text,
            canvas.fonts.regular,
            text_w,
            round(c.h * 0.55),
            max_px=px(60),
            min_px=px(26),
            line_spacing=1.35,
        )
        attribution = fit_text(
            f"\u2014 {self.scene.attribution}" if self.scene.attribution else "",
            canvas.fonts.bold,
            text_w,
            round(c.h * 0.1),
            max_px=px(36),
            min_px=px(24),
            max_lines=2,
        )
        context = fit_text(
            self.scene.context,
            canvas.fonts.regular,
            text_w,
            round(c.h * 0.08),
            max_px=px(28),
            min_px=px(22),
            max_lines=2,
        )
        gap = px(28)
        blocks = [quote, attribution, context]
        total = mark_h + gap + centered_text_height(blocks, gap)
        y = c.y + max(0, (c.h - total) // 2)
        x = c.x + (c.w - text_w) // 2
        if mark_h == ink[3] - ink[1]:
            mark_w = ink[2] - ink[0]
            draw.text(
                (x + (text_w - mark_w) // 2 - ink[0], y - ink[1]),
                "\u201c",
                font=mark_font,
                fill=p.accent_text,
                anchor="la",
            )
        y += mark_h + gap
        if quote.lines:  # the quote is revealed phrase by phrase as it is read
            rect = Rect(x, y, text_w, min(c.bottom - y, quote.height_px + quote.line_height_px))
            pane = ReadingPane(
                self.scene.quote_text,
                rect,
                canvas.fonts.regular,
                quote.size_px,
                p.text,
                p.background,
                self.timing.words,
                self.ctx.fps,
                min_px=quote.size_px,
                align="center",
                line_spacing=1.35,
                end_s=self.timing.narration_end_s,
                base=np.asarray(canvas.image.crop(rect.box), dtype=np.uint8),
                highlight=canvas.palette.accent,
            )
            canvas.add_overlay(pane)
            y += pane.height_px + gap
        for block, color in ((attribution, p.accent_text), (context, p.muted)):
            if block.lines:
                draw_block(draw, block, x, y, color, align="center", box_w=text_w)
                y += block.height_px + gap


class ProblemRenderer(SceneRenderer):
    """Heading, difficulty chip and the problem statement in a card."""

    scene_type = "problem"
    scene: ProblemScene

    def build(self, canvas: Canvas) -> None:
        """Draw heading, chip and text card top to bottom."""
        c, px = canvas.content, canvas.px
        y = heading(canvas, c, self.scene.title, eyebrow="Problem")
        y = (
            chips(canvas, Rect(c.x, y + px(24), c.w, c.bottom - y), [self.scene.difficulty])
            if self.scene.difficulty
            else y
        )
        top = y + px(36)
        reading_panel(
            self, canvas, Rect(c.x, top, c.w, c.bottom - top), self.scene.problem_text, max_px=44
        )
