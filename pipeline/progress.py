"""Progress reporting and cooperative cancellation shared by every stage.

A stage is ``run(inputs, *, progress, cancel) -> outputs``. ``progress`` is called with
``(fraction, message)`` where ``fraction`` is in 0..1 for *that* stage; :func:`scaled`
maps a sub-step's 0..1 into its slice of the parent's range, the way Orange's
``Orange/util.py:wrap_callback`` nests callbacks. ``cancel`` is a :class:`CancelToken` that the
work checks between steps (e.g. between frame batches).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.errors import Cancelled

Progress = Callable[[float, str], None]
"""Callback ``(fraction in 0..1, message) -> None``."""


def no_progress(fraction: float, message: str) -> None:
    """A progress callback that ignores everything."""


def scaled(progress: Progress, start: float, end: float, prefix: str = "") -> Progress:
    """Return a callback that maps ``0..1`` onto ``start..end`` of ``progress``.

    Args:
        progress: the parent callback.
        start, end: the slice of the parent's range, ``0 <= start <= end <= 1``.
        prefix: prepended to each message (e.g. ``"speech: "``).
    """
    span = end - start

    def _inner(fraction: float, message: str) -> None:
        clamped = min(1.0, max(0.0, fraction))
        progress(start + span * clamped, f"{prefix}{message}")

    return _inner


class CancelToken:
    """A thread-safe cancel flag. ``cancel()`` sets it; work calls ``raise_if_cancelled()``.

    Args:
        parent: a token whose cancellation also cancels this one (not the other way round),
            so a stage can stop its own helpers without cancelling the whole job.
    """

    def __init__(self, parent: CancelToken | None = None) -> None:
        self._event = threading.Event()
        self._parent = parent

    def cancel(self) -> None:
        """Ask the work to stop at its next check."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called on this token or its parent."""
        return self._event.is_set() or (self._parent is not None and self._parent.cancelled)

    def raise_if_cancelled(self) -> None:
        """Raise :class:`~pipeline.errors.Cancelled` if cancellation was requested."""
        if self.cancelled:
            raise Cancelled("the job was cancelled", hint="start it again to resume")


NEVER_CANCEL = CancelToken()
"""A token nobody cancels; the default for callers that do not need cancellation."""


# -- typed progress of a whole job --------------------------------------------------------


@dataclass(frozen=True)
class ProgressEvent:
    """One typed progress report of a render (or any job).

    Stages report ``(fraction, message)`` to their own callback; the orchestrator turns that
    into events, so nothing downstream parses a stage name back out of a message.

    Attributes:
        fraction: 0–1 of the whole job; never decreases within one job (a resumed job starts
            from where the previous attempt was).
        stage: the stage running now (``pipeline.render_job.STAGES``), ``""`` before the first.
        message: what is happening, in the user's words ("Voicing scene 3 of 12").
        scene: 0-based index of the scene being worked on, if any.
        scene_count: number of scenes, if known.
        remaining_s: estimated seconds left, from measured throughput; ``None`` while unknown.
        elapsed_s: seconds of work on this job so far, cumulative across resumed attempts
            (filled in by the job runner; ``None`` elsewhere).
    """

    fraction: float
    stage: str
    message: str
    scene: int | None = None
    scene_count: int | None = None
    remaining_s: float | None = None
    elapsed_s: float | None = None


EventSink = Callable[[ProgressEvent], None]
"""Receives :class:`ProgressEvent` s (e.g. the job runner, the CLI's progress bar)."""


def no_events(event: ProgressEvent) -> None:
    """An event sink that ignores everything."""


class SceneProgress:
    """A stage's ``(fraction, message)`` callback that also knows which scene is being worked
    on: stages that loop over scenes call :func:`report_scene` instead of the bare callback,
    and the orchestrator gets the index without reading it out of the message.

    Args:
        on_report: ``(stage_fraction, message, scene, scene_count)``.
    """

    def __init__(self, on_report: Callable[[float, str, int | None, int | None], None]) -> None:
        self._on_report = on_report

    def __call__(self, fraction: float, message: str) -> None:
        self._on_report(fraction, message, None, None)

    def scene(self, fraction: float, message: str, scene: int, scene_count: int) -> None:
        """Report ``fraction`` of the stage while working on ``scene`` (0-based) of
        ``scene_count``."""
        self._on_report(fraction, message, scene, scene_count)


def report_scene(
    progress: Progress, fraction: float, message: str, scene: int, scene_count: int
) -> None:
    """Report progress of a per-scene loop: with the scene index when ``progress`` is a
    :class:`SceneProgress`, else as a plain ``(fraction, message)``."""
    if isinstance(progress, SceneProgress):
        progress.scene(fraction, message, scene, scene_count)
    else:
        progress(fraction, message)


class Monotonic:
    """Clamps a job's fraction so it never goes backwards (estimates get revised as a render
    learns more, e.g. the real scene lengths after speech).

    Args:
        floor: the fraction already reached (a resumed job's previous progress).
    """

    def __init__(self, floor: float = 0.0) -> None:
        self._value = min(1.0, max(0.0, floor))
        self._lock = threading.Lock()

    def __call__(self, fraction: float) -> float:
        with self._lock:
            self._value = max(self._value, min(1.0, max(0.0, fraction)))
            return self._value
