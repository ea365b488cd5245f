"""The job panel: the render queue with live progress, cancel, retry, open folder and play.

Rows follow the :class:`~studio.jobs.JobRunner`'s signals; the database is read and written
off the GUI thread (:class:`~ui.operations.BackgroundOp`). Each row shows the project, the
state, a progress bar naming the stage and scene, the elapsed and the estimated remaining time.
A finished render plays in the embedded player (:class:`ui.player.VideoPlayer`). "Open
folder" falls back to copying the folder's path when no file manager can open it; its menu
also copies the folder's or the video's path. "Export for editors" writes an OpenTimelineIO
timeline (``.otio``, ``.otioz``) and Final Cut Pro 7 XML of a finished render, off the GUI
thread (:func:`pipeline.export.export_for_editors`), and names the files it wrote.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QSplitter,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pipeline.errors import InputError
from pipeline.progress import ProgressEvent
from studio.api import (
    RENDER,
    EditorExport,
    Job,
    JobRunner,
    JobState,
    RenderRequest,
    Studio,
    export_for_editors,
)
from ui import icons
from ui.errors import describe
from ui.operations import BackgroundOp

COLUMNS = ("Video", "State", "Progress", "Elapsed", "Remaining")
MAX_JOBS_SHOWN = 50


def format_seconds(seconds: float | None) -> str:
    """``75.2`` → ``1:15``; ``None`` → ``—``."""
    if seconds is None or seconds < 0:
        return "—"
    whole = int(round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


@dataclass
class JobView:
    """What the panel knows about one job (a snapshot plus live progress)."""

    job: Job
    fraction: float
    message: str
    started_monotonic: float | None = None
    event: ProgressEvent | None = None
    event_monotonic: float | None = None

    @property
    def title(self) -> str:
        """The video's title and the output file."""
        spec = self.job.input.get("spec", {})
        output = Path(str(self.job.input.get("output", ""))).name
        return f"{spec.get('title', 'Video')} → {output}" if output else str(spec.get("title", ""))

    @property
    def state(self) -> JobState:
        """The job's state."""
        return self.job.state

    def elapsed_s(self) -> float | None:
        """Seconds worked on the job over all its attempts (``None`` before it starts)."""
        if self.job.state is JobState.PENDING and not self.job.active_s:
            return None
        if self.job.state is JobState.RUNNING and self.event is not None:
            if self.event.elapsed_s is not None and self.event_monotonic is not None:
                return self.event.elapsed_s + (time.monotonic() - self.event_monotonic)
        if self.job.active_s:
            return self.job.active_s
        if self.job.started_at is not None:
            end = self.job.finished_at or datetime.now(UTC)
            return max(0.0, (end - self.job.started_at).total_seconds())
        if self.started_monotonic is not None:
            return time.monotonic() - self.started_monotonic
        return None

    def remaining_s(self) -> float | None:
        """Estimated seconds left: the render's own estimate from measured throughput
        (counted down since it was made); ``None`` while unknown."""
        if self.job.state is not JobState.RUNNING:
            return 0.0 if self.job.state is JobState.SUCCEEDED else None
        if self.event is None or self.event.remaining_s is None or self.event_monotonic is None:
            return None
        return max(0.0, self.event.remaining_s - (time.monotonic() - self.event_monotonic))

    @property
    def output_path(self) -> Path | None:
        """The finished video, if the job succeeded."""
        if self.job.output and self.job.output.get("output"):
            return Path(str(self.job.output["output"]))
        return None

    @property
    def metadata_path(self) -> Path | None:
        """The finished video's ``.metadata.json`` (``None``: beside the video)."""
        if self.job.output and self.job.output.get("metadata"):
            return Path(str(self.job.output["metadata"]))
        return None

    @property
    def output_folder(self) -> Path:
        """The folder the video is (or will be) written to."""
        return Path(str(self.job.input.get("output", "."))).parent


