"""The ``learning_objectives`` scene type: a lesson title and numbered objectives."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field

from pipeline.scene_types.base import (
    MAX_ITEMS,
    Phrases,
    SceneBase,
    SceneTypeDescriptor,
    ShortText,
    strings,
    text_of,
)


class LearningObjectivesScene(SceneBase):
    """Lesson title and numbered objectives."""

    scene_type: Literal["learning_objectives"] = "learning_objectives"
    lesson_title: ShortText = Field(min_length=1)
    objectives: list[ShortText] = Field(min_length=1, max_length=MAX_ITEMS)
    duration_min: int | None = Field(default=None, ge=1, le=10_000)
    difficulty: ShortText = ""


def _parts(scene: LearningObjectivesScene, p: Phrases) -> list[str]:
    extra = [p["difficulty"].format(difficulty=scene.difficulty)] if scene.difficulty else []
    if scene.duration_min:
        extra.append(p["duration_min"].format(minutes=scene.duration_min))
    return [scene.lesson_title, p["objectives_intro"], *scene.objectives, *extra]


def _items(scene: LearningObjectivesScene) -> list[str]:
    return list(scene.objectives)


def _build(
    lesson_title: str,
    objectives: Sequence[str],
    *,
    duration_min: int | None = None,
    difficulty: str = "",
) -> dict[str, Any]:
    """Lesson title and numbered objectives."""
    return {
        "lesson_title": lesson_title,
        "objectives": list(objectives),
        "duration_min": duration_min,
        "difficulty": difficulty,
    }


def _video_gen(fields: dict[str, Any]) -> None:
    if "lesson_title" not in fields:
        fields["lesson_title"] = fields.get("title", "Learning objectives")
    fields["objectives"] = strings(fields.get("objectives"), "objective", "text", "title")
    if "duration_min" not in fields and isinstance(fields.get("duration"), int):
        fields["duration_min"] = fields["duration"]
    lesson_info = fields.get("lesson_info")
    if isinstance(lesson_info, dict):
        if isinstance(lesson_info.get("duration"), int):
            fields.setdefault("duration_min", lesson_info["duration"])
        if lesson_info.get("difficulty"):
            fields.setdefault("difficulty", text_of(lesson_info["difficulty"]))


DESCRIPTOR = SceneTypeDescriptor(
    name="learning_objectives",
    model=LearningObjectivesScene,
    renderer="pipeline.render.scenes.items:LearningObjectivesRenderer",
    narration_parts=_parts,
    revealable_items=_items,
    default_content={"lesson_title": "Lesson", "objectives": ["First objective"]},
    builder=_build,
    video_gen_fix=_video_gen,
    yaml_aliases=("objectives",),
    phrases={
        "objectives_intro": "In this lesson, you will:",
        "difficulty": "Difficulty: {difficulty}.",
        "duration_min": "It takes about {minutes} minutes.",
    },
)
