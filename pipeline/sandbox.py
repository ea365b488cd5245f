"""Run a parser in a child process under limits on CPU time, wall time and memory.

Documents come from anywhere. A hostile or merely unlucky file can make a parser loop, or
allocate without bound, inside C code (lxml, zlib, libyaml) where Python never checks for
Ctrl-C. Every document parser therefore runs through :func:`run_limited`:

* the work runs in a child process (``forkserver`` where available: the server is started
  once per process, with the parsers imported, and each call forks a fresh child from it in
  a few milliseconds; else ``spawn``);
* the child sets its own limits before it starts (:class:`Limits`): CPU time
  (``RLIMIT_CPU``: SIGXCPU at the soft limit, SIGKILL a second later), address space
  (``RLIMIT_AS``: allocations fail with ``MemoryError``) and no core files;
* the parent waits for a result, the child's death or the wall-time limit, whichever comes
  first, and on any way out (including ``KeyboardInterrupt``) kills the child at once and
  reaps it, so Ctrl-C is honoured within a fraction of a second;
* the result (or an :class:`~pipeline.errors.InputError` raised in the child, with its
  message, hint, source and location) comes back through a pipe. Any limit hit becomes an
  :class:`~pipeline.errors.InputError` naming the limit.

The function passed must be importable by name (a module-level function) and its arguments
and result picklable.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import multiprocessing
import os
import signal
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

from pipeline.errors import InputError, StudioError

log = logging.getLogger(__name__)

T = TypeVar("T")

PARSE_CPU_S = 10.0
"""CPU seconds a parser may use (``RLIMIT_CPU``): every legitimate document we tried needs
well under a second (the 137-page PDF of the memory benchmark about 1.2 s), so a parser still
busy after 10 s of CPU is stuck on a hostile or pathological file."""
PARSE_WALL_S = 20.0
"""Wall-clock seconds a parse may take (a backstop when the CPU is shared or the child waits)."""
PARSE_MEMORY_BYTES = 1024 * 1024 * 1024
"""Address space of the parsing child (``RLIMIT_AS``, 1 GiB)."""
KILL_GRACE_S = 1.0
"""How long the parent waits for a killed child to be reaped."""

_PRELOAD = [
    "pipeline.sandbox",
    "pipeline.adapters",
    "pipeline.adapters.yaml_scenes",
    "pipeline.adapters.pdf",
    "pipeline.adapters.docx_reader",
    "pypdf",
    "docx",
]
"""Modules the fork server imports once, so each parse starts warm."""

_DAMAGED_HINT = "the file may be damaged, hostile or too large; export it again or split it"


@dataclass(frozen=True)
class Limits:
    """Limits of one child process.

    Attributes:
        cpu_s: CPU seconds (user + system) before the child is stopped.
        wall_s: wall-clock seconds before the parent kills the child.
        memory_bytes: address-space limit of the child, bytes.
    """

    cpu_s: float = PARSE_CPU_S
    wall_s: float = PARSE_WALL_S
    memory_bytes: int = PARSE_MEMORY_BYTES


DEFAULT_LIMITS = Limits()


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        return context
    return multiprocessing.get_context("spawn")  # pragma: no cover - Windows


def _process_class(context: multiprocessing.context.BaseContext) -> type[Any]:
    """:class:`_ParserProcess` under ``forkserver``, else the context's own class."""
    if context.get_start_method() == "forkserver" and _ParserProcess is not None:
        return _ParserProcess
    return context.Process  # type: ignore[no-any-return]  # pragma: no cover


