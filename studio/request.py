"""The one render request: what to render, where, and how — built by one function.

Every way of starting a render (``videostudio render``, ``queue add``, the studio's Render
button, the wizard, the preview) builds a :class:`RenderRequest` with
:func:`build_render_request` from three things, so a setting means the same everywhere:

1. the **saved settings** (:class:`~studio.settings.StudioSettings`: encoder, offline,
   output folder, default voice/language/format, paid-AI switches, …);
2. the **project** (its :class:`~pipeline.models.VideoSpec`): what a document, a YAML file
   or a template says itself — its format, transitions, captions, voice and theme — wins
   over the settings' defaults (a field the source set is in ``spec.model_fields_set``);
3. **explicit overrides** (:class:`RenderOverrides`: command-line options, or what the user
   changed in the wizard): they win over both.

The request is versioned (:data:`REQUEST_SCHEMA_VERSION`) and stored as a render job's input;
:func:`load_request` migrates older payloads, so a job queued by an older Video Studio still
runs. Adding an option: a field on :class:`~pipeline.render_job.RenderOptions` (how to render)
with a default, a field on :class:`RenderOverrides` (and its CLI flag in ``studio.cli``), and
a line in :func:`build_render_request` that resolves it (override > settings).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.condense import condense_spec
from pipeline.errors import InputError
from pipeline.models import (
    SPEC_SCHEMA_VERSION,
    ClipScene,
    VideoFormat,
    VideoSpec,
    build_spec,
    migrate_spec,
    spec_error,
)
from pipeline.preflight import check_not_a_folder
from pipeline.render.backdrop import BACKDROP_SCENE_TYPES
from pipeline.render_job import RenderOptions
from pipeline.speech.voices import override_voice
from studio.paid import PaidChoices
from studio.settings import StudioSettings

LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
"""A language code as :class:`~pipeline.models.VideoSpec` accepts it."""

REQUEST_SCHEMA_VERSION = 1
"""Layout version of a stored :class:`RenderRequest` (see :func:`migrate_request`)."""


class RenderOverrides(BaseModel):
    """The user's explicit choices for one render: ``None`` means "not chosen" (the project's
    own value, else the setting, applies).

    Attributes:
        title / format / voice / language / captions / accent / transition_s: spec fields.
        encoder: force an encoder (``auto``, ``x264``, ``nvenc``, …).
        caption_style: burned-in caption look (``highlight`` or ``plain``).
        offline: never use the network.
        llm / ai_clips / ai_images: paid AI for this render (else the settings' switches).
        template_id: the template the video came from (approvals, cost records).
        languages: every language asked for (``--lang es,de,fr``): one video each, the text
            translated first; ``language`` is the first. Only explicit choices translate: a
            settings default language never does.
        translate: translate the text to the asked languages (default on).
        duration_s: condense the video to about this many seconds (±15 %); ``None``: the
            setting (``target_duration_s``), else the whole document.
        full_length: ``True`` renders every scene even when the setting names a target
            length (the wizard's "Full" choice); ignored when ``duration_s`` is given.
        keep_scene_voices: with ``voice``, scenes that pin a voice keep it.
        offline_voice / loudness_lufs / music / music_level_db: sound options
            (:class:`~pipeline.render_job.RenderOptions`).
        exports: extra outputs for video editors (``"otio"``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str | None = None
    format: VideoFormat | None = None
    voice: str | None = None
    language: str | None = None
    captions: bool | None = None
    accent: str | None = None
    transition_s: float | None = None
    encoder: str | None = None
    caption_style: Literal["highlight", "plain"] | None = None
    offline: bool | None = None
    llm: bool | None = None
    ai_clips: bool | None = None
    ai_images: bool | None = None
    template_id: str | None = None
    languages: tuple[str, ...] | None = None
    translate: bool | None = None
    duration_s: float | None = Field(default=None, gt=0, le=36_000)
    full_length: bool | None = None
    keep_scene_voices: bool | None = None
    offline_voice: str | None = None
    loudness_lufs: float | None = None
    music: str | None = None
    music_level_db: float | None = None
    exports: tuple[Literal["otio"], ...] | None = None

    def asked_languages(self) -> tuple[str, ...]:
        """The languages the user asked for, in order, without repeats (may be empty)."""
        asked = self.languages or ((self.language,) if self.language else ())
        seen: list[str] = []
        for code in asked:
            if code and code not in seen:
                seen.append(code)
        return tuple(seen)

    def spec_changes(self) -> dict[str, Any]:
        """The spec fields these overrides set (``accent`` goes into the theme)."""
        changes: dict[str, Any] = {}
        for name in ("title", "format", "voice", "language", "captions", "transition_s"):
            value = getattr(self, name)
            if value is not None:
                changes[name] = value
        asked = self.asked_languages()
        if asked:
            changes["language"] = asked[0]
        return changes


class RenderRequest(BaseModel):
    """A render job's whole input: the versioned, typed request.

    Attributes:
        schema_version: :data:`REQUEST_SCHEMA_VERSION`.
        spec: what to render (settings defaults and overrides already applied).
        output: the target ``.mp4`` (absolute); thumbnail, subtitles and metadata go beside it.
        options: how to render (encoder, speech, …).
        paid: which paid AI the render may use.
        source: the document it came from, if any.
        project_id: the project it belongs to, if any.
        notes: what the user should know about how the request was made (the video was
            condensed to a target length); not used by the render.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    spec: VideoSpec
    output: Path
    options: RenderOptions = Field(default_factory=RenderOptions)
    paid: PaidChoices = Field(default_factory=PaidChoices)
    source: Path | None = None
    project_id: int | None = None
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """As stored in the job queue (the spec carries its own schema version)."""
        data = self.model_dump(mode="json")
        data["spec_version"] = SPEC_SCHEMA_VERSION
        return data


def slug(title: str) -> str:
    """A file-name-safe version of ``title`` (at most 60 characters; ``"video"`` if empty)."""
    text = re.sub(r"[^\w\-]+", "-", title.strip().lower()).strip("-")
    return text[:60] or "video"


def with_setting_defaults(settings: StudioSettings, spec: VideoSpec) -> VideoSpec:
    """``spec`` with the settings' defaults (voice, language, format, captions) in the fields
    its source did not set itself (those not in ``spec.model_fields_set``). Fields the source
    set — a YAML file's voice, a template's 9:16 — are kept. The result counts every field as
    set (a saved project keeps its values).
    """
    data = spec.model_dump(mode="json")
    given = spec.model_fields_set
    defaults: dict[str, Any] = {
        "voice": settings.default_voice,
        "language": settings.default_language,
        "format": settings.default_format.value,
        "captions": settings.captions,
    }
    for name, value in defaults.items():
        if name not in given:
            data[name] = value
    return build_spec(data, source="settings")


def build_render_request(
    settings: StudioSettings,
    spec: VideoSpec,
    *,
    overrides: RenderOverrides | None = None,
    output: Path | None = None,
    default_output_dir: Path | None = None,
    source: Path | None = None,
    project_id: int | None = None,
    condense: bool = True,
) -> RenderRequest:
    """The one place a render request is made.

    Precedence, field by field: ``overrides`` > what the source itself set (the fields in
    ``spec.model_fields_set``) > the settings' defaults > the model's defaults.

    Args:
        settings: the studio's settings in effect.
        spec: the project's spec, as its source made it.
        overrides: the user's explicit choices.
        output: the target file; default: ``<folder>/<slug of the title>.mp4`` where the
            folder is the settings' output folder, else ``default_output_dir`` (the command
            line passes the current folder, the desktop studio the user's Videos folder).
        default_output_dir: see ``output``.
        source: the document the spec came from.
        project_id: the project it belongs to.
        condense: condense the spec to the target duration (the override's, else the
            setting's); ``False`` keeps every scene and decides everything else as the
            render would (the studio's preview shows the document's own scenes this way).

    Raises:
        InputError: an override does not validate (the message names the field), or the
            output names a folder.
    """
    overrides = overrides or RenderOverrides()
    data = with_setting_defaults(settings, spec).model_dump(mode="json")
    data.update(overrides.spec_changes())
    if overrides.accent is not None:
        data["theme"] = {**data["theme"], "accent_color": overrides.accent}
    resolved = build_spec(data, source="render options")
    notes: list[str] = []
    if overrides.duration_s is not None:
        target_s: float | None = overrides.duration_s
    elif overrides.full_length:
        target_s = None
    else:
        target_s = settings.target_duration_s
    if target_s is not None and condense:
        condensed = condense_spec(resolved, target_s)
        resolved, notes = condensed.spec, list(condensed.notes)
    if overrides.voice is not None:  # --voice: every scene, unless it pins one and is kept
        resolved = override_voice(
            resolved, overrides.voice, keep_scene_voices=bool(overrides.keep_scene_voices)
        )

    encoder = overrides.encoder if overrides.encoder is not None else settings.encoder
    offline = overrides.offline if overrides.offline is not None else settings.offline
    languages = overrides.asked_languages()
    for code in languages[1:]:  # the first was validated with the spec
        if not LANGUAGE_CODE.match(code):
            raise InputError(
                f"invalid language code {code!r} in the render options",
                hint="use codes such as ja, es, de, pt-BR (see `videostudio voices`)",
            )
    sound: dict[str, Any] = {}
    for name in ("offline_voice", "loudness_lufs", "music", "music_level_db"):
        # the user's choice > what the source says (a project's or YAML file's music) > settings
        chosen = getattr(overrides, name)
        if chosen is None and name in ("music", "music_level_db"):
            chosen = getattr(resolved, name)
        sound[name] = chosen if chosen is not None else getattr(settings, name)
    if isinstance(sound["music"], str) and sound["music"].strip().lower() in ("none", "off", ""):
        sound["music"] = None  # "none": no music, whatever the settings say
    caption_style = overrides.caption_style or settings.caption_style
    try:
        options = RenderOptions(
            encoder=encoder,
            speech_mode="offline" if offline else "auto",
            caption_style=caption_style,
            exports=overrides.exports or (),
            languages=languages,
            translate=overrides.translate if overrides.translate is not None else True,
            **sound,
        )
    except ValidationError as error:
        raise spec_error(error, source="render options") from error
    ai = settings.ai
    paid = PaidChoices(
        llm=overrides.llm if overrides.llm is not None else ai.llm_enabled,
        ai_clips=overrides.ai_clips if overrides.ai_clips is not None else ai.video_clips_enabled,
        template_id=overrides.template_id,
        ai_images=overrides.ai_images if overrides.ai_images is not None else ai.image_enabled,
    )
    has_clips = any(isinstance(scene, ClipScene) for scene in resolved.scenes)
    if overrides.ai_clips and not has_clips:
        notes.append(
            "AI clips were asked for, but they are made only for clip scenes (persona and "
            "topic templates, YAML `clip` scenes) and this video has none: no clip is generated"
        )
    if (
        overrides.ai_images
        and not has_clips
        and not any(scene.scene_type in BACKDROP_SCENE_TYPES for scene in resolved.scenes)
    ):
        notes.append(
            "AI images were asked for, but they are made only for clip scenes and for the "
            "background of title, list, quote and similar scenes (not code scenes), and this "
            "video has none: no image is generated"
        )
    if output is None:
        folder = settings.output_dir or default_output_dir or Path.cwd()
        output = folder / f"{slug(resolved.title)}.mp4"
    output = Path(output).expanduser()
    check_not_a_folder(output)  # before the suffix: `-o videos` is not `videos.mp4`
    if output.suffix.lower() != ".mp4":
        output = output.with_suffix(".mp4")
    return RenderRequest(
        spec=resolved,
        output=output.resolve(),
        options=options,
        paid=paid,
        source=source.resolve() if source is not None else None,
        project_id=project_id,
        notes=tuple(notes),
    )


def _v0_to_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Payloads queued before requests were versioned: ``{"spec", "output", "source",
    "paid", "options"}`` with the options' old field set."""
    data = dict(data)
    data["schema_version"] = 1
    data.setdefault("options", {})
    data.setdefault("paid", {})
    return data


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _v0_to_v1}
"""``n`` → function that upgrades a version-``n`` payload to version ``n + 1``."""


def migrate_request(data: Mapping[str, Any]) -> dict[str, Any]:
    """Upgrade a stored request of any older version to :data:`REQUEST_SCHEMA_VERSION`.

    Raises:
        InputError: the payload comes from a newer Video Studio, or is not a request.
    """
    payload = dict(data)
    version = payload.get("schema_version", 0)
    if not isinstance(version, int) or version < 0:
        raise InputError(
            f"the render request has an invalid schema_version {version!r}",
            hint="queue the render again",
        )
    if version > REQUEST_SCHEMA_VERSION:
        raise InputError(
            f"the render request was written by a newer Video Studio (version {version}; "
            f"this one understands up to {REQUEST_SCHEMA_VERSION})",
            hint="update Video Studio to run this job",
        )
    while version < REQUEST_SCHEMA_VERSION:
        payload = MIGRATIONS[version](payload)
        version += 1
    spec = payload.get("spec")
    if isinstance(spec, Mapping):
        payload["spec"] = migrate_spec(dict(spec), int(payload.pop("spec_version", 1)))
    else:
        payload.pop("spec_version", None)
    return payload


def load_request(data: Mapping[str, Any], *, source: str = "job") -> RenderRequest:
    """A stored request, migrated and validated.

    Raises:
        InputError: the payload is damaged or from a newer version (the message says which
            field, and ``source`` names the job).
    """
    try:
        return RenderRequest.model_validate(migrate_request(data))
    except ValidationError as error:
        raise spec_error(error, source=source) from error
