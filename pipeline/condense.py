"""Condensing a storyboard to a target length, offline by rules (or by an LLM, when given).

A video of a 27 kB guide read in full lasts half an hour; a creator asks for 90 seconds. The
rules below keep what a summary keeps and drop the rest, sentence by sentence:

* **Estimated length.** A scene lasts its narration plus :data:`SCENE_PADDING_S` (the
  timeline's 0.4 s lead-in and 0.6 s tail, :mod:`pipeline.timeline`), at least
  ``min_duration_s``. Narration length follows :class:`SpeechRate`: seconds per word (183
  words per minute), plus extra time for numbers (read digit by digit or as long number
  words) and for the pauses at sentence ends and at ``, ; :``. :data:`ESPEAK_RATE` is fitted
  by least squares to eSpeak NG (the offline voice, default rate) on the 104 scene
  narrations of the corpus documents (``benchmarks/speech_rate.py``): its total is within
  1 % of the measured total, 12 % mean error per scene; a plain 150 words per minute was
  10 % short in total and 17 % per scene. Neural voices (Edge TTS, Piper) speak at a similar
  150–160 words per minute.
* **Units.** Every scene has a *base* (its heading sentence and first sentence, or a list's
  header and first three items, or the whole scene for code, commands, quotes and scenes
  whose narration is generated) and *extras* (each further sentence of its narration, each
  further list item).
* **Ranking.** The opening and closing scenes are always kept. Bases rank by what they are:
  the document's first command scene and first code example 105 (key code: how to install,
  how to use), a section's first scene (its heading and first sentence) 100, a list 90, other
  commands 85, the last section (the conclusion) +20, other code 70, a quote 50, a section's continuation scene 40,
  other types 60. Extras rank below every base, earlier sentences first (score halved, then
  minus 10 per position), so each kept scene first gets its second sentence, then its third.
* **Selection.** Bases are taken in rank order while they fit the target, then extras in
  rank order while the total stays within the target; scenes keep their document
  order, and a scene keeps its sentences in their order. The result lands within ±15 % of the
  target unless the document is shorter than the target (then it is left whole, with a note)
  or its opening and closing alone are longer.
* **Scene cap.** Without a target, a storyboard longer than
  :data:`~pipeline.models.MAX_SCENES` scenes keeps its highest-ranked scenes whole
  (:func:`condense_scenes` with ``max_scenes``) and says so in a note.

An LLM condenser is a callable ``(spec, target_duration_s) -> VideoSpec``; its result is used
when it is a valid spec whose estimate is within ±15 % of the target, else the rules run on
the original (with a note saying why).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pipeline.adapters.blocks import sentences
from pipeline.models import (
    MAX_SCENES,
    ListScene,
    OutroScene,
    QuoteScene,
    Scene,
    SceneBase,
    TitleScene,
    VideoSpec,
)
from pipeline.narration import clean_for_speech, narrate_scene


@dataclass(frozen=True)
class SpeechRate:
    """How long a voice takes to say a text, term by term (seconds).

    Attributes:
        per_word_s: each word without digits (0.328 s = 183 words per minute).
        per_number_s: each token holding digits, on top of its digits.
        per_digit_s: each digit ("2025" is four).
        per_sentence_end_s: each ``.``, ``!`` or ``?`` ending a sentence (a pause).
        per_clause_mark_s: each ``,``, ``;`` or ``:`` followed by a space (a pause).
    """

    per_word_s: float = 0.328
    per_number_s: float = 0.479
    per_digit_s: float = 0.238
    per_sentence_end_s: float = 0.235
    per_clause_mark_s: float = 0.687

    @property
    def words_per_minute(self) -> float:
        """The word rate without pauses or numbers."""
        return 60.0 / self.per_word_s


ESPEAK_RATE = SpeechRate()
"""eSpeak NG at its default rate, fitted on the corpus (see the module docstring)."""
WORDS_PER_MINUTE = ESPEAK_RATE.words_per_minute
"""The word rate of :data:`ESPEAK_RATE` (183 words per minute, pauses and numbers aside)."""
SCENE_PADDING_S = 1.0
"""Silence around each scene's narration: the timeline's lead-in (0.4 s) plus tail (0.6 s)."""
MIN_SCENE_S = 1.0
"""Shortest scene (as :data:`pipeline.timeline.MIN_SCENE_S`)."""
TOLERANCE = 0.15
"""How far from the target a condensed video may land (±15 %)."""
LIST_BASE_ITEMS = 3
"""List items kept in a list scene's base unit."""

