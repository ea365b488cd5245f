"""What every scene type shares: field limits, :class:`SceneBase`, and the descriptor.

A scene type is described once, by a :class:`SceneTypeDescriptor` in its own module of
:mod:`pipeline.scene_types`: its pydantic model, its renderer, the parts its narration is made
of, the items it reveals one by one, its names in YAML scene files, the builder method that adds
it, and the content a new scene of that type starts with in the studio. Every stage that treats
scene types differently asks the registry (:func:`pipeline.scene_types.descriptor`) instead of
keeping its own table.

Limits that stop abuse are enforced by the field types here, so every input path gets them
(see :mod:`pipeline.models` for the list).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

MAX_SCENES = 100
MAX_SHORT_TEXT = 200
MAX_LONG_TEXT = 2_000
MAX_CODE_TEXT = 8_000
MAX_NARRATION_TEXT = 5_000
MAX_ITEMS = 12
MIN_DURATION_S = 0.5
MAX_DURATION_S = 300.0

ShortText = Annotated[str, StringConstraints(max_length=MAX_SHORT_TEXT, strip_whitespace=True)]
LongText = Annotated[str, StringConstraints(max_length=MAX_LONG_TEXT, strip_whitespace=True)]
CodeText = Annotated[str, StringConstraints(max_length=MAX_CODE_TEXT)]
NarrationText = Annotated[
    str, StringConstraints(max_length=MAX_NARRATION_TEXT, strip_whitespace=True)
]
DurationS = Annotated[float, Field(ge=MIN_DURATION_S, le=MAX_DURATION_S)]


def checked_voice(value: str | None) -> str | None:
    """``value`` if it is a usable voice name (or ``None``), else ``ValueError`` naming the
    valid names (:func:`pipeline.speech.voices.voice_problem`)."""
    if value is None:
        return None
    from pipeline.speech.voices import voice_problem

    problem = voice_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


class SceneBase(BaseModel):
    """Fields shared by all scene types.

    Attributes:
        scene_id: optional stable id (used for caching and error messages).
        narration: what the voice says; ``None`` means "generate it from the content".
        min_duration_s / max_duration_s: bounds on the scene length (0.5–300 s). The scene is
            at least as long as its narration plus padding, and at least ``min_duration_s``.
            ``max_duration_s`` only shortens silent padding; narration is never cut.
        voice: per-scene voice override (a voice name such as ``"female"``).
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    scene_type: str
    """The scene type's name; each scene class narrows it to its own literal."""
    scene_id: ShortText | None = None
    narration: NarrationText | None = None
    min_duration_s: DurationS | None = None
    max_duration_s: DurationS | None = None
    voice: ShortText | None = None

    @field_validator("voice")
    @classmethod
    def _known_voice(cls, value: str | None) -> str | None:
        return checked_voice(value)

    @model_validator(mode="after")
    def _durations(self) -> SceneBase:
        if (
            self.min_duration_s is not None
            and self.max_duration_s is not None
            and self.min_duration_s > self.max_duration_s
        ):
            raise ValueError(
                f"min_duration_s ({self.min_duration_s}) is larger than "
                f"max_duration_s ({self.max_duration_s})"
            )
        return self


class ListItem(BaseModel):
    """One entry of a list scene: a title and an optional one-line description."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: ShortText = Field(min_length=1)
    description: ShortText = ""


Phrases = Mapping[str, str]
"""Fixed wording of one language, keyed by phrase name (see :data:`pipeline.narration.PHRASES`)."""

NarrationParts = Callable[[Any, Phrases], list[str]]
"""``(scene, phrases) -> parts``: the sentences of a scene's generated narration, in order."""

VideoGenFixer = Callable[[dict[str, Any]], None]
"""Maps a ``video_gen`` scene's fields to ours, in place (``quote`` → ``quote_text``, …)."""


def _no_items(scene: Any) -> list[str]:
    return []


