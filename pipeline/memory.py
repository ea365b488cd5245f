"""Give freed memory back to the system, so a render's peak is its largest stage, not their sum.

A render allocates large short-lived buffers: speech clips (a minute of narration is 11.5 MB
of float32 at 48 kHz, more while it is resampled), 1080p frames (6.2 MB each, several per
frame drawn), encoder buffers. With glibc's default settings such buffers are freed into
the heap of the thread that made them but not returned to the system: glibc raises its
``mmap`` threshold to the size of each large block freed (up to 32 MiB, "dynamic mmap
threshold", ``mallopt(3)``), so later blocks of that size come from per-thread heaps, and
a heap can only shrink from its top. Every worker thread's heap then keeps the high-water
mark of its stage. Measured on the 137-page PDF case (``benchmarks/memory_bench.py``, eSpeak
NG): after the speech stage the process held 506 MB of which Python and NumPy still used
3 MB (``tracemalloc``); ``malloc_trim(0)`` brought it to 125 MB. The encode stage's heaps
then came on top, so the peak grew with the length of the narrations and the number of
stages instead of staying at the largest stage's working set.

:func:`bound_heap` fixes glibc's ``mmap`` threshold at :data:`MMAP_THRESHOLD_BYTES` (which
also switches the dynamic adjustment off): every block of 1 MiB or more is mapped on its
own and unmapped when freed, whichever thread frees it. :func:`trim_heap` returns the free
pages left inside the heaps (``malloc_trim(0)``, glibc ≥ 2.8: all arenas, all whole free
pages) at the end of a stage. Both are no-ops where the C library is not glibc (macOS,
Windows, musl): there the allocator returns large blocks by itself.

Sources: glibc manual pages ``mallopt(3)`` (``M_MMAP_THRESHOLD``, dynamic threshold) and
``malloc_trim(3)``. Cost measured on the 2-core reference machine: the encode stage of the
PDF case ran at the same speed (24 chunks of 1080p, 45 s vs 46 s) with a 341 MB instead of
457 MB peak.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import logging
import os
import threading
from collections.abc import Iterator

log = logging.getLogger(__name__)

MMAP_THRESHOLD_BYTES = 1 << 20
"""Blocks of at least this size (1 MiB) are mapped on their own and returned when freed:
frames, speech clips, encoder buffers — not Python's small objects or 1-second audio blocks
(192 KB), which the heaps recycle quickly."""

FRAME_MMAP_THRESHOLD_BYTES = 8 << 20
"""The ``mmap`` threshold inside :func:`frame_heap` (8 MiB): a 1080p RGB frame (6.2 MB) and
its YUV copy (3.1 MB) come from the heaps and are reused, a minute of speech (11.5 MB)
is still mapped on its own."""

FRAME_TRIM_THRESHOLD_BYTES = 16 << 20
"""Free memory a heap keeps at its top inside :func:`frame_heap` (16 MiB, between two and
three 1080p frames) instead of returning it after every frame. On the 60-second explainer
the encode stage spent 1.23 / 1.08 / 0.99 s of system CPU at 8 / 16 / 32 MiB (4.5 s with no
reuse); every heap of every thread may keep this much while encoding, so the smaller the
better for long videos."""

_DEFAULT_TRIM_THRESHOLD_BYTES = 128 * 1024
"""glibc's ``M_TRIM_THRESHOLD`` default (``DEFAULT_TRIM_THRESHOLD``, ``malloc.c``)."""

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
"""``mallopt`` parameter numbers of ``M_TRIM_THRESHOLD`` and ``M_MMAP_THRESHOLD`` (glibc
``malloc.h``)."""

_lock = threading.Lock()
_bounded = False
_frame_users = 0


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    """The running glibc, or ``None`` when the C library is another one."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else ctypes.CDLL(None)
        libc.gnu_get_libc_version.restype = ctypes.c_char_p
        libc.gnu_get_libc_version()
        libc.mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
        libc.mallopt.restype = ctypes.c_int
        libc.malloc_trim.argtypes = (ctypes.c_size_t,)
        libc.malloc_trim.restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc


def heap_control_available() -> bool:
    """``True`` when the C library is glibc, whose heaps :func:`bound_heap` and
    :func:`trim_heap` control (elsewhere both do nothing)."""
    return _glibc() is not None


def bound_heap() -> bool:
    """Make large blocks (≥ :data:`MMAP_THRESHOLD_BYTES`) go back to the system when freed.

    Process-wide and idempotent (a render calls it at its start); affects blocks allocated
    from then on, in every thread.

    Returns:
        ``True`` when the setting is in force (glibc), ``False`` elsewhere.
    """
    global _bounded
    libc = _glibc()
    if libc is None:
        return False
    with _lock:
        if not _bounded:
            _bounded = bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
            if not _bounded:
                log.warning("mallopt(M_MMAP_THRESHOLD) refused; freed memory may stay mapped")
        return _bounded


@contextlib.contextmanager
def frame_heap() -> Iterator[None]:
    """While frames are drawn and encoded, let the heaps reuse frame-sized blocks.

    Under :func:`bound_heap` every 1080p frame buffer (6.2 MB RGB, 3.1 MB YUV, Pillow's
    copies) is mapped when allocated and unmapped when freed, so each frame drawn costs
    thousands of page faults of zero-filling: on the 60-second explainer
    (``benchmarks/explainer60.py``) 4.5 s of system CPU and a third of the encode stage.
    Inside this context the ``mmap`` threshold is :data:`FRAME_MMAP_THRESHOLD_BYTES` and
    each heap keeps up to :data:`FRAME_TRIM_THRESHOLD_BYTES` free at its top; on leaving,
    the heaps are trimmed and :func:`bound_heap`'s setting is restored. Nested and
    concurrent uses are counted (the last one out restores). Does nothing unless
    :func:`bound_heap` is in force.
    """
    global _frame_users
    libc = _glibc()
    with _lock:
        active = _bounded and libc is not None
        if active and libc is not None:
            _frame_users += 1
            if _frame_users == 1:
                libc.mallopt(_M_MMAP_THRESHOLD, FRAME_MMAP_THRESHOLD_BYTES)
                libc.mallopt(_M_TRIM_THRESHOLD, FRAME_TRIM_THRESHOLD_BYTES)
    try:
        yield
    finally:
        if active and libc is not None:
            with _lock:
                _frame_users -= 1
                if _frame_users == 0:
                    libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_TRIM_THRESHOLD_BYTES)
                    libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
            trim_heap()


def resident_mb() -> float | None:
    """This process's resident memory now, in MB (10^6 bytes), or ``None`` off Linux.

    Read from ``/proc/self/statm`` (its second field, resident pages; ``proc(5)``), about
    20 µs.
    """
    try:
        with open("/proc/self/statm", "rb") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def trim_heap() -> bool:
    """Return the whole free pages inside the C heaps to the system (end of a stage).

    Thread-safe; takes a few milliseconds.

    Returns:
        ``True`` when memory was released, ``False`` when there was none or the C library
        is not glibc.
    """
    libc = _glibc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


__all__ = [
    "FRAME_MMAP_THRESHOLD_BYTES",
    "FRAME_TRIM_THRESHOLD_BYTES",
    "MMAP_THRESHOLD_BYTES",
    "bound_heap",
    "frame_heap",
    "heap_control_available",
    "resident_mb",
    "trim_heap",
]
