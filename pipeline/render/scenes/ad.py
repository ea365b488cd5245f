"""The ad scene: one bold, high-contrast beat of a short-form ad (made for 9:16, fine in all).

Timing rules of the ad archetypes (see docs/templates.md):

* the product image (``scene.image_path``, validated by :func:`pipeline.images.load_product_image`)
  is part of the static layer, so it is visible from the first frame;
* the on-screen text appears at ``max(0, narration_offset_s - text_lead_s)`` — 0.3 s before
  the voice by default — with a short fade, and never later than :data:`TEXT_DEADLINE_S`
  (1 s) minus the fade, so product and text are both on screen within the first second.

The look depends on the beat's role: the hook puts its huge headline on accent "sticker"
boxes, problem/agitate beats get a warning strip, reveal/offer beats a full accent
background, benefit beats a check badge, proof beats five stars, and the call to action is a
button-like pill.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from PIL import Image

from pipeline.images import load_product_image
from pipeline.models import AdScene
from pipeline.render.engine import Canvas, Layer, SceneRenderer
from pipeline.render.geometry import Rect
from pipeline.render.palette import RGB, ensure_contrast, mix, on_color
from pipeline.render.shapes import disc, rounded_mask, rounded_rect
from pipeline.render.text_layout import TextBlock, draw_block, fit_text
from pipeline.render.textlog import new_draw

TEXT_DEADLINE_S = 1.0
"""The text is fully shown by this scene time at the latest (the 'first second' rule)."""
TEXT_FADE_S = 0.15
"""Fade-in of the on-screen text (short: ads cut hard)."""
DARK: RGB = (12, 12, 18)
LIGHT: RGB = (250, 250, 252)
WARNING: RGB = (239, 68, 68)
STAR: RGB = (250, 204, 21)


def text_reveal_s(scene: AdScene, narration_offset_s: float) -> float:
    """When the text starts to fade in: ``text_lead_s`` before the voice, within 1 s."""
    wanted = max(0.0, narration_offset_s - scene.text_lead_s)
    return min(wanted, TEXT_DEADLINE_S - TEXT_FADE_S)


class AdRenderer(SceneRenderer):
    """Draws an :class:`~pipeline.models.AdScene` (see the module docstring).

    Raises:
        InputError: when ``scene.image_path`` is not a valid product image.
    """

    scene_type = "ad"
    scene: AdScene
    ACCENT_BACKGROUND: ClassVar[frozenset[str]] = frozenset({"reveal", "offer"})
    LIGHT_BACKGROUND: ClassVar[frozenset[str]] = frozenset({"demo", "benefit"})

    @property
    def background_rgb(self) -> tuple[int, int, int]:
        """The flat, role-dependent background colour."""
        return self._bg

    def _colors(self) -> tuple[RGB, RGB, RGB]:
        """``(background, headline colour, body colour)`` for the role."""
        role, accent = self.scene.role, self.palette.accent_fill
        if role in self.ACCENT_BACKGROUND:
            ink = on_color(accent)
            return accent, ink, ensure_contrast(mix(ink, accent, 0.18), accent)
        if role in self.LIGHT_BACKGROUND:
            return LIGHT, DARK, (60, 64, 76)
        return DARK, (255, 255, 255), (203, 213, 225)

    def build(self, canvas: Canvas) -> None:
        """Background, product image (static), then the text as one sprite group."""
        w, h = self.ctx.width_px, self.ctx.height_px
        self._bg, ink, soft = self._colors()
        canvas.draw.rectangle((0, 0, w - 1, h - 1), fill=self._bg)
        canvas.decorations.clear()
        c, px = canvas.content, canvas.px
        image = load_product_image(self.scene.image_path) if self.scene.image_path else None
        if canvas.landscape and image is not None:
            gap = px(56)
            image_box = Rect(c.x, c.y, round(c.w * 0.44), c.h)
            text_box = Rect(image_box.right + gap, c.y, c.right - image_box.right - gap, c.h)
        elif image is not None:
            share = 0.34 if self.scene.role == "cta" else 0.44
            image_h = round(c.h * share)
            text_h = c.h - image_h - px(40)
            # Text above the product (hook-style), the body and CTA pill below it.
            text_box = Rect(c.x, c.y, c.w, text_h)
            image_box = Rect(c.x, c.y + text_h + px(40), c.w, image_h)
        else:
            text_box, image_box = c, None
        if image is not None and image_box is not None:
            self._paste_product(canvas, image, image_box)
        self._draw_text(canvas, text_box, ink, soft)

    # -- product ------------------------------------------------------------------------
    def _paste_product(self, canvas: Canvas, image: Image.Image, box: Rect) -> None:
        scale = min(box.w / image.width, box.h / image.height, 4.0)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        fitted = image.resize(size, Image.Resampling.LANCZOS)
        x = box.x + (box.w - size[0]) // 2
        y = box.y + (box.h - size[1]) // 2
        radius = canvas.px(28)
        alpha = np.asarray(fitted.getchannel("A"), dtype=np.uint16)
        corners = np.asarray(rounded_mask(size[0], size[1], radius), dtype=np.uint16)
        mask = Image.fromarray(((alpha * corners + 127) // 255).astype(np.uint8), "L")
        canvas.image.paste(fitted.convert("RGB"), (x, y), mask)

    # -- text ---------------------------------------------------------------------------
    def _draw_text(self, canvas: Canvas, box: Rect, ink: RGB, soft: RGB) -> None:
        role, px, p = self.scene.role, canvas.px, canvas.palette
        reveal = text_reveal_s(self.scene, self.timing.narration_offset_s)
        huge = role in ("hook", "reveal", "offer")
        badge_h = px(56) if role in ("proof", "benefit", "problem", "agitate") else 0
        pill_pad_x, pill_pad_y = (px(48), px(28)) if role == "cta" else (0, 0)
        sticker_pad = px(18) if role == "hook" else 0
        body_h = round(box.h * 0.22) if self.scene.body else 0
        head_h = max(0, box.h - badge_h - body_h - 2 * pill_pad_y - px(60))
        head_w = box.w - 2 * max(pill_pad_x, sticker_pad)
        if role == "cta":
            head_w -= px(44) + px(24)  # room for the arrow
        head = fit_text(
            self.scene.headline.upper() if role == "hook" else self.scene.headline,
            canvas.fonts.bold,
            head_w,
            head_h,
            max_px=px(132 if huge else 104),
            min_px=px(30),
            line_spacing=1.36 if sticker_pad else 1.12,
            max_lines=5,
        )
        body = fit_text(
            self.scene.body,
            canvas.fonts.regular,
            box.w,
            body_h,
            max_px=px(50),
            min_px=px(22),
            line_spacing=1.25,
            max_lines=3,
        )
        gap = px(30)
        head_block_h = head.height_px + 2 * pill_pad_y + (sticker_pad if head.lines else 0)
        total = (badge_h + gap if badge_h else 0) + head_block_h
        total += gap + body.height_px if body.lines else 0
        y = box.y + max(0, (box.h - total) // 2)
        if badge_h:
            layer = canvas.layer(Rect(box.x, y, box.w, badge_h))
            self._badge(canvas, layer, ink)
            canvas.add_sprite(layer, reveal, fade_s=TEXT_FADE_S)
            y += badge_h + gap
        layer = canvas.layer(Rect(box.x, y, box.w, max(1, head_block_h)))
        if role == "cta":
            self._pill(canvas, layer, head)
        elif role == "hook":
            self._stickers(layer, head, sticker_pad, p.accent_fill, p.on_accent)
        else:
            draw_block(layer.draw, head, 0, 0, ink, align="center", box_w=box.w)
        canvas.add_sprite(layer, reveal, fade_s=TEXT_FADE_S)
        y += head_block_h
        if body.lines:
            layer = canvas.layer(Rect(box.x, y + gap, box.w, body.height_px))
            draw_block(layer.draw, body, 0, 0, soft, align="center", box_w=box.w)
            canvas.add_sprite(layer, reveal, fade_s=TEXT_FADE_S)

    def _stickers(self, layer: Layer, block: TextBlock, pad: int, fill: RGB, ink: RGB) -> None:
        """Each line on its own accent box, TikTok-caption style."""
        w = layer.rect.w
        ascent, descent = block.font.getmetrics()
        for i, line in enumerate(block.lines):
            line_w = round(block.font.getlength(line))
            top = i * block.line_height_px
            box = Rect((w - line_w) // 2 - pad, top, line_w + 2 * pad, ascent + descent + pad)
            rounded_rect(layer.image, box, pad, fill)
            layer.draw.text(
                ((w - line_w) / 2, top + pad // 2), line, font=block.font, fill=ink, anchor="la"
            )

    def _pill(self, canvas: Canvas, layer: Layer, block: TextBlock) -> None:
        """The call to action as a button: accent pill, headline, arrow."""
        px, p = canvas.px, canvas.palette
        w, h = layer.rect.w, layer.rect.h
        gap = px(24)
        arrow = px(44) if block.width_px + px(44) + gap + px(96) <= w else 0
        pill_w = min(w, block.width_px + px(96) + (arrow + gap if arrow else 0))
        x0 = (w - pill_w) // 2
        rounded_rect(layer.image, Rect(x0, 0, pill_w, h), min(h // 2, px(60)), p.accent_fill)
        ink = p.on_accent
        draw_block(layer.draw, block, x0 + px(48), px(28), ink, align="center", box_w=block.width_px)  # fmt: skip
        if arrow:
            ax, ay = x0 + px(48) + block.width_px + gap, h // 2
            s = arrow // 2
            layer.draw.polygon(
                [(ax, ay - s), (ax + arrow, ay), (ax, ay + s)], fill=ink
            )  # a play-style arrow

    def _badge(self, canvas: Canvas, layer: Layer, ink: RGB) -> None:
        """A small role marker above the headline: stars, a check or a warning strip."""
        role, px, p = self.scene.role, canvas.px, canvas.palette
        w, h = layer.rect.w, layer.rect.h
        draw = new_draw(layer.image)
        if role == "proof":
            star = fit_text("★★★★★", "DejaVuSans.ttf", w, h, max_px=h, min_px=px(20), max_lines=1)  # fmt: skip
            draw_block(draw, star, 0, (h - star.height_px) // 2, STAR, align="center", box_w=w)
        elif role == "benefit":
            disc(layer.image, w // 2, h // 2, h, p.accent_fill)
            mark = fit_text("✓", "DejaVuSans-Bold.ttf", h, h, max_px=round(h * 0.7), min_px=px(14), max_lines=1)  # fmt: skip
            draw_block(draw, mark, (w - mark.width_px) // 2, (h - mark.height_px) // 2, p.on_accent)  # fmt: skip
        else:  # problem / agitate
            bar_w = min(w, px(220))
            rounded_rect(layer.image, Rect((w - bar_w) // 2, h // 2 - px(7), bar_w, px(14)), px(7), WARNING)  # fmt: skip
