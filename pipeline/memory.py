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

import ctypes
import ctypes.util
import functools
import logging
import threading

log = logging.getLogger(__name__)

MMAP_THRESHOLD_BYTES = 1 << 20
"""Blocks of at least this size (1 MiB) are mapped on their own and returned when freed:
frames, speech clips, encoder buffers — not Python's small objects or 1-second audio blocks
(192 KB), which the heaps recycle quickly."""

_M_MMAP_THRESHOLD = -3
"""``mallopt`` parameter number of ``M_MMAP_THRESHOLD`` (glibc ``malloc.h``)."""

_lock = threading.Lock()
_bounded = False


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


def trim_heap() -> bool:
    """Return the whole free pages inside the C heaps to the system (end of a stage).

    Thread-safe; takes a few milliseconds.

    Returns:
        ``True`` when memory was released, ``False`` when there was none or the C library
        is not glibc.
    """
    libc = _glibc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


__all__ = ["MMAP_THRESHOLD_BYTES", "bound_heap", "heap_control_available", "trim_heap"]
