"""The ``solution`` scene type: code and an explanation."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from pipeline.code_language import language_label
from pipeline.scene_types.base import (
    CodeText,
    LongText,
    Phrases,
    SceneBase,
    SceneTypeDescriptor,
    ShortText,
    lines_to_text,
)


class SolutionScene(SceneBase):
    """A solution: code and an explanation."""

    scene_type: Literal["solution"] = "solution"
    title: ShortText = Field(min_length=1)
    code: CodeText = ""
    explanation: LongText = ""
    language: ShortText = "python"

    @model_validator(mode="after")
    def _has_content(self) -> SolutionScene:
        if not self.code.strip() and not self.explanation.strip():
            raise ValueError("a solution scene needs code or an explanation")
        return self


def _parts(scene: SolutionScene, p: Phrases) -> list[str]:
    label = language_label(scene.language)  # "Python", not "pycon"; "" for plain text
    language = "" if label == "Code" else label
    code = p["solution_code"].format(language=language) if scene.code.strip() else ""
    return [scene.title, scene.explanation, code]


def _build(
    title: str, code: str = "", explanation: str = "", language: str = "python"
) -> dict[str, Any]:
    """A solution: code and/or an explanation."""
    return {"title": title, "code": code, "explanation": explanation, "language": language}


def _video_gen(fields: dict[str, Any]) -> None:
    fields.setdefault("title", "Solution")
    if "code" in fields:
        fields["code"] = lines_to_text(fields["code"])
    elif "solution_code" in fields:
        fields["code"] = lines_to_text(fields["solution_code"])


DESCRIPTOR = SceneTypeDescriptor(
    name="solution",
    model=SolutionScene,
    renderer="pipeline.render.scenes.code:SolutionRenderer",
    narration_parts=_parts,
    default_content={"title": "Solution", "explanation": "Explain the solution."},
    builder=_build,
    video_gen_fix=_video_gen,
    yaml_aliases=("answer",),
    phrases={"solution_code": "Here is the {language} code."},
)
