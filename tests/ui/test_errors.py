"""The global exception hook: logs the traceback to the log file and shows one dialog, once."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QMessageBox

from pipeline.errors import InputError
from studio import paths
from ui import errors


class _FakeBox:
    """Stands in for QMessageBox: records what would be shown instead of blocking."""

    shown: list[_FakeBox] = []
    Icon = QMessageBox.Icon

    def __init__(self, parent: object = None) -> None:
        self.text = self.hint = self.details = ""

    def setIcon(self, icon: object) -> None:
        pass

    def setWindowTitle(self, title: str) -> None:
        pass

    def setText(self, text: str) -> None:
        self.text = text

    def setInformativeText(self, text: str) -> None:
        self.hint = text

    def setDetailedText(self, text: str) -> None:
        self.details = text

    def exec(self) -> int:
        _FakeBox.shown.append(self)
        return 0


@pytest.fixture()
def hooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[_FakeBox]]:
    _FakeBox.shown = []
    monkeypatch.setattr(errors, "QMessageBox", _FakeBox)
    errors.install_exception_hooks()
    yield _FakeBox.shown
    errors.uninstall_exception_hooks()


def _raise(exc: BaseException) -> None:
    try:
        raise exc
    except BaseException as caught:
        sys.excepthook(type(caught), caught, caught.__traceback__)


def test_uncaught_exception_is_logged_and_shown_once(qtbot, hooks: list[_FakeBox]):
    _raise(ZeroDivisionError("boom on the GUI thread"))
    qtbot.waitUntil(lambda: len(hooks) == 1, timeout=2000)
    _raise(KeyError("second"))
    thread = threading.Thread(target=lambda: 1 / 0, name="worker-x")
    thread.start()
    thread.join()
    qtbot.wait(50)
    assert len(hooks) == 1
    box = hooks[0]
    assert box.text == errors.MESSAGES["unexpected"].text
    log_path = paths.log_dir() / errors.LOG_FILE
    assert str(log_path) in box.hint
    assert "ZeroDivisionError: boom on the GUI thread" in box.details
    logged = log_path.read_text(encoding="utf-8")
    assert "boom on the GUI thread" in logged and "Traceback" in logged
    assert "KeyError: 'second'" in logged
    assert "worker-x" in logged


def test_worker_thread_exception_reaches_the_gui_thread(qtbot, hooks: list[_FakeBox]):
    thread = threading.Thread(target=lambda: [][1], name="render-helper")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: len(hooks) == 1, timeout=2000)
    assert "IndexError" in hooks[0].details


def test_studio_errors_show_message_and_hint(monkeypatch: pytest.MonkeyPatch):
    _FakeBox.shown = []
    monkeypatch.setattr(errors, "QMessageBox", _FakeBox)
    errors.show_error(InputError("the file is empty", hint="add some text and try again"))
    assert [(b.text, b.hint) for b in _FakeBox.shown] == [
        ("the file is empty", "add some text and try again")
    ]