class JobList(QObject):
    """The jobs shown, kept in step with the runner (no widgets).

    Signals:
        changed(int): a job's row changed (its id); ``-1`` for the whole list.
    """

    changed = Signal(int)

    def __init__(
        self, studio: Studio, runner: JobRunner | None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.studio = studio
        self.runner = runner
        self.jobs: dict[int, JobView] = {}
        if runner is not None:
            runner.job_started.connect(self._on_started)
            runner.job_event.connect(self._on_event)
            runner.job_finished.connect(self._on_finished)

    def reload(self) -> None:
        """Read the recent jobs from the database (off the GUI thread)."""
        store = self.studio.jobs
        BackgroundOp(lambda: store.list_jobs(limit=MAX_JOBS_SHOWN), parent=self).success(
            self._on_loaded
        ).run()

    def _on_loaded(self, jobs: list[Job]) -> None:
        for job in jobs:
            if job.kind != RENDER:
                continue
            known = self.jobs.get(job.id)
            if (
                known is not None
                and known.job.state is JobState.RUNNING
                and job.state is JobState.RUNNING
            ):
                known.job = job
            else:
                self.jobs[job.id] = JobView(job, job.progress, job.message)
        self.changed.emit(-1)

    def _fetch(self, job_id: int) -> None:
        store = self.studio.jobs
        BackgroundOp(lambda: store.get_job(job_id), parent=self).success(self._on_fetched).run()

    def _on_fetched(self, job: Job | None) -> None:
        if job is None:
            return
        view = self.jobs.get(job.id)
        if view is None:
            self.jobs[job.id] = JobView(job, job.progress, job.message)
        else:
            view.job = job
            if job.state is not JobState.RUNNING:
                view.fraction, view.message = job.progress, job.message or view.message
        self.changed.emit(job.id)

    def _on_started(self, job_id: int) -> None:
        view = self.jobs.get(job_id)
        if view is not None:
            view.started_monotonic = time.monotonic()
            view.fraction, view.message = 0.0, "starting"
        self._fetch(job_id)

    def _on_event(self, job_id: int, event: ProgressEvent) -> None:
        view = self.jobs.get(job_id)
        if view is None:
            self._fetch(job_id)
            return
        view.fraction, view.message = event.fraction, event.message
        view.event, view.event_monotonic = event, time.monotonic()
        if view.job.state is JobState.PENDING:
            view.job = _with_state(view.job, JobState.RUNNING)
        self.changed.emit(job_id)

    def _on_finished(self, job_id: int, _state: str, _error: str) -> None:
        self._fetch(job_id)

    # -- actions ---------------------------------------------------------------------------

    def enqueue(
        self, request: RenderRequest, *, on_queued: Callable[[int], None] | None = None
    ) -> None:
        """Queue ``request`` (made by :meth:`Studio.make_request`); the runner picks it up."""
        studio = self.studio

        def queued(job_id: int) -> None:
            self._fetch(job_id)
            if self.runner is not None:
                self.runner.schedule()
            if on_queued is not None:
                on_queued(job_id)

        BackgroundOp(lambda: studio.enqueue(request), parent=self).success(queued).run()

    def cancel(self, job_id: int) -> None:
        """Cancel a pending or running job."""
        runner, store = self.runner, self.studio.jobs
        if runner is not None:
            BackgroundOp(lambda: runner.cancel(job_id), parent=self).success(
                lambda _r: self._fetch(job_id)
            ).run()
        else:
            BackgroundOp(lambda: store.cancel_job(job_id), parent=self).success(
                lambda _r: self._fetch(job_id)
            ).run()

    def retry(self, job_id: int) -> None:
        """Queue a failed or cancelled job again (it resumes from its checkpoints)."""
        store = self.studio.jobs

        def done(_changed: object) -> None:
            self._fetch(job_id)
            if self.runner is not None:
                self.runner.schedule()

        BackgroundOp(lambda: store.retry_job(job_id), parent=self).success(done).run()


def _export(video: Path, metadata: Path | None) -> EditorExport:
    """:func:`export_for_editors`, with a clear error when the video has gone (on a worker)."""
    if not video.is_file():
        raise InputError(
            "the video is no longer there",
            source=str(video),
            hint="render the project again, then export the new video",
        )
    return export_for_editors(video, metadata)


def _with_state(job: Job, state: JobState) -> Job:
    from dataclasses import replace

    return replace(job, state=state)


class JobsPanel(QWidget):
    """The queue view with its buttons and the embedded player.

    Signals:
        render_requested(): the user asked to render the current project.
        exported(object): an export for editors finished: the
            :class:`~pipeline.export.EditorExport`, or the exception that stopped it.
    """

    render_requested = Signal()
    exported = Signal(object)

    def __init__(
        self, studio: Studio, runner: JobRunner | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.jobs = JobList(studio, runner, self)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("jobs")
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(2, 300)
        header.setStretchLastSection(False)
        self.items: dict[int, QTreeWidgetItem] = {}
        self.bars: dict[int, QProgressBar] = {}

        self.render_button = QPushButton("Render", self)
        self.render_button.setToolTip("Render the current project (Ctrl+R)")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop the selected render (it can be resumed)")
        self.retry_button = QPushButton("Retry", self)
        self.retry_button.setToolTip("Render again; finished scenes are reused")
        self.folder_button = QToolButton(self)
        self.folder_button.setText("Open folder")
        self.folder_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.folder_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.folder_button.setToolTip("Show the folder of the selected video")
        self.folder_menu = QMenu(self.folder_button)
        self.copy_folder_action = self.folder_menu.addAction("Copy folder path")
        self.copy_video_action = self.folder_menu.addAction("Copy video path")
        self.folder_button.setMenu(self.folder_menu)
        self.play_button = QPushButton("Play", self)
        self.play_button.setToolTip("Play the selected video here")
        self.export_button = QPushButton("Export for editors", self)
        self.export_button.setToolTip(
            "Write an OpenTimelineIO timeline (.otio, .otioz; DaVinci Resolve, Kdenlive) and "
            "Final Cut Pro 7 XML (Premiere) of the selected video, one clip per scene"
        )
        self._exporting: set[int] = set()
        for button, name in (
            (self.render_button, "render"),
            (self.cancel_button, "cancel"),
            (self.retry_button, "retry"),
            (self.folder_button, "folder"),
            (self.play_button, "play"),
            (self.export_button, "film"),
        ):
            icons.apply(button, name)
        icons.apply(self.copy_folder_action, "copy")
        icons.apply(self.copy_video_action, "copy")
        buttons = QHBoxLayout()
        for button in (
            self.render_button,
            self.cancel_button,
            self.retry_button,
            self.folder_button,
            self.play_button,
            self.export_button,
        ):
            buttons.addWidget(button)
        self.notice = QLabel("", self)
        self.notice.setObjectName("jobs_notice")
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons.addWidget(self.notice, 1)
        self.status = QLabel("", self)
        buttons.addWidget(self.status)

        self.player_box = QWidget(self)
        self.player_box.hide()
        self._player: object | None = None
        self.empty_label = QLabel(
            "No renders yet. Press Render (Ctrl+R) to make a video of the open project.", self
        )
        self.empty_label.setObjectName("jobs_empty")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.batch_label = QLabel(self)
        """The running batch's overall progress ("Batch: 3 of 8 done"), shown while one runs."""
        self.batch_label.setObjectName("jobs_batch_progress")
        self.batch_label.hide()

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.tree)
        splitter.addWidget(self.player_box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(buttons)
        layout.addWidget(self.batch_label)
        layout.addWidget(self.empty_label)
        layout.addWidget(splitter, 1)

        self.render_button.clicked.connect(self.render_requested.emit)
        self.cancel_button.clicked.connect(self._cancel_selected)
        self.retry_button.clicked.connect(self._retry_selected)
        self.folder_button.clicked.connect(self.open_folder)
        self.copy_folder_action.triggered.connect(
            lambda: self._copy_path(self.selected(), folder=True)
        )
        self.copy_video_action.triggered.connect(
            lambda: self._copy_path(self.selected(), folder=False)
        )
        self.play_button.clicked.connect(self._play_selected)
        self.export_button.clicked.connect(self.export_selected)
        self.tree.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.jobs.changed.connect(self._on_changed)
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)
        self._clock.start()
        self._update_buttons()
        self.jobs.reload()

    # -- rows --------------------------------------------------------------------------------

    def _on_changed(self, job_id: int) -> None:
        ids = sorted(self.jobs.jobs, reverse=True) if job_id < 0 else [job_id]
        for jid in ids:
            view = self.jobs.jobs.get(jid)
            if view is not None:
                self._update_row(view)
        self._update_buttons()

    def _update_row(self, view: JobView) -> None:
        job_id = view.job.id
        item = self.items.get(job_id)
        if item is None:
            item = QTreeWidgetItem()
            item.setData(0, Qt.ItemDataRole.UserRole, job_id)
            position = sum(1 for other in self.items if other > job_id)
            self.tree.insertTopLevelItem(position, item)
            bar = QProgressBar(self.tree)
            bar.setRange(0, 1000)
            bar.setTextVisible(True)
            self.tree.setItemWidget(item, 2, bar)
            self.items[job_id] = item
            self.bars[job_id] = bar
            if self.tree.currentItem() is None:
                self.tree.setCurrentItem(item)
        item.setText(0, view.title)
        item.setToolTip(0, view.job.error or view.title)
        item.setText(1, view.state.value.capitalize())
        bar = self.bars[job_id]
        bar.setValue(round(view.fraction * 1000))
        if view.state is JobState.FAILED:
            bar.setFormat(
                f"failed: {(view.job.error or '').splitlines()[0] if view.job.error else ''}"
            )
        elif view.state is JobState.SUCCEEDED:
            bar.setFormat("done")
        elif view.state is JobState.CANCELLED:
            bar.setFormat("cancelled")
        elif view.state is JobState.PENDING:
            bar.setFormat("waiting")
        else:
            bar.setFormat(f"{view.fraction:.0%} {view.message}")
        bar.setToolTip(view.message)
        self._update_times(view, item)

    def _update_times(self, view: JobView, item: QTreeWidgetItem) -> None:
        item.setText(3, format_seconds(view.elapsed_s()))
        item.setText(4, format_seconds(view.remaining_s()))

    def _tick(self) -> None:
        for job_id, view in self.jobs.jobs.items():
            if view.state is JobState.RUNNING and job_id in self.items:
                self._update_times(view, self.items[job_id])

    # -- actions -----------------------------------------------------------------------------

    def selected(self) -> JobView | None:
        """The job of the selected row."""
        item = self.tree.currentItem()
        if item is None:
            return None
        return self.jobs.jobs.get(int(item.data(0, Qt.ItemDataRole.UserRole)))

    def select_job(self, job_id: int) -> None:
        """Select the row of ``job_id`` (if shown)."""
        item = self.items.get(job_id)
        if item is not None:
            self.tree.setCurrentItem(item)

    def _update_buttons(self) -> None:
        view = self.selected()
        state = view.state if view is not None else None
        self.cancel_button.setEnabled(state in (JobState.PENDING, JobState.RUNNING))
        self.retry_button.setEnabled(state in (JobState.FAILED, JobState.CANCELLED))
        self.folder_button.setEnabled(view is not None)
        self.copy_video_action.setEnabled(view is not None and view.output_path is not None)
        self.play_button.setEnabled(view is not None and view.output_path is not None)
        self.export_button.setEnabled(
            view is not None
            and view.state is JobState.SUCCEEDED
            and view.output_path is not None
            and view.job.id not in self._exporting
        )
        has_jobs = bool(self.jobs.jobs)
        self.empty_label.setVisible(not has_jobs)
        self.tree.setVisible(has_jobs)
        running = sum(1 for v in self.jobs.jobs.values() if v.state is JobState.RUNNING)
        pending = sum(1 for v in self.jobs.jobs.values() if v.state is JobState.PENDING)
        self.status.setText(f"{running} running, {pending} waiting" if running or pending else "")

    def _cancel_selected(self) -> None:
        view = self.selected()
        if view is not None:
            self.jobs.cancel(view.job.id)

    def _retry_selected(self) -> None:
        view = self.selected()
        if view is not None:
            self.jobs.retry(view.job.id)

    def open_folder(self) -> bool:
        """Show the selected video's folder in the file manager; without one, copy the
        folder's path to the clipboard and say so. Returns whether a file manager opened it."""
        view = self.selected()
        if view is None:
            return False
        folder = view.output_folder
        if folder.is_dir() and QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            self._say(f"Opened {folder}")
            return True
        self._copy_path(view, folder=True, why="No file manager could open it — ")
        return False

    def _copy_path(self, view: JobView | None, *, folder: bool, why: str = "") -> None:
        if view is None:
            return
        path = view.output_folder if folder else view.output_path
        if path is None:
            return
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(str(path))
        self._say(f"{why}copied the path: {path}", tooltip=str(path))

    def export_selected(self) -> None:
        """Export the selected finished render for video editors (off the GUI thread); the
        notice names the ``.otio`` written, or what went wrong and what to do."""
        view = self.selected()
        if view is None or view.state is not JobState.SUCCEEDED or view.output_path is None:
            return
        job_id, video, metadata = view.job.id, view.output_path, view.metadata_path
        self._exporting.add(job_id)
        self._update_buttons()
        self._say(f"Exporting {video.name} for editors…")

        def done(result: EditorExport) -> None:
            self._exporting.discard(job_id)
            self._update_buttons()
            self._say(
                f"Exported for editors: {result.otio} (also {result.otioz.name}, "
                f"{result.fcp_xml.name}; {len(result.scene_media)} scene clips in "
                f"{result.sound.parent.name}/)",
                tooltip="\n".join(
                    str(path)
                    for path in (result.otio, result.otioz, result.fcp_xml, result.sound.parent)
                ),
            )
            self.exported.emit(result)

        def failed(error: BaseException) -> None:
            self._exporting.discard(job_id)
            self._update_buttons()
            msg = describe(error)
            self._say(f"Export failed: {msg.text}. {msg.hint}", error=True)
            self.exported.emit(error)

        BackgroundOp(lambda: _export(video, metadata), parent=self).success(done).failure(
            failed
        ).run()

    def show_batch_progress(self, done: int, total: int, failed: int = 0) -> None:
        """Show a batch's overall progress above the list (hidden when ``total`` is 0)."""
        text = f"Batch: {done} of {total} done" + (f" ({failed} failed)" if failed else "")
        self.batch_label.setText(text)
        self.batch_label.setVisible(total > 0)

    def _say(self, text: str, *, tooltip: str = "", error: bool = False) -> None:
        self.notice.setText(text)
        self.notice.setToolTip(tooltip or text)
        self.notice.setStyleSheet("color: #c62828;" if error else "")

    def _play_selected(self) -> None:
        view = self.selected()
        if view is not None and view.output_path is not None:
            self.play(view.output_path)

    def play(self, path: Path, *, autoplay: bool = True) -> None:
        """Play ``path`` in the embedded player."""
        from ui.player import VideoPlayer

        if self._player is None:
            player = VideoPlayer(self.player_box)
            layout = QVBoxLayout(self.player_box)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.addWidget(player)
            player.closed.connect(self.player_box.hide)
            self._player = player
        assert isinstance(self._player, VideoPlayer)
        self.player_box.show()
        self._player.load(path, autoplay=autoplay)

    @property
    def player(self) -> object | None:
        """The embedded :class:`~ui.player.VideoPlayer` (created on first play)."""
        return self._player

    def stop_player(self) -> None:
        """Stop playback (before closing)."""
        if self._player is not None:
            self._player.stop()  # type: ignore[attr-defined]
