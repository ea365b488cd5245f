"""The data model of a video: :class:`VideoSpec` and its scenes.

A ``VideoSpec`` is what every adapter produces and every later stage consumes. Scenes form a
discriminated union on ``scene_type``; each scene type (model included) is described once in
its own module of :mod:`pipeline.scene_types` and re-exported here.

Limits that stop abuse are enforced here, so every input path gets them:

* at most :data:`MAX_SCENES` scenes (100), at least one;
* short text fields at most :data:`MAX_SHORT_TEXT` characters (200), long ones
  :data:`MAX_LONG_TEXT` (2,000), code :data:`MAX_CODE_TEXT` (8,000), narration
  :data:`MAX_NARRATION_TEXT` (5,000);
* lists at most :data:`MAX_ITEMS` entries (12);
* duration bounds in 0.5–300 s.

A violation raises ``pydantic.ValidationError``; adapters turn it into
:class:`pipeline.errors.InputError` with :func:`spec_error`.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from enum import StrEnum
from functools import reduce
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic import ValidationError as PydanticValidationError

from pipeline.errors import InputError
from pipeline.scene_types import REGISTRY
from pipeline.scene_types.ad import AdRole, AdScene
from pipeline.scene_types.base import (
    MAX_CODE_TEXT,
    MAX_DURATION_S,
    MAX_ITEMS,
    MAX_LONG_TEXT,
    MAX_NARRATION_TEXT,
    MAX_SCENES,
    MAX_SHORT_TEXT,
    MIN_DURATION_S,
    CodeText,
    DurationS,
    ListItem,
    LongText,
    NarrationText,
    SceneBase,
    ShortText,
    checked_voice,
)
from pipeline.scene_types.checkpoint import CheckpointScene
from pipeline.scene_types.clip import ClipScene, Infographic, InfographicKind
from pipeline.scene_types.code_comparison import CodeComparisonScene
from pipeline.scene_types.command import CommandScene
from pipeline.scene_types.exercise import ExerciseScene
from pipeline.scene_types.learning_objectives import LearningObjectivesScene
from pipeline.scene_types.listing import ListScene
from pipeline.scene_types.outro import OutroScene
from pipeline.scene_types.problem import ProblemScene
from pipeline.scene_types.quiz import QuizScene
from pipeline.scene_types.quote import QuoteScene
from pipeline.scene_types.solution import SolutionScene
from pipeline.scene_types.title import TitleScene

_SCENE_DESCRIPTORS = tuple(REGISTRY.values())


class VideoFormat(StrEnum):
    """Output aspect ratio. Sizes in :data:`FORMAT_SIZES_PX`."""

    LANDSCAPE = "16:9"
    PORTRAIT = "9:16"
    SQUARE = "1:1"

    @property
    def size_px(self) -> tuple[int, int]:
        """``(width_px, height_px)`` of this format."""
        return FORMAT_SIZES_PX[self]


FORMAT_SIZES_PX: dict[VideoFormat, tuple[int, int]] = {
    VideoFormat.LANDSCAPE: (1920, 1080),
    VideoFormat.PORTRAIT: (1080, 1920),
    VideoFormat.SQUARE: (1080, 1080),
}

NAMED_ACCENTS: dict[str, str] = {
    # The six accent names of video_gen, mapped to hex.
    "orange": "#ff6b35",
    "blue": "#3b82f6",
    "purple": "#8b5cf6",
    "green": "#10b981",
    "pink": "#ec4899",
    "cyan": "#06b6d4",
}

FONT_FAMILIES = ("sans", "serif")
_HEX_RE = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")


def parse_color(value: str) -> str:
    """Normalise a colour to ``#rrggbb``.

    Accepts ``#rrggbb``, ``rrggbb``, ``#rgb`` and the names in :data:`NAMED_ACCENTS`.

    Raises:
        ValueError: for anything else (the message lists what is accepted).
    """
    text = value.strip().lower()
    if text in NAMED_ACCENTS:
        return NAMED_ACCENTS[text]
    match = _HEX_RE.match(text)
    if not match:
        names = ", ".join(NAMED_ACCENTS)
        raise ValueError(f"colour {value!r} is not #rrggbb, #rgb or one of: {names}")
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    return f"#{digits}"


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    """``"#rrggbb"`` → ``(r, g, b)`` with each channel 0–255."""
    digits = parse_color(color)[1:]
    return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))


class Theme(BaseModel):
    """Visual theme of a video.

    Attributes:
        accent_color: ``#rrggbb`` (named accents accepted on input).
        font_family: ``"sans"`` or ``"serif"``; both are bundled DejaVu fonts (code is always
            DejaVu Sans Mono).
        dark: dark background with light text instead of the default light background.
    """

    model_config = ConfigDict(extra="forbid")

    accent_color: str = NAMED_ACCENTS["blue"]
    font_family: Literal["sans", "serif"] = "sans"
    dark: bool = False

    @field_validator("accent_color", mode="before")
    @classmethod
    def _color(cls, value: object) -> str:
        if not isinstance(value, str):
            raise ValueError("accent_color must be a string such as '#3b82f6' or 'blue'")
        return parse_color(value)


if TYPE_CHECKING:  # a type checker sees the common base; narrow with isinstance
    Scene = SceneBase
else:
    Scene = Annotated[
        reduce(operator.or_, (d.model for d in _SCENE_DESCRIPTORS)),
        Field(discriminator="scene_type"),
    ]
"""Any scene; pydantic picks the class from ``scene_type``. The members come from
:data:`pipeline.scene_types.REGISTRY` (one module per scene type)."""

SCENE_TYPES: tuple[str, ...] = tuple(d.name for d in _SCENE_DESCRIPTORS)
"""The ``scene_type`` names, in registry (menu) order."""


class VideoSpec(BaseModel):
    """Everything needed to make one video.

    Attributes:
        title: the video's title (metadata, thumbnail, default file name).
        description: optional longer description (metadata only).
        format: aspect ratio; the frame size follows from it (:data:`FORMAT_SIZES_PX`).
        fps: frame rate in frames per second (default 30; 24–60).
        theme: accent colour, font family, light/dark.
        voice: voice name (``"male"``, ``"female"``) or a provider voice id.
        language: BCP-47 primary language code (``"en"``, ``"es"``, …).
        captions: burn captions into the frames; ``None`` means the default for the format
            (on for 9:16, off otherwise). Subtitle files (.srt/.vtt) are always written.
        transition_s: crossfade into each scene after the first, seconds (0 = hard cuts, as
            in short-form ads; a cut also keeps each scene's segment independent of the
            scene before it, so a new hook re-renders only the hook).
        music: music under the voice: a bundled bed (``calm``, ``bright``, ``pulse``) or an
            audio file's path; ``None``: the settings' choice (render options override it).
        music_level_db: the music's level under the voice while it speaks, dB (−40..0);
            ``None``: the settings' level.
        scenes: 1–100 scenes.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: ShortText = Field(min_length=1)
    description: LongText = ""
    format: VideoFormat = VideoFormat.LANDSCAPE
    fps: int = Field(default=30, ge=24, le=60)
    theme: Theme = Field(default_factory=Theme)
    voice: ShortText = "male"
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] = "en"
    captions: bool | None = None
    transition_s: float = Field(default=0.5, ge=0.0, le=2.0)
    music: str | None = Field(default=None, max_length=4096)
    music_level_db: float | None = Field(default=None, ge=-40.0, le=0.0)
    scenes: list[Scene] = Field(min_length=1, max_length=MAX_SCENES)

    @field_validator("voice")
    @classmethod
    def _known_voice(cls, value: str) -> str:
        checked = checked_voice(value)
        assert checked is not None
        return checked

    @field_validator("language")
    @classmethod
    def _spoken_language(cls, value: str) -> str:
        from pipeline.speech.voices import language_problem

        problem = language_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @property
    def size_px(self) -> tuple[int, int]:
        """``(width_px, height_px)`` of the output frames."""
        return self.format.size_px

    @property
    def captions_burned_in(self) -> bool:
        """Whether captions are drawn into the frames (resolves the ``None`` default)."""
        if self.captions is None:
            return self.format is VideoFormat.PORTRAIT
        return self.captions


