"""Word timings from eSpeak NG's word events.

eSpeak reports, for each word it speaks, a 1-based character position in the text and the
time in ms at which the word starts; it also reports clause ends. It sometimes reports
several events for one written word (``"2024"`` is spoken as several words) or none (``"—"``),
and its positions drift after accented letters spelled out by a foreign voice. So timings are
built per *written* word: whitespace-separated tokens, or, for scripts without spaces
(ja, zh, th), the spans between successive word events. Each token starts at its first event;
tokens without events are interpolated between their neighbours; a word ends at the next word
start or clause end, whichever is first. Surrounding punctuation is stripped from the text, as
in Edge TTS's WordBoundary events, and tokens that are only punctuation are dropped.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.speech.base import MonoAudio, WordTiming

_TOKEN = re.compile(r"\S+")
_PUNCT = (
    ".,;:!?\"'()[]{}<>*_~`|/\\-"
    "\u00ab\u00bb\u201c\u201d\u2018\u2019\u201e\u2014\u2013\u2026\u00bf\u00a1"  # «»“”‘’„—–…¿¡
    "\u3001\u3002\uff0c\uff01\uff1f\uff1a\uff1b\u300c\u300d\u300e\u300f"  # CJK 、。，！？：；「」『』
    "\u060c\u061f"  # Arabic comma, question mark
)
"""Punctuation stripped from the ends of a word (``%``, ``$`` and inner ``'`` are kept)."""
_EDGE_PUNCT = re.compile(f"^[{re.escape(_PUNCT)}]+|[{re.escape(_PUNCT)}]+$")


@dataclass(frozen=True)
class WordEvent:
    """A word start: 0-based character index into the text and time in seconds."""

    char_index: int
    time_s: float


def _spans(text: str, starts: Sequence[int], split_by_events: bool) -> list[tuple[int, int]]:
    """Character spans ``[start, end)`` of the written words."""
    tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
    if not split_by_events:
        return tokens
    spans: list[tuple[int, int]] = []
    for begin, end in tokens:
        cuts = sorted({begin, *(s for s in starts if begin < s < end)})
        spans += [(a, b) for a, b in zip(cuts, [*cuts[1:], end], strict=True) if b > a]
    return spans


def strip_punctuation(word: str) -> str:
    """``word`` without surrounding punctuation, as Edge TTS's WordBoundary texts are
    (``"clip,"`` → ``"clip"``; inner ``'`` and ``%``/``$`` are kept)."""
    return _EDGE_PUNCT.sub("", word)


_strip = strip_punctuation


def word_timings(
    text: str,
    events: Sequence[WordEvent],
    clause_ends_s: Sequence[float],
    duration_s: float,
    *,
    split_by_events: bool = False,
) -> list[WordTiming]:
    """Align word events to the written words of ``text``.

    Args:
        text: the text that was spoken.
        events: word starts in the order eSpeak reported them.
        clause_ends_s: times of clause/sentence ends, in seconds.
        duration_s: length of the audio; every time is clamped to ``0..duration_s``.
        split_by_events: split tokens at event positions (scripts without spaces).

    Returns:
        One :class:`WordTiming` per written word, starts non-decreasing, ``start <= end``.
        If there are no events at all, times are spread over the audio by character count
        (an estimate).
    """
    starts = [e.char_index for e in events]
    spans = _spans(text, starts, split_by_events)
    spans = [(a, b) for a, b in spans if _strip(text[a:b])]
    if not spans:
        return []
    times: list[float | None] = [None] * len(spans)
    span_starts = [a for a, _ in spans]
    for event in events:
        idx = bisect.bisect_right(span_starts, event.char_index) - 1
        if idx < 0 or event.char_index >= spans[idx][1]:
            idx += 1  # between words: belongs to the next one
        if idx < len(spans) and times[idx] is None:
            times[idx] = event.time_s
    filled = _interpolate(times, spans, duration_s)
    for i in range(1, len(filled)):  # enforce order
        filled[i] = max(filled[i], filled[i - 1])
    boundaries = sorted({*filled, *clause_ends_s, duration_s})
    words: list[WordTiming] = []
    for i, ((a, b), start) in enumerate(zip(spans, filled, strict=True)):
        start = min(max(start, 0.0), duration_s)
        nxt = filled[i + 1] if i + 1 < len(filled) else duration_s
        after = bisect.bisect_right(boundaries, start)
        end = boundaries[after] if after < len(boundaries) else duration_s
        end = min(end, nxt) if nxt > start else min(end, duration_s)
        words.append(WordTiming(_strip(text[a:b]), start, min(max(end, start), duration_s)))
    return words


def _interpolate(
    times: list[float | None], spans: Sequence[tuple[int, int]], duration_s: float
) -> list[float]:
    """Fill missing start times linearly (by character offset) between known neighbours."""
    known = [i for i, t in enumerate(times) if t is not None]
    if not known:
        total = max(1, spans[-1][1])
        return [duration_s * a / total for a, _ in spans]
    out: list[float] = []
    for i, t in enumerate(times):
        if t is not None:
            out.append(t)
            continue
        k = bisect.bisect_left(known, i)
        left = known[k - 1] if k > 0 else None
        right = known[k] if k < len(known) else None
        t_left = times[left] if left is not None else 0.0
        t_right = times[right] if right is not None else duration_s
        c_left = spans[left][0] if left is not None else 0
        c_right = spans[right][0] if right is not None else spans[-1][1]
        frac = (spans[i][0] - c_left) / max(1, c_right - c_left)
        out.append(float(t_left or 0.0) + frac * (float(t_right or 0.0) - float(t_left or 0.0)))
    return out


def trim_trailing_silence(
    words: Sequence[WordTiming],
    samples: MonoAudio,
    sample_rate_hz: int,
    *,
    threshold: float = 0.01,
    frame_s: float = 0.01,
) -> list[WordTiming]:
    """Move each word's end back to the last ``frame_s`` frame louder than ``threshold`` RMS.

    eSpeak reports a clause end at the same time as the next word start, so the pause after
    a comma or full stop would otherwise count as part of the word before it.

    Args:
        words: timings to trim (seconds).
        samples: the clip, mono float32, shape ``(n,)``.
        sample_rate_hz: its rate.

    Returns:
        New timings; an end only moves earlier and stays at least one frame after the start.
    """
    hop = max(1, round(frame_s * sample_rate_hz))
    n_frames = len(samples) // hop
    if n_frames == 0:
        return list(words)
    frames = samples[: n_frames * hop].astype(np.float64).reshape(n_frames, hop)
    loud = np.sqrt(np.mean(frames * frames, axis=1)) > threshold
    out: list[WordTiming] = []
    for word in words:
        first = int(word.start_s / frame_s)
        last = min(n_frames, int(np.ceil(word.end_s / frame_s)))
        hits = np.flatnonzero(loud[first:last])
        end = (first + int(hits[-1]) + 1) * frame_s if len(hits) else word.end_s
        end = min(word.end_s, max(end, word.start_s + frame_s))
        out.append(WordTiming(word.text, word.start_s, end))
    return out
