"""The ``list`` scene type: a header and up to 12 items revealed with the narration."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field, field_validator

from pipeline.scene_types.base import (
    MAX_ITEMS,
    ListItem,
    LongText,
    Phrases,
    SceneBase,
    SceneTypeDescriptor,
    ShortText,
    join_title,
    text_of,
)


class ListScene(SceneBase):
    """A header and up to 12 items that appear one after another with the narration."""

    scene_type: Literal["list"] = "list"
    header: ShortText = Field(min_length=1)
    description: LongText = ""
    items: list[ListItem] = Field(min_length=1, max_length=MAX_ITEMS)

    @field_validator("items", mode="before")
    @classmethod
    def _items_from_strings(cls, value: object) -> object:
        if isinstance(value, list):
            return [{"title": item} if isinstance(item, str) else item for item in value]
        return value


ItemLike = str | tuple[str, str] | ListItem | dict[str, str]
"""A list item: its title, ``(title, description)``, a ``ListItem`` or a dict."""


def _item(item: ItemLike) -> Any:
    if isinstance(item, tuple):
        title, description = item
        return {"title": title, "description": description}
    if isinstance(item, ListItem):
        return item.model_dump()
    return item


def _parts(scene: ListScene, p: Phrases) -> list[str]:
    items = [join_title(item.title, item.description) for item in scene.items]
    return [scene.header, scene.description, *items]


def _items(scene: ListScene) -> list[str]:
    return [item.title for item in scene.items]


def _build(header: str, items: Sequence[ItemLike], description: str = "") -> dict[str, Any]:
    """A header and up to 12 items revealed one by one."""
    return {"header": header, "description": description, "items": [_item(i) for i in items]}


def _video_gen(fields: dict[str, Any]) -> None:
    fields.setdefault("header", fields.get("title") or fields.get("topic") or "Key points")
    items = fields.get("items")
    if isinstance(items, list):
        fixed: list[object] = []
        for item in items:
            if isinstance(item, dict):
                title = item.get("title", item.get("text", item.get("name")))
                fixed.append(
                    {"title": text_of(title), "description": text_of(item.get("description"))}
                )
            else:
                fixed.append(text_of(item) if item is not None else item)
        fields["items"] = fixed


DESCRIPTOR = SceneTypeDescriptor(
    name="list",
    model=ListScene,
    renderer="pipeline.render.scenes.items:ListRenderer",
    narration_parts=_parts,
    revealable_items=_items,
    default_content={"header": "Key points", "items": [{"title": "First point"}]},
    builder=_build,
    video_gen_fix=_video_gen,
    yaml_aliases=("bullets", "bullet_list"),
)
