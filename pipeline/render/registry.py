"""The renderer of each scene type and :func:`make_renderer`."""

from __future__ import annotations

from pipeline.models import SceneBase
from pipeline.render.base import RenderContext, RGBFrame
from pipeline.render.engine import SceneRenderer
from pipeline.render.scenes.cards import (
    OutroRenderer,
    ProblemRenderer,
    QuoteRenderer,
    TitleRenderer,
)
from pipeline.render.scenes.code import CodeComparisonRenderer, CommandRenderer, SolutionRenderer
from pipeline.render.scenes.items import (
    CheckpointRenderer,
    ExerciseRenderer,
    LearningObjectivesRenderer,
    ListRenderer,
    QuizRenderer,
)
from pipeline.timeline import SceneTiming

RENDERER_VERSION = "1"
"""Part of every segment cache key; bump it whenever any renderer's output changes."""

RENDERERS: dict[str, type[SceneRenderer]] = {
    cls.scene_type: cls
    for cls in (
        TitleRenderer,
        CommandRenderer,
        ListRenderer,
        CodeComparisonRenderer,
        QuoteRenderer,
        OutroRenderer,
        LearningObjectivesRenderer,
        ProblemRenderer,
        SolutionRenderer,
        QuizRenderer,
        CheckpointRenderer,
        ExerciseRenderer,
    )
}
"""Renderer class per ``scene_type``."""


def make_renderer(
    scene: SceneBase,
    ctx: RenderContext,
    timing: SceneTiming,
    *,
    previous_final: RGBFrame | None = None,
) -> SceneRenderer:
    """Build the renderer of ``scene`` (draws its static layers once).

    Args:
        scene: any of the 12 scene models.
        ctx: frame size, fps, theme and whether captions are burned in.
        timing: the scene's :class:`~pipeline.timeline.SceneTiming`.
        previous_final: the previous scene's ``final_frame()`` to crossfade from.

    Raises:
        KeyError: for a scene type without a renderer.
        ValueError: for inconsistent geometry (see :class:`SceneRenderer`).
    """
    scene_type = getattr(scene, "scene_type", None)
    cls = RENDERERS.get(str(scene_type))
    if cls is None:
        raise KeyError(f"no renderer for scene type {scene_type!r}")
    return cls(scene, ctx, timing, previous_final=previous_final)
