"""The scene renderer machinery shared by all scene types.

A :class:`SceneRenderer` draws its scene once at construction: a static layer (background,
decorations and everything that never changes) and a list of :class:`Sprite` elements that fade
in at their reveal times. A frame is then the static layer with the shown sprites pasted in
(cached per set of fully shown sprites), the fading sprites blended into their rectangles,
an optional crossfade from the previous scene's final frame, and the caption on top.

Frame keys are ``(sprite phases, crossfade weight, caption index)``: every part is an integer
quantised to frames, and the pixels are a pure function of the key.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from pathlib import Path
from typing import ClassVar, Protocol

import numpy as np
import numpy.typing as npt
from PIL import Image

from pipeline.models import SceneBase
from pipeline.render.backdrop import backdrop_frame
from pipeline.render.base import RenderContext, RGBFrame
from pipeline.render.captions import CaptionLayer
from pipeline.render.compositing import Sprite, blend_sprite, crossfade, paste_sprite
from pipeline.render.fonts import FontSet, font_set
from pipeline.render.geometry import FormatLayout, Rect, format_layout
from pipeline.render.palette import Palette, make_palette, mix
from pipeline.render.shapes import disc
from pipeline.render.textlog import new_draw, paused_recording
from pipeline.timeline import SceneTiming

FADE_S = 0.3
"""Default fade/slide-in length of a revealed item, seconds."""
SLIDE_PX = 14
"""Default slide-in distance at 1080 px (scaled with the frame)."""
_SETTLED_CACHE = 4
_EPS = 1e-6

FrameState = tuple[tuple[int, ...], int, tuple[int, int], tuple[Hashable, ...]]
"""``(sprite phases, crossfade weight out of 256 or -1, caption state, overlay states)``; the
caption state is ``(cue index or -1, highlighted word or -1)``."""


class Overlay(Protocol):
    """Something drawn over the static layer that changes in its own way (e.g. a
    :class:`~pipeline.render.reading.ReadingPane`). Its state must determine its pixels."""

    rect: Rect

    def state(self, frame_index: int) -> Hashable:
        """A value equal for two frames exactly when the overlay looks the same."""
        ...

    def full_state(self) -> Hashable:
        """The state shown in thumbnails (everything of its first view shown)."""
        ...

    def draw(self, frame: RGBFrame, state: Hashable) -> None:
        """Draw itself at ``state`` into ``frame`` in place, inside :attr:`rect` only."""
        ...


class Layer:
    """A rectangle of the canvas to draw one sprite into, in local coordinates.

    ``image`` starts as a copy of the canvas under ``rect``; draw on it with ``draw`` using
    coordinates relative to ``rect`` (``local`` is the whole layer).
    """

    def __init__(self, canvas_image: Image.Image, rect: Rect) -> None:
        self.rect = rect
        self.image = canvas_image.crop(rect.box)
        self.before = np.asarray(self.image).copy()
        self.draw = new_draw(self.image)

    @property
    def local(self) -> Rect:
        """The layer's own area, ``Rect(0, 0, w, h)``."""
        return self.rect.local()


