"""The mix, streamed: narration clips placed on the timeline, an optional music bed ducked
under the voice, produced block by block so memory does not grow with the video's length.

Ducking is sidechain compression keyed by the voice: every 10 ms frame, the voice's RMS level
sets how far the bed is lowered (0 dB when the voice is silent, ``duck_db`` once the voice is
at speaking level), smoothed with a 40 ms attack and a 350 ms release, and looking 30 ms
ahead so the bed is already down at a word's onset. With the defaults the bed sits
:data:`DEFAULT_MUSIC_LEVEL_DB` (−15 dB) under the voice while it speaks and rises by
:data:`DUCK_DB` between narrations; it fades in at the start and out at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.audio.loudness import SPEECH_LEVEL_LUFS
from pipeline.audio.music import BlockReader, MusicSource
from pipeline.speech.base import SAMPLE_RATE_HZ, MonoAudio

DEFAULT_MUSIC_LEVEL_DB = -15.0
"""Bed loudness relative to the voice while the voice speaks, dB."""

DUCK_DB = 8.0
"""How much louder the bed is when nobody speaks than under the voice, dB."""

FRAME_SAMPLES = 480
"""Ducking detector frame: 10 ms at 48 kHz."""

BLOCK_SAMPLES = 48_000
"""Samples per mixed block (1 s; a whole number of detector frames)."""

CLIP_FADE_S = 0.005
"""Fade at each clip's edges against clicks, seconds."""

_ATTACK_S, _RELEASE_S, _LOOKAHEAD_FRAMES = 0.04, 0.35, 3
_SPEECH_RMS_DB = SPEECH_LEVEL_LUFS - 1.0
"""Typical frame RMS of levelled speech while a word is spoken, dBFS (LUFS ≈ RMS of speech
in the 1–4 kHz band plus a little; −1 dB is close enough for a detector)."""


@dataclass(frozen=True)
class VoiceClip:
    """One narration clip on the timeline.

    Attributes:
        start_sample: where it starts in the video, samples at 48 kHz.
        n_samples: its length.
        load: returns its samples (mono float32); called when the mix reaches the clip, and
            the samples are dropped once it is passed.
    """

    start_sample: int
    n_samples: int
    load: Callable[[], MonoAudio]


@dataclass(frozen=True)
class MusicSettings:
    """The music bed of a mix.

    Attributes:
        source: the bed (:func:`pipeline.audio.music.music_source`).
        level_db: bed loudness relative to the voice while the voice speaks, dB (−40..0).
        duck_db: extra bed level when nobody speaks, dB.
        fade_in_s, fade_out_s: fades at the video's start and end.
    """

    source: MusicSource
    level_db: float = DEFAULT_MUSIC_LEVEL_DB
    duck_db: float = DUCK_DB
    fade_in_s: float = 1.5
    fade_out_s: float = 3.0

    def __post_init__(self) -> None:
        if not -40.0 <= self.level_db <= 0.0:
            raise ValueError(f"music level must be in -40..0 dB, not {self.level_db:g}")


class Mix:
    """The video's audio before mastering: mono without music, stereo with it.

    Args:
        n_samples: the video's length in samples at 48 kHz (the mix is exactly this long).
        clips: narration clips, each levelled to ``voice_level_lufs``.
        music: the bed, or ``None``.
        voice_level_lufs: loudness the clips were levelled to (sets the bed's level).
    """

    def __init__(
        self,
        n_samples: int,
        clips: Sequence[VoiceClip],
        music: MusicSettings | None = None,
        *,
        voice_level_lufs: float = SPEECH_LEVEL_LUFS,
    ) -> None:
        self.n_samples = int(n_samples)
        self.clips = sorted(clips, key=lambda c: c.start_sample)
        self.music = music
        self.voice_level_lufs = voice_level_lufs
        self.channels = 2 if music is not None else 1

    def blocks(self, block_samples: int = BLOCK_SAMPLES) -> Iterator[np.ndarray]:
        """The mix, ``(channels, ≤ block_samples)`` float32 blocks, exactly ``n_samples`` in all.

        Each call starts again from the beginning (the master reads the mix twice).
        """
        for speech, bed in self.stems(block_samples):
            if bed is None:
                yield speech
            else:
                yield (bed + speech).astype(np.float32, copy=False)

    def stems(
        self, block_samples: int = BLOCK_SAMPLES
    ) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        """The mix's two parts, block by block: the narration ``(1, n)`` and the music bed as
        mixed — levelled, ducked under the voice and faded — ``(2, n)``, or ``None`` without
        music. ``voice + bed`` (broadcast to both channels) is :meth:`blocks`; editors get
        them as separate tracks (:mod:`pipeline.export`).

        Raises:
            ValueError: ``block_samples`` is not a multiple of the ducker's frame.
        """
        if block_samples % FRAME_SAMPLES:
            raise ValueError(f"block_samples must be a multiple of {FRAME_SAMPLES}")
        voice = _VoiceTrack(self.clips)
        ducker = _Ducker(self.music.duck_db) if self.music is not None else None
        reader = BlockReader(self.music.source.blocks(), 2) if self.music is not None else None
        bed_gain = self._bed_gain() if self.music is not None else np.float32(0.0)
        lookahead = _LOOKAHEAD_FRAMES * FRAME_SAMPLES
        for start in range(0, self.n_samples, block_samples):
            end = min(self.n_samples, start + block_samples)
            speech = voice.segment(start, end + lookahead)
            spoken = speech[: end - start].reshape(1, -1)
            if self.music is None or reader is None or ducker is None:
                yield spoken, None
                continue
            duck_db = ducker.gains_db(speech, end - start)
            bed = reader.read(end - start) * bed_gain
            bed *= (10.0 ** (duck_db / 20.0)).astype(np.float32)
            bed *= self._fades(start, end)
            yield spoken, bed.astype(np.float32, copy=False)

    def _bed_gain(self) -> np.float32:
        """Linear gain putting the bed, unducked, at voice level + level_db + duck_db."""
        assert self.music is not None
        measured = self.music.source.loudness_lufs
        if measured is None:
            return np.float32(0.0)
        # The voice is in both channels of a stereo mix: +3.01 dB in BS.1770 terms.
        voice = self.voice_level_lufs + 3.01
        wanted = voice + self.music.level_db + self.music.duck_db
        return np.float32(10.0 ** ((wanted - measured) / 20.0))

    def _fades(self, start: int, end: int) -> np.ndarray:
        assert self.music is not None
        t = np.arange(start, end, dtype=np.float64)
        fade_in = max(1.0, self.music.fade_in_s * SAMPLE_RATE_HZ)
        fade_out = max(1.0, self.music.fade_out_s * SAMPLE_RATE_HZ)
        gain = np.minimum(1.0, t / fade_in) * np.clip((self.n_samples - t) / fade_out, 0.0, 1.0)
        return gain.astype(np.float32)


