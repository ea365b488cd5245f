"""LLM narration and the creative-director critique, both optional on top of the rules.

* :func:`llm_script_stage` asks a :class:`~pipeline.ai.base.StructuredGenerator` for one
  narration per scene (validated JSON), and falls back to :func:`pipeline.narration.script_stage`
  for the whole spec when paid AI is blocked, out of quota or failing, and per scene when one
  answer is unusable. The LLM only fills the narration slots: scenes are never added, removed,
  reordered or changed, and author-written narration (including an explicit empty string,
  meaning silence) is kept as the rules keep it.
* :func:`critique` asks for concrete edits ("scene 3 drags — cut 0.5 s" → a ``trim`` of
  -0.5 s) and :func:`apply_edits` applies them to a spec in one go: each edit is validated on its
  own, and an edit that does not fit is skipped with a note, never raised.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from pipeline.ai.base import PaidWorkBlocked, ProviderError, QuotaExhausted, StructuredGenerator
from pipeline.models import (
    MAX_DURATION_S,
    MAX_NARRATION_TEXT,
    MIN_DURATION_S,
    Scene,
    VideoSpec,
)
from pipeline.narration import clean_for_speech, script_stage
from pipeline.timeline import revealable_items

log = logging.getLogger(__name__)

ScriptSource = Literal["llm", "rules", "mixed"]
SceneSource = Literal["llm", "rules", "author"]

WORDS_PER_S = 2.5
"""Speaking rate used to turn a duration into a word budget (about 150 words a minute)."""

_NOT_CONTENT = frozenset(
    {
        "scene_type",
        "scene_id",
        "narration",
        "min_duration_s",
        "max_duration_s",
        "voice",
        "image_path",
        "text_lead_s",
    }
)
_NOT_REWRITABLE = frozenset(
    {"scene_type", "scene_id", "narration", "voice", "image_path", "cache_key", "template_id"}
)

SCRIPT_SYSTEM = (
    "You are a scriptwriter for short narrated videos. You write the voiceover for a storyboard "
    "whose structure is fixed: you never add, remove, merge or reorder scenes. Write plain "
    "spoken sentences: no Markdown, no emoji, no URLs, no code symbols. Where a scene lists "
    "items that appear one by one, mention every item, in order, using its own words, because "
    "each item appears on screen when it is first spoken."
)

CRITIQUE_SYSTEM = (
    "You are a demanding creative director reviewing a draft video storyboard. Give a few "
    "concrete, actionable edits, most important first: pacing (a scene that drags: trim it; a "
    "scene that rushes: extend it), a weak hook, vague or long narration, on-screen text that "
    "is too long. Each edit changes one scene. Do not propose adding, removing or reordering "
    "scenes. If the draft is good, return few or no edits."
)


# --- LLM narration ------------------------------------------------------------------------


class NarrationItem(BaseModel):
    """One scene's narration as the LLM returns it."""

    model_config = ConfigDict(extra="ignore")

    index: int = Field(ge=0, description="the scene's index, as given in the storyboard")
    text: str = Field(max_length=MAX_NARRATION_TEXT, description="what the voice says")


class NarrationScript(BaseModel):
    """The LLM's answer: ``{"narrations": [{"index": i, "text": ...}, ...]}``."""

    model_config = ConfigDict(extra="ignore")

    narrations: list[NarrationItem]


@dataclass(frozen=True)
class ScriptResult:
    """Narration per scene and where it came from.

    Attributes:
        narrations: one text per scene, in order (``""`` = silent scene).
        source: ``"llm"`` (every generated scene came from the LLM), ``"rules"`` (the LLM was
            not used: blocked, failed, or no scene needed it) or ``"mixed"`` (per-scene
            fallbacks).
        scene_sources: per scene: ``"llm"``, ``"rules"`` or ``"author"`` (the spec's own text).
        notes: what happened, for the job log (never contains secrets).
    """

    narrations: list[str]
    source: ScriptSource
    scene_sources: list[SceneSource]
    notes: list[str] = field(default_factory=list)


def _script_schema(indices: Sequence[int]) -> type[NarrationScript]:
    """A :class:`NarrationScript` that also insists on exactly ``indices``, once each."""
    expected = sorted(indices)

    def _matches(self: NarrationScript) -> NarrationScript:
        got = sorted(item.index for item in self.narrations)
        if got != expected:
            raise ValueError(
                f"expected exactly one narration for each scene index {expected}, got {got}"
            )
        return self

    return create_model(
        "NarrationScript",
        __base__=NarrationScript,
        # pydantic types __validators__ as callables, but documents passing decorated
        # validators, which are descriptor proxies (pydantic/pydantic#13834)
        __validators__={
            "_matches": cast("Callable[..., Any]", model_validator(mode="after")(_matches))
        },
        narrations=(
            list[NarrationItem],
            Field(min_length=len(expected), max_length=len(expected)),
        ),
    )