@dataclass(frozen=True)
class SceneTypeDescriptor:
    """Everything the pipeline and the studio need to know about one scene type.

    Attributes:
        name: the ``scene_type`` value (``"list"``).
        model: the pydantic scene class (its ``scene_type`` literal equals ``name``).
        renderer: ``"module:Class"`` of the renderer in :mod:`pipeline.render.scenes`,
            imported only when needed (:meth:`renderer_class`), so models never import Pillow.
        narration_parts: the parts of the generated narration (each becomes a sentence);
            it must mention every revealable item in order.
        default_content: fields of a new, valid scene of this type (studio "Add scene",
            tests). ``scene_type`` is added by the caller.
        builder: ``(positional and keyword content fields) -> fields``; its signature and
            docstring become ``VideoBuilder.add_<builder_name>`` (common fields such as
            ``narration`` are handled by the builder).
        revealable_items: the texts that appear one after another, in reveal order.
        yaml_aliases: other names accepted for ``scene_type``/``type`` in YAML scene files.
        video_gen_fix: maps ``video_gen`` field names to ours (``None``: names are the same).
        phrases: English wording this type's narration uses (merged under the language's
            table in :data:`pipeline.narration.PHRASES`, which may translate it).
        label: human name for menus (default: ``name`` with spaces, capitalised).
        builder_name: suffix of the builder method (default: ``name``).
    """

    name: str
    model: type[SceneBase]
    renderer: str
    narration_parts: NarrationParts
    default_content: Mapping[str, Any]
    builder: Callable[..., dict[str, Any]]
    revealable_items: Callable[[Any], list[str]] = _no_items
    yaml_aliases: tuple[str, ...] = ()
    video_gen_fix: VideoGenFixer | None = None
    phrases: Mapping[str, str] = field(default_factory=dict)
    label: str = ""
    builder_name: str = ""

    def __post_init__(self) -> None:
        literal = self.model.model_fields["scene_type"].default
        if literal != self.name:
            raise ValueError(f"descriptor {self.name!r} has a model of type {literal!r}")
        if not self.label:
            object.__setattr__(self, "label", self.name.replace("_", " ").capitalize())
        if not self.builder_name:
            object.__setattr__(self, "builder_name", self.name)

    def renderer_class(self) -> type:
        """The renderer class (imports its module on first use).

        Raises:
            ImportError / AttributeError: the ``renderer`` path is wrong (a programming error).
        """
        module, _, name = self.renderer.partition(":")
        found: type = getattr(importlib.import_module(module), name)
        return found

    def default_scene(self) -> SceneBase:
        """A new valid scene of this type with :attr:`default_content`."""
        return self.model.model_validate({"scene_type": self.name, **self.default_content})


# --- small text helpers shared by narration parts -------------------------------------


def strip_end(text: str) -> str:
    """``"Fast."`` → ``"Fast"``: trailing sentence punctuation removed."""
    return text.strip().rstrip(".!?;:,").strip()


def join_title(title: str, description: str) -> str:
    """``title: description`` for a spoken item (just the title when there is no description)."""
    title = strip_end(title)
    return f"{title}: {description}" if description else title


def number_word(count: int, phrases: Phrases) -> str:
    """``3`` → ``"three"`` from the phrase table's ``numbers`` (digits past its end)."""
    numbers = phrases.get("numbers", "").split()
    return numbers[count] if count < len(numbers) else str(count)


_LINES_RE = re.compile(r"\r?\n")


def text_of(value: object) -> str:
    """A YAML value as stripped text (``None`` → ``""``)."""
    return "" if value is None else str(value).strip()


def lines_to_text(value: object) -> object:
    """Code given as a list of lines becomes one string (other values unchanged)."""
    if isinstance(value, list):
        return "\n".join(text_of(line) for line in value)
    return value


def strings(value: object, *keys: str) -> object:
    """A list of strings, or of mappings holding the string under one of ``keys``.

    A single string becomes a one-entry list; other values are returned for the model to
    reject with a clear message.
    """
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        return value
    result: list[object] = []
    for item in value:
        if isinstance(item, dict):
            found = next((item[k] for k in keys if k in item), None)
            result.append(text_of(found) if found is not None else item)
        else:
            result.append(text_of(item) if isinstance(item, (int, float)) else item)
    return result
