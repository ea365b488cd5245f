"""The data model of a video: :class:`VideoSpec` and its scenes.

A ``VideoSpec`` is what every adapter produces and every later stage consumes. Scenes form a
discriminated union on ``scene_type`` (the 12 scene types of the ``video_gen`` project).

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

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError

from pipeline.errors import InputError

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

    scene_id: ShortText | None = None
    narration: NarrationText | None = None
    min_duration_s: DurationS | None = None
    max_duration_s: DurationS | None = None
    voice: ShortText | None = None

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


class TitleScene(SceneBase):
    """Opening card: a big title and a subtitle."""

    scene_type: Literal["title"] = "title"
    title: ShortText = Field(min_length=1)
    subtitle: ShortText = ""


class CommandScene(SceneBase):
    """Terminal commands with a header and a description."""

    scene_type: Literal["command"] = "command"
    header: ShortText = Field(min_length=1)
    description: LongText = ""
    commands: list[ShortText] = Field(default_factory=list, max_length=MAX_ITEMS)
    language: ShortText = "bash"
    """Pygments lexer name for syntax colouring (``bash``, ``python``, ``text``, …)."""


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


class CodeComparisonScene(SceneBase):
    """Before / after code side by side (stacked in 9:16)."""

    scene_type: Literal["code_comparison"] = "code_comparison"
    header: ShortText = Field(min_length=1)
    before_code: CodeText = Field(min_length=1)
    after_code: CodeText = Field(min_length=1)
    before_label: ShortText = "Before"
    after_label: ShortText = "After"
    improvement: LongText = ""
    language: ShortText = "python"


class QuoteScene(SceneBase):
    """A large quotation with its attribution."""

    scene_type: Literal["quote"] = "quote"
    quote_text: LongText = Field(min_length=1)
    attribution: ShortText = ""
    context: ShortText = ""


class OutroScene(SceneBase):
    """Closing card: a main line and a call to action."""

    scene_type: Literal["outro"] = "outro"
    main_text: ShortText = Field(min_length=1)
    sub_text: ShortText = ""


class LearningObjectivesScene(SceneBase):
    """Lesson title and numbered objectives."""

    scene_type: Literal["learning_objectives"] = "learning_objectives"
    lesson_title: ShortText = Field(min_length=1)
    objectives: list[ShortText] = Field(min_length=1, max_length=MAX_ITEMS)
    duration_min: int | None = Field(default=None, ge=1, le=10_000)
    difficulty: ShortText = ""


class ProblemScene(SceneBase):
    """A problem statement to solve."""

    scene_type: Literal["problem"] = "problem"
    title: ShortText = Field(min_length=1)
    problem_text: LongText = Field(min_length=1)
    difficulty: ShortText = ""


class SolutionScene(SceneBase):
    """A solution: code and an explanation."""

    scene_type: Literal["solution"] = "solution"
    title: ShortText = Field(min_length=1)
    code: CodeText = ""
    explanation: LongText = ""
    language: ShortText = "python"

    @model_validator(mode="after")
    def _has_content(self) -> SolutionScene:
        if not self.code.strip() and not self.explanation.strip():
            raise ValueError("a solution scene needs code or an explanation")
        return self


class QuizScene(SceneBase):
    """A multiple-choice question; the correct answer is revealed after the narration."""

    scene_type: Literal["quiz"] = "quiz"
    question: LongText = Field(min_length=1)
    options: list[ShortText] = Field(min_length=2, max_length=6)
    correct_index: int = Field(default=0, ge=0)
    show_answer: bool = True

    @model_validator(mode="after")
    def _index_in_range(self) -> QuizScene:
        if self.correct_index >= len(self.options):
            raise ValueError(
                f"correct_index {self.correct_index} is outside the {len(self.options)} options"
            )
        return self


class CheckpointScene(SceneBase):
    """Progress checkpoint: completed topics, review questions, what comes next."""

    scene_type: Literal["checkpoint"] = "checkpoint"
    checkpoint_number: int = Field(default=1, ge=1, le=999)
    completed_topics: list[ShortText] = Field(default_factory=list, max_length=MAX_ITEMS)
    review_questions: list[ShortText] = Field(default_factory=list, max_length=MAX_ITEMS)
    next_topics: list[ShortText] = Field(default_factory=list, max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _has_content(self) -> CheckpointScene:
        if not (self.completed_topics or self.review_questions or self.next_topics):
            raise ValueError("a checkpoint scene needs at least one topic or question")
        return self


class ExerciseScene(SceneBase):
    """A practice exercise: title, numbered instructions, optional hints."""

    scene_type: Literal["exercise"] = "exercise"
    title: ShortText = Field(min_length=1)
    instructions: list[ShortText] = Field(min_length=1, max_length=MAX_ITEMS)
    difficulty: ShortText = ""
    estimated_time: ShortText = ""
    hints: list[ShortText] = Field(default_factory=list, max_length=MAX_ITEMS)


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


AdRole = Literal["hook", "problem", "agitate", "reveal", "demo", "benefit", "proof", "offer", "cta"]


class AdScene(SceneBase):
    """A short-form ad beat (2–3 s): big on-screen text, optional product image.

    On-screen text appears ``text_lead_s`` (default 0.3 s) before the voice; the product and
    the text are visible within the first second of the video.

    Attributes:
        role: the beat in the archetype's structure (hook, problem, reveal, …, cta).
        headline: the on-screen text (short, bold).
        body: optional smaller line.
        image_path: a validated product image (PNG/JPEG/WebP), if any.
        text_lead_s: how long before the narration the text is on screen.
    """

    scene_type: Literal["ad"] = "ad"
    role: AdRole = "hook"
    headline: ShortText = Field(min_length=1)
    body: ShortText = ""
    image_path: Annotated[str, StringConstraints(max_length=1024)] | None = None
    text_lead_s: float = Field(default=0.3, ge=0.0, le=1.0)


Scene = Annotated[
    TitleScene
    | CommandScene
    | ListScene
    | CodeComparisonScene
    | QuoteScene
    | OutroScene
    | LearningObjectivesScene
    | ProblemScene
    | SolutionScene
    | QuizScene
    | CheckpointScene
    | ExerciseScene
    | ClipScene
    | AdScene,
    Field(discriminator="scene_type"),
]
"""Any scene; pydantic picks the class from ``scene_type``."""

SCENE_TYPES: tuple[str, ...] = (
    "title",
    "command",
    "list",
    "code_comparison",
    "quote",
    "outro",
    "learning_objectives",
    "problem",
    "solution",
    "quiz",
    "checkpoint",
    "exercise",
    "clip",
    "ad",
)


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
    scenes: list[Scene] = Field(min_length=1, max_length=MAX_SCENES)

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
