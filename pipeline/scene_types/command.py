"""The ``command`` scene type: terminal commands with a header and a description."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field

from pipeline.scene_types.base import (
    MAX_ITEMS,
    LongText,
    Phrases,
    SceneBase,
    SceneTypeDescriptor,
    ShortText,
    number_word,
)


class CommandScene(SceneBase):
    """Terminal commands with a header and a description."""

    scene_type: Literal["command"] = "command"
    header: ShortText = Field(min_length=1)
    description: LongText = ""
    commands: list[ShortText] = Field(default_factory=list, max_length=MAX_ITEMS)
    language: ShortText = "bash"
    """Pygments lexer name for syntax colouring (``bash``, ``python``, ``text``, …)."""


_PROMPT_RE = re.compile(r"^\s*(?:\$|>|#|PS [^>]*>)\s*")
_IDENT_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")


def commands_summary(commands: Sequence[str], p: Phrases) -> str:
    """``Run three commands, starting with tool install.`` — never reads symbols."""
    if not commands:
        return ""
    first_words = _IDENT_RE.findall(_PROMPT_RE.sub("", commands[0]))[:2]
    first = " ".join(word.strip(".-") for word in first_words) or p["the_code"]
    noun = p["command_one"] if len(commands) == 1 else p["command_many"]
    return p["run_commands"].format(count=number_word(len(commands), p), noun=noun, first=first)


def _parts(scene: CommandScene, p: Phrases) -> list[str]:
    return [scene.header, scene.description, commands_summary(scene.commands, p)]


def _items(scene: CommandScene) -> list[str]:
    return list(scene.commands)


def _build(
    header: str, commands: Sequence[str], description: str = "", language: str = "bash"
) -> dict[str, Any]:
    """Terminal commands."""
    return {
        "header": header,
        "commands": list(commands),
        "description": description,
        "language": language,
    }


def _video_gen(fields: dict[str, Any]) -> None:
    fields.setdefault("header", fields.get("title") or fields.get("topic") or "Commands")
    if isinstance(fields.get("commands"), str):
        fields["commands"] = fields["commands"].splitlines()


DESCRIPTOR = SceneTypeDescriptor(
    name="command",
    model=CommandScene,
    renderer="pipeline.render.scenes.code:CommandRenderer",
    narration_parts=_parts,
    revealable_items=_items,
    default_content={"header": "Commands", "commands": ["$ echo hello"]},
    builder=_build,
    video_gen_fix=_video_gen,
    yaml_aliases=("commands", "terminal"),
    phrases={
        "run_commands": "Run {count} {noun}, starting with {first}.",
        "command_one": "command",
        "command_many": "commands",
        "the_code": "the code",
        "numbers": "zero one two three four five six seven eight nine ten eleven twelve",
    },
)
