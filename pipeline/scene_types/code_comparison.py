"""The ``code_comparison`` scene type: before / after code side by side."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from pipeline.scene_types.base import (
    CodeText,
    LongText,
    Phrases,
    SceneBase,
    SceneTypeDescriptor,
    ShortText,
    lines_to_text,
)


class CodeComparisonScene(SceneBase):
    """Before / after code side by side (stacked in 9:16)."""

    scene_type: Literal["code_comparison"] = "code_comparison"
    header: ShortText = Field(min_length=1)
    before_code: CodeText = Field(min_length=1)
    after_code: CodeText = Field(min_length=1)
    before_label: ShortText = "Before"
    after_label: ShortText = "After"
    improvement: LongText = ""
    language: ShortText = "python"


def _parts(scene: CodeComparisonScene, p: Phrases) -> list[str]:
    comparison = p["comparison"].format(
        before=scene.before_label.lower() or "before",
        after=scene.after_label.lower() or "after",
    )
    return [scene.header, comparison, scene.improvement]


def _build(
    header: str,
    before_code: str,
    after_code: str,
    *,
    before_label: str = "Before",
    after_label: str = "After",
    improvement: str = "",
    language: str = "python",
) -> dict[str, Any]:
    """Before / after code."""
    return {
        "header": header,
        "before_code": before_code,
        "after_code": after_code,
        "before_label": before_label,
        "after_label": after_label,
        "improvement": improvement,
        "language": language,
    }


def _video_gen(fields: dict[str, Any]) -> None:
    fields.setdefault("header", fields.get("title") or "Before and after")
    for key in ("before_code", "after_code"):
        fields[key] = lines_to_text(fields.get(key))
    if not fields.get("improvement") and isinstance(fields.get("key_message"), str):
        fields["improvement"] = fields["key_message"]


DESCRIPTOR = SceneTypeDescriptor(
    name="code_comparison",
    model=CodeComparisonScene,
    renderer="pipeline.render.scenes.code:CodeComparisonRenderer",
    narration_parts=_parts,
    default_content={"header": "Before and after", "before_code": "x = 1", "after_code": "x = 2"},
    builder=_build,
    video_gen_fix=_video_gen,
    yaml_aliases=("comparison", "code_compare"),
    phrases={"comparison": "First, the {before} version. Then, the {after} version."},
)
