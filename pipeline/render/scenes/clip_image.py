"""The ``ai_image`` tier of a clip scene: an AI still with gentle pan and zoom, text over it.

Between the AI clip and the infographic in the fallback chain
(:func:`pipeline.render_job.resolve_visuals`). The still is scaled to cover the frame and
moved slowly (the "Ken Burns" effect): over the scene it zooms by :data:`ZOOM` (in on
even scenes, out on odd ones, so consecutive image scenes do not repeat the same move) and
drifts by up to :data:`PAN_FRACTION` of the frame, eased in and out (smoothstep). Each frame
is one resampling of a sub-pixel box of the pre-scaled still (Pillow's bilinear
``resize(box=…)``, so the motion does not judder on whole pixels; about 40 ms per 1080p
frame here, where an affine ``transform`` took 250 ms).

The headline and the body (up to :data:`BODY_LINES` lines) are drawn in white over a dark
gradient at the bottom of the content area, as over an AI clip. Captions and the crossfade
from the previous scene work as for every scene: this renderer is the clip scene's renderer
(:class:`~pipeline.render.scenes.clip.ClipRenderer`) fed with the moving still as its clip.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from pipeline.models import SceneBase
from pipeline.render.base import RenderContext, RGBFrame
from pipeline.render.engine import Canvas
from pipeline.render.scenes.clip import ClipRenderer, gradient_text_patch
from pipeline.render.text_layout import draw_block, fit_text
from pipeline.timeline import SceneTiming

ZOOM = 1.10
"""How much the still is magnified at the end of a zoom-in (at the start of a zoom-out)."""
PAN_FRACTION = 0.04
"""Largest drift of the view over a scene, as a fraction of the frame's width and height."""
BODY_LINES = 3
"""Most lines of body text drawn over the image."""


def _ease(x: float) -> float:
    """Smoothstep: 0 → 1 with zero speed at both ends."""
    x = min(1.0, max(0.0, x))
    return x * x * (3.0 - 2.0 * x)


