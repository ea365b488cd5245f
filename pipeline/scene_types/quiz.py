"""The ``quiz`` scene type: a multiple-choice question with its answer revealed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field, model_validator

from pipeline.scene_types.base import (
    LongText,
    Phrases,
    SceneBase,
    SceneTypeDescriptor,
    ShortText,
    strings,
    strip_end,
    text_of,
)


class QuizScene(SceneBase):
    """A multiple-choice question; the correct answer is revealed after the narration."""

    scene_type: Literal["quiz"] = "quiz"
    question: LongText = Field(min_length=1)
    options: list[ShortText] = Field(min_length=2, max_length=6)
    correct_index: int = Field(default=0, ge=0)
    show_answer: bool = True

    @model_validator(mode="after")
    def _index_in_range(self) -> QuizScene:
        if self.correct_index >= len(self.options):
            raise ValueError(
                f"correct_index {self.correct_index} is outside the {len(self.options)} options"
            )
        return self


def _parts(scene: QuizScene, p: Phrases) -> list[str]:
    options = [strip_end(option) for option in scene.options]
    comma = "," if len(options) > 2 else ""
    listed = ", ".join(options[:-1]) + f"{comma} {p['quiz_or']} " + options[-1]
    parts = [scene.question, p["quiz_options"].format(options=listed)]
    if scene.show_answer:
        answer = strip_end(scene.options[scene.correct_index])
        parts.append(p["quiz_answer"].format(answer=answer))
    return parts


def _items(scene: QuizScene) -> list[str]:
    return list(scene.options)


def _build(
    question: str, options: Sequence[str], correct_index: int = 0, *, show_answer: bool = True
) -> dict[str, Any]:
    """A multiple-choice question (2–6 answers; ``correct_index`` counts from 0)."""
    return {
        "question": question,
        "options": list(options),
        "correct_index": correct_index,
        "show_answer": show_answer,
    }


def _video_gen(fields: dict[str, Any]) -> None:
    options = strings(fields.get("options"), "text", "option", "title")
    fields["options"] = options
    answer = fields.get("correct_answer")
    if "correct_index" in fields or answer is None or not isinstance(options, list):
        return
    if isinstance(answer, int) and not isinstance(answer, bool):
        fields["correct_index"] = answer
        return
    wanted = text_of(answer).lower()
    texts = [text_of(option).lower() for option in options]
    if wanted in texts:
        fields["correct_index"] = texts.index(wanted)
    elif len(wanted) == 1 and "a" <= wanted <= "f":
        fields["correct_index"] = ord(wanted) - ord("a")
    else:
        fields["correct_index"] = len(options)  # out of range: the model names the problem


DESCRIPTOR = SceneTypeDescriptor(
    name="quiz",
    model=QuizScene,
    renderer="pipeline.render.scenes.items:QuizRenderer",
    narration_parts=_parts,
    revealable_items=_items,
    default_content={"question": "Which one?", "options": ["A", "B"], "correct_index": 0},
    builder=_build,
    video_gen_fix=_video_gen,
    yaml_aliases=("question", "multiple_choice"),
    phrases={
        "quiz_options": "Is it {options}?",
        "quiz_or": "or",
        "quiz_answer": "The answer is {answer}.",
    },
)
