"""Template definitions: the YAML files under ``resources/templates/`` and their models.

Three kinds live in three folders, one template per file named ``{id}.yaml``:

* ``ads/`` — the 8 short-form ad archetypes (:class:`AdTemplate`);
* ``personas/`` — the 20 persona × topic clips (:class:`PersonaTemplate`);
* ``tutorial/`` — document-style lessons built from the 12 scene types
  (:class:`TutorialTemplate`).

Files are read with ``yaml.safe_load`` and validated here, including that every ``{slot}``
in a text names a declared field, so a broken template fails on load, not halfway through a
render. The structure (scenes, roles, durations) is fixed by the file; only the slots' text
varies between videos.
"""

from __future__ import annotations

import hashlib
import string
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from pipeline.errors import InputError
from pipeline.models import AdRole, Infographic, VideoFormat
from resources import RESOURCES_DIR

TEMPLATES_DIR = RESOURCES_DIR / "templates"
"""Root folder of the bundled template files."""
KIND_FOLDERS: dict[str, str] = {"ad": "ads", "persona": "personas", "tutorial": "tutorial"}
"""Folder of each template kind under :data:`TEMPLATES_DIR`."""
MAX_TEMPLATE_BYTES = 256 * 1024

TemplateKind = Literal["ad", "persona", "tutorial"]
_FORMATTER = string.Formatter()


def persona_cache_key(persona: str, topic: str) -> str:
    """The shared clip cache key of a persona × topic: ``sha256("persona:topic")[:16]``."""
    return hashlib.sha256(f"{persona}:{topic}".encode()).hexdigest()[:16]


def slots_in(text: str) -> list[str]:
    """The ``{slot}`` names used in ``text``, in order.

    Raises:
        ValueError: for a slot with a conversion, a format spec, attribute or index access,
            or an unbalanced brace.
    """
    names = []
    for _, name, spec, conversion in _FORMATTER.parse(text):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"slot {{{name}}} in {text!r} must be a plain {{field_name}}")
        names.append(name)
    return names


class FieldDef(BaseModel):
    """A field a template needs from the user (a slot value).

    Attributes:
        name: slot name used as ``{name}`` in texts.
        required: the user must give it.
        default: the value used when an optional field is not given.
        help: one line for the wizard and ``videostudio templates``.
        max_chars: longest accepted value.
    """

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    required: bool = False
    default: str = ""
    help: str = ""
    max_chars: int = Field(default=200, ge=1, le=8_000)


class _TemplateBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_.]*$", max_length=80)]
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=1_000)
    format: VideoFormat = VideoFormat.LANDSCAPE
    fps: int = Field(default=30, ge=24, le=60)
    transition_s: float = Field(default=0.5, ge=0.0, le=2.0)
    fields: list[FieldDef] = Field(default_factory=list)

    def texts(self) -> list[str]:
        """Every text that may hold ``{slots}`` (checked against :attr:`fields` on load)."""
        return []

    @model_validator(mode="after")
    def _slots_declared(self) -> _TemplateBase:
        declared = {f.name for f in self.fields} | set(COMMON_FIELD_NAMES)
        if len(declared) != len(self.fields) + len(COMMON_FIELD_NAMES):
            raise ValueError("field names repeat (or shadow a common field)")
        for text in self.texts():
            for name in slots_in(text):
                if name not in declared:
                    raise ValueError(f"slot {{{name}}} in {text!r} is not a declared field")
        return self


class AdBeat(BaseModel):
    """One beat (scene) of an ad archetype.

    Attributes:
        role: hook, problem, agitate, reveal, demo, benefit, proof, offer or cta.
        duration_s: ``[min, max]`` length, seconds.
        text: on-screen headline (with slots).
        body: smaller on-screen line (with slots), may be empty.
        narration: what the voice says (with slots).
        product: show the product image in this beat.
    """

    model_config = ConfigDict(extra="forbid")

    role: AdRole
    duration_s: tuple[float, float]
    text: str = Field(min_length=1)
    body: str = ""
    narration: str = Field(min_length=1)
    product: bool = True

    @model_validator(mode="after")
    def _range(self) -> AdBeat:
        low, high = self.duration_s
        if not 0.5 <= low <= high:
            raise ValueError(f"duration_s {self.duration_s} must be [min, max] with 0.5 <= min")
        return self


