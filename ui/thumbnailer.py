"""Storyboard thumbnails drawn in a helper process, so the GUI thread keeps the interpreter.

Drawing a thumbnail is Python-heavy (layout, Pillow text, numpy compositing). On a thread of
the GUI process it competes with the GUI thread for the interpreter lock, and every card the
GUI paints meanwhile takes several times longer (the benchmark measured 300 ms event-loop
stalls while a 100-scene storyboard filled). :func:`draw_thumbnail` therefore sends the one
scene to draw (as a one-scene spec) to a single ``spawn`` worker process running
:func:`pipeline.preview.scene_thumbnail` and waits for the pixels; the caller is a worker
thread (:func:`ui.operations.thumbnail_pool`), never the GUI thread.

If the helper cannot start or dies, thumbnails are drawn in-process instead (same function,
same pixels). :func:`shutdown` stops the helper (application exit); if the studio itself is
killed, the helper notices within :data:`PARENT_CHECK_S` and exits too.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from pipeline.models import VideoSpec
from pipeline.preview import scene_thumbnail
from pipeline.render.base import RGBFrame

log = logging.getLogger(__name__)

PARENT_CHECK_S = 1.0
"""How often the helper checks that the studio that started it is still alive, in seconds."""

_lock = threading.Lock()
_executor: ProcessPoolExecutor | None = None
_broken = False


def _exit_with_parent(parent_pid: int) -> None:
    """Helper process: exit as soon as the studio that started it is gone (killed, crashed)."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _helper() -> ProcessPoolExecutor | None:
    global _executor
    with _lock:
        if _executor is None and not _broken:
            context = multiprocessing.get_context("spawn")
            _executor = ProcessPoolExecutor(
                max_workers=1,
                mp_context=context,
                initializer=_exit_with_parent,
                initargs=(os.getpid(),),
            )
        return _executor


def draw_thumbnail(spec: VideoSpec, scene_index: int) -> RGBFrame | None:
    """The thumbnail of scene ``scene_index`` (:func:`pipeline.preview.scene_thumbnail`),
    drawn in the helper process. Blocks: call it from a worker thread.

    Raises:
        IndexError: no such scene.
    """
    global _broken, _executor
    if not 0 <= scene_index < len(spec.scenes):
        raise IndexError(f"scene {scene_index} is outside the {len(spec.scenes)} scenes")
    one = spec.model_copy(update={"scenes": [spec.scenes[scene_index]]})
    executor = _helper()
    if executor is not None:
        try:
            return executor.submit(scene_thumbnail, one, 0).result()
        except (BrokenProcessPool, OSError, RuntimeError) as error:
            log.warning("thumbnail helper unavailable (%s): drawing in-process", error)
            with _lock:
                _broken = True
                _executor = None
            executor.shutdown(wait=False, cancel_futures=True)
    return scene_thumbnail(one, 0)


def shutdown() -> None:
    """Stop the helper process (it is started again on the next request)."""
    global _executor
    with _lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=True, cancel_futures=True)
