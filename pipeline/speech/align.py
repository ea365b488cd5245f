"""Word timings by alignment against the audio, for providers that give none.

Edge TTS users report that WordBoundary events sometimes stop arriving (edge-tts issues #420,
#459); captions and reveals must not then drift. Instead of spreading words evenly over the
clip, this finds where the voice pauses and where it speaks, then:

1. *Pauses*: 10 ms frames quieter than 35 dB under the clip's loud frames (95th percentile)
   form a pause when at least :data:`MIN_PAUSE_S` long, between the first and last voiced
   frame.
2. *Anchors*: the text's phrase breaks (after ``. ! ? …`` and ``, ; :``) are matched to
   pauses by dynamic programming: both are placed on a 0..1 scale (syllables spoken so far /
   voiced time so far) and a break is paired with a pause when they lie close, sentence ends
   and long pauses counting for more. Unpaired breaks (a comma read without a pause) and
   unpaired pauses (a breath) are allowed.
3. *Spreading*: between anchors, each word gets a share of the *voiced* time in proportion to
   its syllables (vowel groups; digits count as more), so no word starts inside a pause and an
   error never carries past the next anchor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from pipeline.speech.base import SAMPLE_RATE_HZ, MonoAudio, WordTiming
from pipeline.speech.wordtimes import strip_punctuation

ALIGN_VERSION = "1"
"""Part of speech cache keys: bump when the alignment changes."""

FRAME_S = 0.01
MIN_PAUSE_S = 0.12
"""Shortest silence counted as a pause, seconds."""

_VOWELS = re.compile(
    r"[aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿœāēīōūăąęėıįųůűőаеёиоуыэюяіїєαεηιουωάέήίόύώ]+", re.I
)
_SENTENCE_END = set(".!?…。！？")
_CLAUSE_END = set(",;:、，；：")


def syllables(word: str) -> float:
    """Rough spoken length of a written word, in syllables.

    Vowel groups for alphabetic scripts (at least 1), 1.5 per digit (numbers are read as
    several words), and one per character for scripts without vowel letters (CJK, Thai,
    Arabic, Devanagari, … where a character is roughly a syllable or less).
    """
    digits = sum(ch.isdigit() for ch in word)
    groups = len(_VOWELS.findall(word))
    letters = [ch for ch in word if ch.isalpha()]
    latin_like = any(_VOWELS.match(ch) for ch in letters) or all(ord(ch) < 0x250 for ch in letters)
    other = 0.0 if latin_like else len(letters) * 0.6
    return max(1.0, groups + 1.5 * digits + other)


@dataclass(frozen=True)
class _Pause:
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def _voiced_frames(samples: MonoAudio, sample_rate_hz: int) -> np.ndarray:
    hop = max(1, round(FRAME_S * sample_rate_hz))
    n = len(samples) // hop
    if n == 0:
        return np.zeros(0, dtype=bool)
    frames = np.asarray(samples[: n * hop], dtype=np.float64).reshape(n, hop)
    level = 10.0 * np.log10(np.mean(frames * frames, axis=1) + 1e-12)
    loud = float(np.percentile(level, 95))
    return level > max(loud - 35.0, -75.0)


def _pauses(voiced: np.ndarray) -> list[_Pause]:
    """Runs of unvoiced frames at least :data:`MIN_PAUSE_S` long, inside the speech."""
    idx = np.flatnonzero(voiced)
    if len(idx) == 0:
        return []
    first, last = int(idx[0]), int(idx[-1])
    pauses: list[_Pause] = []
    run_start: int | None = None
    for i in range(first, last + 1):
        if not voiced[i]:
            if run_start is None:
                run_start = i
        elif run_start is not None:
            if (i - run_start) * FRAME_S >= MIN_PAUSE_S:
                pauses.append(_Pause(run_start * FRAME_S, i * FRAME_S))
            run_start = None
    return pauses


def _match(
    breaks: list[tuple[float, float]], pauses: list[tuple[float, float]]
) -> list[tuple[int, int]]:
    """Monotonic pairs (break index, pause index) minimising the total cost.

    ``breaks``: (position 0..1, strength); ``pauses``: (position 0..1, duration s). A pair
    costs ``10·|Δposition| − strength − min(duration, 0.8)``; leaving either unpaired costs 0.
    """
    n, m = len(breaks), len(pauses)
    cost = np.zeros((n + 1, m + 1))
    move = np.zeros((n + 1, m + 1), dtype=np.int8)  # 0 match, 1 skip break, 2 skip pause
    for i in range(n + 1):
        for j in range(m + 1):
            if i == 0 and j == 0:
                continue
            best, how = np.inf, 0
            if i > 0 and j > 0:
                (x, strength), (y, duration) = breaks[i - 1], pauses[j - 1]
                pair = 10.0 * abs(x - y) - strength - min(duration, 0.8)
                if pair < 0 and cost[i - 1, j - 1] + pair < best:
                    best, how = cost[i - 1, j - 1] + pair, 0
            if i > 0 and cost[i - 1, j] < best:
                best, how = cost[i - 1, j], 1
            if j > 0 and cost[i, j - 1] < best:
                best, how = cost[i, j - 1], 2
            cost[i, j], move[i, j] = best, how
    pairs: list[tuple[int, int]] = []
    i, j = n, m
    while i > 0 or j > 0:
        how = move[i, j]
        if how == 0 and i > 0 and j > 0:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif how == 1:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def align_words_to_audio(
    text: str, samples: MonoAudio, language: str = "en", *, sample_rate_hz: int = SAMPLE_RATE_HZ
) -> list[WordTiming]:
    """Word timings for ``text`` as spoken in ``samples`` (see the module docstring).

    Args:
        text: what was said.
        samples: the clip, mono float32.
        language: the text's language (kept for future per-language rules).
        sample_rate_hz: the clip's rate.

    Returns:
        One timing per written word (punctuation stripped, punctuation-only tokens dropped),
        starts non-decreasing, inside ``0..duration``; ``[]`` for empty text or audio.
    """
    tokens = [t for t in text.split() if strip_punctuation(t)]
    duration_s = len(samples) / sample_rate_hz
    if not tokens or duration_s <= 0:
        return []
    voiced = _voiced_frames(samples, sample_rate_hz)
    if not voiced.any():
        voiced = np.ones(max(1, len(voiced)), dtype=bool)
    voiced_idx = np.flatnonzero(voiced)
    speech_start = float(voiced_idx[0]) * FRAME_S
    speech_end = min(duration_s, float(voiced_idx[-1] + 1) * FRAME_S)
    pauses = _pauses(voiced)
    weights = [syllables(strip_punctuation(t)) for t in tokens]
    total = float(sum(weights))
    cumulative = np.concatenate([[0.0], np.cumsum(weights)]) / total

    # Voiced time so far, per frame: maps a 0..1 "share of speech" to a clock time.
    voiced_cum = np.cumsum(voiced.astype(np.float64))
    voiced_total = float(voiced_cum[-1])

    def clock(share: float, lo_s: float, hi_s: float) -> float:
        """Time at which ``share`` (0..1) of the voiced time in ``[lo_s, hi_s]`` has passed."""
        lo_f, hi_f = int(lo_s / FRAME_S), max(int(lo_s / FRAME_S) + 1, int(np.ceil(hi_s / FRAME_S)))
        hi_f = min(hi_f, len(voiced))
        segment = voiced[lo_f:hi_f]
        count = float(segment.sum())
        if count == 0:
            return lo_s + share * (hi_s - lo_s)
        target = share * count
        running = np.cumsum(segment)
        k = int(np.searchsorted(running, max(target, 1e-9)))
        k = min(k, len(segment) - 1)
        before = float(running[k - 1]) if k > 0 else 0.0
        return min(hi_s, (lo_f + k + (target - before)) * FRAME_S)

    breaks: list[tuple[float, float]] = []
    break_token: list[int] = []
    for k, token in enumerate(tokens[:-1]):
        last = token.rstrip("\"'”’»)]")[-1:]
        if last in _SENTENCE_END or last in _CLAUSE_END:
            breaks.append((float(cumulative[k + 1]), 2.0 if last in _SENTENCE_END else 1.0))
            break_token.append(k)
    pause_points = [
        (
            float(voiced_cum[min(len(voiced_cum) - 1, int(p.start_s / FRAME_S))]) / voiced_total,
            p.duration_s,
        )
        for p in pauses
    ]
    anchors = [(break_token[i], pauses[j]) for i, j in _match(breaks, pause_points)]

    # Segments of tokens between anchors, each with its own time span.
    spans: list[tuple[int, int, float, float]] = []  # first token, end token, start s, end s
    first, t0 = 0, speech_start
    for token_index, pause in anchors:
        spans.append((first, token_index + 1, t0, pause.start_s))
        first, t0 = token_index + 1, pause.end_s
    spans.append((first, len(tokens), t0, speech_end))
    words: list[WordTiming] = []
    for a, b, lo, hi in spans:
        hi = max(hi, lo)
        base = cumulative[a]
        width = max(1e-9, cumulative[b] - base)
        for k in range(a, b):
            start = clock((cumulative[k] - base) / width, lo, hi)
            end = clock((cumulative[k + 1] - base) / width, lo, hi)
            start = max(start, words[-1].start_s if words else 0.0)
            words.append(
                WordTiming(strip_punctuation(tokens[k]), start, max(start, min(end, duration_s)))
            )
    return words
