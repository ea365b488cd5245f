"""Template definitions: the YAML files under ``resources/templates/`` and their models.

Three kinds live in three folders, one template per file named ``{id}.yaml``:

* ``ads/`` — the 8 short-form ad archetypes (:class:`AdTemplate`);
* ``personas/`` — the 20 persona × topic clips (:class:`PersonaTemplate`);
* ``tutorial/`` — document-style lessons built from the 12 scene types
  (:class:`TutorialTemplate`).

Files are read with ``yaml.safe_load`` and validated here: the models declare the types and
limits, and :mod:`pipeline.templates.rules` holds every other rule (slots, pacing, ids) in one
place, so a broken template fails on load, not halfway through a render. The structure
(scenes, roles, durations) is fixed by the file; only the slots' text varies between videos.

The user's own templates (made in the template editor or imported) are files of the same
schema anywhere on disk; :func:`read_template_file` reads one, :func:`template_to_yaml`
writes one (a lossless round trip: reading what it wrote gives an equal template).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator
from pydantic import ValidationError as PydanticValidationError

from pipeline.errors import InputError
from pipeline.models import (
    MAX_LONG_TEXT,
    MAX_NARRATION_TEXT,
    MAX_SHORT_TEXT,
    AdRole,
    Infographic,
    Theme,
    VideoFormat,
)
from pipeline.templates.rules import (  # COMMON_FIELD_NAMES, slots_in: re-exported
    COMMON_FIELD_NAMES,  # noqa: F401
    Problem,
    pydantic_problems,
    rule_problems,
    slots_in,  # noqa: F401
)
from resources import RESOURCES_DIR

TEMPLATES_DIR = RESOURCES_DIR / "templates"
"""Root folder of the bundled template files."""
KIND_FOLDERS: dict[str, str] = {"ad": "ads", "persona": "personas", "tutorial": "tutorial"}
"""Folder of each template kind under :data:`TEMPLATES_DIR`."""
MAX_TEMPLATE_BYTES = 256 * 1024
"""Largest template file read, bytes."""

TemplateKind = Literal["ad", "persona", "tutorial"]
FieldType = Literal["text", "long_text", "image", "colour"]
KIND_NAMES: dict[str, str] = {"ad": "Ad", "persona": "Persona clip", "tutorial": "Tutorial"}
"""What each kind is called on screen."""
_SKIP_RULES = "skip_rules"


def persona_cache_key(persona: str, topic: str) -> str:
    """The shared clip cache key of a persona × topic: ``sha256("persona:topic")[:16]``."""
    return hashlib.sha256(f"{persona}:{topic}".encode()).hexdigest()[:16]


class FieldDef(BaseModel):
    """A field a template needs from the user (a slot value).

    Attributes:
        name: slot name used as ``{name}`` in texts.
        label: what the wizard calls it (default: the name, capitalised).
        required: the user must give it.
        default: the value used when an optional field is not given.
        help: one line for the wizard and ``videostudio templates``.
        max_chars: longest accepted value.
        type: ``text`` (one line), ``long_text`` (several lines), ``image`` (a PNG, JPEG or
            WebP file: an ad shows it as the product) or ``colour`` (``#rrggbb`` or a name).
    """

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
    label: str = Field(default="", max_length=80)
    required: bool = False
    default: str = Field(default="", max_length=8_000)
    help: str = Field(default="", max_length=300)
    max_chars: int = Field(default=200, ge=1, le=8_000)
    type: FieldType = "text"

    @property
    def display_label(self) -> str:
        """The label, or the name made readable (``benefit_1`` → ``Benefit 1``)."""
        return self.label or self.name.replace("_", " ").capitalize()


ShortSlotText = Annotated[str, Field(max_length=MAX_SHORT_TEXT)]
LongSlotText = Annotated[str, Field(max_length=MAX_LONG_TEXT)]
NarrationSlotText = Annotated[str, Field(max_length=MAX_NARRATION_TEXT)]


class _TemplateBase(BaseModel):
    """What every template has: identity, look and sound, and the fields it takes.

    Attributes:
        id: unique id (file name of a bundled template; ``persona.topic`` for persona clips).
        name / description: shown in the gallery and ``videostudio templates``.
        format / fps / transition_s: the video's aspect ratio, frame rate and crossfade
            (0 = hard cuts).
        theme: accent colour, font and background (light or dark) of the video; ``None``
            keeps the default look.
        voice: the narration voice (``male``, ``female`` or a provider voice id); ``""``
            keeps the user's default voice.
        music / caption_style: the music bed (a bundled bed's name such as ``calm``, or an
            audio file) and the look of burned-in captions (``highlight`` or ``plain``), kept
            with the template and passed to a render as its options where the render request
            offers them (``""``: the user's settings).
        fields: the slots the user fills.
    """

    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_.]*$", max_length=80)]
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=1_000)
    format: VideoFormat = VideoFormat.LANDSCAPE
    fps: int = Field(default=30, ge=24, le=60)
    transition_s: float = Field(default=0.5, ge=0.0, le=2.0)
    theme: Theme | None = None
    voice: str = Field(default="", max_length=MAX_SHORT_TEXT)
    music: str = Field(default="", max_length=1024)
    caption_style: Literal["", "highlight", "plain"] = ""
    fields: list[FieldDef] = Field(default_factory=list, max_length=40)

    @model_validator(mode="after")
    def _rules(self, info: ValidationInfo) -> _TemplateBase:
        """The rules of :mod:`pipeline.templates.rules` (skipped when :func:`check_template`
        runs them itself, to report every problem at its path)."""
        if isinstance(info.context, Mapping) and info.context.get(_SKIP_RULES):
            return self
        problems = rule_problems(self.model_dump(mode="json"))
        if problems:
            raise ValueError(str(problems[0]))
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
    text: ShortSlotText = Field(min_length=1)
    body: ShortSlotText = ""
    narration: NarrationSlotText = Field(min_length=1)
    product: bool = True


class HookLine(BaseModel):
    """An alternate hook: on-screen text and narration (with slots)."""

    model_config = ConfigDict(extra="forbid")

    text: ShortSlotText = Field(min_length=1)
    narration: NarrationSlotText = Field(min_length=1)
    angle: str = Field(default="", max_length=60)


class Pacing(BaseModel):
    """The hard pacing rules of short-form ads (defaults from the ad-generator seed; a
    template may only make them stricter: beats within 2–3 s, a hook of at most 1.8 s, a
    total within 30 ± 3 s).

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

    scene_min_s: float = Field(default=2.0, ge=2.0, le=3.0)
    scene_max_s: float = Field(default=3.0, ge=2.0, le=3.0)
    hook_max_s: float = Field(default=1.8, ge=0.5, le=1.8)
    text_lead_s: float = Field(default=0.3, ge=0.0, le=1.0)
    total_target_s: float = Field(default=30.0, ge=27.0, le=33.0)
    total_tolerance_s: float = Field(default=3.0, ge=0.0, le=3.0)
    product_visible_by_s: float = Field(default=1.0, ge=0.0, le=1.0)


class AdTemplate(_TemplateBase):
    """A short-form ad archetype (hard-coded structure; the LLM only fills text)."""

    kind: Literal["ad"]
    tone: str = Field(min_length=1, max_length=200)
    target_emotion: str = Field(min_length=1, max_length=200)
    hook_format: str = Field(min_length=1, max_length=300)
    title: ShortSlotText = "{product}"
    pacing: Pacing = Field(default_factory=Pacing)
    scenes: list[AdBeat] = Field(min_length=2, max_length=20)
    hooks: list[HookLine] = Field(min_length=5, max_length=5)


class IntroCard(BaseModel):
    """The title card before a persona clip."""

    model_config = ConfigDict(extra="forbid")

    title: ShortSlotText = Field(min_length=1)
    subtitle: ShortSlotText = ""
    narration: NarrationSlotText = ""


class OutroCard(BaseModel):
    """The closing card after a persona clip."""

    model_config = ConfigDict(extra="forbid")

    main_text: ShortSlotText = Field(min_length=1)
    sub_text: ShortSlotText = ""
    narration: NarrationSlotText = ""


class PersonaTemplate(_TemplateBase):
    """An educational clip for one persona × topic (SpendSense seed, chunk 2).

    The cache key is computed (:attr:`cache_key`), never stored, so it cannot drift from
    the ``sha256("persona:topic")[:16]`` rule.
    """

    kind: Literal["persona"]
    persona: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    persona_name: str = Field(min_length=1, max_length=120)
    topic: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    visual_metaphor: str = Field(min_length=1, max_length=300)
    prompt: str = Field(min_length=1, max_length=2_000)
    duration_s: float = Field(ge=4, le=60)
    tone: str = ""
    headline: ShortSlotText = Field(min_length=1)
    body: LongSlotText = ""
    narration: NarrationSlotText = Field(min_length=1)
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


class TutorialTemplate(_TemplateBase):
    """A lesson built from the document scene types; scene dicts hold ``{slot}`` strings.

    A list entry that is empty after filling is dropped (optional list items).
    """

    kind: Literal["tutorial"]
    title: ShortSlotText = Field(min_length=1)
    scenes: list[dict[str, Any]] = Field(min_length=1, max_length=30)


Template = AdTemplate | PersonaTemplate | TutorialTemplate


COMMON_FIELDS: tuple[FieldDef, ...] = (
    FieldDef(name="title", help="video title (default: from the template)"),
    FieldDef(name="format", help="aspect ratio: 16:9, 9:16 or 1:1 (default: the template's)"),
    FieldDef(name="voice", help="narration voice, e.g. male, female (default: male)"),
    FieldDef(name="accent_color", help="accent colour, #rrggbb or a name such as blue"),
)
"""Optional fields every template accepts; they set the video's options, not slots
(their names are :data:`~pipeline.templates.rules.COMMON_FIELD_NAMES`)."""

MODELS: dict[str, type[AdTemplate] | type[PersonaTemplate] | type[TutorialTemplate]] = {
    "ad": AdTemplate,
    "persona": PersonaTemplate,
    "tutorial": TutorialTemplate,
}
"""The model of each template kind."""


@dataclass(frozen=True)
class TemplateCheck:
    """The outcome of checking a template's data.

    Attributes:
        template: the parsed template, or ``None`` when there are problems.
        problems: every broken rule and invalid value, each at its path (empty: valid).
    """

    template: Template | None
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        """True when the template is valid."""
        return not self.problems


def check_template(data: object) -> TemplateCheck:
    """Check a template's data (as in its YAML file) against the models' types and limits and
    every rule of :mod:`pipeline.templates.rules`; report all problems, each at its path.

    This is the one check the loader, ``videostudio templates validate|import`` and the
    template editor use.
    """
    if not isinstance(data, Mapping):
        return TemplateCheck(None, (Problem((), "a template is a mapping of its settings"),))
    kind = data.get("kind")
    if kind not in MODELS:
        return TemplateCheck(
            None,
            (
                Problem(
                    ("kind",),
                    f"there is no template kind {kind!r}",
                    "use one of: " + ", ".join(MODELS),
                ),
            ),
        )
    problems: list[Problem] = []
    template: Template | None = None
    try:
        template = MODELS[kind].model_validate(data, context={_SKIP_RULES: True})
    except PydanticValidationError as error:
        problems += pydantic_problems(error)
    dumped = template.model_dump(mode="json") if template is not None else dict(data)
    problems += rule_problems(dumped)
    seen: set[tuple[object, str]] = set()
    unique = []
    for problem in problems:
        key = (problem.path, problem.message)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return TemplateCheck(None if unique else template, tuple(unique))


def problems_error(problems: tuple[Problem, ...] | list[Problem], *, source: str) -> InputError:
    """An :class:`InputError` naming the first problem (and how many more there are)."""
    first = problems[0]
    more = len(problems) - 1
    message = first.message + (
        f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    )
    return InputError(
        message,
        source=source,
        location=first.location,
        hint=first.hint or "fix the template (see docs/templates.md)",
    )


def parse_template(data: object, *, source: str = "template") -> Template:
    """The template of ``data`` (as in its YAML file), checked by :func:`check_template`.

    Raises:
        InputError: naming the first problem, its place and what to change.
    """
    check = check_template(data)
    if check.template is None:
        raise problems_error(check.problems, source=source)
    return check.template


def load_template_data(text: str, *, source: str) -> Any:
    """The data of a template file's text (``yaml.safe_load`` with size and alias guards).

    Raises:
        InputError: too large, invalid YAML, or an alias bomb.
    """
    from pipeline.adapters.yaml_scenes import safe_load_limited

    if len(text.encode("utf-8")) > MAX_TEMPLATE_BYTES:
        raise InputError("template file is too large", source=source, hint="keep it under 256 KB")
    return safe_load_limited(text, source=source)


def read_template_file(path: Path) -> Template:
    """Read and check a template file anywhere on disk (its kind comes from its ``kind:``).

    Raises:
        InputError: unreadable, too large, invalid YAML, or a template that does not validate
            (the message names the first problem and its place).
    """
    source = str(path)
    try:
        if path.stat().st_size > MAX_TEMPLATE_BYTES:
            raise InputError(
                "template file is too large", source=source, hint="keep it under 256 KB"
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise InputError("no such file", source=source, hint="check the path") from error
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(
            f"cannot read the file: {error}", source=source, hint="give a UTF-8 YAML file"
        ) from error
    return parse_template(load_template_data(text, source=source), source=source)


def template_data(template: Template) -> dict[str, Any]:
    """The template as plain data, in the layout of its YAML file (``None`` values left out
    at the top level; everything else kept, so parsing it gives an equal template)."""
    data = template.model_dump(mode="json")
    ordered = {"id": data.pop("id"), "kind": data.pop("kind")}
    ordered.update(data)
    return {key: value for key, value in ordered.items() if value is not None}


def template_to_yaml(template: Template) -> str:
    """The template as the text of a YAML file (UTF-8, keys in model order).

    ``read_template_file`` of this text gives a template equal to ``template``.
    """
    header = f"# Video Studio template: {template.name} ({KIND_NAMES[template.kind]})\n"
    body = yaml.safe_dump(template_data(template), sort_keys=False, allow_unicode=True, width=100)
    return header + body


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
    template = parse_template(data, source=source)
    if template.id != path.stem:
        raise InputError(f"template id {template.id!r} differs from its file name", source=source)
    return template


@lru_cache(maxsize=4)
def load_library(root: Path = TEMPLATES_DIR) -> dict[str, Template]:
    """All bundled templates under ``root`` by id (parsed once and cached).

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
