"""The ``exercise`` scene type: a practice exercise with numbered instructions and hints."""

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


class ExerciseScene(SceneBase):
    """A practice exercise: title, numbered instructions, optional hints."""

    scene_type: Literal["exercise"] = "exercise"
    title: ShortText = Field(min_length=1)
    instructions: list[ShortText] = Field(min_length=1, max_length=MAX_ITEMS)
    difficulty: ShortText = ""
    estimated_time: ShortText = ""
    hints: list[ShortText] = Field(default_factory=list, max_length=MAX_ITEMS)


def _parts(scene: ExerciseScene, p: Phrases) -> list[str]:
    parts = [scene.title]
    if scene.difficulty:
        parts.append(p["difficulty"].format(difficulty=scene.difficulty))
    if scene.estimated_time:
        parts.append(p["exercise_time"].format(time=scene.estimated_time))
    parts += [p["exercise_steps"], *scene.instructions]
    if scene.hints:
        parts += [p["exercise_hints"], scene.hints[0]]
    return parts


def _items(scene: ExerciseScene) -> list[str]:
    return list(scene.instructions)


def _build(
    title: str,
    instructions: Sequence[str],
    *,
    difficulty: str = "",
    estimated_time: str = "",
    hints: Sequence[str] = (),
) -> dict[str, Any]:
    """A practice exercise."""
    return {
        "title": title,
        "instructions": list(instructions),
        "difficulty": difficulty,
        "estimated_time": estimated_time,
        "hints": list(hints),
    }


def _video_gen(fields: dict[str, Any]) -> None:
    fields.setdefault("title", "Exercise")
    for key in ("instructions", "hints"):
        if key in fields:
            fields[key] = strings(fields[key], "text", "instruction", "hint")
    if "estimated_time" in fields:
        fields["estimated_time"] = text_of(fields["estimated_time"])


DESCRIPTOR = SceneTypeDescriptor(
    name="exercise",
    model=ExerciseScene,
    renderer="pipeline.render.scenes.items:ExerciseRenderer",
    narration_parts=_parts,
    revealable_items=_items,
    default_content={"title": "Exercise", "instructions": ["First step"]},
    builder=_build,
    video_gen_fix=_video_gen,
    yaml_aliases=("practice", "task"),
    phrases={
        "difficulty": "Difficulty: {difficulty}.",
        "exercise_time": "Plan on {time}.",
        "exercise_steps": "Here is what to do:",
        "exercise_hints": "A hint:",
    },
)
