"""The renderer of each scene type and :func:`make_renderer`."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from pipeline.models import SceneBase
from pipeline.render.backdrop import BACKDROP_SCENE_TYPES
from pipeline.render.base import FrameSource, RenderContext, RGBFrame
from pipeline.render.engine import SceneRenderer
from pipeline.render.scenes.clip import CLIP_TIERS, ClipRenderer, ClipTier
from pipeline.scene_types import REGISTRY
from pipeline.timeline import SceneTiming

RENDERER_VERSION = "5"
"""Part of every segment cache key; bump it whenever any renderer's output changes."""

RENDERERS: dict[str, type[SceneRenderer]] = {
    name: described.renderer_class() for name, described in REGISTRY.items()
}
"""Renderer class per ``scene_type``, from each scene type's descriptor (:mod:`pipeline.scene_types`)."""


def make_renderer(
    scene: SceneBase,
    ctx: RenderContext,
    timing: SceneTiming,
    *,
    previous_final: RGBFrame | None = None,
    tier: str | None = None,
    clip_source: FrameSource | None = None,
    image_path: Path | None = None,
) -> SceneRenderer:
    """Build the renderer of ``scene`` (draws its static layers once).

    Args:
        scene: any scene model (the 12 document scene types, ``clip`` and ``ad``).
        ctx: frame size, fps, theme and whether captions are burned in.
        timing: the scene's :class:`~pipeline.timeline.SceneTiming`.
        previous_final: the previous scene's ``final_frame()`` to crossfade from.
        tier: for ``clip`` scenes, ``"ai_clip"``, ``"infographic"`` or ``"text_card"``
            (``None``: infographic when the scene has one, else text card); the renderer's
            ``.tier`` says which was drawn. Ignored by other scene types.
        clip_source: for ``clip`` scenes in tier ``"ai_clip"``, the decoded AI clip's frames
            at the frame size. Ignored by other scene types.
        image_path: for tier ``"ai_image"``, the AI still: a ``clip`` scene shows it with pan
            and zoom (:mod:`pipeline.render.scenes.clip_image`); a document scene of
            :data:`~pipeline.render.backdrop.BACKDROP_SCENE_TYPES` draws it as its background
            under a scrim (:mod:`pipeline.render.backdrop`).

    Raises:
        KeyError: for a scene type without a renderer.
        ValueError: for inconsistent geometry (see :class:`SceneRenderer`), and for a clip
            scene that cannot be drawn in the asked tier (bad infographic data, no clip
            source, wrong clip frame size) — retry with ``tier="text_card"``; for tier
            ``"ai_image"`` without ``image_path``, with an unreadable image, or on a scene
            type that takes no backdrop — draw it without.
        InputError: (a ``ValueError``) for an ad scene whose product image is invalid.
    """
    scene_type = getattr(scene, "scene_type", None)
    cls = RENDERERS.get(str(scene_type))
    if cls is None:
        raise KeyError(f"no renderer for scene type {scene_type!r}")
    if cls is ClipRenderer and tier == "ai_image":
        from pipeline.render.scenes.clip_image import AIImageRenderer

        if image_path is None:
            raise ValueError("tier 'ai_image' needs image_path (the AI still)")
        return AIImageRenderer(
            scene, ctx, timing, previous_final=previous_final, image_path=image_path
        )
    if cls is ClipRenderer:
        return ClipRenderer(
            scene, ctx, timing, previous_final=previous_final, tier=tier, clip_source=clip_source
        )
    if tier == "ai_image":
        if image_path is None:
            raise ValueError("tier 'ai_image' needs image_path (the AI still)")
        if scene_type not in BACKDROP_SCENE_TYPES:
            raise ValueError(f"scenes of type {scene_type!r} are not drawn over an AI image")
        return cls(scene, ctx, timing, previous_final=previous_final, backdrop=image_path)
    return cls(scene, ctx, timing, previous_final=previous_final)


PACED_SCENE_TYPES = frozenset({"command", "code_comparison", "solution"})
"""Scene types whose content sets a minimum length (pages of code to read)."""


def min_display_s(scene: SceneBase, ctx: RenderContext) -> float:
    """The shortest ``scene`` may last in ``ctx`` for its content to be read (seconds).

    For code scenes: each page of code stays ``max(5 s, 0.4 s × lines)`` (see
    :mod:`pipeline.render.scenes.code`); the pages depend on the frame size, so this builds
    the scene's layout once. 0 for other scene types.
    """
    if getattr(scene, "scene_type", None) not in PACED_SCENE_TYPES:
        return 0.0
    key = (scene.model_dump_json(), repr(ctx))
    with _MIN_DISPLAY_LOCK:
        known = _MIN_DISPLAY.get(key)
        if known is not None:
            _MIN_DISPLAY.move_to_end(key)
            return known
    probe = SceneTiming(
        index=0,
        start_s=0.0,
        n_frames=ctx.fps,
        fps=ctx.fps,
        narration_offset_s=0.0,
        narration_duration_s=0.0,
        transition_in_s=0.0,
    )
    seconds = make_renderer(scene, ctx, probe).min_display_s
    with _MIN_DISPLAY_LOCK:
        _MIN_DISPLAY[key] = seconds
        while len(_MIN_DISPLAY) > _MIN_DISPLAY_KEPT:
            _MIN_DISPLAY.popitem(last=False)
    return seconds


_MIN_DISPLAY_KEPT = 512
_MIN_DISPLAY: OrderedDict[tuple[str, str], float] = OrderedDict()
"""Recent :func:`min_display_s` results by scene content and context: the preview asks for
every frame it draws, and building a code scene's layout to count its pages took ~60 ms."""
_MIN_DISPLAY_LOCK = threading.Lock()


def min_display_durations(scenes: list[SceneBase], ctx: RenderContext) -> list[float]:
    """:func:`min_display_s` of each scene (for :func:`pipeline.timeline.build_timeline`)."""
    return [min_display_s(scene, ctx) for scene in scenes]


__all__ = [
    "CLIP_TIERS",
    "PACED_SCENE_TYPES",
    "RENDERERS",
    "RENDERER_VERSION",
    "ClipTier",
    "make_renderer",
    "min_display_durations",
    "min_display_s",
]
