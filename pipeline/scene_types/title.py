"""The ``title`` scene type: an opening (or section) card with a big title and a subtitle."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from pipeline.scene_types.base import Phrases, SceneBase, SceneTypeDescriptor, ShortText


class TitleScene(SceneBase):
    """Opening card: a big title and a subtitle."""

    scene_type: Literal["title"] = "title"
    title: ShortText = Field(min_length=1)
    subtitle: ShortText = ""


def _parts(scene: TitleScene, p: Phrases) -> list[str]:
    return [scene.title, scene.subtitle]


def _build(title: str, subtitle: str = "") -> dict[str, Any]:
    """Opening card."""
    return {"title": title, "subtitle": subtitle}


def _video_gen(fields: dict[str, Any]) -> None:
    if not fields.get("subtitle") and isinstance(fields.get("key_message"), str):
        fields["subtitle"] = fields["key_message"]


DESCRIPTOR = SceneTypeDescriptor(
    name="title",
    model=TitleScene,
    renderer="pipeline.render.scenes.cards:TitleRenderer",
    narration_parts=_parts,
    default_content={"title": "New title", "subtitle": ""},
    builder=_build,
    video_gen_fix=_video_gen,
    yaml_aliases=("intro", "title_card"),
)