def _scene_content(scene: Scene) -> dict[str, Any]:
    data = scene.model_dump(mode="json", exclude_none=True, exclude=set(_NOT_CONTENT))
    return {key: value for key, value in data.items() if value not in ("", [], {})}


def _word_budget(scene: Scene) -> str:
    lo, hi = scene.min_duration_s, scene.max_duration_s
    if scene.scene_type == "ad":
        lo, hi = lo or 2.0, hi or 3.0
    if hi is not None:
        return f"at most about {max(3, int(hi * WORDS_PER_S))} words"
    if lo is not None:
        return f"at least about {int(lo * WORDS_PER_S)} words"
    return "one to three sentences"


def script_prompt(spec: VideoSpec, indices: Sequence[int]) -> str:
    """The request for narration of the scenes at ``indices`` (the others are shown as context)."""
    wanted = set(indices)
    scenes = []
    for index, scene in enumerate(spec.scenes):
        entry: dict[str, Any] = {"index": index, "scene_type": scene.scene_type}
        entry["content"] = _scene_content(scene)
        if index in wanted:
            entry["write_narration"] = True
            entry["length"] = _word_budget(scene)
            items = revealable_items(scene)
            if items:
                entry["mention_in_order"] = items
        else:
            entry["write_narration"] = False
        scenes.append(entry)
    storyboard = {
        "title": spec.title,
        "description": spec.description,
        "language": spec.language,
        "format": spec.format.value,
        "scenes": scenes,
    }
    return (
        f"Write the narration for the scenes marked write_narration=true, in the language "
        f"'{spec.language}'. Scenes marked false keep their own narration; they are shown only "
        "for context. Return one entry per marked scene with its index.\n\n"
        f"Storyboard:\n{json.dumps(storyboard, ensure_ascii=False, indent=1)}"
    )


def llm_script_stage(
    spec: VideoSpec, generator: StructuredGenerator | None, *, template_id: str | None = None
) -> ScriptResult:
    """One narration per scene: the LLM's where it can, the rules' where it cannot.

    Scenes with their own ``narration`` keep it (cleaned, as :func:`script_stage` does); the LLM
    writes the rest. Every LLM text is cleaned with :func:`clean_for_speech` and must be at most
    :data:`~pipeline.models.MAX_NARRATION_TEXT` characters (checked by the schema, with one
    repair request inside the generator).

    Args:
        spec: the video.
        generator: the LLM, or ``None`` for rules only.
        template_id: passed to the generator (first paid use of a template needs approval).

    Returns:
        A :class:`ScriptResult`; never raises for provider trouble (PaidWorkBlocked,
        QuotaExhausted and ProviderError all fall back to the rules, with a note).
    """
    rules = script_stage(spec)
    sources: list[SceneSource] = [
        "author" if scene.narration is not None else "rules" for scene in spec.scenes
    ]
    wanted = [i for i, scene in enumerate(spec.scenes) if scene.narration is None]
    if generator is None or not wanted:
        note = "no LLM configured" if generator is None else "every scene has its own narration"
        return ScriptResult(rules, "rules", sources, [f"narration by rules: {note}"])

    try:
        answer = generator.generate(
            system=SCRIPT_SYSTEM,
            prompt=script_prompt(spec, wanted),
            schema=_script_schema(wanted),
            template_id=template_id,
        )
    except (PaidWorkBlocked, QuotaExhausted, ProviderError) as error:
        kind = type(error).__name__
        note = f"narration by rules: the LLM was not used ({kind}: {error.message})"
        log.info("%s", note)
        return ScriptResult(rules, "rules", sources, [note])

    narrations = list(rules)
    notes: list[str] = []
    by_index = {item.index: item.text for item in answer.narrations}
    for index in wanted:
        text = clean_for_speech(by_index.get(index, ""), language=spec.language)
        if not text:
            notes.append(f"scene {index + 1}: the LLM's narration was empty; used the rules")
            continue
        narrations[index] = text
        sources[index] = "llm"
    used = sum(1 for index in wanted if sources[index] == "llm")
    source: ScriptSource = "llm" if used == len(wanted) else ("rules" if used == 0 else "mixed")
    notes.insert(0, f"narration by LLM for {used} of {len(wanted)} scenes")
    return ScriptResult(narrations, source, sources, notes)


# --- critique -----------------------------------------------------------------------------

EditKind = Literal["trim", "extend", "rewrite_narration", "rewrite_field"]