class PanZoomStill:
    """Frames of a still with slow pan and zoom (a :class:`~pipeline.render.base.FrameSource`).

    Args:
        image_path: the still (any format Pillow reads).
        width_px / height_px: the frame size.
        duration_s: the scene's length (the move spans it).
        variant: picks the move (even: zoom in; odd: zoom out; ``variant // 2`` the drift's
            direction).

    Raises:
        ValueError: the file cannot be read as an image.
    """

    def __init__(
        self, image_path: Path, width_px: int, height_px: int, duration_s: float, variant: int
    ) -> None:
        try:
            with Image.open(image_path) as opened:
                still = opened.convert("RGB")
        except OSError as error:
            raise ValueError(f"cannot read the AI image {image_path.name}: {error}") from None
        self.width_px, self.height_px = width_px, height_px
        self.duration_s = max(duration_s, 1e-3)
        # Scale once so that the most magnified view is still at least 1:1 (sharp) and the
        # whole view always lies inside the still.
        cover = max(width_px / still.width, height_px / still.height) * ZOOM
        size = (max(1, round(still.width * cover)), max(1, round(still.height * cover)))
        self._still = still.resize(size, Image.Resampling.LANCZOS)
        self.zoom_in = variant % 2 == 0
        directions = ((1, 0), (0, 1), (-1, 0), (0, -1))
        self._drift = directions[(variant // 2) % len(directions)]
        self._overlay_y = 0
        self._overlay_keep: np.ndarray | None = None
        self._overlay_add: np.ndarray | None = None

    def frame_key(self, t_s: float) -> Hashable:
        """A still that moves: every time is its own frame."""
        return ("pan-zoom", round(t_s, 6))

    def view(self, t_s: float) -> tuple[float, float, float, float]:
        """The part of the pre-scaled still shown at ``t_s``: ``(x, y, width, height)`` in its
        pixels (sub-pixel)."""
        p = _ease(t_s / self.duration_s)
        zoom = 1.0 + (ZOOM - 1.0) * (p if self.zoom_in else 1.0 - p)
        sw, sh = self._still.size
        w = min(sw, self.width_px * ZOOM / zoom)
        h = min(sh, self.height_px * ZOOM / zoom)
        slack_x, slack_y = (sw - w) / 2, (sh - h) / 2
        dx = self._drift[0] * min(slack_x, PAN_FRACTION * self.width_px) * (2 * p - 1)
        dy = self._drift[1] * min(slack_y, PAN_FRACTION * self.height_px) * (2 * p - 1)
        return slack_x + dx, slack_y + dy, w, h

    def set_overlay(self, rgba: np.ndarray, y: int) -> None:
        """Draw ``rgba`` (``(h, width_px, 4)``, full width) at row ``y`` onto every frame.

        Blended here in 16-bit integers with the weights precomputed once (the generic
        RGBA blend costs about 100 ms per 1080p frame; this about 10 ms)."""
        alpha = rgba[:, :, 3:4].astype(np.uint16)
        self._overlay_y = y
        self._overlay_keep = (255 - alpha).astype(np.uint16)
        self._overlay_add = rgba[:, :, :3].astype(np.uint16) * alpha + 128

    def frame_at(self, t_s: float) -> RGBFrame:
        """The frame at ``t_s``: ``(height_px, width_px, 3)`` uint8."""
        x, y, w, h = self.view(t_s)
        frame = np.asarray(
            self._still.resize(
                (self.width_px, self.height_px),
                Image.Resampling.BILINEAR,
                box=(x, y, x + w, y + h),
            ),
            dtype=np.uint8,
        ).copy()
        keep, add = self._overlay_keep, self._overlay_add  # both set by set_overlay
        if keep is not None and add is not None:
            top = self._overlay_y
            region = frame[top : top + add.shape[0]]
            mixed = region.astype(np.uint16) * keep + add
            region[...] = ((mixed + (mixed >> 8)) >> 8).astype(np.uint8)  # ≈ / 255, rounded
        return frame


class AIImageRenderer(ClipRenderer):
    """Draws a clip scene from its AI still (tier ``"ai_image"``).

    Args:
        scene, ctx, timing, previous_final: as for every scene renderer.
        image_path: the validated AI image.

    Raises:
        ValueError: the image cannot be read (the caller falls back to the next tier).
    """

    def __init__(
        self,
        scene: SceneBase,
        ctx: RenderContext,
        timing: SceneTiming,
        *,
        previous_final: RGBFrame | None = None,
        image_path: Path,
    ) -> None:
        still = PanZoomStill(
            image_path, ctx.width_px, ctx.height_px, timing.duration_s, timing.index
        )
        self._still = still  # build() hands it the text overlay
        super().__init__(
            scene, ctx, timing, previous_final=previous_final, tier="ai_clip", clip_source=still
        )
        self.tier = "ai_image"  # type: ignore[assignment]  # a tier beyond ClipTier's three

    def _tier_part(self, f: int, *, final: bool = False) -> Hashable:
        return ("image", f)

    def _build_overlay(self, canvas: Canvas) -> None:
        """Headline and body in white over a bottom gradient, as an RGBA patch."""
        c, px = canvas.content, canvas.px
        w, h = self.ctx.width_px, self.ctx.height_px
        box_w = round(c.w * (0.8 if canvas.landscape else 1.0))
        head = fit_text(
            self.scene.headline,
            canvas.fonts.bold,
            box_w,
            round(c.h * 0.25),
            max_px=px(68),
            min_px=px(28),
            line_spacing=1.12,
            max_lines=3,
        )
        body = fit_text(
            self.scene.body,
            canvas.fonts.regular,
            box_w,
            round(c.h * 0.2),
            max_px=px(36),
            min_px=px(24),
            line_spacing=1.3,
            max_lines=BODY_LINES,
        )
        gap = px(18) if body.lines else 0
        block_h = head.height_px + gap + (body.height_px if body.lines else 0)
        text_y = c.bottom - block_h

        def draw_text(draw: ImageDraw.ImageDraw, y: int) -> None:
            draw_block(draw, head, c.x, y, 255, align="center", box_w=c.w)
            if body.lines:
                y_body = y + head.height_px + gap
                draw_block(draw, body, c.x, y_body, 235, align="center", box_w=c.w)

        rgba, top = gradient_text_patch(w, h, text_y, px(160), draw_text)
        self._still.set_overlay(rgba, top)  # blended into each still frame, fast
        self._overlay = (np.zeros((0, 0, 4), dtype=np.uint8), 0, 0)  # nothing left to blend


__all__ = ["AIImageRenderer", "PanZoomStill"]
