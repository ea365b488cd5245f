"""Music beds: a user's audio file, or one of the beds this project synthesises itself.

The bundled beds are made here, deterministically, from sine partials (no third-party audio,
no files): a loop of four chords (I–vi–IV–V), computed once per process as a periodic signal
(note tails wrap around), so looping is seamless. ``calm`` is a soft pad, ``bright`` adds
plucked arpeggios, ``pulse`` adds a soft beat. Each loop is 16 s of 48 kHz stereo (6 MB).

A user's file (MP3, WAV, M4A, OGG, FLAC, anything FFmpeg decodes) is streamed through
:func:`pipeline.avio.iter_audio_file` and looped; its loudness is measured once, in a
streaming pass, so the bed can be set relative to the voice.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline import avio
from pipeline.errors import InputError
from pipeline.speech.base import SAMPLE_RATE_HZ

BUNDLED_BEDS: dict[str, str] = {
    "calm": "a soft, slow pad (C major, I–vi–IV–V), for explainers",
    "bright": "the pad with plucked arpeggios at 96 BPM, for tutorials and product videos",
    "pulse": "the pad with a soft kick and shaker at 96 BPM, for ads and short clips",
}
"""Name → description of the beds synthesised by :func:`bed_loop`."""

LOOP_S = 16.0
"""Length of a bundled bed's loop, seconds (four chords of 4 s)."""

BED_LEVEL_LUFS = -20.0
"""Integrated loudness the bundled beds are made at, LUFS."""

_CHORDS = ((60, 64, 67), (57, 60, 64), (53, 57, 60), (55, 59, 62))
"""MIDI notes of C, Am, F, G."""
_BPM = 96.0


def _midi_hz(note: float) -> float:
    return 440.0 * 2.0 ** ((note - 69) / 12.0)


def _add_wrapped(buffer: np.ndarray, start: int, signal: np.ndarray) -> None:
    """Add ``signal`` (channels, n) into the periodic ``buffer`` at ``start``, wrapping."""
    n = buffer.shape[1]
    pos = start % n
    done = 0
    while done < signal.shape[1]:
        take = min(n - pos, signal.shape[1] - done)
        buffer[:, pos : pos + take] += signal[:, done : done + take]
        done += take
        pos = 0


def _tone(freq_hz: float, n: int, partials: tuple[float, ...], detune: float) -> np.ndarray:
    """Stereo tone (2, n): harmonic partials, left and right detuned by ±``detune`` cents."""
    t = np.arange(n, dtype=np.float64) / SAMPLE_RATE_HZ
    out = np.zeros((2, n))
    for channel, cents in enumerate((-detune, detune)):
        f = freq_hz * 2.0 ** (cents / 1200.0)
        for k, amplitude in enumerate(partials, start=1):
            out[channel] += amplitude * np.sin(2 * np.pi * f * k * t + channel * 0.7 * k)
    return out