class Canvas:
    """The static layer being drawn, plus the sprites registered on it.

    Args:
        backdrop: an AI background (``(H, W, 3)`` uint8, already under its scrim, see
            :mod:`pipeline.render.backdrop`) to draw on instead of the flat theme colour.
        discs: draw the two faint accent discs (default: only without a backdrop).

    Attributes:
        image, draw: the static layer (Pillow RGB) and a drawing context on it.
        palette, fonts: the theme's colours and font files.
        layout: the format's layout (safe area, caption band, unit).
        safe: the safe area of the format; nothing but decorations is drawn outside it.
        content: where the scene's content goes (the safe area minus the caption band).
        decorations: rectangles where decorative shapes may touch the margins.
        unit: scale of sizes given at 1080 (see :class:`~pipeline.render.geometry.FormatLayout`).
    """

    def __init__(
        self,
        ctx: RenderContext,
        palette: Palette,
        fonts: FontSet,
        layout: FormatLayout,
        content: Rect,
        backdrop: RGBFrame | None = None,
        *,
        discs: bool | None = None,
    ) -> None:
        self.ctx = ctx
        self.palette = palette
        self.fonts = fonts
        self.layout = layout
        self.safe = layout.safe
        self.content = content
        self.unit = layout.unit
        if backdrop is None:
            self.image = Image.new("RGB", (ctx.width_px, ctx.height_px), palette.background)
        else:
            self.image = Image.fromarray(backdrop, "RGB")
        self.draw = new_draw(self.image)
        self.decorations: list[Rect] = []
        self.sprites: list[Sprite] = []
        self.sprite_groups: list[str] = []
        self.overlays: list[Overlay] = []
        self._draw_decorations(discs=backdrop is None if discs is None else discs)

    @property
    def portrait(self) -> bool:
        """Taller than wide (9:16)."""
        return self.layout.portrait

    @property
    def landscape(self) -> bool:
        """Clearly wider than tall (16:9)."""
        return self.layout.landscape

    def px(self, value: float) -> int:
        """``value`` pixels at 1080 scaled to this frame, rounded."""
        return max(1, round(value * self.unit))

    def _draw_decorations(self, *, discs: bool = True) -> None:
        """The accent strip along the top and (``discs``) two faint accent discs; over an
        AI backdrop only the strip (flat discs would blot out the picture)."""
        w, h = self.ctx.width_px, self.ctx.height_px
        p = self.palette
        strip = Rect(0, 0, w, self.px(8))
        self.decorations.append(strip)
        if not discs:
            self.draw.rectangle((0, 0, w - 1, strip.h - 1), fill=p.accent)
            return
        # A faint accent disc bleeding off the top-right corner, and a small one bottom-left.
        d = round(min(w, h) * 0.46)
        cx, cy = w - round(d * 0.18), round(d * 0.12)
        disc(self.image, cx, cy, d, mix(p.background, p.accent, 0.07 if not p.dark else 0.10))
        self.decorations.append(Rect(cx - d // 2, cy - d // 2, d, d))
        d2 = round(min(w, h) * 0.16)
        cx2, cy2 = round(d2 * 0.15), h - round(d2 * 0.2)
        disc(self.image, cx2, cy2, d2, mix(p.background, p.accent, 0.10 if not p.dark else 0.14))
        self.decorations.append(Rect(cx2 - d2 // 2, cy2 - d2 // 2, d2, d2))
        self.draw.rectangle((0, 0, w - 1, strip.h - 1), fill=p.accent)

    def layer(self, rect: Rect) -> Layer:
        """Start a sprite covering ``rect`` (clipped to the frame)."""
        frame = Rect(0, 0, self.ctx.width_px, self.ctx.height_px)
        x0, y0 = max(frame.x, rect.x), max(frame.y, rect.y)
        x1, y1 = min(frame.right, rect.right), min(frame.bottom, rect.bottom)
        return Layer(self.image, Rect(x0, y0, max(1, x1 - x0), max(1, y1 - y0)))

    def add_overlay(self, overlay: Overlay) -> None:
        """Draw ``overlay`` over the static layer and sprites in every frame."""
        self.overlays.append(overlay)

    def add_sprite(
        self,
        layer: Layer,
        reveal_s: float,
        *,
        fade_s: float = FADE_S,
        slide: bool = True,
        group: str = "item",
        hide_s: float | None = None,
    ) -> None:
        """Register ``layer`` as a sprite shown from ``reveal_s`` seconds (scene-relative).

        ``group`` ``"answer"`` marks sprites that the thumbnail leaves hidden; ``"later"``
        marks sprites of a later page (hidden in the thumbnail too). ``hide_s``: when it
        disappears again (a page of items giving way to the next).
        """
        after = np.asarray(layer.image, dtype=np.uint8).copy()
        mask = np.any(after != layer.before, axis=2)
        fps = self.ctx.fps
        slide_px = 0
        if slide:
            slide_px = max(0, min(self.px(SLIDE_PX), self.safe.bottom - layer.rect.bottom))
        self.sprites.append(
            Sprite(
                rect=layer.rect,
                rgb=after,
                mask=mask,
                reveal_frame=max(0, math.ceil(reveal_s * fps - _EPS)),
                fade_frames=max(1, round(fade_s * fps)),
                slide_px=slide_px,
                hide_frame=None if hide_s is None else max(0, math.ceil(hide_s * fps - _EPS)),
            )
        )
        self.sprite_groups.append(group)


def _mask_box(mask: npt.NDArray[np.bool_]) -> tuple[int, int, int, int] | None:
    """The bounding box ``(y0, y1, x0, x1)`` (ends exclusive) of the true pixels of a
    ``(H, W)`` mask, or ``None`` when there are none."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not rows.size:
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


class SceneRenderer:
    """Draws the frames of one scene; implements :class:`~pipeline.render.base.FrameSource`.

    Subclasses set :attr:`scene_type` and implement :meth:`build`.

    Args:
        scene: the scene to draw.
        ctx: frame size, fps, theme, captions on/off.
        timing: the scene's timing (reveals, captions, transition).
        previous_final: the previous scene's :meth:`final_frame`, crossfaded from during the
            first ``timing.transition_in_s`` seconds; ``None`` for no crossfade.
        backdrop: an AI still to draw as the background (tier ``"ai_image"`` of a document
            scene, :mod:`pipeline.render.backdrop`); ``None`` for the theme's flat colour.

    Raises:
        ValueError: when the frame size is not positive, the fps do not match,
            ``previous_final`` has the wrong shape or dtype, or ``backdrop`` cannot be read.
    """

    scene_type: ClassVar[str] = ""
    min_display_s: float = 0.0
    """The shortest the scene may be for its content to be read (pages of code); set by
    :meth:`build`, honoured by the timeline through :func:`pipeline.render.min_display_s`."""

    def __init__(
        self,
        scene: SceneBase,
        ctx: RenderContext,
        timing: SceneTiming,
        *,
        previous_final: RGBFrame | None = None,
        backdrop: Path | None = None,
    ) -> None:
        if ctx.width_px <= 0 or ctx.height_px <= 0:
            raise ValueError(f"frame size must be positive, got {ctx.width_px}x{ctx.height_px}")
        if timing.fps != ctx.fps:
            raise ValueError(f"timing is at {timing.fps} fps but the context at {ctx.fps} fps")
        shape = (ctx.height_px, ctx.width_px, 3)
        if previous_final is not None and (
            previous_final.shape != shape or previous_final.dtype != np.uint8
        ):
            raise ValueError(
                f"previous_final must be uint8 {shape}, got {previous_final.dtype} "
                f"{previous_final.shape}"
            )
        self.scene = scene
        self.ctx = ctx
        self.timing = timing
        self.palette = make_palette(ctx.theme)
        self.fonts = font_set(ctx.theme, ctx.language)
        self.layout = format_layout(ctx.width_px, ctx.height_px)
        self.safe = self.layout.safe
        self._captions = (
            CaptionLayer(
                timing.captions, self.layout.caption_band, self.fonts, self.layout.unit,
                ctx.caption_style,
            )
            if ctx.captions
            else None
        )  # fmt: skip
        content = self.safe
        if self._captions is not None:
            gap = round(min(ctx.width_px, ctx.height_px) * 0.02)
            bottom = min(self.safe.bottom, self._captions.band.y - gap)
            content = Rect(self.safe.x, self.safe.y, self.safe.w, max(0, bottom - self.safe.y))
        backdrop_rgb = None if backdrop is None else self._backdrop(backdrop, content)
        self.backdrop: Path | None = backdrop
        """The AI still drawn as the background, if any."""
        canvas = Canvas(ctx, self.palette, self.fonts, self.layout, content, backdrop_rgb)
        self.build(canvas)
        self.content = content
        self.decorations: tuple[Rect, ...] = tuple(canvas.decorations)
        self._base: RGBFrame = np.ascontiguousarray(np.asarray(canvas.image, dtype=np.uint8))
        self._sprites = tuple(canvas.sprites)
        self._groups = tuple(canvas.sprite_groups)
        self._overlays = tuple(canvas.overlays)
        self._previous = previous_final
        self._previous16 = None if previous_final is None else previous_final.astype(np.uint16)
        self._transition_frames = (
            max(1, round(timing.transition_in_s * timing.fps))
            if previous_final is not None and timing.transition_in_s > 0
            else 0
        )
        self._fade_box = self._crossfade_box() if self._transition_frames else None
        self._settled: dict[tuple[bool, ...], RGBFrame] = {}
        self._last: tuple[FrameState, RGBFrame] | None = None

    def _crossfade_box(self) -> tuple[slice, slice]:
        """The rows and columns the crossfade must blend: the bounding box of where the
        previous scene's final frame differs from this scene's static layer, and of every
        sprite (with its slide) and overlay. Elsewhere both frames show the static layer,
        and blending a pixel with itself gives it back exactly ((p·(256−w) + p·w) >> 8 = p),
        so the crossfade is done on this box only (on the explainer about half the frame;
        the crossfade was half of all drawing time)."""
        assert self._previous is not None
        height, width = self._base.shape[:2]
        y0, y1, x0, x1 = _mask_box(np.any(self._previous != self._base, axis=2)) or (
            height,
            0,
            width,
            0,
        )
        rects = [(s.rect, s.slide_px) for s in self._sprites] + [
            (o.rect, 0) for o in self._overlays
        ]
        for rect, slide_px in rects:
            y0, y1 = min(y0, rect.y), max(y1, rect.bottom + slide_px)
            x0, x1 = min(x0, rect.x), max(x1, rect.right)
        y0, x0 = max(0, y0), max(0, x0)
        y1, x1 = max(y0, min(height, y1)), max(x0, min(width, x1))
        return slice(y0, y1), slice(x0, x1)

    def _backdrop(self, image_path: Path, content: Rect) -> RGBFrame:
        """The AI background of this scene (:func:`~pipeline.render.backdrop.backdrop_frame`):
        the scene is drawn once on the flat background (recording no text) to find where it
        draws — its static ink and the rectangles of its sprites and overlays — and the full
        scrim covers their bounding box, widened by the items' slide-in and a margin."""
        probe = Canvas(self.ctx, self.palette, self.fonts, self.layout, content, discs=False)
        flat = np.asarray(probe.image, dtype=np.uint8).copy()
        with paused_recording():
            self.build(probe)
        ink = np.any(np.asarray(probe.image, dtype=np.uint8) != flat, axis=2)
        for rect in [s.rect for s in probe.sprites] + [o.rect for o in probe.overlays]:
            ink[max(0, rect.y) : max(0, rect.bottom), max(0, rect.x) : max(0, rect.right)] = True
        box = _mask_box(ink)
        if box is not None:  # one calm panel around all of it, not a patch per item
            y0, y1, x0, x1 = box
            ink[y0:y1, x0:x1] = True
        reach = probe.px(SLIDE_PX + 16)
        return backdrop_frame(
            image_path, self.ctx.width_px, self.ctx.height_px, self.palette, ink, reach
        )

    # -- to implement -------------------------------------------------------------------
    def build(self, canvas: Canvas) -> None:
        """Draw the static layer on ``canvas`` and register the scene's sprites."""
        raise NotImplementedError

    def reveal_s(self, k: int) -> float:
        """When revealable item ``k`` appears (``timing.item_reveal_s[k]``, else 0)."""
        reveals = self.timing.item_reveal_s
        return reveals[k] if k < len(reveals) else 0.0

    # -- frames ---------------------------------------------------------------------------
    @property
    def background_rgb(self) -> tuple[int, int, int]:
        """The flat background colour, ``(r, g, b)``."""
        return self.palette.background

    def frame_index(self, t_s: float) -> int:
        """The frame index shown at ``t_s`` (clamped to the scene)."""
        f = math.floor(t_s * self.timing.fps + _EPS)
        return max(0, min(self.timing.n_frames - 1, f))

    def _state(self, t_s: float, *, captions: bool) -> FrameState:
        f = self.frame_index(t_s)
        phases = tuple(sprite.phase(f) for sprite in self._sprites)
        weight = -1
        if self._transition_frames and f < self._transition_frames:
            weight = round(256 * f / self._transition_frames)
        caption = self._captions.state_at(t_s) if captions and self._captions else (-1, -1)
        overlays = tuple(overlay.state(f) for overlay in self._overlays)
        return phases, weight, caption, overlays

    def frame_key(self, t_s: float) -> Hashable:
        """Equal for two times exactly when their frames are pixel-identical."""
        return self._state(t_s, captions=True)

    def frame_at(self, t_s: float) -> RGBFrame:
        """The frame at ``t_s`` seconds from the scene's start: (H, W, 3) uint8, a new array."""
        return self._render(self._state(t_s, captions=True))

    def final_frame(self) -> RGBFrame:
        """The scene's last frame without captions (the next scene crossfades from it)."""
        return self._render(self._state(self.timing.duration_s, captions=False))

    def settled_s(self) -> float:
        """The first time (seconds from the scene's start, on a frame boundary) at which the
        crossfade is over and every item, quiz answers included, is fully revealed: from then
        on only captions change. A representative still of the scene (the preview's default);
        clamped to the scene's last frame."""
        last = max(0, self.timing.n_frames - 1)
        frame = self._transition_frames
        for sprite in self._sprites:
            frame = max(frame, sprite.reveal_frame + sprite.fade_frames - 1)
        return min(frame, last) / self.timing.fps

    def thumbnail(self) -> RGBFrame:
        """All items shown, quiz answers hidden, no crossfade, no captions."""
        phases = tuple(
            0 if group in ("answer", "later") else sprite.fade_frames
            for sprite, group in zip(self._sprites, self._groups, strict=True)
        )
        overlays = tuple(overlay.full_state() for overlay in self._overlays)
        return self._render((phases, -1, (-1, -1), overlays))

    def _settled_layer(self, full: tuple[bool, ...]) -> RGBFrame:
        layer = self._settled.get(full)
        if layer is None:
            # Start from the cached layer with the most sprites that are all still shown.
            start, start_full = self._base, tuple(False for _ in full)
            for cached_full, cached in self._settled.items():
                if all(f or not c for f, c in zip(full, cached_full, strict=True)) and sum(
                    cached_full
                ) > sum(start_full):
                    start, start_full = cached, cached_full
            layer = start.copy()
            for sprite, shown, done in zip(self._sprites, full, start_full, strict=True):
                if shown and not done:
                    paste_sprite(layer, sprite)
            if len(self._settled) >= _SETTLED_CACHE:
                self._settled.pop(next(iter(self._settled)))
            self._settled[full] = layer
        return layer

    def _render(self, state: FrameState) -> RGBFrame:
        if self._last is not None and self._last[0] == state:
            return self._last[1].copy()
        phases, weight, caption, overlays = state
        full = tuple(p >= s.fade_frames for p, s in zip(phases, self._sprites, strict=True))
        frame = self._settled_layer(full).copy()
        for sprite, phase in zip(self._sprites, phases, strict=True):
            if 0 < phase < sprite.fade_frames:
                blend_sprite(frame, sprite, phase)
        for overlay, overlay_state in zip(self._overlays, overlays, strict=True):
            overlay.draw(frame, overlay_state)
        if weight >= 0 and self._previous16 is not None and self._fade_box is not None:
            rows, cols = self._fade_box
            region = frame[rows, cols]
            crossfade(self._previous16[rows, cols], region, weight, out=region)
        if caption[0] >= 0 and self._captions is not None:
            self._captions.draw(frame, caption)
        self._last = (state, frame.copy())
        return frame