def _define_parser_process() -> type[Any] | None:
    """A forkserver process class whose child does not re-import the parent's ``__main__``.

    multiprocessing normally re-runs the main script in each child (as ``__mp_main__``) so
    that functions defined there can be found; our parsers are importable by name, and
    re-running a script (a benchmark, the console script, code piped to ``python -``) would
    only cost time or fail. The launch below is CPython's ``popen_forkserver.Popen._launch``
    (3.11–3.13) minus the two "init main" entries of the preparation data.
    """
    try:
        import io
        from multiprocessing import forkserver, popen_forkserver, reduction, spawn, util
        from multiprocessing.context import ForkServerProcess, set_spawning_popen
    except ImportError:  # pragma: no cover - no fork server on this platform
        return None

    class _Popen(popen_forkserver.Popen):  # type: ignore[misc]
        def _launch(self, process_obj: Any) -> None:
            prep_data = spawn.get_preparation_data(process_obj._name)
            prep_data.pop("init_main_from_name", None)
            prep_data.pop("init_main_from_path", None)
            buf = io.BytesIO()
            set_spawning_popen(self)
            try:
                reduction.dump(prep_data, buf)
                reduction.dump(process_obj, buf)
            finally:
                set_spawning_popen(None)
            self.sentinel, w = forkserver.connect_to_new_process(self._fds)
            parent_w = os.dup(w)
            self.finalizer = util.Finalize(self, util.close_fds, (parent_w, self.sentinel))
            with open(w, "wb", closefd=True) as f:
                f.write(buf.getbuffer())
            self.pid = forkserver.read_signed(self.sentinel)

    class ParserProcess(ForkServerProcess):  # type: ignore[misc, valid-type]
        @staticmethod
        def _Popen(process_obj: Any) -> Any:
            return _Popen(process_obj)

    ParserProcess.__qualname__ = ParserProcess.__name__ = "_ParserProcess"
    return ParserProcess


_ParserProcess = _define_parser_process()


def run_limited(
    func: Callable[..., T],
    *args: Any,
    what: str,
    source: str = "",
    limits: Limits = DEFAULT_LIMITS,
    preload: tuple[str, ...] = (),
) -> T:
    """Call ``func(*args)`` in a child process under ``limits`` and return its result.

    Args:
        func: a module-level function (picklable by name).
        args: its arguments (picklable).
        what: the thing being read, for messages ("the PDF", "the scene file").
        source: the file, for messages.
        limits: CPU, wall-time and memory limits.
        preload: modules the child imports before the limits apply (the parser's own code
            and libraries: loading them is not reading the document).

    Returns:
        What ``func`` returned.

    Raises:
        InputError: ``func`` raised one (passed through with its hint and location); the
            child hit a limit (the message names it); or the parser failed or crashed.
        StudioError: ``func`` raised another :class:`StudioError`.
        KeyboardInterrupt: passed on after the child is killed.
    """
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    process = _process_class(context)(
        target=_child_main,
        args=(func, args, limits, sender, preload),
        daemon=True,
        name="parser",
    )
    started = time.monotonic()
    try:
        process.start()
        sender.close()
        log.info(
            "%s: parsing in child process pid %s (limits: %g s CPU, %g s wall, %d MiB)",
            source or what,
            process.pid,
            limits.cpu_s,
            limits.wall_s,
            limits.memory_bytes // (1024 * 1024),
        )
        outcome = _wait_for(receiver, process, limits.wall_s)
    finally:
        receiver.close()
        _stop(process)
    elapsed_s = time.monotonic() - started
    return _unpack(outcome, process.exitcode, elapsed_s, what=what, source=source, limits=limits)


def _wait_for(receiver: Connection, process: Any, wall_s: float) -> tuple[str, Any] | None:
    """The child's message, or ``None`` when it died without one; ``("wall", None)`` on
    timeout."""
    deadline = time.monotonic() + wall_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return ("wall", None)
        ready = wait([receiver, process.sentinel], timeout=left)
        if receiver in ready:
            try:
                message = receiver.recv()
            except (EOFError, OSError):
                return None  # the child died before it could answer
            assert isinstance(message, tuple)
            return message
        if process.sentinel in ready:
            # Dead; a message may still sit in the pipe (sent just before exiting).
            if receiver.poll(0):
                continue
            return None


def _stop(process: Any) -> None:
    """Kill the child if it still runs and reap it (quickly, even on Ctrl-C)."""
    try:
        if process.is_alive():
            process.kill()
        process.join(KILL_GRACE_S)
    except (AssertionError, ValueError, OSError):  # never started, or already closed
        pass


