"""One helper for every background call of the UI (after Anki's ``QueryOp``).

::

    BackgroundOp(lambda: studio.projects.load_project(pid), parent=self)
        .success(self._on_loaded)
        .run()

The callable runs on the UI's own :class:`QThreadPool` (separate from the job runner's, so a
render never starves a preview). Saving the user's work runs on a third pool,
:func:`writer_pool`: one thread that does nothing but project reads and writes, in the order
they were asked for, so a save never waits behind a preview's speech synthesis and a project
opened after a save reads what was saved. Its result or exception comes back to the GUI thread through
the signals of a :class:`QObject` that lives there (a ``QRunnable`` cannot carry signals), and
the callbacks run on the GUI thread. Without a ``failure`` callback, the error goes to the one
error dialog (:func:`ui.errors.show_error`). If ``parent`` is deleted before the work ends, the
result is dropped.

:class:`LatestOnly` keeps at most one call of a kind in flight and, when several requests come
in meanwhile, runs only the newest: stale requests are dropped (previews, thumbnails).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

_pool: QThreadPool | None = None
_writer: QThreadPool | None = None
_single: dict[str, QThreadPool] = {}
_live: set[_Relay] = set()


def operations_pool() -> QThreadPool:
    """The thread pool of UI background calls (two threads: GUI work is short)."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(2)
        _pool.setExpiryTimeout(30_000)
    return _pool


def writer_pool() -> QThreadPool:
    """The pool that saves and opens projects: one thread, first in first out.

    Nothing else runs there (no previews, no thumbnails, no speech), so a save starts as soon
    as the previous project read or write ends; one thread keeps saves and loads in order.
    """
    global _writer
    if _writer is None:
        _writer = QThreadPool()
        _writer.setMaxThreadCount(1)
        _writer.setExpiryTimeout(-1)  # keep the thread: the next save starts at once
    return _writer


def _single_thread(name: str) -> QThreadPool:
    pool = _single.get(name)
    if pool is None:
        pool = _single[name] = QThreadPool()
        pool.setMaxThreadCount(1)
    return pool


def thumbnail_pool() -> QThreadPool:
    """One thread that draws storyboard thumbnails (apart from previews and saves)."""
    return _single_thread("thumbnails")


def duration_pool() -> QThreadPool:
    """One thread that voices scenes to measure the storyboard's durations."""
    return _single_thread("durations")


def wait_for_operations(timeout_ms: int = 30_000) -> bool:
    """Wait for every background call, saves and storyboard cards included, to end (tests,
    application exit)."""
    saved = writer_pool().waitForDone(timeout_ms)
    cards = all(pool.waitForDone(timeout_ms) for pool in (thumbnail_pool(), duration_pool()))
    return operations_pool().waitForDone(timeout_ms) and saved and cards


class _Relay(QObject):
    """Lives on the GUI thread; the worker emits, Qt queues the call to the GUI thread."""

    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        parent_widget: QObject | None,
        on_success: Callable[[Any], None] | None,
        on_failure: Callable[[BaseException], None] | None,
    ) -> None:
        super().__init__()
        self._parent = parent_widget
        self._on_success = on_success
        self._on_failure = on_failure
        self.succeeded.connect(self._deliver_success)
        self.failed.connect(self._deliver_failure)

    def _parent_alive(self) -> bool:
        return self._parent is None or shiboken6.isValid(self._parent)

    @Slot(object)
    def _deliver_success(self, result: object) -> None:
        _live.discard(self)
        if self._parent_alive() and self._on_success is not None:
            self._on_success(result)

    @Slot(object)
    def _deliver_failure(self, error: object) -> None:
        _live.discard(self)
        if not self._parent_alive():
            return
        assert isinstance(error, BaseException)
        if self._on_failure is not None:
            self._on_failure(error)
        else:
            from ui.errors import show_error

            parent = self._parent if isinstance(self._parent, QWidget) else None
            show_error(error, parent)


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._fn = fn
        self._relay = relay
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as error:  # delivered to the GUI thread, never lost
            log.debug("background call failed", exc_info=True)
            self._relay.failed.emit(error)
        else:
            self._relay.succeeded.emit(result)


class BackgroundOp:
    """A call to run off the GUI thread, with callbacks on the GUI thread.

    Args:
        fn: the work (no arguments; use a lambda or ``functools.partial``). It must not
            touch widgets.
        parent: the widget that asked; if it is gone when the work ends, nothing is delivered,
            and it parents the default error dialog.
        pool: where to run (default :func:`operations_pool`; :func:`writer_pool` for saving
            and opening projects).
    """

    def __init__(
        self,
        fn: Callable[[], Any],
        *,
        parent: QObject | None = None,
        pool: QThreadPool | None = None,
    ) -> None:
        self._fn = fn
        self._parent = parent
        self._pool = pool
        self._on_success: Callable[[Any], None] | None = None
        self._on_failure: Callable[[BaseException], None] | None = None

    def success(self, callback: Callable[[Any], None]) -> BackgroundOp:
        """Call ``callback(result)`` on the GUI thread when the work returns."""
        self._on_success = callback
        return self

    def failure(self, callback: Callable[[BaseException], None]) -> BackgroundOp:
        """Call ``callback(error)`` on the GUI thread instead of showing the error dialog."""
        self._on_failure = callback
        return self

    def run(self) -> None:
        """Start the work on its pool (default :func:`operations_pool`)."""
        relay = _Relay(self._parent, self._on_success, self._on_failure)
        _live.add(relay)  # keep the relay alive until it delivers
        (self._pool or operations_pool()).start(_Runnable(self._fn, relay))


class LatestOnly(QObject):
    """Runs requests one at a time and only the newest waiting one: stale requests are dropped.

    ``submit(fn, on_success, on_failure)`` starts ``fn`` now if nothing is in flight; else it
    replaces the waiting request. A result is delivered only if no newer request was submitted
    since (so a slow old frame never overwrites a newer one).
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._generation = 0
        self._busy = False
        self._waiting: tuple[int, Callable[[], Any], Callable[[Any], None], Any] | None = None

    @property
    def busy(self) -> bool:
        """True while a request is in flight."""
        return self._busy

    def submit(
        self,
        fn: Callable[[], Any],
        on_success: Callable[[Any], None],
        on_failure: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Ask for ``fn`` to run; only the newest request's result is ever delivered."""
        self._generation += 1
        self._waiting = (self._generation, fn, on_success, on_failure)
        if not self._busy:
            self._start_waiting()

    def _start_waiting(self) -> None:
        if self._waiting is None:
            return
        generation, fn, on_success, on_failure = self._waiting
        self._waiting = None
        self._busy = True

        def done(result: Any) -> None:
            self._busy = False
            if generation == self._generation:
                on_success(result)
            self._start_waiting()

        def failed(error: BaseException) -> None:
            self._busy = False
            if generation == self._generation:
                if on_failure is not None:
                    on_failure(error)
                else:
                    from ui.errors import show_error

                    show_error(error, None)
            self._start_waiting()

        BackgroundOp(fn, parent=self).success(done).failure(failed).run()