SPEC_SCHEMA_VERSION = 1
"""Layout version of a stored :class:`VideoSpec` (projects and render jobs store it beside the
spec; :func:`migrate_spec` upgrades older ones)."""

SPEC_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}
"""``n`` → function that upgrades a version-``n`` spec dict to version ``n + 1`` (none yet:
version 1 is the first stored layout)."""


def migrate_spec(data: dict[str, Any], version: int) -> dict[str, Any]:
    """Upgrade a stored spec dict of layout ``version`` to :data:`SPEC_SCHEMA_VERSION`.

    Raises:
        InputError: the spec comes from a newer Video Studio (or has an invalid version).
    """
    if version < 1 or version > SPEC_SCHEMA_VERSION:
        raise InputError(
            f"the stored video has layout version {version}; this Video Studio understands "
            f"1 to {SPEC_SCHEMA_VERSION}",
            hint="update Video Studio to open it",
        )
    while version < SPEC_SCHEMA_VERSION:
        data = SPEC_MIGRATIONS[version](data)
        version += 1
    return data


def spec_error(error: PydanticValidationError, *, source: str = "") -> InputError:
    """Turn a pydantic ``ValidationError`` into an :class:`InputError` naming the first problem.

    The location is written like ``scenes[3].items`` so the user can find the field.
    """
    first = error.errors()[0]
    location = ""
    for part in first.get("loc", ()):
        if isinstance(part, int):
            location += f"[{part}]"
        else:
            location += f".{part}" if location else str(part)
    message = first.get("msg", "invalid value")
    more = error.error_count() - 1
    if more > 0:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return InputError(
        message,
        source=source,
        location=location,
        hint="fix that field and try again; limits are listed in the README",
    )


def build_spec(data: dict[str, object], *, source: str = "") -> VideoSpec:
    """Validate a plain dict into a :class:`VideoSpec`.

    Raises:
        InputError: naming the first invalid field.
    """
    try:
        return VideoSpec.model_validate(data)
    except PydanticValidationError as error:
        raise spec_error(error, source=source) from error


__all__ = [
    "FONT_FAMILIES",
    "FORMAT_SIZES_PX",
    "MAX_CODE_TEXT",
    "MAX_DURATION_S",
    "MAX_ITEMS",
    "MAX_LONG_TEXT",
    "MAX_NARRATION_TEXT",
    "MAX_SCENES",
    "MAX_SHORT_TEXT",
    "MIN_DURATION_S",
    "NAMED_ACCENTS",
    "SCENE_TYPES",
    "AdRole",
    "AdScene",
    "CheckpointScene",
    "ClipScene",
    "CodeComparisonScene",
    "CodeText",
    "CommandScene",
    "DurationS",
    "ExerciseScene",
    "Infographic",
    "InfographicKind",
    "LearningObjectivesScene",
    "ListItem",
    "ListScene",
    "LongText",
    "NarrationText",
    "OutroScene",
    "ProblemScene",
    "QuizScene",
    "QuoteScene",
    "Scene",
    "SceneBase",
    "ShortText",
    "SolutionScene",
    "Theme",
    "TitleScene",
    "VideoFormat",
    "VideoSpec",
    "build_spec",
    "hex_to_rgb",
    "parse_color",
    "spec_error",
]
