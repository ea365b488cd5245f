"""Build a :class:`~pipeline.models.VideoSpec` in code, one scene at a time.

Example::

    spec = (
        VideoBuilder(title="Getting started")
        .add_title("Getting started", subtitle="In two minutes")
        .add_command("Install", ["pip install videostudio"])
        .add_list("Features", ["Fast", ("Offline", "no network needed")])
        .add_outro("Thanks for watching")
        .build()
    )

Every ``add_*`` takes the scene's own fields plus the common keyword fields of
:class:`~pipeline.models.SceneBase` (``narration``, ``scene_id``, ``min_duration_s``,
``max_duration_s``, ``voice``). Nothing is validated until :meth:`VideoBuilder.build`, which
raises :class:`~pipeline.errors.InputError` naming the bad field (``scenes[2].items``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict, Unpack

from pipeline.models import ListItem, VideoSpec, build_spec

ItemLike = str | tuple[str, str] | ListItem | dict[str, str]
"""A list item: its title, ``(title, description)``, a ``ListItem`` or a dict."""


class SceneOptions(TypedDict, total=False):
    """Fields every scene accepts (see :class:`~pipeline.models.SceneBase`)."""

    narration: str | None
    scene_id: str | None
    min_duration_s: float | None
    max_duration_s: float | None
    voice: str | None


class VideoBuilder:
    """Fluent builder of a spec. Each ``add_*`` returns the builder itself.

    Args:
        title: the video's title.
        **settings: other ``VideoSpec`` fields (``format``, ``voice``, ``theme``, …).
    """

    def __init__(self, title: str, **settings: Any) -> None:
        self._spec: dict[str, Any] = {"title": title, **settings}
        self._scenes: list[dict[str, Any]] = []

    def _add(self, scene_type: str, fields: dict[str, Any], common: SceneOptions) -> VideoBuilder:
        scene = {"scene_type": scene_type, **fields}
        scene.update({k: v for k, v in common.items() if v is not None})
        self._scenes.append(scene)
        return self

    def add_title(
        self, title: str, subtitle: str = "", **common: Unpack[SceneOptions]
    ) -> VideoBuilder:
        """Opening card."""
        return self._add("title", {"title": title, "subtitle": subtitle}, common)

    def add_list(
        self,
        header: str,
        items: Sequence[ItemLike],
        description: str = "",
        **common: Unpack[SceneOptions],
    ) -> VideoBuilder:
        """A header and up to 12 items revealed one by one."""
        return self._add(
            "list",
            {"header": header, "description": description, "items": [_item(i) for i in items]},
            common,
        )

    def add_command(
        self,
        header: str,
        commands: Sequence[str],
        description: str = "",
        language: str = "bash",
        **common: Unpack[SceneOptions],
    ) -> VideoBuilder:
        """Terminal commands."""
        fields = {
            "header": header,
            "commands": list(commands),
            "description": description,
            "language": language,
        }
        return self._add("command", fields, common)

    def add_code_comparison(
        self,
        header: str,
        before_code: str,
        after_code: str,
        *,
        before_label: str = "Before",
        after_label: str = "After",
        improvement: str = "",
        language: str = "python",
        **common: Unpack[SceneOptions],
    ) -> VideoBuilder:
        """Before / after code."""
        fields = {
            "header": header,
            "before_code": before_code,
            "after_code": after_code,
            "before_label": before_label,
            "after_label": after_label,
            "improvement": improvement,
            "language": language,
        }
        return self._add("code_comparison", fields, common)

    def add_quote(
        self,
        quote_text: str,
        attribution: str = "",
        context: str = "",
        **common: Unpack[SceneOptions],
    ) -> VideoBuilder:
        """A quotation."""
        fields = {"quote_text": quote_text, "attribution": attribution, "context": context}
        return self._add("quote", fields, common)

    def add_outro(
        self, main_text: str, sub_text: str = "", **common: Unpack[SceneOptions]
    ) -> VideoBuilder:
        """Closing card."""
        return self._add("outro", {"main_text": main_text, "sub_text": sub_text}, common)

    def add_learning_objectives(
        self,
        lesson_title: str,
        objectives: Sequence[str],
        *,
        duration_min: int | None = None,
        difficulty: str = "",
        **common: Unpack[SceneOptions],
    ) -> VideoBuilder:
        """Lesson title and numbered objectives."""
        fields = {
            "lesson_title": lesson_title,
            "objectives": list(objectives),
            "duration_min": duration_min,
            "difficulty": difficulty,
        }
        return self._add("learning_objectives", fields, common)

    def add_problem(
        self,
        title: str,
        problem_text: str,
        difficulty: str = "",
        **common: Unpack[SceneOptions],
    ) -> VideoBuilder:
        """A problem statement."""
        fields = {"title": title, "problem_text": problem_text, "difficulty": difficulty}
        return self._add("problem", fields, common)

    def add_solution(
        self,
        title: str,
        code: str = "",
        explanation: str = "",
        language: str = "python",
        **common: Unpack[SceneOptions],
    ) -> VideoBuilder:
        """A solution: code and/or an explanation."""
        fields = {"title": title, "code": code, "explanation": explanation, "language": language}
        return self._add("solution", fields, common)

    def add_quiz(
        self,
        question: str,
        options: Sequence[str],
        correct_index: int = 0,
        *,
        show_answer: bool = True,
        **common: Unpack[SceneOptions],
    ) -> VideoBuilder:
        """A multiple-choice question (2–6 answers; ``correct_index`` counts from 0)."""
        fields = {
            "question": question,
            "options": list(options),
            "correct_index": correct_index,
            "show_answer": show_answer,
        }
        return self._add("quiz", fields, common)

    def add_checkpoint(
        self,
        *,
        checkpoint_number: int = 1,
        completed_topics: Sequence[str] = (),
        review_questions: Sequence[str] = (),
        next_topics: Sequence[str] = (),
        **common: Unpack[SceneOptions],
    ) -> VideoBuilder:
        """Progress checkpoint (needs at least one topic or question)."""
        fields = {
            "checkpoint_number": checkpoint_number,
            "completed_topics": list(completed_topics),
            "review_questions": list(review_questions),
            "next_topics": list(next_topics),
        }
        return self._add("checkpoint", fields, common)

    def add_exercise(
        self,
        title: str,
        instructions: Sequence[str],
        *,
        difficulty: str = "",
        estimated_time: str = "",
        hints: Sequence[str] = (),
        **common: Unpack[SceneOptions],
    ) -> VideoBuilder:
        """A practice exercise."""
        fields = {
            "title": title,
            "instructions": list(instructions),
            "difficulty": difficulty,
            "estimated_time": estimated_time,
            "hints": list(hints),
        }
        return self._add("exercise", fields, common)

    def build(self) -> VideoSpec:
        """The validated spec.

        Raises:
            InputError: naming the first invalid field, e.g. ``scenes[2].items``.
        """
        data = {**self._spec, "scenes": [dict(scene) for scene in self._scenes]}
        return build_spec(data, source="VideoBuilder")


def _item(item: ItemLike) -> Any:
    if isinstance(item, tuple):
        title, description = item
        return {"title": title, "description": description}
    if isinstance(item, ListItem):
        return item.model_dump()
    return item
