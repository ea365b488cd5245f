"""The ``outro`` scene type: the closing card."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from pipeline.scene_types.base import Phrases, SceneBase, SceneTypeDescriptor, ShortText


class OutroScene(SceneBase):
    """Closing card: a main line and a call to action."""

    scene_type: Literal["outro"] = "outro"
    main_text: ShortText = Field(min_length=1)
    sub_text: ShortText = ""


def _parts(scene: OutroScene, p: Phrases) -> list[str]:
    return [scene.main_text, scene.sub_text]


def _build(main_text: str, sub_text: str = "") -> dict[str, Any]:
    """Closing card."""
    return {"main_text": main_text, "sub_text": sub_text}


def _video_gen(fields: dict[str, Any]) -> None:
    if "main_text" not in fields:
        fields["main_text"] = fields.get("title") or fields.get("message") or "Thanks for watching"
    if "sub_text" not in fields and isinstance(fields.get("subtitle"), str):
        fields["sub_text"] = fields["subtitle"]


DESCRIPTOR = SceneTypeDescriptor(
    name="outro",
    model=OutroScene,
    renderer="pipeline.render.scenes.cards:OutroRenderer",
    narration_parts=_parts,
    default_content={"main_text": "Thanks for watching", "sub_text": ""},
    builder=_build,
    video_gen_fix=_video_gen,
    yaml_aliases=("closing", "end"),
)
