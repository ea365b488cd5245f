"""The clip scene: an AI video clip, else an animated infographic, else a text card.

The tier is chosen by the caller (the orchestrator knows whether a paid clip exists) through
``make_renderer(..., tier=..., clip_source=...)``; the default is ``"infographic"`` when the
scene has infographic data and ``"text_card"`` otherwise. The renderer exposes the tier it
draws as :attr:`ClipRenderer.tier`.

* ``"ai_clip"`` — frames come from ``clip_source`` (already at the frame size), with the
  headline over a dark gradient at the bottom of the content area. Every frame index is its
  own frame key (``("clip", index)``): video changes every frame.
* ``"infographic"`` — headline and body as text, and the chart of
  :mod:`pipeline.render.infographic` animating from when the narration starts. The frame key
  adds the animation step, so the static tail after the animation shares one key.
* ``"text_card"`` — a static card with the headline and the body.

Bad data (unknown tier, missing clip source or infographic, invalid infographic values, a
clip source with the wrong frame size) raises ``ValueError`` in the constructor, so the caller
can retry with ``tier="text_card"`` before encoding starts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from typing import Literal, get_args

import numpy as np
from PIL import Image, ImageDraw

from pipeline.models import ClipScene, SceneBase
from pipeline.render.base import FrameSource, RenderContext, RGBFrame
from pipeline.render.compositing import blend_rgba, blend_sprite, crossfade
from pipeline.render.engine import Canvas, SceneRenderer
from pipeline.render.geometry import Rect
from pipeline.render.infographic import InfographicAnimation, animation_s, validate_infographic
from pipeline.render.shapes import card, rounded_rect
from pipeline.render.text_layout import draw_block, fit_text
from pipeline.render.widgets import heading
from pipeline.timeline import SceneTiming

ClipTier = Literal["ai_clip", "infographic", "text_card"]
CLIP_TIERS: tuple[str, ...] = get_args(ClipTier)
"""The tiers, best first."""
GRADIENT_ALPHA = 210
"""Opacity of the bottom gradient under the headline of an AI clip, at its darkest."""
_EPS = 1e-6

ClipState = tuple[tuple[int, ...], int, tuple[int, int], Hashable]
"""``(sprite phases, crossfade weight, caption state, tier part)``."""


def gradient_text_patch(
    width_px: int,
    height_px: int,
    text_y: int,
    fade_px: int,
    draw_text: Callable[[ImageDraw.ImageDraw, int], None],
) -> tuple[np.ndarray, int]:
    """Text in white over a dark bottom gradient, as one RGBA patch (blended on each frame).

    The gradient starts clear at row ``top = max(0, text_y - fade_px)``, darkens as
    ``GRADIENT_ALPHA · ramp^1.5`` (``ramp`` 0 → 1 from ``top`` to ``text_y``) and stays at
    :data:`GRADIENT_ALPHA` down to the bottom of the frame. The text is white at full opacity:
    alpha = max(gradient, text coverage); colour = white weighted by how much of the final
    alpha the text accounts for.

    Args:
        width_px, height_px: the frame's size.
        text_y: the frame row where the text starts.
        fade_px: how many rows above ``text_y`` the gradient fades in over.
        draw_text: draws the text (coverage 0–255) on the patch's ``"L"`` layer, given its
            drawing context and ``text_y`` in patch rows (``text_y - top``).

    Returns:
        ``(rgba, top)``: a ``(height_px - top, width_px, 4)`` uint8 patch and the frame row
        where it starts.
    """
    top = max(0, text_y - fade_px)
    grad_h = height_px - top
    ramp = np.clip(np.arange(grad_h) / max(1, text_y - top), 0.0, 1.0)
    alpha = (GRADIENT_ALPHA * ramp**1.5).astype(np.uint16)
    text = Image.new("L", (width_px, grad_h), 0)
    draw_text(ImageDraw.Draw(text), text_y - top)
    mask = np.asarray(text, dtype=np.uint16)
    a = np.maximum(alpha[:, None], mask)
    white = np.where(a > 0, (mask * 255) // np.maximum(a, 1), 0)
    rgba = np.zeros((grad_h, width_px, 4), dtype=np.uint8)
    rgba[:, :, 0] = rgba[:, :, 1] = rgba[:, :, 2] = white.astype(np.uint8)
    rgba[:, :, 3] = a.astype(np.uint8)
    return rgba, top


def resolve_tier(scene: ClipScene, tier: str | None, clip_source: FrameSource | None) -> ClipTier:
    """The tier to draw ``scene`` with (see the module docstring).

    Raises:
        ValueError: for an unknown tier, ``"ai_clip"`` without a clip source, or
            ``"infographic"`` for a scene without infographic data.
    """
    if tier is None:
        tier = "infographic" if scene.infographic is not None else "text_card"
    if tier not in CLIP_TIERS:
        raise ValueError(f"unknown clip tier {tier!r}; use one of {', '.join(CLIP_TIERS)}")
    if tier == "ai_clip" and clip_source is None:
        raise ValueError("tier 'ai_clip' needs a clip_source (the decoded, scaled AI clip)")
    if tier == "infographic" and scene.infographic is None:
        raise ValueError("tier 'infographic' needs scene.infographic data; use 'text_card'")
    return tier  # type: ignore[return-value]


class ClipRenderer(SceneRenderer):
    """Draws a :class:`~pipeline.models.ClipScene` in one of three tiers.

    Args:
        scene, ctx, timing, previous_final: as for every :class:`SceneRenderer`.
        tier: ``"ai_clip"``, ``"infographic"``, ``"text_card"`` or ``None`` for the default.
        clip_source: frames of the AI clip by scene time (needed for ``"ai_clip"``); the
            caller scales them to the frame size and holds the last frame past the clip's end.

    Raises:
        ValueError: see :func:`resolve_tier`, plus invalid infographic data
            (:class:`~pipeline.errors.InputError`) and a clip source whose first frame is not
            ``(height_px, width_px, 3)`` uint8.
    """

    scene_type = "clip"
    scene: ClipScene

    def __init__(
        self,
        scene: SceneBase,
        ctx: RenderContext,
        timing: SceneTiming,
        *,
        previous_final: RGBFrame | None = None,
        tier: str | None = None,
        clip_source: FrameSource | None = None,
    ) -> None:
        if not isinstance(scene, ClipScene):
            raise TypeError(f"ClipRenderer draws clip scenes, got {type(scene).__name__}")
        self.tier: ClipTier = resolve_tier(scene, tier, clip_source)
        if self.tier == "infographic":
            assert scene.infographic is not None
            validate_infographic(scene.infographic)
        self._source = clip_source if self.tier == "ai_clip" else None
        self._chart_rect: Rect | None = None
        self._chart_fill = (0, 0, 0)
        self._overlay: tuple[np.ndarray, int, int] | None = None
        self._anim: InfographicAnimation | None = None
        self._anim_start = 0  # first frame of the chart animation (set with _anim)
        super().__init__(scene, ctx, timing, previous_final=previous_final)
        if self._chart_rect is not None and self.scene.infographic is not None:
            r = self._chart_rect
            start = timing.narration_offset_s
            length = animation_s(self.scene.infographic, timing.duration_s - start - 0.2)
            self._anim_start = max(0, math.ceil(start * timing.fps - _EPS))
            self._anim = InfographicAnimation(
                self.scene.infographic,
                self._base[r.y : r.bottom, r.x : r.right],
                palette=self.palette,
                fonts=self.fonts,
                unit=min(ctx.width_px, ctx.height_px) / 1080,
                fill=self._chart_fill,
                n_steps=max(1, round(length * timing.fps)),
            )
        if self._source is not None:
            self._check_source_frame(self._source.frame_at(0.0))
        self._last_clip: tuple[ClipState, RGBFrame] | None = None

    # -- drawing the static layer -------------------------------------------------------
    def build(self, canvas: Canvas) -> None:
        """Draw the static layer of the chosen tier."""
        if self.tier == "text_card":
            self._build_text_card(canvas)
        elif self.tier == "infographic":
            self._build_infographic(canvas)
        else:
            self._build_overlay(canvas)

    def _build_text_card(self, canvas: Canvas) -> None:
        c, px, p = canvas.content, canvas.px, canvas.palette
        card_w = round(c.w * (0.78 if canvas.landscape else 1.0))
        pad = px(56)
        inner_w = card_w - 2 * pad
        head = fit_text(
            self.scene.headline,
            canvas.fonts.bold,
            inner_w,
            round(c.h * 0.4),
            max_px=px(84),
            min_px=px(28),
            line_spacing=1.12,
            max_lines=4,
        )
        bar_h, gap = px(10), px(30)
        body_room = c.h - 2 * pad - px(6) - head.height_px - 2 * gap - bar_h
        body = fit_text(
            self.scene.body,
            canvas.fonts.regular,
            inner_w,
            max(0, body_room),
            max_px=px(42),
            min_px=px(24),
            line_spacing=1.35,
        )
        inner_h = head.height_px + gap + bar_h + (gap + body.height_px if body.lines else 0)
        card_h = min(c.h, inner_h + 2 * pad + px(6))
        x, y = c.x + (c.w - card_w) // 2, c.y + (c.h - card_h) // 2
        face = card(
            canvas.image,
            Rect(x, y, card_w, card_h),
            px(28),
            p.card,
            border=p.card_border,
            border_px=px(2),
            shadow=p.shadow,
            shadow_px=px(6),
        )
        ty = face.y + pad
        draw_block(canvas.draw, head, face.x + pad, ty, p.text, align="center", box_w=inner_w)
        ty += head.height_px + gap
        bar_w = min(inner_w, px(120))
        rounded_rect(canvas.image, Rect(face.x + (face.w - bar_w) // 2, ty, bar_w, bar_h), bar_h // 2, p.accent)  # fmt: skip
        ty += bar_h + gap
        if body.lines:
            draw_block(canvas.draw, body, face.x + pad, ty, p.muted, align="center", box_w=inner_w)

    def _build_infographic(self, canvas: Canvas) -> None:
        c, px, p = canvas.content, canvas.px, canvas.palette
        info = self.scene.infographic
        assert info is not None
        top = heading(canvas, Rect(c.x, c.y, c.w, round(c.h * 0.3)), self.scene.headline)
        area = Rect(c.x, top + px(28), c.w, max(0, c.bottom - top - px(28)))
        if self.scene.body:
            if canvas.landscape:
                body_w = round(area.w * 0.36)
                body_rect = Rect(area.x, area.y, body_w, area.h)
                area = Rect(area.x + body_w + px(48), area.y, area.w - body_w - px(48), area.h)
                max_lines = None
            else:
                body_rect = Rect(area.x, area.y, area.w, round(area.h * 0.24))
                max_lines = 5
            body = fit_text(
                self.scene.body,
                canvas.fonts.regular,
                body_rect.w,
                body_rect.h,
                max_px=px(38),
                min_px=px(24),
                line_spacing=1.35,
                max_lines=max_lines,
            )
            draw_block(canvas.draw, body, body_rect.x, body_rect.y, p.muted)
            if not canvas.landscape:
                used = body.height_px + px(28)
                area = Rect(area.x, area.y + used, area.w, max(0, area.h - used))
        fill = p.card
        face = card(
            canvas.image,
            area,
            px(24),
            fill,
            border=p.card_border,
            border_px=px(2),
            shadow=p.shadow,
            shadow_px=px(5),
        )
        inner = face.inset(px(32), px(26))
        if info.title:
            title = fit_text(
                info.title,
                canvas.fonts.bold,
                inner.w,
                round(inner.h * 0.16),
                max_px=px(34),
                min_px=px(24),
                max_lines=1,
            )
            draw_block(canvas.draw, title, inner.x, inner.y, p.accent_text)
            used = title.height_px + px(20)
            inner = Rect(inner.x, inner.y + used, inner.w, max(1, inner.h - used))
        self._chart_rect = Rect(inner.x, inner.y, max(1, inner.w), max(1, inner.h))
        self._chart_fill = fill

    def _build_overlay(self, canvas: Canvas) -> None:
        """The headline over a bottom gradient, kept as an RGBA patch blended on each frame."""
        c, px = canvas.content, canvas.px
        w, h = self.ctx.width_px, self.ctx.height_px
        head = fit_text(
            self.scene.headline,
            canvas.fonts.bold,
            round(c.w * (0.8 if canvas.landscape else 1.0)),
            round(c.h * 0.3),
            max_px=px(72),
            min_px=px(28),
            line_spacing=1.12,
            max_lines=3,
        )
        text_y = c.bottom - head.height_px
        rgba, top = gradient_text_patch(
            w,
            h,
            text_y,
            px(160),
            lambda draw, y: draw_block(draw, head, c.x, y, 255, align="center", box_w=c.w),
        )
        self._overlay = (rgba, 0, top)

    # -- frames ---------------------------------------------------------------------------
    def _check_source_frame(self, frame: RGBFrame) -> RGBFrame:
        shape = (self.ctx.height_px, self.ctx.width_px, 3)
        if not isinstance(frame, np.ndarray) or frame.shape != shape or frame.dtype != np.uint8:
            got = (
                f"{frame.dtype} {frame.shape}"
                if isinstance(frame, np.ndarray)
                else type(frame).__name__
            )
            raise ValueError(f"clip_source frames must be uint8 {shape}, got {got}")
        return frame

    def _tier_part(self, f: int, *, final: bool = False) -> Hashable:
        if self.tier == "ai_clip":
            return ("clip", f)
        if self._anim is not None:
            if final:
                return self._anim.n_steps
            return max(0, min(self._anim.n_steps, f - self._anim_start))
        return 0

    def _clip_state(self, t_s: float, *, captions: bool) -> ClipState:
        phases, weight, caption, _ = self._state(t_s, captions=captions)
        return phases, weight, caption, self._tier_part(self.frame_index(t_s))

    def frame_key(self, t_s: float) -> Hashable:
        """Equal for two times exactly when their frames are pixel-identical."""
        return self._clip_state(t_s, captions=True)

    def frame_at(self, t_s: float) -> RGBFrame:
        """The frame at ``t_s`` seconds from the scene's start: (H, W, 3) uint8, a new array."""
        return self._render_clip(self._clip_state(t_s, captions=True))

    def final_frame(self) -> RGBFrame:
        """The scene's last frame without captions (the next scene crossfades from it)."""
        return self._render_clip(self._clip_state(self.timing.duration_s, captions=False))

    def thumbnail(self) -> RGBFrame:
        """The finished chart (or the clip's middle frame), no crossfade, no captions."""
        phases = tuple(sprite.fade_frames for sprite in self._sprites)
        middle = self.timing.n_frames // 2
        return self._render_clip((phases, -1, (-1, -1), self._tier_part(middle, final=True)))

    def _render_clip(self, state: ClipState) -> RGBFrame:
        if self._last_clip is not None and self._last_clip[0] == state:
            return self._last_clip[1].copy()
        phases, weight, caption, part = state
        if self._source is not None and isinstance(part, tuple):
            frame = self._check_source_frame(
                self._source.frame_at(part[1] / self.timing.fps)
            ).copy()
            assert self._overlay is not None
            rgba, ox, oy = self._overlay
            blend_rgba(frame, rgba, ox, oy)
        else:
            full = tuple(p >= s.fade_frames for p, s in zip(phases, self._sprites, strict=True))
            frame = self._settled_layer(full).copy()
            if self._anim is not None and self._chart_rect is not None:
                r = self._chart_rect
                frame[r.y : r.bottom, r.x : r.right] = self._anim.patch(int(part))  # type: ignore[call-overload]
        for sprite, phase in zip(self._sprites, phases, strict=True):
            if 0 < phase < sprite.fade_frames:
                blend_sprite(frame, sprite, phase)
        if weight >= 0 and self._previous16 is not None:
            frame = crossfade(self._previous16, frame, weight)
        if caption[0] >= 0 and self._captions is not None:
            self._captions.draw(frame, caption)
        self._last_clip = (state, frame.copy())
        return frame


__all__ = ["CLIP_TIERS", "ClipRenderer", "ClipTier", "gradient_text_patch", "resolve_tier"]