@functools.lru_cache(maxsize=4)
def bed_loop(name: str) -> np.ndarray:
    """The loop of bundled bed ``name``: planar float32 ``(2, LOOP_S × 48000)``, at
    :data:`BED_LEVEL_LUFS`. Deterministic (same samples on every machine and run).

    Raises:
        KeyError: unknown bed name.
    """
    if name not in BUNDLED_BEDS:
        raise KeyError(name)
    n = round(LOOP_S * SAMPLE_RATE_HZ)
    loop = np.zeros((2, n))
    chord_n = n // len(_CHORDS)
    attack, release = 0.8, 2.5
    for index, chord in enumerate(_CHORDS):
        length = chord_n + round(release * SAMPLE_RATE_HZ)
        t = np.arange(length) / SAMPLE_RATE_HZ
        envelope = np.minimum(1.0, t / attack) * np.where(
            t < chord_n / SAMPLE_RATE_HZ,
            1.0,
            np.exp(-(t - chord_n / SAMPLE_RATE_HZ) / (release / 4)),
        )
        for note in (*chord, chord[0] - 12):
            tone = _tone(_midi_hz(note), length, (1.0, 0.35, 0.12, 0.05), 6.0)
            _add_wrapped(loop, index * chord_n, tone * envelope * 0.15)
    beat_n = round(60.0 / _BPM * SAMPLE_RATE_HZ)
    if name == "bright":
        step = beat_n // 2
        pattern = (0, 1, 2, 1)
        for i in range(n // step):
            chord = _CHORDS[min(len(_CHORDS) - 1, (i * step) // chord_n)]
            note = chord[pattern[i % 4]] + 12
            length = round(0.6 * SAMPLE_RATE_HZ)
            t = np.arange(length) / SAMPLE_RATE_HZ
            pluck = _tone(_midi_hz(note), length, (1.0, 0.5, 0.25, 0.12), 3.0)
            _add_wrapped(loop, i * step, pluck * np.exp(-t / 0.12) * 0.12)
    elif name == "pulse":
        rng = np.random.default_rng(20261202)  # fixed seed: the bed is part of the product
        length = round(0.35 * SAMPLE_RATE_HZ)
        t = np.arange(length) / SAMPLE_RATE_HZ
        sweep = 2 * np.pi * np.cumsum(45.0 + 70.0 * np.exp(-t / 0.03)) / SAMPLE_RATE_HZ
        kick = np.sin(sweep) * np.exp(-t / 0.09) * 0.5
        shaker_n = round(0.05 * SAMPLE_RATE_HZ)
        noise = rng.standard_normal(shaker_n)
        shaker = np.diff(noise, prepend=0.0) * np.exp(
            -np.arange(shaker_n) / (0.012 * SAMPLE_RATE_HZ)
        )
        for i in range(n // beat_n):
            _add_wrapped(loop, i * beat_n, np.vstack([kick, kick]))
            _add_wrapped(loop, i * beat_n + beat_n // 2, np.vstack([shaker, shaker]) * 0.05)
    loop = loop.astype(np.float32)
    measured = avio.measure_loudness(loop).integrated_lufs
    if measured is not None:
        loop *= np.float32(10 ** ((BED_LEVEL_LUFS - measured) / 20.0))
    return loop


@dataclass(frozen=True)
class MusicSource:
    """A music bed to mix under the voice.

    Attributes:
        label: the bundled bed's name, or the file's name.
        path: the user's file, or ``None`` for a bundled bed.
        loudness_lufs: the bed's integrated loudness (BS.1770), or ``None`` if silent.
    """

    label: str
    path: Path | None
    loudness_lufs: float | None

    def blocks(self) -> Iterator[np.ndarray]:
        """Stereo planar float32 blocks ``(2, n)``, looping for ever."""
        if self.path is None:
            loop = bed_loop(self.label)
            while True:
                yield loop
        fade = round(0.01 * SAMPLE_RATE_HZ)
        while True:
            produced = 0
            first = True
            for block in avio.iter_audio_file(self.path, channels=2):
                block = block.astype(np.float32, copy=True)
                if first and block.shape[1] >= fade:  # no click where the loop restarts
                    block[:, :fade] *= np.linspace(0.0, 1.0, fade, dtype=np.float32)
                    first = False
                produced += block.shape[1]
                yield block
            if produced == 0:
                return


class BlockReader:
    """Reads exactly ``n`` samples at a time from an iterator of ``(channels, k)`` blocks."""

    def __init__(self, blocks: Iterator[np.ndarray], channels: int) -> None:
        self._blocks = blocks
        self._channels = channels
        self._pending = np.zeros((channels, 0), np.float32)
        self._lock = threading.Lock()

    def read(self, n: int) -> np.ndarray:
        """The next ``n`` samples ``(channels, n)``; silence once the source is exhausted."""
        with self._lock:
            parts = [self._pending]
            have = self._pending.shape[1]
            while have < n:
                block = next(self._blocks, None)
                if block is None:
                    parts.append(np.zeros((self._channels, n - have), np.float32))
                    have = n
                    break
                parts.append(block)
                have += block.shape[1]
            data = np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]
            self._pending = data[:, n:]
            return data[:, :n]


def music_source(choice: str | Path) -> MusicSource:
    """The bed named ``choice`` (see :data:`BUNDLED_BEDS`) or the audio file at ``choice``.

    A file is decoded once to measure its loudness (streaming; a 4-minute MP3 takes about a
    second).

    Raises:
        InputError: no such bed or file, or the file holds no decodable audio (exit code 2).
    """
    text = str(choice).strip()
    if text in BUNDLED_BEDS:
        return MusicSource(text, None, avio.measure_loudness(bed_loop(text)).integrated_lufs)
    path = Path(text).expanduser()
    if not path.is_file():
        raise InputError(
            f"music {text!r} is neither a bundled bed nor an existing file",
            source=text,
            hint=f"use one of {', '.join(BUNDLED_BEDS)} or the path of an MP3, WAV, M4A, OGG "
            "or FLAC file",
        )
    meter = avio.LoudnessMeter(2)
    n = 0
    try:
        for block in avio.iter_audio_file(path, channels=2):
            meter.add(block)
            n += block.shape[1]
    except (OSError, ValueError) as exc:  # av.error.FFmpegError subclasses one of these
        raise InputError(
            f"the music file cannot be decoded ({exc})",
            source=str(path),
            hint="use an MP3, WAV, M4A, OGG or FLAC file that plays in a media player",
        ) from exc
    if n < SAMPLE_RATE_HZ // 10:
        raise InputError(
            "the music file holds no audio (or less than 0.1 s)",
            source=str(path),
            hint="use an MP3, WAV, M4A, OGG or FLAC file that plays in a media player",
        )
    return MusicSource(path.name, path, meter.result().integrated_lufs)
