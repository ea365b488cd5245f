"""The ``checkpoint`` scene type: completed topics, review questions, what comes next."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field, model_validator

from pipeline.scene_types.base import (
    MAX_ITEMS,
    Phrases,
    SceneBase,
    SceneTypeDescriptor,
    ShortText,
    strings,
)


class CheckpointScene(SceneBase):
    """Progress checkpoint: completed topics, review questions, what comes next."""

    scene_type: Literal["checkpoint"] = "checkpoint"
    checkpoint_number: int = Field(default=1, ge=1, le=999)
    completed_topics: list[ShortText] = Field(default_factory=list, max_length=MAX_ITEMS)
    review_questions: list[ShortText] = Field(default_factory=list, max_length=MAX_ITEMS)
    next_topics: list[ShortText] = Field(default_factory=list, max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _has_content(self) -> CheckpointScene:
        if not (self.completed_topics or self.review_questions or self.next_topics):
            raise ValueError("a checkpoint scene needs at least one topic or question")
        return self


def _parts(scene: CheckpointScene, p: Phrases) -> list[str]:
    parts = [p["checkpoint"].format(number=scene.checkpoint_number)]
    for key, entries in (
        ("checkpoint_done", scene.completed_topics),
        ("checkpoint_review", scene.review_questions),
        ("checkpoint_next", scene.next_topics),
    ):
        if entries:
            parts += [p[key], *entries]
    return parts


def _items(scene: CheckpointScene) -> list[str]:
    return [*scene.completed_topics, *scene.review_questions, *scene.next_topics]


def _build(
    *,
    checkpoint_number: int = 1,
    completed_topics: Sequence[str] = (),
    review_questions: Sequence[str] = (),
    next_topics: Sequence[str] = (),
) -> dict[str, Any]:
    """Progress checkpoint (needs at least one topic or question)."""
    return {
        "checkpoint_number": checkpoint_number,
        "completed_topics": list(completed_topics),
        "review_questions": list(review_questions),
        "next_topics": list(next_topics),
    }


def _video_gen(fields: dict[str, Any]) -> None:
    for key in ("completed_topics", "review_questions", "next_topics"):
        if key in fields:
            fields[key] = strings(fields[key], "topic", "question", "text", "title")


DESCRIPTOR = SceneTypeDescriptor(
    name="checkpoint",
    model=CheckpointScene,
    renderer="pipeline.render.scenes.items:CheckpointRenderer",
    narration_parts=_parts,
    revealable_items=_items,
    default_content={"completed_topics": ["What we covered"]},
    builder=_build,
    video_gen_fix=_video_gen,
    yaml_aliases=("review", "recap"),
    phrases={
        "checkpoint": "Checkpoint {number}.",
        "checkpoint_done": "So far, we covered:",
        "checkpoint_review": "Ask yourself:",
        "checkpoint_next": "Next up:",
    },
)