LLMCondenser = Callable[[VideoSpec, float], VideoSpec]
"""``(spec, target_duration_s) -> shorter spec``: an LLM that condenses (optional hook)."""

_CODE_TYPES = frozenset({"command", "solution", "code_comparison"})
_WORD_RE = re.compile(r"\S+")
_DIGIT_RE = re.compile(r"\d")
_SENTENCE_END_RE = re.compile(r"[.!?](?:\s|$)")
_CLAUSE_RE = re.compile(r"[,;:](?:\s|$)")


@dataclass(frozen=True)
class CondenseResult:
    """A condensed storyboard.

    Attributes:
        scenes: the kept scenes, in document order (trimmed where sentences were dropped).
        estimated_duration_s: estimated length of the kept scenes, seconds.
        original_duration_s: estimated length before condensing, seconds.
        notes: what was done, for the user (empty when nothing changed).
    """

    scenes: list[Scene]
    estimated_duration_s: float
    original_duration_s: float
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SpecCondenseResult:
    """:func:`condense_spec`'s result: the spec plus the figures and notes."""

    spec: VideoSpec
    estimated_duration_s: float
    original_duration_s: float
    notes: list[str] = field(default_factory=list)


def speech_seconds(text: str, rate: SpeechRate = ESPEAK_RATE) -> float:
    """Estimated time to speak ``text`` in seconds (terms of :class:`SpeechRate`)."""
    tokens = _WORD_RE.findall(text)
    numbers = [t for t in tokens if _DIGIT_RE.search(t)]
    digits = sum(len(_DIGIT_RE.findall(t)) for t in numbers)
    return (
        (len(tokens) - len(numbers)) * rate.per_word_s
        + len(numbers) * rate.per_number_s
        + digits * rate.per_digit_s
        + len(_SENTENCE_END_RE.findall(text)) * rate.per_sentence_end_s
        + len(_CLAUSE_RE.findall(text)) * rate.per_clause_mark_s
    )


def spoken_text(scene: SceneBase, language: str = "en") -> str:
    """What the voice will say for ``scene`` (as :func:`pipeline.narration.script_stage`)."""
    if scene.narration is not None and not scene.narration.strip():
        return ""
    text = clean_for_speech(scene.narration, language=language) if scene.narration else ""
    return text or narrate_scene(scene, language=language)


def scene_seconds(
    scene: SceneBase, *, rate: SpeechRate = ESPEAK_RATE, language: str = "en"
) -> float:
    """Estimated length of one scene, seconds (narration + padding, within its bounds)."""
    seconds = speech_seconds(spoken_text(scene, language), rate) + SCENE_PADDING_S
    if scene.min_duration_s is not None:
        seconds = max(seconds, scene.min_duration_s)
    return max(seconds, MIN_SCENE_S)


def estimate_duration_s(
    scenes: Sequence[SceneBase], *, rate: SpeechRate = ESPEAK_RATE, language: str = "en"
) -> float:
    """Estimated length of a storyboard, seconds (sum of :func:`scene_seconds`)."""
    return sum(scene_seconds(s, rate=rate, language=language) for s in scenes)


@dataclass
class _Plan:
    """One scene's units: the base and the extras, with scores and costs in seconds."""

    index: int
    scene: Scene
    base_cost: float
    base_score: float
    extras: list[tuple[float, float, int]]  # (score, cost, position)
    sentences: list[str] = field(default_factory=list)
    mandatory: bool = False
    kept: bool = False
    extras_kept: set[int] = field(default_factory=set)