class _VoiceTrack:
    """Sums the clips overlapping a span; keeps only the clips still to come in memory."""

    def __init__(self, clips: Sequence[VoiceClip]) -> None:
        self._clips = list(clips)
        self._loaded: dict[int, np.ndarray] = {}
        self._fade = max(1, round(CLIP_FADE_S * SAMPLE_RATE_HZ))

    def _samples(self, index: int) -> np.ndarray:
        data = self._loaded.get(index)
        if data is None:
            clip = self._clips[index]
            data = np.asarray(clip.load(), dtype=np.float32)[: clip.n_samples].copy()
            if len(data) > 2 * self._fade:
                ramp = np.linspace(0.0, 1.0, self._fade, dtype=np.float32)
                data[: self._fade] *= ramp
                data[-self._fade :] *= ramp[::-1]
            self._loaded[index] = data
        return data

    def segment(self, start: int, end: int) -> np.ndarray:
        """The narration from sample ``start`` to ``end`` (mono float32)."""
        out = np.zeros(end - start, np.float32)
        for index in list(self._loaded):
            clip = self._clips[index]
            if clip.start_sample + clip.n_samples <= start:
                del self._loaded[index]  # passed: free it
        for index, clip in enumerate(self._clips):
            if clip.start_sample >= end:
                break
            if clip.start_sample + clip.n_samples <= start:
                continue
            data = self._samples(index)
            a = max(start, clip.start_sample)
            b = min(end, clip.start_sample + len(data))
            if b > a:
                out[a - start : b - start] += data[a - clip.start_sample : b - clip.start_sample]
        return out


class _Ducker:
    """Sidechain gain for the bed from the voice's level, in dB per sample (≤ 0)."""

    def __init__(self, duck_db: float) -> None:
        self.duck_db = duck_db
        frame_s = FRAME_SAMPLES / SAMPLE_RATE_HZ
        self._attack = 1.0 - np.exp(-frame_s / _ATTACK_S)
        self._release = 1.0 - np.exp(-frame_s / _RELEASE_S)
        self._state = 0.0  # current reduction, dB (≥ 0)

    def gains_db(self, speech: np.ndarray, n: int) -> np.ndarray:
        """Gain for the first ``n`` samples of ``speech`` (which runs on ``lookahead`` more)."""
        n_frames = -(-len(speech) // FRAME_SAMPLES)
        padded = np.zeros(n_frames * FRAME_SAMPLES, np.float32)
        padded[: len(speech)] = speech
        frames = padded.reshape(n_frames, FRAME_SAMPLES).astype(np.float64)
        rms_db = 10.0 * np.log10(np.mean(frames * frames, axis=1) + 1e-12)
        # 0 below 30 dB under speaking level, full depth at speaking level minus 10 dB.
        active = np.clip((rms_db - (_SPEECH_RMS_DB - 30.0)) / 20.0, 0.0, 1.0)
        wanted = (
            np.array([active[i : i + _LOOKAHEAD_FRAMES + 1].max() for i in range(n_frames)])
            * self.duck_db
        )
        out_frames = -(-n // FRAME_SAMPLES)
        reduction = np.empty(out_frames)
        state = self._state
        for i in range(out_frames):
            coefficient = self._attack if wanted[i] > state else self._release
            state += (wanted[i] - state) * coefficient
            reduction[i] = state
        self._state = state
        per_sample = np.repeat(-reduction, FRAME_SAMPLES)[:n]
        return per_sample
