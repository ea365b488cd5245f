"""The preview helper process: the studio's drawing and speaking, away from its window.

Drawing a thumbnail or a preview frame, and voicing a scene to measure it, is Python-heavy
(layout, Pillow text, numpy compositing, the Piper model). On a thread of the studio process
that work competes with the GUI thread for the interpreter lock, and long calls into C that
keep the lock (Pillow drawing text, loading the Piper model, Qt image scaling) stall the
window outright: the benchmark measured 140–400 ms event-loop stalls while a 100-scene
storyboard filled. :func:`call` therefore runs a function of :mod:`ui.preview_tasks` in one
``spawn`` helper process and blocks the calling worker thread (never the GUI thread) until
the answer comes back.

The helper runs each *lane* (``thumbnails``, ``durations``, ``preview``, ``sketch``) on its
own thread, so a preview frame never waits behind a storyboard card (and the sketch that stands
in for a frame whose narration is still being voiced waits for neither). Work that needs the
content cache gets the studio's own cache, opened in the helper from its
:class:`~studio.api.CacheAddress` (the database is shared safely between processes), so the
speech a preview synthesises is the clip the render reuses.

If the helper cannot start or dies, the work runs in the studio process instead (same
functions, same pixels, just less smooth). :func:`shutdown` stops the helper (application
exit); if the studio itself is killed, the helper notices within :data:`PARENT_CHECK_S` and
exits too. This module imports no Qt (the helper imports it).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing
import os
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from pipeline.artifacts import ArtifactStore

log = logging.getLogger(__name__)

HELPER_NICENESS = 5
"""The helper runs this much nicer than the studio: when the cores are busy, the window's
thread gets a CPU before the drawing does."""
PARENT_CHECK_S = 1.0
"""How often the helper checks that the studio that started it is still alive, in seconds."""
LANES = ("thumbnails", "durations", "preview", "sketch")
"""The helper's work queues; each runs one call at a time, side by side with the others."""
YIELDING_LANES = ("durations",)
"""Lanes whose next call waits while a ``preview`` call runs: measuring the storyboard's
durations voices every scene, and beside it the scene the user is looking at was voiced at
half speed (its first exact frame took 16–29 s on a 100-scene project on the loaded 2-core
machine)."""
YIELD_MAX_S = 30.0
"""A yielding lane waits at most this long for the preview (it is never starved)."""
_STORES_KEPT = 2

T = TypeVar("T")


class HelperGone(RuntimeError):
    """The helper process stopped answering (it died or could not start)."""


@dataclass(frozen=True)
class StoreRef:
    """The content cache a call works with.

    Attributes:
        local: the cache in the studio process (used when the work runs here).
        address: the same cache as a picklable address (``studio.cache_address()``), to be
            opened in the helper; ``None`` runs cache work in the studio process.
    """

    local: Callable[[], ArtifactStore]
    address: Any = None


# -- the helper process's side -----------------------------------------------------------------

_stores: OrderedDict[Any, ArtifactStore] = OrderedDict()
_stores_lock = threading.Lock()


def _store(address: Any) -> ArtifactStore:
    """Helper process: the cache at ``address``, opened once (the last few are kept)."""
    with _stores_lock:
        store = _stores.get(address)
        if store is None:
            store = address.open()
            _stores[address] = store
            while len(_stores) > _STORES_KEPT:
                _old, dropped = _stores.popitem(last=False)
                db = getattr(dropped, "db", None)
                with contextlib.suppress(Exception):
                    db.close()  # type: ignore[union-attr]
        _stores.move_to_end(address)
        return store


def _watch_parent(parent_pid: int) -> None:
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def serve(conn: Connection, parent_pid: int) -> None:
    """Helper process: answer calls from ``conn`` until it closes or the studio is gone.

    A request is ``(id, lane, fn, address, args)``; the answer ``(id, ok, value)`` carries
    ``fn``'s result, or the exception it raised.
    """
    _watch_parent(parent_pid)
    with contextlib.suppress(OSError, AttributeError):  # not on Windows
        os.nice(HELPER_NICENESS)
    send_lock = threading.Lock()
    lanes: dict[str, ThreadPoolExecutor] = {}

    def reply(message: tuple[int, bool, Any]) -> None:
        with send_lock:
            try:
                conn.send(message)
            except (OSError, ValueError):
                os._exit(0)  # the studio is gone
            except Exception as error:  # e.g. an exception that does not pickle
                conn.send((message[0], False, RuntimeError(f"{type(error).__name__}: {error}")))

    previews = [0]  # preview calls running
    preview_done = threading.Condition()

    def run(
        lane: str, request_id: int, fn: Callable[..., Any], address: Any, args: tuple[Any, ...]
    ) -> None:
        if lane in YIELDING_LANES:
            with preview_done:
                preview_done.wait_for(lambda: previews[0] == 0, timeout=YIELD_MAX_S)
        elif lane == "preview":
            with preview_done:
                previews[0] += 1
        try:
            value = fn(_store(address), *args) if address is not None else fn(*args)
        except BaseException as error:
            log.debug("helper call failed:\n%s", traceback.format_exc())
            reply((request_id, False, error))
        else:
            reply((request_id, True, value))
        finally:
            if lane == "preview":
                with preview_done:
                    previews[0] -= 1
                    preview_done.notify_all()

    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            break
        if message is None:
            break
        request_id, lane, fn, address, args = message
        pool = lanes.get(lane)
        if pool is None:
            pool = lanes[lane] = ThreadPoolExecutor(1, thread_name_prefix=lane)
        pool.submit(run, lane, request_id, fn, address, args)
    os._exit(0)