def _plans(scenes: Sequence[Scene], rate: SpeechRate, language: str) -> list[_Plan]:
    plans: list[_Plan] = []
    last_section = _last_section_start(scenes)
    previous_title = ""
    first_of_type: set[str] = set()
    for index, scene in enumerate(scenes):
        score = _base_score(scene, previous_title)
        if scene.scene_type in _CODE_TYPES and scene.scene_type not in first_of_type:
            first_of_type.add(scene.scene_type)
            score = max(score, 105.0)  # the first command / code example is key code
        if index >= last_section and not isinstance(scene, OutroScene):
            score += 20.0
        mandatory = index == 0 or (index == len(scenes) - 1 and isinstance(scene, OutroScene))
        plan = _Plan(index, scene, 0.0, score, [], mandatory=mandatory)
        if isinstance(scene, ListScene) and scene.narration is None:
            head = ListScene(
                header=scene.header,
                description=scene.description,
                items=scene.items[:LIST_BASE_ITEMS],
            )
            plan.base_cost = scene_seconds(head, rate=rate, language=language)
            for k, item in enumerate(scene.items[LIST_BASE_ITEMS:], start=LIST_BASE_ITEMS):
                cost = speech_seconds(f"{item.title}: {item.description}. ", rate)
                plan.extras.append((score * 0.5 - 5.0 * k, cost, k))
        elif scene.narration and scene.scene_type not in _CODE_TYPES:
            parts = sentences(spoken_text(scene, language))
            plan.sentences = parts
            base_count = 2 if isinstance(scene, TitleScene) else 1
            base = " ".join(parts[:base_count])
            plan.base_cost = speech_seconds(base, rate) + SCENE_PADDING_S
            for k, sentence in enumerate(parts[base_count:], start=1):
                plan.extras.append((score * 0.5 - 10.0 * k, speech_seconds(sentence, rate), k))
        else:
            plan.base_cost = scene_seconds(scene, rate=rate, language=language)
        if isinstance(scene, TitleScene):
            previous_title = scene.title
        elif isinstance(scene, ListScene):
            previous_title = scene.header.removesuffix(" (continued)")
        plans.append(plan)
    return plans


def _base_score(scene: Scene, previous_title: str) -> float:
    if isinstance(scene, TitleScene):
        return 40.0 if scene.title == previous_title else 100.0
    if isinstance(scene, ListScene):
        return 55.0 if scene.header.endswith("(continued)") else 90.0
    if scene.scene_type == "command":
        return 85.0
    if scene.scene_type in _CODE_TYPES:
        return 70.0
    if isinstance(scene, QuoteScene):
        return 50.0
    return 60.0


def _last_section_start(scenes: Sequence[Scene]) -> int:
    """Index of the first scene of the last section (before the outro)."""
    end = len(scenes) - 1 if scenes and isinstance(scenes[-1], OutroScene) else len(scenes)
    for index in range(end - 1, 0, -1):
        scene = scenes[index]
        previous = scenes[index - 1]
        if isinstance(scene, TitleScene) and not (
            isinstance(previous, TitleScene) and previous.title == scene.title
        ):
            return index
    return end


def _rebuilt(plan: _Plan) -> Scene:
    scene = plan.scene
    if not plan.extras or len(plan.extras_kept) == len(plan.extras):
        return scene
    if isinstance(scene, ListScene) and scene.narration is None:
        keep = [
            item
            for k, item in enumerate(scene.items)
            if k < LIST_BASE_ITEMS or k in plan.extras_kept
        ]
        return scene.model_copy(update={"items": keep})
    base_count = 2 if isinstance(scene, TitleScene) else 1
    kept = plan.sentences[:base_count] + [
        s for k, s in enumerate(plan.sentences[base_count:], start=1) if k in plan.extras_kept
    ]
    return scene.model_copy(update={"narration": " ".join(kept)})


