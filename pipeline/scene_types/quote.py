"""The ``quote`` scene type: a large quotation with its attribution."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from pipeline.scene_types.base import (
    LongText,
    Phrases,
    SceneBase,
    SceneTypeDescriptor,
    ShortText,
    strip_end,
)


class QuoteScene(SceneBase):
    """A large quotation with its attribution."""

    scene_type: Literal["quote"] = "quote"
    quote_text: LongText = Field(min_length=1)
    attribution: ShortText = ""
    context: ShortText = ""


def _parts(scene: QuoteScene, p: Phrases) -> list[str]:
    quote = strip_end(scene.quote_text)
    if scene.attribution:
        quote = p["quote_said"].format(quote=quote, attribution=scene.attribution)
    return [scene.context, quote]


def _build(quote_text: str, attribution: str = "", context: str = "") -> dict[str, Any]:
    """A quotation."""
    return {"quote_text": quote_text, "attribution": attribution, "context": context}


def _video_gen(fields: dict[str, Any]) -> None:
    if "quote_text" not in fields:
        fields["quote_text"] = fields.get("quote", fields.get("text"))
    if "attribution" not in fields and "author" in fields:
        fields["attribution"] = fields["author"]


DESCRIPTOR = SceneTypeDescriptor(
    name="quote",
    model=QuoteScene,
    renderer="pipeline.render.scenes.cards:QuoteRenderer",
    narration_parts=_parts,
    default_content={"quote_text": "Make it simple, but significant.", "attribution": ""},
    builder=_build,
    video_gen_fix=_video_gen,
    yaml_aliases=("quotation",),
    phrases={"quote_said": "{quote}, as {attribution} said."},
)
