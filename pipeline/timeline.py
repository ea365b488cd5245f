"""Timeline, audio first: scene lengths from measured narration, captions, reveals, transitions.

Rules (all times in seconds):

* A scene lasts ``lead_in_s + narration_duration_s + tail_s`` (defaults 0.4 s and 0.6 s),
  raised to ``min_duration_s`` if given, and lowered towards ``max_duration_s`` only by
  trimming the tail padding (narration is never cut). The length is then rounded *up* to a
  whole number of frames so per-scene segments join exactly; a scene is at least
  :data:`MIN_SCENE_S` long.
* Scenes follow each other without overlap; scene ``i > 0`` opens with a crossfade of
  ``transition_s`` (default 0.5 s, at most a quarter of the scene) from the final frame of
  scene ``i - 1``.
* Captions and reveals use the *written* words of the narration, punctuation included: the
  provider's word timings (of the words as spoken) are mapped back onto them
  (:func:`pipeline.subtitles.align_words`); without provider timings, words are spread over
  the measured audio in proportion to their length in characters plus a pause weight after
  punctuation. Cues follow :func:`pipeline.subtitles.cut_captions` (never across a sentence
  end, 1–2 lines of at most 42 characters, 1–7 s).
* Items that appear one by one (list items, objectives, commands, instructions, quiz options,
  checkpoint entries) are revealed when the narration first says the item's first word after
  the previous item's reveal; an item the narration never names is revealed at an even share
  of the narration.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from pipeline.i18n.scripts import written_tokens
from pipeline.models import Scene, VideoSpec
from pipeline.scene_types import descriptor
from pipeline.speech.base import SAMPLE_RATE_HZ, MonoAudio, SpeechAudio, WordTiming
from pipeline.subtitles import Caption, align_words, cut_captions, to_ass, to_srt, to_vtt

if TYPE_CHECKING:
    from pipeline.audio.mix import VoiceClip

MIN_SCENE_S = 1.0
LEAD_IN_S = 0.4
TAIL_S = 0.6
TRANSITION_S = 0.5
_WORD_RE = re.compile(r"\S+")
_PAUSE_WEIGHT_CHARS = {
    **dict.fromkeys(".!?。！？।", 6.0),
    **dict.fromkeys(":;：；", 4.0),
    **dict.fromkeys(",，、", 3.0),
}


@dataclass(frozen=True)
class SceneTiming:
    """When one scene plays and what changes inside it.

    Times in ``captions``, ``words``, ``item_reveal_s`` and ``narration_end_s`` are relative to
    the scene's own start; ``start_s`` is the scene's start in the whole video.

    Attributes:
        index: position of the scene in the video (0-based).
        start_s: start in the video, seconds.
        n_frames: number of frames; ``duration_s == n_frames / fps`` exactly.
        fps: frame rate.
        narration_offset_s: silence before the narration starts (lead-in).
        narration_duration_s: measured narration length.
        transition_in_s: crossfade length from the previous scene's final frame (0 for the
            first scene).
        captions: caption cues, scene-relative.
        words: word timings, scene-relative.
        item_reveal_s: when each revealable item appears (see module docstring), scene-relative.
    """

    index: int
    start_s: float
    n_frames: int
    fps: int
    narration_offset_s: float
    narration_duration_s: float
    transition_in_s: float
    captions: tuple[Caption, ...] = ()
    words: tuple[WordTiming, ...] = ()
    item_reveal_s: tuple[float, ...] = ()

    @property
    def duration_s(self) -> float:
        """Scene length in seconds (whole frames)."""
        return self.n_frames / self.fps

    @property
    def narration_end_s(self) -> float:
        """When the narration ends, scene-relative (e.g. to reveal a quiz answer)."""
        return self.narration_offset_s + self.narration_duration_s


@dataclass(frozen=True)
class TimingManifest:
    """The timeline of a whole video: scene timings back to back.

    Attributes:
        fps: frame rate.
        scenes: one :class:`SceneTiming` per scene, in order.
    """

    fps: int
    scenes: tuple[SceneTiming, ...] = field(default_factory=tuple)

    @property
    def n_frames(self) -> int:
        """Total number of frames."""
        return sum(scene.n_frames for scene in self.scenes)

    @property
    def duration_s(self) -> float:
        """Total length in seconds (whole frames)."""
        return self.n_frames / self.fps

    def absolute_captions(self) -> list[Caption]:
        """All caption cues with times relative to the start of the video."""
        return [cue.shifted(scene.start_s) for scene in self.scenes for cue in scene.captions]


def revealable_items(scene: Scene) -> list[str]:
    """The texts of a scene that appear one after another, in reveal order (may be empty).

    The scene type's descriptor says which (:mod:`pipeline.scene_types`).
    """
    return descriptor(scene.scene_type).revealable_items(scene)


def estimate_word_timings(text: str, duration_s: float) -> list[WordTiming]:
    """Spread the words of ``text`` over ``duration_s`` seconds.

    Each word gets time in proportion to its length in characters plus one, plus a pause
    weight after punctuation (``. ! ?`` 6, ``: ;`` 4, ``,`` 3 characters' worth). Used when a
    provider gives no word timings.
    """
    words = written_tokens(text)  # Chinese, Japanese, Thai: phrases, not whole sentences
    if not words or duration_s <= 0:
        return []
    speak = [len(word) + 1.0 for word in words]
    pause = [_PAUSE_WEIGHT_CHARS.get(word[-1], 0.0) for word in words]
    total = sum(speak) + sum(pause[:-1])
    scale = duration_s / total
    timings: list[WordTiming] = []
    t = 0.0
    for word, speak_w, pause_w in zip(words, speak, pause, strict=True):
        end = t + speak_w * scale
        timings.append(WordTiming(word, t, min(end, duration_s)))
        t = end + pause_w * scale
    return timings


def written_word_timings(text: str, audio: SpeechAudio) -> list[WordTiming]:
    """The written words of ``text`` with times in ``audio`` (clip-relative seconds).

    Provider timings are mapped onto the written words (:func:`align_words`); when the
    provider gave none, or none of them match, times are estimated
    (:func:`estimate_word_timings`).
    """
    words = align_words(text, audio.words) if audio.words else []
    return words or estimate_word_timings(text, audio.duration_s)


def _normalise(word: str) -> str:
    return re.sub(r"[^\w]", "", word.lower())


def reveal_times(
    items: Sequence[str], words: Sequence[WordTiming], narration_s: float
) -> list[float]:
    """When each item appears, relative to the narration start (see module docstring)."""
    reveals: list[float] = []
    cursor = 0
    n = len(items)
    for k, item in enumerate(items):
        fallback = narration_s * k / max(n, 1)
        item_words = [_normalise(w) for w in _WORD_RE.findall(item)]
        item_words = [w for w in item_words if w]
        found: float | None = None
        if item_words:
            for j in range(cursor, len(words)):
                if _normalise(words[j].text) == item_words[0]:
                    found = words[j].start_s
                    cursor = j + 1
                    break
        time = found if found is not None else fallback
        if reveals:
            time = max(time, reveals[-1])
        reveals.append(time)
    return reveals


def build_timeline(
    spec: VideoSpec,
    speech: Sequence[SpeechAudio],
    narrations: Sequence[str],
    *,
    lead_in_s: float = LEAD_IN_S,
    tail_s: float = TAIL_S,
    transition_s: float | None = None,
    min_durations_s: Sequence[float] | None = None,
) -> TimingManifest:
    """Lay out the scenes of ``spec`` around their measured narration.

    Args:
        spec: the video.
        speech: one :class:`SpeechAudio` per scene (same order as ``spec.scenes``).
        narrations: the narration text per scene (used for captions when the provider gives
            no word timings).
        lead_in_s, tail_s: silence before and after each narration.
        transition_s: crossfade length into each scene after the first (default:
            ``spec.transition_s``).
        min_durations_s: per scene, the least time its content needs on screen (pages of
            code: :func:`pipeline.render.min_display_durations`); the scene is made at least
            that long, like ``min_duration_s``.

    Raises:
        ValueError: when the three sequences differ in length.
    """
    if not (len(spec.scenes) == len(speech) == len(narrations)) or (
        min_durations_s is not None and len(min_durations_s) != len(spec.scenes)
    ):
        raise ValueError("spec.scenes, speech and narrations must have one entry per scene")
    fps = spec.fps
    if transition_s is None:
        transition_s = spec.transition_s
    timings: list[SceneTiming] = []
    start_frame = 0
    for index, (scene, audio, text) in enumerate(zip(spec.scenes, speech, narrations, strict=True)):
        narration_s = audio.duration_s
        duration_s = lead_in_s + narration_s + tail_s
        if scene.max_duration_s is not None:
            duration_s = max(lead_in_s + narration_s + 0.1, min(duration_s, scene.max_duration_s))
        if scene.min_duration_s is not None:
            duration_s = max(duration_s, scene.min_duration_s)
        if min_durations_s is not None:
            duration_s = max(duration_s, min_durations_s[index])
        duration_s = max(duration_s, MIN_SCENE_S)
        n_frames = math.ceil(round(duration_s * fps, 6))
        words = written_word_timings(text, audio)
        shifted = tuple(
            WordTiming(w.text, w.start_s + lead_in_s, w.end_s + lead_in_s) for w in words
        )
        reveals = reveal_times(revealable_items(scene), words, narration_s)
        transition = 0.0 if index == 0 else min(transition_s, n_frames / fps / 4)
        timings.append(
            SceneTiming(
                index=index,
                start_s=start_frame / fps,
                n_frames=n_frames,
                fps=fps,
                narration_offset_s=lead_in_s,
                narration_duration_s=narration_s,
                transition_in_s=transition,
                captions=tuple(cut_captions(shifted, end_limit_s=n_frames / fps)),
                words=shifted,
                item_reveal_s=tuple(lead_in_s + r for r in reveals),
            )
        )
        start_frame += n_frames
    return TimingManifest(fps=fps, scenes=tuple(timings))


def voice_clips(manifest: TimingManifest, speech: Sequence[SpeechAudio]) -> list[VoiceClip]:
    """Each scene's narration placed on the timeline, for :class:`pipeline.audio.mix.Mix`.

    A clip starts at its scene's start plus the lead-in, in samples at
    :data:`SAMPLE_RATE_HZ`; its samples are loaded only when the mix reaches it (a released
    :class:`SpeechAudio` reads them back from the cache), so a long video never holds every
    clip in memory.
    """
    from pipeline.audio.mix import VoiceClip  # the audio package imports avio, which imports us

    clips: list[VoiceClip] = []
    for timing, audio in zip(manifest.scenes, speech, strict=True):
        if audio.n_samples == 0:
            continue
        begin = round((timing.start_s + timing.narration_offset_s) * SAMPLE_RATE_HZ)
        clips.append(VoiceClip(begin, audio.n_samples, _samples_loader(audio)))
    return clips


def _samples_loader(audio: SpeechAudio) -> Callable[[], MonoAudio]:
    """A loader returning ``audio.samples`` when called (read back if it was released)."""
    return lambda: audio.samples


def track_samples(manifest: TimingManifest) -> int:
    """The audio track's length: the video's duration in samples at :data:`SAMPLE_RATE_HZ`."""
    return round(manifest.n_frames * SAMPLE_RATE_HZ / manifest.fps)


def assemble_audio(manifest: TimingManifest, speech: Sequence[SpeechAudio]) -> MonoAudio:
    """Place each scene's narration on one continuous track, in memory (previews, tests).

    Returns mono float32 at :data:`SAMPLE_RATE_HZ` whose length is exactly the video's
    duration (``n_frames / fps * sample_rate``, rounded). Clip edges get 5 ms fades against
    clicks; the track is peak-normalised to -1 dBFS when louder than that. Renders stream the
    mix instead and master it (:mod:`pipeline.audio.master`).
    """
    from pipeline.audio.mix import Mix

    mix = Mix(track_samples(manifest), voice_clips(manifest, speech))
    blocks = [block.reshape(-1) for block in mix.blocks()]
    track = np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
    peak = float(np.max(np.abs(track))) if len(track) else 0.0
    limit = 10 ** (-1 / 20)
    if peak > limit:
        track *= limit / peak
    return track.astype(np.float32, copy=False)


__all__ = [
    "MIN_SCENE_S",
    "Caption",
    "SceneTiming",
    "TimingManifest",
    "assemble_audio",
    "build_timeline",
    "cut_captions",
    "estimate_word_timings",
    "reveal_times",
    "revealable_items",
    "to_ass",
    "to_srt",
    "to_vtt",
    "written_word_timings",
]