class HookLine(BaseModel):
    """An alternate hook: on-screen text and narration (with slots)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    narration: str = Field(min_length=1)
    angle: str = ""


class Pacing(BaseModel):
    """The hard pacing rules of short-form ads (defaults from the ad-generator seed).

    Attributes:
        scene_min_s / scene_max_s: every beat but the hook lasts within this range.
        hook_max_s: the hook beat is at most this long.
        text_lead_s: on-screen text appears this long before the voice.
        total_target_s: the ad's target length.
        total_tolerance_s: the shortest and the longest realisation of the beats' ranges
            stay within ``total_target_s ± total_tolerance_s``.
        product_visible_by_s: the product and text are on screen by then.
    """

    model_config = ConfigDict(extra="forbid")

    scene_min_s: float = 2.0
    scene_max_s: float = 3.0
    hook_max_s: float = 1.8
    text_lead_s: float = 0.3
    total_target_s: float = 30.0
    total_tolerance_s: float = 3.0
    product_visible_by_s: float = 1.0


class AdTemplate(_TemplateBase):
    """A short-form ad archetype (hard-coded structure; the LLM only fills text)."""

    kind: Literal["ad"]
    tone: str = Field(min_length=1)
    target_emotion: str = Field(min_length=1)
    hook_format: str = Field(min_length=1)
    title: str = "{product}"
    pacing: Pacing = Field(default_factory=Pacing)
    scenes: list[AdBeat] = Field(min_length=2, max_length=20)
    hooks: list[HookLine] = Field(min_length=5, max_length=5)

    def texts(self) -> list[str]:
        """All slot-bearing texts."""
        out = [self.title]
        for beat in self.scenes:
            out += [beat.text, beat.body, beat.narration]
        for hook in self.hooks:
            out += [hook.text, hook.narration]
        return out

    @model_validator(mode="after")
    def _pacing(self) -> AdTemplate:
        p = self.pacing
        if self.scenes[0].role != "hook" or not self.scenes[0].product:
            raise ValueError("an ad starts with a hook beat that shows the product")
        if self.scenes[0].duration_s[1] > p.hook_max_s:
            raise ValueError(f"the hook may last at most {p.hook_max_s} s")
        for i, beat in enumerate(self.scenes[1:], start=1):
            low, high = beat.duration_s
            if low < p.scene_min_s or high > p.scene_max_s:
                raise ValueError(
                    f"beat {i} ({beat.role}) lasts {low}–{high} s, outside "
                    f"{p.scene_min_s}–{p.scene_max_s} s"
                )
        shortest = sum(b.duration_s[0] for b in self.scenes)
        longest = sum(b.duration_s[1] for b in self.scenes)
        if (
            shortest < p.total_target_s - p.total_tolerance_s
            or longest > p.total_target_s + p.total_tolerance_s
        ):
            raise ValueError(
                f"beats add up to {shortest:.1f}–{longest:.1f} s, not "
                f"{p.total_target_s} ± {p.total_tolerance_s} s"
            )
        return self


class IntroCard(BaseModel):
    """The title card before a persona clip."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    subtitle: str = ""
    narration: str = ""


class OutroCard(BaseModel):
    """The closing card after a persona clip."""

    model_config = ConfigDict(extra="forbid")

    main_text: str = Field(min_length=1)
    sub_text: str = ""
    narration: str = ""