def condense_scenes(
    scenes: Sequence[Scene],
    *,
    target_duration_s: float | None = None,
    max_scenes: int = MAX_SCENES,
    rate: SpeechRate = ESPEAK_RATE,
    language: str = "en",
) -> CondenseResult:
    """Keep the highest-ranked scenes and sentences (rules in the module docstring).

    Args:
        scenes: the storyboard, in order (may be longer than the scene cap).
        target_duration_s: wanted length in seconds; ``None`` keeps every sentence of the
            kept scenes and only enforces ``max_scenes``.
        max_scenes: most scenes in the result.
        rate: the voice's speech-rate model.
        language: narration language (for generated narration).

    Returns:
        The kept scenes (unchanged when they already fit), their estimated length, and notes.
    """
    original = estimate_duration_s(scenes, rate=rate, language=language)
    fits_time = target_duration_s is None or original <= target_duration_s * (1 + TOLERANCE)
    if fits_time and len(scenes) <= max_scenes:
        notes = []
        if target_duration_s is not None and original < target_duration_s * (1 - TOLERANCE):
            notes.append(
                f"the document is only about {original:.0f} s long, shorter than the "
                f"{target_duration_s:.0f} s target; it is rendered in full"
            )
        return CondenseResult(list(scenes), original, original, notes)
    plans = _plans(scenes, rate, language)
    budget = float("inf") if target_duration_s is None else target_duration_s
    total = 0.0
    count = 0
    for plan in plans:
        if plan.mandatory:
            plan.kept = True
            total += plan.base_cost
            count += 1
    for plan in sorted(plans, key=lambda p: (-p.base_score, p.index)):
        if plan.kept or count >= max_scenes:
            continue
        if total + plan.base_cost <= budget:
            plan.kept = True
            total += plan.base_cost
            count += 1
    extras = sorted(
        (
            (score, cost, position, plan)
            for plan in plans
            if plan.kept
            for score, cost, position in plan.extras
        ),
        key=lambda e: (-e[0], e[3].index, e[2]),
    )
    ceiling = budget
    for _score, cost, position, plan in extras:
        if total + cost <= ceiling:
            plan.extras_kept.add(position)
            total += cost
    kept = [_rebuilt(plan) for plan in plans if plan.kept]
    estimate = estimate_duration_s(kept, rate=rate, language=language)
    if target_duration_s is None:
        note = (
            f"the document makes {len(scenes)} scenes, more than the {max_scenes}-scene limit; "
            f"it was condensed to {len(kept)} scenes (about {estimate / 60:.0f} min), keeping "
            "each section's heading and first scene; set a target duration to choose the length"
        )
    else:
        note = (
            f"condensed from {len(scenes)} scenes (about {original:.0f} s) to {len(kept)} "
            f"scenes (about {estimate:.0f} s) for the {target_duration_s:.0f} s target"
        )
    return CondenseResult(kept, estimate, original, [note])


def condense_spec(
    spec: VideoSpec,
    target_duration_s: float,
    *,
    rate: SpeechRate = ESPEAK_RATE,
    llm: LLMCondenser | None = None,
) -> SpecCondenseResult:
    """Condense ``spec`` to about ``target_duration_s`` seconds (±15 %).

    Args:
        spec: the storyboard.
        target_duration_s: wanted length, seconds (> 0).
        rate: the voice's speech-rate model (:data:`ESPEAK_RATE`).
        llm: optional LLM condenser; its result is used when valid and within ±15 %.

    Raises:
        ValueError: ``target_duration_s`` is not positive.
    """
    if target_duration_s <= 0:
        raise ValueError(f"target_duration_s must be positive, got {target_duration_s}")
    notes: list[str] = []
    original = estimate_duration_s(spec.scenes, rate=rate, language=spec.language)
    if llm is not None and original > target_duration_s * (1 + TOLERANCE):
        try:
            proposal = VideoSpec.model_validate(llm(spec, target_duration_s).model_dump())
        except Exception as error:  # any LLM failure falls back to the rules
            notes.append(f"the LLM condenser failed ({type(error).__name__}); used the rules")
        else:
            estimate = estimate_duration_s(proposal.scenes, rate=rate, language=spec.language)
            if abs(estimate - target_duration_s) <= TOLERANCE * target_duration_s:
                notes.append(
                    f"condensed by the LLM from {len(spec.scenes)} to {len(proposal.scenes)} "
                    f"scenes (about {estimate:.0f} s) for the {target_duration_s:.0f} s target"
                )
                return SpecCondenseResult(proposal, estimate, original, notes)
            notes.append(
                f"the LLM's version lasts about {estimate:.0f} s, not within 15 % of "
                f"{target_duration_s:.0f} s; used the rules"
            )
    result = condense_scenes(
        spec.scenes,
        target_duration_s=target_duration_s,
        rate=rate,
        language=spec.language,
    )
    condensed = spec.model_copy(update={"scenes": result.scenes})
    return SpecCondenseResult(
        condensed, result.estimated_duration_s, result.original_duration_s, notes + result.notes
    )
