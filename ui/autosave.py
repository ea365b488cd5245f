"""Saving the open project: every edit reaches the database within about a second.

:class:`ProjectSaver` watches the document's undo stack. The first change after opening or
saving starts a single-shot timer of :data:`AUTOSAVE_DELAY_MS` (it is *not* restarted by
later edits, so continuous typing cannot postpone the save); when it fires, the spec as it is
then is written on :func:`ui.operations.writer_pool` — one thread that only saves and opens
projects, so a save never queues behind preview speech synthesis or thumbnails.

Saves are coalesced: at most one write waits in the queue and it writes the newest snapshot.
Every snapshot names the project it belongs to through a :class:`_Target` shared by all the
saves of one opened document, so a project that was never saved is inserted once and later
saves overwrite that row, even when several saves are queued before the first one returned.

* Switching projects: :meth:`ProjectSaver.save_now` before the new project is read on the same
  writer thread, so the save is in the database before the switch and nothing is dropped.
* Closing: :meth:`ProjectSaver.flush` saves and waits (bounded) for the writer.
* A crash: at most the last :data:`AUTOSAVE_DELAY_MS` plus one write of edits is lost; the
  ``saved`` signal tells when an edit is in the database (SQLite ``synchronous=FULL``).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal

from pipeline.models import VideoSpec
from ui.document import ProjectDocument
from ui.operations import BackgroundOp, writer_pool

log = logging.getLogger(__name__)


class ProjectWriter(Protocol):
    """Where projects are saved (``studio.projects``)."""

    def save_project(
        self,
        spec: VideoSpec,
        *,
        name: str | None = None,
        source_path: Path | None = None,
        source_kind: str = "",
        project_id: int | None = None,
    ) -> int:
        """Insert or overwrite a project; returns its id."""
        ...


AUTOSAVE_DELAY_MS = 500
"""Delay between the first unsaved edit and its save (edits in between join the same save)."""


@dataclass
class _Target:
    """The project row the saves of one opened document go to (set by the writer thread)."""

    project_id: int | None


@dataclass
class _Snapshot:
    """What one save writes, taken on the GUI thread."""

    spec: VideoSpec
    name: str
    source_path: Path | None
    source_kind: str
    undo_index: int
    generation: int
    target: _Target
    done: threading.Event = field(default_factory=threading.Event)


class ProjectSaver(QObject):
    """Autosaves a :class:`~ui.document.ProjectDocument` into a project store.

    Args:
        document: the document to keep saved.
        projects: where projects are written (``studio.projects``).

    Signals:
        saving(): a save was queued.
        saved(int): an edit is in the database (the project id).
        failed(object): a save failed (the exception); the edits stay unsaved and the next
            edit or :meth:`save_now` tries again.
    """

    saving = Signal()
    saved = Signal(int)
    failed = Signal(object)

    def __init__(
        self, document: ProjectDocument, projects: ProjectWriter, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.projects = projects
        self._generation = 0
        self._target = _Target(document.project_id)
        self._lock = threading.Lock()
        self._pending: _Snapshot | None = None
        self._queued = False
        self.last_error: BaseException | None = None
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(AUTOSAVE_DELAY_MS)
        self.timer.timeout.connect(self.save_now)
        # indexChanged comes after the push has finished (the stack then counts as changed);
        # the document's own signals come from inside the command's redo(), too early.
        document.undo_stack.indexChanged.connect(self._on_index_changed)
        document.reset.connect(self._on_reset)

    # -- state ---------------------------------------------------------------------------

    def is_dirty(self) -> bool:
        """True when the open document has edits that are not in the database."""
        return self.document.is_open() and not self.document.undo_stack.isClean()

    def _on_reset(self) -> None:
        # A different project was loaded: saves still queued belong to the previous one.
        self.timer.stop()
        self._generation += 1
        self._target = _Target(self.document.project_id)

    def _on_index_changed(self, _index: int) -> None:
        stack = self.document.undo_stack
        if not shiboken6.isValid(stack) or not shiboken6.isValid(self.timer):
            return  # the window is being destroyed (the stack clears itself)
        if not stack.isClean() and not self.timer.isActive():
            self.timer.start()

    # -- saving --------------------------------------------------------------------------

    def save_now(self) -> threading.Event | None:
        """Queue a save of the document as it is now; returns an event set once it is written
        (``None`` when no project is open)."""
        self.timer.stop()
        doc = self.document
        if doc.spec is None:
            return None
        if doc.project_id is not None and self._target.project_id is None:
            self._target.project_id = doc.project_id
        snapshot = _Snapshot(
            spec=doc.spec,
            name=doc.name,
            source_path=doc.source_path,
            source_kind=doc.source_kind,
            undo_index=doc.undo_stack.index(),
            generation=self._generation,
            target=self._target,
        )
        with self._lock:
            if self._pending is not None:
                self._pending.done.set()  # superseded: the newer snapshot holds its edits
            self._pending = snapshot
            start = not self._queued
            self._queued = True
        if start:
            BackgroundOp(self._write, parent=self, pool=writer_pool()).success(
                self._on_written
            ).failure(self._on_failed).run()
        self.saving.emit()
        return snapshot.done

    def flush(self, timeout_ms: int = 10_000) -> bool:
        """Save unsaved edits and wait for the writer (closing the window).

        Returns:
            True when everything is in the database within ``timeout_ms``.
        """
        if self.is_dirty():
            self.save_now()
        finished = writer_pool().waitForDone(timeout_ms)
        return finished and self.last_error is None

    def _write(self) -> tuple[_Snapshot, int] | None:
        """Writer thread: write the newest waiting snapshot."""
        with self._lock:
            snapshot, self._pending = self._pending, None
            self._queued = False
        if snapshot is None:
            return None
        target = snapshot.target
        try:
            project_id = self.projects.save_project(
                snapshot.spec,
                name=snapshot.name,
                source_path=snapshot.source_path,
                source_kind=snapshot.source_kind,
                project_id=target.project_id,
            )
        except BaseException as error:
            self.last_error = error
            raise
        target.project_id = project_id
        self.last_error = None
        snapshot.done.set()
        return snapshot, project_id

    def _on_written(self, result: tuple[_Snapshot, int] | None) -> None:
        if result is None:
            return
        snapshot, project_id = result
        doc = self.document
        if snapshot.generation == self._generation:
            if doc.undo_stack.index() == snapshot.undo_index:
                doc.mark_saved(project_id)
            else:  # edited meanwhile: the timer (or a queued save) writes the rest
                doc.project_id = project_id
                if not doc.undo_stack.isClean() and not self.timer.isActive():
                    self.timer.start()
        self.saved.emit(project_id)

    def _on_failed(self, error: BaseException) -> None:
        log.warning("autosave failed: %s", error)
        self.failed.emit(error)
