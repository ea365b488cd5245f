"""Scene renderers: draw the frames of each scene type with Pillow/numpy."""

from pipeline.render.engine import SceneRenderer
from pipeline.render.registry import (
    CLIP_TIERS,
    RENDERER_VERSION,
    RENDERERS,
    ClipTier,
    make_renderer,
    min_display_durations,
    min_display_s,
)

__all__ = [
    "CLIP_TIERS",
    "RENDERERS",
    "RENDERER_VERSION",
    "ClipTier",
    "SceneRenderer",
    "make_renderer",
    "min_display_durations",
    "min_display_s",
]
