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