class PersonaTemplate(_TemplateBase):
    """An educational clip for one persona × topic (SpendSense seed, chunk 2).

    The cache key is computed (:attr:`cache_key`), never stored, so it cannot drift from
    the ``sha256("persona:topic")[:16]`` rule.
    """

    kind: Literal["persona"]
    persona: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    persona_name: str = Field(min_length=1)
    topic: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    visual_metaphor: str = Field(min_length=1)
    prompt: str = Field(min_length=1, max_length=2_000)
    duration_s: float = Field(ge=4, le=60)
    tone: str = ""
    headline: str = Field(min_length=1)
    body: str = ""
    narration: str = Field(min_length=1)
    infographic: Infographic
    intro: IntroCard
    outro: OutroCard

    @property
    def cache_key(self) -> str:
        """``sha256("persona:topic")[:16]``, shared by every user of this persona × topic."""
        return persona_cache_key(self.persona, self.topic)

    @property
    def clip_seconds(self) -> Literal[4, 8, 12]:
        """The AI clip length to ask for: the longest allowed that the scene can use."""
        if self.duration_s >= 12:
            return 12
        return 8 if self.duration_s >= 8 else 4

    def texts(self) -> list[str]:
        """All slot-bearing texts (the AI prompt has none: it is shared through the cache)."""
        return [
            self.headline,
            self.body,
            self.narration,
            self.intro.title,
            self.intro.subtitle,
            self.intro.narration,
            self.outro.main_text,
            self.outro.sub_text,
            self.outro.narration,
        ]

    @model_validator(mode="after")
    def _id_and_prompt(self) -> PersonaTemplate:
        if self.id != f"{self.persona}.{self.topic}":
            raise ValueError(f"a persona template's id is 'persona.topic', got {self.id!r}")
        if slots_in(self.prompt):
            raise ValueError("the AI prompt has no slots: its clip is shared by cache key")
        return self


class TutorialTemplate(_TemplateBase):
    """A lesson built from the document scene types; scene dicts hold ``{slot}`` strings.

    A list entry that is empty after filling is dropped (optional list items).
    """

    kind: Literal["tutorial"]
    title: str = Field(min_length=1)
    scenes: list[dict[str, Any]] = Field(min_length=1, max_length=30)

    def texts(self) -> list[str]:
        """All string values of the scenes (recursively), plus the title."""
        out = [self.title]

        def walk(value: object) -> None:
            if isinstance(value, str):
                out.append(value)
            elif isinstance(value, list):
                for item in value:
                    walk(item)
            elif isinstance(value, dict):
                for item in value.values():
                    walk(item)

        walk(self.scenes)
        return out


Template = AdTemplate | PersonaTemplate | TutorialTemplate


COMMON_FIELDS: tuple[FieldDef, ...] = (
    FieldDef(name="title", help="video title (default: from the template)"),
    FieldDef(name="format", help="aspect ratio: 16:9, 9:16 or 1:1 (default: the template's)"),
    FieldDef(name="voice", help="narration voice, e.g. male, female (default: male)"),
    FieldDef(name="accent_color", help="accent colour, #rrggbb or a name such as blue"),
)
"""Optional fields every template accepts; they set the video's options, not slots."""
COMMON_FIELD_NAMES = tuple(f.name for f in COMMON_FIELDS)


def _parse(path: Path, kind: str) -> Template:
    source = str(path)
    if path.stat().st_size > MAX_TEMPLATE_BYTES:
        raise InputError("template file is too large", source=source, hint="keep it under 256 KB")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise InputError(f"invalid YAML: {error}", source=source, hint="fix the syntax") from error
    if not isinstance(data, dict):
        raise InputError("a template file holds a mapping", source=source)
    if data.get("kind") != kind:
        raise InputError(f"a file in {KIND_FOLDERS[kind]}/ must say kind: {kind}", source=source)
    model: type[Template] = {  # type: ignore[assignment]
        "ad": AdTemplate,
        "persona": PersonaTemplate,
        "tutorial": TutorialTemplate,
    }[kind]
    try:
        template = model.model_validate(data)
    except PydanticValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        raise InputError(
            first.get("msg", "invalid template"),
            source=source,
            location=where,
            hint="fix the template file (see docs/templates.md)",
        ) from error
    if template.id != path.stem:
        raise InputError(f"template id {template.id!r} differs from its file name", source=source)
    return template


@lru_cache(maxsize=4)
def load_library(root: Path = TEMPLATES_DIR) -> dict[str, Template]:
    """All templates under ``root`` by id (parsed once and cached).

    Raises:
        InputError: for a template file that does not parse or validate, or a repeated id.
    """
    library: dict[str, Template] = {}
    for kind, folder in KIND_FOLDERS.items():
        for path in sorted((root / folder).glob("*.yaml")):
            template = _parse(path, kind)
            if template.id in library:
                raise InputError(f"template id {template.id!r} is used twice", source=str(path))
            library[template.id] = template
    return library