class Edit(BaseModel):
    """One concrete change proposed by the creative director.

    Attributes:
        scene_index: 0-based index of the scene it changes.
        kind: ``"trim"`` / ``"extend"`` (change the scene's length by ``delta_s``),
            ``"rewrite_narration"`` (``new_value`` is the new narration) or ``"rewrite_field"``
            (``field`` of that scene type gets ``new_value``, e.g. ``headline``).
        field: the field name for ``rewrite_field``.
        new_value: the new text for the rewrites.
        delta_s: seconds to add (extend, > 0) or remove (trim, < 0).
        reason: one line the UI shows ("scene 3 drags — cut 0.5 s").
    """

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    scene_index: int = Field(ge=0)
    kind: EditKind
    field: str | None = Field(default=None, max_length=64)
    new_value: str | None = Field(default=None, max_length=MAX_NARRATION_TEXT)
    delta_s: float | None = Field(default=None, ge=-60.0, le=60.0)
    reason: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _complete(self) -> Edit:
        if self.kind in ("trim", "extend"):
            if not self.delta_s:
                raise ValueError(f"a {self.kind} edit needs a non-zero delta_s")
            # Accept either sign from the model; the kind says which way.
            magnitude = abs(self.delta_s)
            self.delta_s = -magnitude if self.kind == "trim" else magnitude
        elif self.new_value is None:
            raise ValueError(f"a {self.kind} edit needs new_value")
        if self.kind == "rewrite_field" and not self.field:
            raise ValueError("a rewrite_field edit needs the field name")
        return self


class Critique(BaseModel):
    """The critique as the LLM returns it."""

    model_config = ConfigDict(extra="ignore")

    edits: list[Edit] = Field(default_factory=list, max_length=20)


@dataclass(frozen=True)
class EditReport:
    """What :func:`apply_edits_report` did."""

    spec: VideoSpec
    applied: list[Edit]
    skipped: list[tuple[Edit, str]]

    @property
    def notes(self) -> list[str]:
        """One line per skipped edit, saying why."""
        return [
            f"skipped {edit.kind} of scene {edit.scene_index + 1}: {why}"
            for edit, why in self.skipped
        ]


def critique_prompt(spec: VideoSpec, durations_s: Sequence[float] | None = None) -> str:
    """The storyboard as the creative director sees it (with narration and lengths)."""
    narrations = script_stage(spec)
    scenes = []
    for index, scene in enumerate(spec.scenes):
        entry: dict[str, Any] = {
            "index": index,
            "scene_type": scene.scene_type,
            "content": _scene_content(scene),
            "narration": narrations[index],
            "rewritable_fields": _rewritable_fields(scene),
        }
        if durations_s is not None and index < len(durations_s):
            entry["duration_s"] = round(durations_s[index], 2)
        else:
            entry["estimated_duration_s"] = round(
                _estimated_duration_s(scene, narrations[index]), 1
            )
        scenes.append(entry)
    storyboard = {"title": spec.title, "format": spec.format.value, "scenes": scenes}
    return (
        "Review this storyboard. Scene indices are 0-based. Use kind 'trim' or 'extend' with "
        "delta_s in seconds (trim negative), 'rewrite_narration' with new_value, or "
        "'rewrite_field' with a field from that scene's rewritable_fields and new_value. Give "
        "each edit a short reason.\n\n"
        f"Storyboard:\n{json.dumps(storyboard, ensure_ascii=False, indent=1)}"
    )


def critique(
    spec: VideoSpec,
    generator: StructuredGenerator,
    *,
    durations_s: Sequence[float] | None = None,
    template_id: str | None = None,
) -> list[Edit]:
    """A creative-director pass: concrete edits that :func:`apply_edits` can apply.

    Edits that would not apply to ``spec`` (scene out of range, unknown field, invalid value)
    are dropped here already, so the UI only offers what works.

    Args:
        spec: the draft.
        generator: the LLM.
        durations_s: the measured scene lengths of the last render, if any (better pacing
            advice than the estimate from word counts).
        template_id: passed to the generator.

    Raises:
        PaidWorkBlocked / QuotaExhausted / ProviderError: there is no offline critique, so the
            caller shows the error.
    """
    answer = generator.generate(
        system=CRITIQUE_SYSTEM,
        prompt=critique_prompt(spec, durations_s),
        schema=Critique,
        template_id=template_id,
    )
    report = apply_edits_report(spec, answer.edits, durations_s=durations_s)
    for note in report.notes:
        log.info("critique: %s", note)
    return report.applied


