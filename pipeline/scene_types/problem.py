"""The ``problem`` scene type: a problem statement to solve."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from pipeline.scene_types.base import (
    LongText,
    Phrases,
    SceneBase,
    SceneTypeDescriptor,
    ShortText,
)


class ProblemScene(SceneBase):
    """A problem statement to solve."""

    scene_type: Literal["problem"] = "problem"
    title: ShortText = Field(min_length=1)
    problem_text: LongText = Field(min_length=1)
    difficulty: ShortText = ""


def _parts(scene: ProblemScene, p: Phrases) -> list[str]:
    extra = [p["difficulty"].format(difficulty=scene.difficulty)] if scene.difficulty else []
    return [scene.title, scene.problem_text, *extra]


def _build(title: str, problem_text: str, difficulty: str = "") -> dict[str, Any]:
    """A problem statement."""
    return {"title": title, "problem_text": problem_text, "difficulty": difficulty}


def _video_gen(fields: dict[str, Any]) -> None:
    fields.setdefault("title", "Problem")
    if "problem_text" not in fields:
        fields["problem_text"] = fields.get("problem", fields.get("description"))


DESCRIPTOR = SceneTypeDescriptor(
    name="problem",
    model=ProblemScene,
    renderer="pipeline.render.scenes.cards:ProblemRenderer",
    narration_parts=_parts,
    default_content={"title": "Problem", "problem_text": "Describe the problem."},
    builder=_build,
    video_gen_fix=_video_gen,
    yaml_aliases=("challenge",),
    phrases={"difficulty": "Difficulty: {difficulty}."},
)
