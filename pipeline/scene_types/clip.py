"""The ``clip`` scene type: an AI video clip with an infographic and text-card fallback."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipeline.scene_types.base import (
    MAX_ITEMS,
    LongText,
    Phrases,
    SceneBase,
    SceneTypeDescriptor,
    ShortText,
)


class InfographicKind(StrEnum):
    """The animated infographics drawn when no AI clip is available (visual metaphors)."""

    METER = "meter"
    BARS = "bars"
    PIE = "pie"
    PROGRESS = "progress"
    CALENDAR = "calendar"


class Infographic(BaseModel):
    """Data for an animated infographic.

    Attributes:
        kind: which animation (meter, bars, pie, progress, calendar).
        title: caption above the graphic.
        values: the data, one value per label (meter/progress: one value in 0–1; bars/pie:
            non-negative amounts; calendar: day numbers 1–31 to mark).
        labels: one label per value (may be empty for meter/progress).
        unit: unit shown with values (``"$"``, ``"%"``, ``"days"``).
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: InfographicKind
    title: ShortText = ""
    values: list[float] = Field(min_length=1, max_length=MAX_ITEMS)
    labels: list[ShortText] = Field(default_factory=list, max_length=MAX_ITEMS)
    unit: ShortText = ""

    @model_validator(mode="after")
    def _consistent(self) -> Infographic:
        if self.labels and len(self.labels) != len(self.values):
            raise ValueError(f"{len(self.labels)} labels for {len(self.values)} values")
        if any(v < 0 for v in self.values):
            raise ValueError("infographic values must not be negative")
        if self.kind in (InfographicKind.METER, InfographicKind.PROGRESS) and not (
            0.0 <= self.values[0] <= 1.0
        ):
            raise ValueError(f"a {self.kind.value} needs a value between 0 and 1")
        return self


class ClipScene(SceneBase):
    """A scene shown by an AI video clip, with a fallback chain.

    Tiers, best first: the AI clip (``prompt``, when paid AI clips are enabled, approved and
    within budget) → an animated ``infographic`` drawn locally → a text card (``headline`` and
    ``body``). The render records which tier produced the scene.

    Attributes:
        prompt: the text-to-video prompt.
        cache_key: shared cache key of the clip (persona × topic templates use
            ``sha256("persona:topic")[:16]``), so every user of a persona shares one clip.
        template_id: the template this scene came from (for approvals and cost records).
        headline / body: the text card (also drawn over the infographic).
        infographic: the animated fallback, if the template gives one.
        clip_seconds: the length asked of the AI provider (4, 8 or 12 s).
    """

    scene_type: Literal["clip"] = "clip"
    prompt: LongText = Field(min_length=1)
    cache_key: ShortText | None = None
    template_id: ShortText | None = None
    headline: ShortText = Field(min_length=1)
    body: LongText = ""
    infographic: Infographic | None = None
    clip_seconds: Literal[4, 8, 12] = 8


def _parts(scene: ClipScene, p: Phrases) -> list[str]:
    return [scene.headline, scene.body]


def _build(
    prompt: str,
    headline: str,
    body: str = "",
    *,
    infographic: Infographic | dict[str, Any] | None = None,
    clip_seconds: int = 8,
    cache_key: str | None = None,
) -> dict[str, Any]:
    """An AI clip scene (falls back to the infographic, then to a text card)."""
    fields: dict[str, Any] = {
        "prompt": prompt,
        "headline": headline,
        "body": body,
        "clip_seconds": clip_seconds,
        "cache_key": cache_key,
    }
    if infographic is not None:
        fields["infographic"] = (
            infographic.model_dump() if isinstance(infographic, Infographic) else infographic
        )
    return fields


def _video_gen(fields: dict[str, Any]) -> None:
    if "headline" not in fields:
        fields["headline"] = fields.get("title") or fields.get("text") or "Clip"
    if "prompt" not in fields:
        fields["prompt"] = fields.get("description") or fields["headline"]


DESCRIPTOR = SceneTypeDescriptor(
    name="clip",
    model=ClipScene,
    renderer="pipeline.render.scenes.clip:ClipRenderer",
    narration_parts=_parts,
    default_content={"prompt": "Describe the clip to generate.", "headline": "Headline"},
    builder=_build,
    video_gen_fix=_video_gen,
    yaml_aliases=("video_clip", "ai_clip"),
)