# -- the studio's side -------------------------------------------------------------------------


class _Helper:
    """The studio's handle on one helper process."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe(duplex=True)
        self.process = context.Process(
            target=serve,
            args=(theirs, os.getpid()),
            name="videostudio-preview",
            daemon=True,
        )
        self.process.start()
        theirs.close()
        self.conn = ours
        self._send_lock = threading.Lock()
        self._futures: dict[int, Future[Any]] = {}
        self._ids = itertools.count(1)
        self.alive = True
        self._reader = threading.Thread(target=self._read, name="preview-helper", daemon=True)
        self._reader.start()

    def submit(
        self, lane: str, fn: Callable[..., Any], address: Any, args: tuple[Any, ...]
    ) -> Future[Any]:
        future: Future[Any] = Future()
        with self._send_lock:
            if not self.alive:
                raise HelperGone("the preview helper is not running")
            request_id = next(self._ids)
            self._futures[request_id] = future
            try:
                self.conn.send((request_id, lane, fn, address, args))
            except (OSError, ValueError) as error:
                self._futures.pop(request_id, None)
                raise HelperGone(f"the preview helper is not running ({error})") from error
        return future

    def _read(self) -> None:
        while True:
            try:
                request_id, ok, value = self.conn.recv()
            except (EOFError, OSError):
                break
            except Exception as error:  # an answer that does not unpickle: fail that call only
                log.warning("unreadable answer from the preview helper: %s", error)
                continue
            with self._send_lock:
                future = self._futures.pop(request_id, None)
            if future is None:
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        with self._send_lock:
            self.alive = False
            pending, self._futures = self._futures, {}
        for future in pending.values():
            future.set_exception(HelperGone("the preview helper stopped"))

    def close(self, timeout_s: float = 5.0) -> None:
        with self._send_lock:
            with contextlib.suppress(OSError, ValueError):
                self.conn.send(None)
        self.process.join(timeout_s)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout_s)
        with contextlib.suppress(OSError):
            self.conn.close()


_lock = threading.Lock()
_helper: _Helper | None = None
_broken = False


def _running() -> _Helper | None:
    global _helper
    with _lock:
        if _helper is None and not _broken:
            try:
                _helper = _Helper()
            except (OSError, RuntimeError) as error:
                _give_up(f"could not start ({error})")
        return _helper


def _give_up(reason: str) -> None:
    """The helper is unusable: do the work in the studio process from now on (``_lock`` held)."""
    global _helper, _broken
    log.warning("preview helper %s: drawing in the studio process", reason)
    _broken = True
    _helper = None


def start() -> None:
    """Start the helper now (it also starts on the first call), so that the first thumbnail
    does not wait for it to load. Safe from any thread; quick."""
    _running()


def call(lane: str, fn: Callable[..., T], *args: Any, store: StoreRef | None = None) -> T:
    """Run ``fn(*args)`` — or ``fn(store, *args)`` with ``store`` — in the helper, on
    ``lane``, and return its result. Blocks: call it from a worker thread, never the GUI.

    ``fn`` must be a module-level function (it is sent by name); ``args`` must pickle. With
    a ``store`` without an address, or when the helper is unusable, ``fn`` runs here.

    Raises:
        whatever ``fn`` raises.
    """
    if store is not None and store.address is None:
        return fn(store.local(), *args)
    helper = _running()
    if helper is not None:
        try:
            address = store.address if store is not None else None
            future = helper.submit(lane, fn, address, args)
            return future.result()
        except HelperGone as error:
            with _lock:
                if _helper is helper:
                    _give_up(str(error))
    if store is not None:
        return fn(store.local(), *args)
    return fn(*args)


def helper_pid() -> int | None:
    """The helper process's id, if it runs (benchmarks measure its memory)."""
    helper = _helper
    return helper.process.pid if helper is not None and helper.alive else None


def shutdown() -> None:
    """Stop the helper process (it is started again on the next call)."""
    global _helper, _broken
    with _lock:
        helper, _helper = _helper, None
        _broken = False
    if helper is not None:
        helper.close()