def apply_edits(
    spec: VideoSpec, edits: Sequence[Edit], *, durations_s: Sequence[float] | None = None
) -> VideoSpec:
    """``spec`` with ``edits`` applied in order; edits that do not fit are skipped (logged).

    See :func:`apply_edits_report` for the rules and for the list of what was skipped.
    """
    report = apply_edits_report(spec, edits, durations_s=durations_s)
    for note in report.notes:
        log.info("%s", note)
    return report.spec


def apply_edits_report(
    spec: VideoSpec, edits: Sequence[Edit], *, durations_s: Sequence[float] | None = None
) -> EditReport:
    """Apply ``edits`` one by one, each validated with the whole spec; never raises for an edit.

    * ``trim``: the scene's ``max_duration_s`` becomes its current length + ``delta_s``
      (at least 0.5 s); ``min_duration_s`` is lowered to match if needed. Narration is never
      cut, so a trim below the spoken length only removes padding.
    * ``extend``: ``min_duration_s`` becomes the current length + ``delta_s`` (at most 300 s);
      ``max_duration_s`` is raised to match if needed.
    * The current length is ``durations_s[i]`` when given, else the scene's bound in the
      direction of the change, else an estimate from the narration's word count.
    * ``rewrite_narration`` sets the scene's ``narration``; ``rewrite_field`` sets a text field
      that exists on that scene type (not ids, paths, voice or lists: the structure stays).

    Returns:
        The new spec, the edits applied and the edits skipped with the reason.
    """
    current = spec
    applied: list[Edit] = []
    skipped: list[tuple[Edit, str]] = []
    for edit in edits:
        try:
            current = _apply_one(current, edit, durations_s)
        except _EditRejected as why:
            skipped.append((edit, str(why)))
            continue
        applied.append(edit)
    return EditReport(current, applied, skipped)


class _EditRejected(ValueError):
    """An edit that does not fit the spec (the message says why)."""


def _rewritable_fields(scene: Scene) -> list[str]:
    names = []
    for name, info in type(scene).model_fields.items():
        if name in _NOT_REWRITABLE or name in ("min_duration_s", "max_duration_s"):
            continue
        value = getattr(scene, name)
        if isinstance(value, str) or (value is None and info.annotation in (str, str | None)):
            names.append(name)
    return names


def _estimated_duration_s(scene: Scene, narration: str) -> float:
    spoken = len(narration.split()) / WORDS_PER_S + 0.5
    if scene.min_duration_s is not None:
        spoken = max(spoken, scene.min_duration_s)
    if scene.max_duration_s is not None and not narration:
        spoken = min(spoken, scene.max_duration_s)
    return min(max(spoken, MIN_DURATION_S), MAX_DURATION_S)


def _apply_one(spec: VideoSpec, edit: Edit, durations_s: Sequence[float] | None) -> VideoSpec:
    index = edit.scene_index
    if index >= len(spec.scenes):
        raise _EditRejected(f"there is no scene {index + 1} (the video has {len(spec.scenes)})")
    scene = spec.scenes[index]
    data = spec.model_dump(mode="python")
    scene_data = data["scenes"][index]

    if edit.kind in ("trim", "extend"):
        assert edit.delta_s is not None  # guaranteed by Edit's validator
        base = _current_length_s(spec, index, edit, durations_s)
        target = min(max(base + edit.delta_s, MIN_DURATION_S), MAX_DURATION_S)
        target = round(target, 3)
        if edit.kind == "trim":
            scene_data["max_duration_s"] = target
            if scene.min_duration_s is not None and scene.min_duration_s > target:
                scene_data["min_duration_s"] = target
        else:
            scene_data["min_duration_s"] = target
            if scene.max_duration_s is not None and scene.max_duration_s < target:
                scene_data["max_duration_s"] = target
    elif edit.kind == "rewrite_narration":
        scene_data["narration"] = edit.new_value
    else:
        name = edit.field or ""
        if name not in _rewritable_fields(scene):
            allowed = ", ".join(_rewritable_fields(scene)) or "none"
            raise _EditRejected(
                f"a {scene.scene_type} scene has no rewritable field {name!r} (it has: {allowed})"
            )
        scene_data[name] = edit.new_value
    try:
        return VideoSpec.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())[2:]) or "scene"
        raise _EditRejected(f"{where}: {first.get('msg', 'invalid value')}") from None


def _current_length_s(
    spec: VideoSpec, index: int, edit: Edit, durations_s: Sequence[float] | None
) -> float:
    if durations_s is not None and index < len(durations_s) and durations_s[index] > 0:
        return float(durations_s[index])
    scene = spec.scenes[index]
    bound = scene.max_duration_s if edit.kind == "trim" else scene.min_duration_s
    if bound is not None:
        return bound
    return _estimated_duration_s(scene, script_stage(spec)[index])
