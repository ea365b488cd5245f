"""How much work a render is, stage by stage, and how long what is left will take.

A render's progress fraction and its "remaining" estimate both come from one
:class:`WorkPlan`: the estimated *seconds* of each stage, computed from the amount of work
(characters to voice, frames to encode, frames to mux and check) times this machine's measured
:class:`Throughput`. Work served from the cache is taken out of the plan when it is found
(so a resumed render does not look fast at first and then crawl), and the estimate of the
current stage is corrected by its own measured speed as it runs.

The studio persists the throughput measured by each render (:meth:`Throughput.blend`), so the
estimates converge to the machine the studio runs on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

SPOKEN_CHARS_PER_S = 14.0
"""Characters of narration spoken per second, used to guess a scene's length before it is
voiced: ~150 words per minute (the usual narration pace; eSpeak NG's default is 175 wpm)
at ~5.6 characters per word including the space."""


@dataclass(frozen=True)
class Throughput:
    """Measured speeds of the render stages on one machine.

    Attributes:
        speech_s_per_char: wall seconds per narration character, by speech provider
            (``"espeak"``, ``"piper"``, ``"edge"``, …).
        encode_s_per_frame: wall seconds per frame drawn and encoded (all encode threads).
        mux_s_per_frame: wall seconds per output frame to join segments and mux the audio.
        validate_s_per_frame: wall seconds per output frame to reopen and decode the file.
        fixed_s: per-render constant cost (planning, thumbnail, subtitles, metadata).

    The defaults were measured on the 2-core reference machine (libx264 ultrafast, Piper and
    eSpeak NG, ``benchmarks/explainer60.py``, 2026-12-02: encode 0.0017 s per frame, mux
    0.00012, validate 0.00041, Piper 0.0040 s per character, eSpeak NG 0.00019), rounded
    up by a fifth or so for busier machines; :meth:`blend` moves them towards what a
    machine really does. (Priors three times too slow made a studio's first estimates run
    at twice the time really left: the blend keeps 30 % of them after one render.)
    """

    speech_s_per_char: Mapping[str, float] = field(
        default_factory=lambda: {"espeak": 0.00025, "piper": 0.005, "edge": 0.01}
    )
    encode_s_per_frame: float = 0.002
    mux_s_per_frame: float = 0.00015
    validate_s_per_frame: float = 0.0005
    fixed_s: float = 0.2

    def speech_rate(self, provider: str) -> float:
        """Seconds per character for ``provider`` (the slowest known rate if unknown)."""
        rates = dict(self.speech_s_per_char)
        return rates.get(provider, max(rates.values(), default=0.02))

    def blend(self, measured: Throughput, weight: float = 0.7) -> Throughput:
        """An exponential moving average: ``weight`` of ``measured`` plus the rest of self.
        Rates ``measured`` did not observe (0) are kept."""

        def mix(old: float, new: float) -> float:
            return old if new <= 0 else (1 - weight) * old + weight * new

        speech = dict(self.speech_s_per_char)
        for provider, rate in measured.speech_s_per_char.items():
            speech[provider] = mix(speech.get(provider, rate), rate)
        return Throughput(
            speech_s_per_char=speech,
            encode_s_per_frame=mix(self.encode_s_per_frame, measured.encode_s_per_frame),
            mux_s_per_frame=mix(self.mux_s_per_frame, measured.mux_s_per_frame),
            validate_s_per_frame=mix(self.validate_s_per_frame, measured.validate_s_per_frame),
            fixed_s=mix(self.fixed_s, measured.fixed_s),
        )

    def to_json(self) -> dict[str, Any]:
        """As stored by the studio."""
        data = asdict(self)
        data["speech_s_per_char"] = dict(self.speech_s_per_char)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Throughput:
        """From :meth:`to_json` output; unknown or invalid values fall back to the defaults."""
        default = cls()
        if not isinstance(data, Mapping):
            return default
        values: dict[str, Any] = {}
        speech = data.get("speech_s_per_char")
        if isinstance(speech, Mapping):
            values["speech_s_per_char"] = {
                str(k): float(v)
                for k, v in speech.items()
                if isinstance(v, int | float) and 0 < v < 10
            } or dict(default.speech_s_per_char)
        for name in ("encode_s_per_frame", "mux_s_per_frame", "validate_s_per_frame", "fixed_s"):
            value = data.get(name)
            if isinstance(value, int | float) and 0 < value < 100:
                values[name] = float(value)
        return replace(default, **values)


@dataclass
class _Stage:
    cost_s: float = 0.0
    done_s: float = 0.0  # of cost_s
    started: float | None = None
    finished: float | None = None
    # The first progress report of the stage: its speed is measured from there on, so a
    # stage's start-up (opening files, the first frame batch) does not count as its pace.
    first_t: float | None = None
    first_done_s: float = 0.0
    last_t: float | None = None

    def measured(self, now: float) -> tuple[float, float] | None:
        """``(wall seconds, estimated seconds done)`` since the first progress report."""
        if self.first_t is None:
            return None
        end = self.finished if self.finished is not None else now
        done = self.done_s - self.first_done_s
        if done <= 0 or end <= self.first_t:
            return None
        return end - self.first_t, done


class WorkPlan:
    """Estimated seconds per stage; turns stage progress into a job fraction and an ETA.

    Thread-safe (encode threads report concurrently).

    Args:
        stages: stage names in order.
        clock: monotonic seconds (tests pass a fake).
    """

    def __init__(self, stages: Iterable[str], clock: Any = time.monotonic) -> None:
        self._stages = {name: _Stage() for name in stages}
        self._order = list(self._stages)
        self._clock = clock
        self._lock = threading.Lock()
        self._started = clock()

    def set_cost(self, stage: str, cost_s: float) -> None:
        """Set the estimated seconds of ``stage`` (keeps what is done of it)."""
        with self._lock:
            entry = self._stages[stage]
            entry.cost_s = max(0.0, cost_s)
            entry.done_s = min(entry.done_s, entry.cost_s)

    def cost(self, stage: str) -> float:
        """The estimated seconds of ``stage``."""
        with self._lock:
            return self._stages[stage].cost_s

    def start(self, stage: str) -> None:
        """``stage`` begins now."""
        with self._lock:
            self._stages[stage].started = self._clock()

    def advance(self, stage: str, stage_fraction: float) -> None:
        """``stage_fraction`` (0–1) of ``stage`` is done."""
        with self._lock:
            entry = self._stages[stage]
            done = max(entry.done_s, entry.cost_s * min(1.0, max(0.0, stage_fraction)))
            now = self._clock()
            if entry.first_t is None and done > 0:
                entry.first_t, entry.first_done_s = now, done
            entry.done_s = done
            entry.last_t = now

    def finish(self, stage: str) -> None:
        """``stage`` is complete."""
        with self._lock:
            entry = self._stages[stage]
            entry.done_s = entry.cost_s
            entry.finished = self._clock()

    def fraction(self) -> float:
        """Estimated share of the whole job done (0–1), by estimated seconds."""
        with self._lock:
            total = sum(s.cost_s for s in self._stages.values())
            done = sum(s.done_s for s in self._stages.values())
        return done / total if total > 0 else 0.0

    def remaining_s(self) -> float | None:
        """Estimated seconds left.

        Each stage's pace is measured from its first progress report on (wall seconds per
        estimated second). The rest of the current stage goes at its own pace once it has
        done a fifth of its work (blended with the job's pace before that); later stages go
        at the pace measured over the job so far when the job runs slower than its priors
        (a busier machine), and at their priors when it runs faster: one stage running ahead
        says little about the others (unchanged frames made encoding far cheaper than its
        per-frame prior while muxing and validation kept theirs, and the estimates of a
        render's last third came out at half the time really left). ``None`` before
        anything was measured.
        """
        with self._lock:
            now = self._clock()
            spans = [m for m in (s.measured(now) for s in self._stages.values()) if m]
            if not spans:
                return None
            overall = sum(wall for wall, _ in spans) / sum(done for _, done in spans)
            remaining = 0.0
            for entry in self._stages.values():
                left = entry.cost_s - entry.done_s
                if left <= 0:
                    continue
                speed = max(1.0, overall)
                own = entry.measured(now) if entry.finished is None else None
                if own is not None and entry.cost_s > 0:
                    share = min(1.0, entry.done_s / entry.cost_s / 0.2)
                    speed = share * (own[0] / own[1]) + (1 - share) * overall
                remaining += left * speed
            return remaining


def estimate_frames(narration_chars: Iterable[int], fps: int, padding_s: float = 1.0) -> int:
    """Frames a video will have, guessed before it is voiced: each scene lasts its narration at
    :data:`SPOKEN_CHARS_PER_S` plus ``padding_s``."""
    return int(sum((n / SPOKEN_CHARS_PER_S + padding_s) * fps for n in narration_chars))
