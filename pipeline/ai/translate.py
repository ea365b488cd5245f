"""Translate a video's text to another language with the configured LLM, governed by the budget.

``--lang L`` on a source written in another language: :func:`translate_spec` detects the
source language (:func:`detect_language`, py3langid restricted to the voice table), and when it
differs from ``L`` asks a :class:`~pipeline.ai.base.StructuredGenerator` (any LLM provider of
:mod:`pipeline.ai.llm`: Anthropic, OpenAI or any OpenAI-compatible endpoint, including a local
Ollama or LM Studio server without a key) to translate every on-screen text and every
author-written narration. Rules narration is then written in ``L`` from the translated content
with ``L``'s phrase catalog, and captions follow the narration.

What is translated: titles, subtitles, headers, descriptions, list items, objectives, quiz
questions and options, labels, quotes (not their attribution), explanations, instructions,
hints, headlines, bodies, infographic titles and labels, and explicit narration. What is not:
code, commands, programming-language names, clip prompts (video models take English best),
voices, ids, paths.

Every request goes through the generator's governor (estimate → reserve → settle), exactly
like LLM narration. Texts are sent in batches of at most :data:`MAX_BATCH_CHARS` characters; the
answer must give back every id (validated; one repair request on a bad answer, as for every
structured call).

When no LLM is configured, or the LLM is blocked (budget, approval, quota) or fails, nothing is
translated: the returned outcome carries a warning for the user, to show before rendering,
saying the text stays in its language and only the voice changes. Rules narration is then
written in the source language (so the voice reads one language, not a mix).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from pipeline.ai.base import PaidWorkBlocked, ProviderError, QuotaExhausted, StructuredGenerator
from pipeline.models import VideoSpec
from pipeline.speech.voices import VOICE_TABLE, normalize_language

log = logging.getLogger(__name__)

TRANSLATABLE_FIELDS = frozenset(
    {
        "title",
        "subtitle",
        "header",
        "description",
        "narration",
        "before_label",
        "after_label",
        "improvement",
        "quote_text",
        "context",
        "main_text",
        "sub_text",
        "lesson_title",
        "objectives",
        "difficulty",
        "problem_text",
        "explanation",
        "question",
        "options",
        "completed_topics",
        "review_questions",
        "next_topics",
        "instructions",
        "estimated_time",
        "hints",
        "headline",
        "body",
        "labels",
    }
)
"""Field names (at any depth of a spec) whose strings are text for people, not code or ids."""

_CONTAINERS = frozenset({"scenes", "items", "infographic"})
MAX_BATCH_CHARS = 2500
"""Most characters of source text per request (the answer must fit the output token limit)."""

TRANSLATE_SYSTEM = (
    "You are a professional translator of narrated explainer videos. You translate on-screen "
    "text and voiceover naturally and faithfully, as a native speaker of the target language "
    "would write it for screen and say it aloud. Keep product names, code identifiers, "
    "commands, file names, URLs and numbers as they are. Keep each translation about as long "
    "as its original: on-screen space is limited. Never add notes or explanations."
)

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class TextSlot:
    """One translatable string of a spec.

    Attributes:
        path: where it is in ``spec.model_dump(mode="json")`` (keys and list indices).
        text: the string.
    """

    path: Path
    text: str


@dataclass(frozen=True)
class TranslationOutcome:
    """The spec to render for one target language, and what the user must be told.

    Attributes:
        spec: the spec to render, with ``language`` set to the target.
        source_language: the detected (or given) language of the source text; ``None`` when
            it could not be told (too little text).
        target_language: the voice table key of the target.
        translated: whether the text was translated.
        warnings: messages for the user, to show before rendering (e.g. no LLM: only the
            voice changes).
        notes: what happened, for the job log (the cost of every request is in the
            governor's ledger).
    """

    spec: VideoSpec
    source_language: str | None
    target_language: str
    translated: bool
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


# --- what to translate -------------------------------------------------------------------


def translatable_texts(spec: VideoSpec) -> list[TextSlot]:
    """Every non-blank translatable string of ``spec`` in document order."""
    slots: list[TextSlot] = []

    def walk(value: Any, path: Path, translatable: bool) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in TRANSLATABLE_FIELDS or key in _CONTAINERS:
                    walk(item, (*path, key), key in TRANSLATABLE_FIELDS)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, (*path, index), translatable)
        elif isinstance(value, str) and translatable and value.strip():
            slots.append(TextSlot(path, value))

    walk(spec.model_dump(mode="json"), (), False)
    return slots


# --- source language -----------------------------------------------------------------------

_identifier_lock = threading.Lock()
_identifier: Any = None
_MIN_LETTERS = 12


def _language_identifier() -> Any:
    """py3langid's model restricted to the voice table's languages (loaded once, ~3 s)."""
    global _identifier
    with _identifier_lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            known = set(identifier.labels)
            wanted = {"no" if code == "nb" else code for code in VOICE_TABLE}
            identifier.set_languages(sorted(wanted & known))
            _identifier = identifier
        return _identifier


def detect_language(texts: Sequence[str]) -> str | None:
    """The voice table language ``texts`` are written in, or ``None`` if there is too little.

    Uses py3langid (a maintained fork of langid.py, naive Bayes over byte n-grams, 97
    languages) restricted to the 29 languages of the voice table; Norwegian ``no`` is
    reported as ``nb``. Fewer than 12 letters in all give ``None``.
    """
    text = " ".join(t for t in texts if t.strip())
    if sum(ch.isalpha() for ch in text) < _MIN_LETTERS:
        return None
    code, _probability = _language_identifier().classify(text)
    code = "nb" if code == "no" else str(code)
    return normalize_language(code)


def language_label(code: str | None) -> str:
    """``"Japanese"`` for ``"ja"``; the code itself for a language outside the table."""
    if code is None:
        return "its original language"
    row = VOICE_TABLE.get(normalize_language(code))
    return row.label if row is not None else code


# --- the LLM request -----------------------------------------------------------------------


class TranslatedItem(BaseModel):
    """One translated string as the LLM returns it."""

    model_config = ConfigDict(extra="ignore")

    id: int = Field(ge=0, description="the id of the text, as given")
    text: str = Field(description="the translation")


class Translations(BaseModel):
    """The LLM's answer: ``{"items": [{"id": 0, "text": "..."}, ...]}``."""

    model_config = ConfigDict(extra="ignore")

    items: list[TranslatedItem]


def _translations_schema(ids: Sequence[int]) -> type[Translations]:
    """A :class:`Translations` that insists on exactly ``ids``, once each, none blank."""
    expected = sorted(ids)

    def _matches(self: Translations) -> Translations:
        got = sorted(item.id for item in self.items)
        if got != expected:
            raise ValueError(f"expected exactly one translation for each id {expected}, got {got}")
        blank = [item.id for item in self.items if not item.text.strip()]
        if blank:
            raise ValueError(f"translations must not be empty (ids {blank})")
        return self

    return create_model(
        "Translations",
        __base__=Translations,
        # pydantic types __validators__ as callables, but documents passing decorated
        # validators, which are descriptor proxies (pydantic/pydantic#13834)
        __validators__={
            "_matches": cast("Callable[..., Any]", model_validator(mode="after")(_matches))
        },
        items=(list[TranslatedItem], Field(min_length=len(expected), max_length=len(expected))),
    )


def translation_prompt(
    slots: Sequence[tuple[int, TextSlot]], source: str | None, target: str
) -> str:
    """The request for one batch: the texts with their ids and what each one is."""
    texts = [
        {
            "id": index,
            "field": str(slot.path[-2] if isinstance(slot.path[-1], int) else slot.path[-1]),
            "text": slot.text,
        }
        for index, slot in slots
    ]
    source_name = language_label(source) if source else "the source language"
    return (
        f"Translate these texts of one video from {source_name} to {language_label(target)} "
        f"(language code {target}). 'field' says what each text is: narration is spoken, "
        "the others are shown on screen. Return every id exactly once.\n\n"
        + json.dumps(texts, ensure_ascii=False, indent=1)
    )


def _batches(slots: Sequence[TextSlot]) -> list[list[tuple[int, TextSlot]]]:
    batches: list[list[tuple[int, TextSlot]]] = []
    current: list[tuple[int, TextSlot]] = []
    size = 0
    for index, slot in enumerate(slots):
        if current and size + len(slot.text) > MAX_BATCH_CHARS:
            batches.append(current)
            current, size = [], 0
        current.append((index, slot))
        size += len(slot.text)
    if current:
        batches.append(current)
    return batches


# --- building the translated spec ------------------------------------------------------------


def _set(data: Any, path: Path, value: str) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def _get(data: Any, path: Path) -> Any:
    for key in path:
        data = data[key]
    return data


def _data_path(data: Any, loc: Sequence[str | int]) -> Path:
    """A pydantic error location as a path into ``data`` (union tags such as ``"outro"`` in
    ``("scenes", 0, "outro", "main_text")`` are not keys of the data and are skipped)."""
    path: list[str | int] = []
    for key in loc:
        if isinstance(data, dict) and key not in data:
            continue
        data = data[key]
        path.append(key)
    return tuple(path)


def _build_spec(data: dict[str, Any]) -> VideoSpec:
    """Validate ``data``; strings the translation made too long are cut with an ellipsis."""
    for _attempt in range(3):
        try:
            return VideoSpec.model_validate(data)
        except ValidationError as error:
            too_long = [e for e in error.errors() if e.get("type") == "string_too_long"]
            if not too_long or len(too_long) != error.error_count():
                raise
            for problem in too_long:
                path = _data_path(data, problem["loc"])
                limit = int(problem.get("ctx", {}).get("max_length", 1))
                text = str(_get(data, path))
                _set(data, path, text[: max(1, limit - 1)].rstrip() + "…")
    return VideoSpec.model_validate(data)


def _keep_source_language(spec: VideoSpec, source: str | None, target: str) -> VideoSpec:
    """``spec`` voiced in ``target`` with its text, and its rules narration, left in ``source``.

    Scenes without narration get the rules narration written now in the source language, so
    the voice does not read target-language lead-ins around source-language content.
    """
    from pipeline.narration import narrate_scene

    scenes = []
    for scene in spec.scenes:
        if scene.narration is None and source is not None:
            scene = scene.model_copy(
                update={"narration": narrate_scene(scene, language=source) or None}
            )
        scenes.append(scene)
    return spec.model_copy(update={"scenes": scenes, "language": target})


def translate_spec(
    spec: VideoSpec,
    target_language: str,
    generator: StructuredGenerator | None,
    *,
    source_language: str | None = None,
    template_id: str | None = None,
) -> TranslationOutcome:
    """The spec to render in ``target_language`` (see the module docstring).

    Args:
        spec: the source spec (its ``language`` is not trusted to be the text's language).
        target_language: BCP-47 code, e.g. ``"ja"`` or ``"pt-BR"``.
        generator: the configured LLM (governed), or ``None`` when there is none.
        source_language: the text's language if known; detected when ``None``.
        template_id: passed to the governor (first paid use of a template needs approval).

    Returns:
        A :class:`TranslationOutcome`; never raises for a provider failure (the outcome
        carries a warning instead).
    """
    target = normalize_language(target_language)
    slots = translatable_texts(spec)
    source = (
        normalize_language(source_language)
        if source_language
        else detect_language([slot.text for slot in slots])
    )
    if source == target or not slots:
        note = f"the text is already in {language_label(target)}" if slots else "no text"
        return TranslationOutcome(
            spec.model_copy(update={"language": target}), source, target, False, notes=(note,)
        )
    untranslated_warning = (
        f"The text stays in {language_label(source)}: only the voice changes to "
        f"{language_label(target)}."
    )
    if generator is None:
        warning = (
            f"{untranslated_warning} No LLM is configured to translate it (set one in Settings: "
            "Anthropic, OpenAI or any OpenAI-compatible endpoint, also a local server)."
        )
        return TranslationOutcome(
            _keep_source_language(spec, source, target), source, target, False, (warning,)
        )
    data = spec.model_dump(mode="json")
    notes: list[str] = []
    try:
        for batch in _batches(slots):
            schema = _translations_schema([index for index, _ in batch])
            answer = generator.generate(
                system=TRANSLATE_SYSTEM,
                prompt=translation_prompt(batch, source, target),
                schema=schema,
                template_id=template_id,
            )
            by_id = {item.id: item.text.strip() for item in answer.items}
            for index, slot in batch:
                _set(data, slot.path, by_id[index])
        data["language"] = target
        translated = _build_spec(data)
    except (PaidWorkBlocked, QuotaExhausted, ProviderError, ValidationError) as error:
        reason = str(error).splitlines()[0]
        log.warning("translation to %s failed: %s", target, reason)
        warning = f"{untranslated_warning} Translation failed: {reason}"
        return TranslationOutcome(
            _keep_source_language(spec, source, target), source, target, False, (warning,)
        )
    notes.append(
        f"translated {len(slots)} texts from {language_label(source)} to {language_label(target)}"
    )
    return TranslationOutcome(translated, source, target, True, notes=tuple(notes))


def translate_spec_many(
    spec: VideoSpec,
    target_languages: Sequence[str],
    generator: StructuredGenerator | None,
    *,
    template_id: str | None = None,
) -> list[TranslationOutcome]:
    """One outcome per target language, detecting the source language once.

    Duplicate targets (after normalisation: ``"pt-BR"`` and ``"pt"``) are rendered once.
    """
    source = detect_language([slot.text for slot in translatable_texts(spec)])
    outcomes: list[TranslationOutcome] = []
    seen: set[str] = set()
    for target in target_languages:
        key = normalize_language(target)
        if key in seen:
            continue
        seen.add(key)
        outcomes.append(
            translate_spec(spec, key, generator, source_language=source, template_id=template_id)
        )
    return outcomes