def _unpack(
    outcome: tuple[str, Any] | None,
    exitcode: int | None,
    elapsed_s: float,
    *,
    what: str,
    source: str,
    limits: Limits,
) -> Any:
    cpu = f"{limits.cpu_s:g} s of CPU time"
    memory = f"{limits.memory_bytes / 1024**3:g} GiB of memory"
    if outcome is None:
        if exitcode == -signal.SIGXCPU or (
            exitcode == -signal.SIGKILL and elapsed_s >= limits.cpu_s
        ):
            raise InputError(
                f"reading {what} used more than {cpu} (the parser's CPU time limit)",
                source=source,
                hint=_DAMAGED_HINT,
            )
        raise InputError(
            f"reading {what} failed: the parser needed more than {memory} (the memory "
            f"limit) or crashed (exit code {exitcode})",
            source=source,
            hint=_DAMAGED_HINT,
        )
    kind, payload = outcome
    if kind == "ok":
        return payload
    if kind == "wall":
        raise InputError(
            f"reading {what} took longer than {limits.wall_s:g} s (the parser's time limit)",
            source=source,
            hint=_DAMAGED_HINT,
        )
    if kind == "memory":
        raise InputError(
            f"reading {what} needed more than {memory} (the parser's memory limit)",
            source=source,
            hint=_DAMAGED_HINT,
        )
    if kind == "input":
        error = InputError(payload["message"], hint=payload["hint"])
        error.source, error.location = payload["source"], payload["location"]
        raise error
    if kind == "studio":
        raise StudioError(payload["message"], hint=payload["hint"])
    log.warning("parser failed on %s:\n%s", source or what, payload["traceback"])
    raise InputError(
        f"{what} could not be read ({payload['summary']})",
        source=source,
        hint="the file may be damaged or truncated; export it again",
    )


def _apply_limits(limits: Limits) -> None:  # pragma: no cover - runs in the child
    try:
        import resource
    except ImportError:  # not on this platform: the wall-time limit still holds
        return
    cpu = max(1, int(limits.cpu_s + 0.999))
    for name, value in (
        ("RLIMIT_CORE", (0, 0)),
        ("RLIMIT_CPU", (cpu, cpu + 1)),
        ("RLIMIT_AS", (limits.memory_bytes, limits.memory_bytes)),
    ):
        number = getattr(resource, name, None)
        if number is None:
            continue
        try:
            resource.setrlimit(number, value)
        except (ValueError, OSError):
            pass


def _quiet_stderr() -> None:  # pragma: no cover - runs in the child
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:
        pass


def _child_main(
    func: Callable[..., Any],
    args: tuple[Any, ...],
    limits: Limits,
    sender: Connection,
    preload: tuple[str, ...] = (),
) -> None:  # pragma: no cover - runs in the child
    """Entry point of the child: import, apply limits, run, send ``(kind, payload)``."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # the parent decides what Ctrl-C means
    _quiet_stderr()  # libraries' own crash output (e.g. an allocation failure) is noise here
    for name in preload:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    _apply_limits(limits)
    try:
        message: tuple[str, Any] = ("ok", func(*args))
    except MemoryError:
        message = ("memory", None)
    except Exception as error:
        message = ("memory", None) if _out_of_memory(error) else _describe(error)
    try:
        sender.send(message)
    except MemoryError:
        sender.send(("memory", None))
    except Exception as error:  # an unpicklable result is a bug: say so
        sender.send(("failed", {"summary": f"result not sendable: {error}", "traceback": ""}))
    finally:
        sender.close()
    os._exit(0)  # skip interpreter teardown: nothing to flush, and it is faster


_MEMORY_WORDS = (
    "memory allocation failed",
    "out of memory",
    "cannot allocate memory",
    "err_no_memory",  # libxml2 (lxml's ``error_log``)
)


def _out_of_memory(error: BaseException) -> bool:  # pragma: no cover - runs in the child
    """Whether ``error`` or what caused it ran out of memory (a parser may wrap a
    ``MemoryError``, and libxml2 reports ``ERR_NO_MEMORY`` as an "unknown" syntax error)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, MemoryError):
            return True
        text = f"{current} {getattr(current, 'error_log', '')}".lower()
        if any(words in text for words in _MEMORY_WORDS):
            return True
        current = current.__cause__ or current.__context__
    return False


def _describe(error: Exception) -> tuple[str, Any]:  # pragma: no cover - runs in the child
    """The message that tells the parent about ``error``."""
    if isinstance(error, InputError):
        return (
            "input",
            {
                "message": error.message,
                "hint": error.hint,
                "source": error.source,
                "location": error.location,
            },
        )
    if isinstance(error, StudioError):
        return ("studio", {"message": error.message, "hint": error.hint})
    if isinstance(error, RecursionError):
        return ("failed", {"summary": "nested too deeply", "traceback": ""})
    return (
        "failed",
        {
            "summary": f"{type(error).__name__}: {error}"[:300],
            "traceback": traceback.format_exc(limit=8),
        },
    )
