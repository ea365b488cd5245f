"""Errors reach the user as one message that says what happened and what to do.

* :data:`MESSAGES` declares every user-facing text of this module in one place.
* :func:`install_exception_hooks` replaces ``sys.excepthook`` and ``threading.excepthook``: an
  uncaught exception (on any thread) is logged with its traceback to
  ``studio.paths.log_dir()/videostudio.log`` and one message box is shown on the GUI thread,
  once per session (later crashes are logged, not shown again).
* :func:`show_error` is the one error dialog of expected failures: a
  :class:`~pipeline.errors.StudioError` shows its ``message`` and ``hint``.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from pipeline.errors import StudioError
from studio.api import paths

log = logging.getLogger("videostudio.ui")

LOG_FILE = "videostudio.log"
_handlers: list[logging.Handler] = []


@dataclass(frozen=True)
class Msg:
    """A user-facing message: what happened, and what to do about it."""

    text: str
    hint: str


MESSAGES: dict[str, Msg] = {
    "unexpected": Msg(
        "Something went wrong inside Video Studio.",
        "Your saved projects and queued renders are safe. If the window misbehaves, save and "
        "restart Video Studio. The details are in {log}; please attach that file if you report "
        "the problem.",
    ),
    "disk": Msg(
        "Video Studio could not read or write a file: {error}",
        "Check that the folder exists, that you may write to it and that the disk is not full, "
        "then try again.",
    ),
    "failed": Msg("{error}", "Try again; if it keeps failing, see the log in {log}."),
}


def log_file() -> Path:
    """The log file the hooks write to."""
    return paths.log_dir() / LOG_FILE


def configure_logging() -> Path:
    """Send ``WARNING`` and above (and every traceback) to :func:`log_file`. Idempotent."""
    path = log_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, logging.FileHandler) and Path(handler.baseFilename) == path:
            return path
    handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    _handlers.append(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    return path


def describe(error: BaseException) -> Msg:
    """What to tell the user about ``error`` (the message and the hint, formatted)."""
    where = str(log_file())
    if isinstance(error, StudioError):
        return Msg(error.message, error.hint or MESSAGES["failed"].hint.format(log=where))
    if isinstance(error, OSError):
        template = MESSAGES["disk"]
        return Msg(template.text.format(error=error), template.hint)
    template = MESSAGES["failed"]
    return Msg(template.text.format(error=error), template.hint.format(log=where))


def show_error(error: BaseException, parent: QWidget | None = None) -> None:
    """The one error dialog for a failed action: what happened and what to do."""
    if not isinstance(error, StudioError | OSError):
        log.error("action failed:\n%s", "".join(traceback.format_exception(error)).rstrip())
    msg = describe(error)
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Video Studio")
    box.setText(msg.text)
    box.setInformativeText(msg.hint)
    box.exec()


class _CrashReporter(QObject):
    """Marshals uncaught exceptions to the GUI thread and shows the dialog once."""

    crashed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.shown = False
        self.crashed.connect(self._show)

    @Slot(str)
    def _show(self, summary: str) -> None:
        if self.shown:
            return
        self.shown = True
        template = MESSAGES["unexpected"]
        box = QMessageBox(QApplication.activeWindow())
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle("Video Studio")
        box.setText(template.text)
        box.setInformativeText(template.hint.format(log=log_file()))
        box.setDetailedText(summary)
        box.exec()


_reporter: _CrashReporter | None = None


def _report(
    kind: type[BaseException], value: BaseException, tb: TracebackType | None, where: str
) -> None:
    text = "".join(traceback.format_exception(kind, value, tb))
    try:
        configure_logging()
        log.critical("uncaught exception in %s:\n%s", where, text.rstrip())
    except OSError:
        if sys.__stderr__ is not None:
            sys.__stderr__.write(text)
    if _reporter is not None:
        _reporter.crashed.emit(f"{kind.__name__}: {value}")


def _sys_hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, tb)
        return
    _report(kind, value, tb, "the GUI thread")


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None:
        return
    name = args.thread.name if args.thread is not None else "a worker thread"
    _report(args.exc_type, args.exc_value, args.exc_traceback, name)


def install_exception_hooks() -> None:
    """Install the global hooks (call once, after the QApplication exists, on the GUI thread)."""
    global _reporter
    if _reporter is None:
        _reporter = _CrashReporter()
    configure_logging()
    sys.excepthook = _sys_hook
    threading.excepthook = _thread_hook


def uninstall_exception_hooks() -> None:
    """Restore the default hooks (tests)."""
    global _reporter
    sys.excepthook = sys.__excepthook__
    threading.excepthook = threading.__excepthook__
    _reporter = None
    root = logging.getLogger()
    while _handlers:
        handler = _handlers.pop()
        root.removeHandler(handler)
        handler.close()
