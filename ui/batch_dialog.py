"""The Batch dialog: many videos from one manifest (CSV, JSON Lines, YAML) or a folder.

The user picks a manifest or a folder of documents; its rows are planned off the GUI thread
by the same function as ``videostudio batch`` (:func:`studio.batch.plan_batch`: each row
becomes the studio's one render request) and listed with their line, source, output and
options; a bad row shows its error in red. **Start** queues the valid rows through
:func:`studio.batch.enqueue_batch`, which deduplicates by content: a row whose video is
already queued or done is "reused", never queued twice. The dialog is not modal and stays
open (or can be reopened from File → Batch render…) with a progress bar "Batch: k of n done",
fed by the runner's ``job_finished`` signal for the batch's jobs (without a runner in this
process — another process works the queue — it reads the jobs' states every few seconds).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.api import Batch, BatchRow, JobRunner, JobState, Studio, enqueue_batch, plan_batch
from ui.errors import describe
from ui.settings_dialog import run_in_background

COLUMNS = ("Line", "Source", "Output", "Options", "State")
ERROR_COLOR = "#c62828"
"""Red of a bad row's text (readable on the light and the dark theme)."""
MANIFEST_FILTER = "Batch manifests (*.csv *.jsonl *.yaml *.yml)"
POLL_MS = 2000
"""Without a runner in this process, how often the batch's job states are read."""
_FINISHED = {JobState.SUCCEEDED.value, JobState.FAILED.value, JobState.CANCELLED.value}


class Msg:
    """Every user-facing text of the dialog, in one place."""

    title = "Batch render"
    intro = (
        "Render many videos at once: pick a manifest (CSV, JSON Lines or YAML, one row per "
        "video: input or template, output, format, voice, language, …) or a folder of "
        "documents. Rows already queued or rendered are reused, never rendered twice."
    )
    placeholder = "A manifest file or a folder of documents"
    reading = "Reading {source}…"
    planned = "{total} rows: {ready} ready, {bad} with errors (in red; they are skipped)"
    nothing = "No row can be rendered: fix the rows in red and read the manifest again."
    unusable = "Cannot use {source}: {problem}"
    queuing = "Queuing {count} videos…"
    queued = "{new} job{s} queued"
    reused = "{count} reused (already queued or done)"
    skipped = "{count} skipped (errors)"
    queue_failed = "Could not queue the batch: {problem}"
    progress = "Batch: {done} of {total} done"
    failed = "{count} failed"


def _problem(error: BaseException) -> str:
    msg = describe(error)
    return f"{msg.text}. {msg.hint}" if msg.hint else msg.text


def _options(row: BatchRow) -> str:
    """The row's format, voice, language and template, as the table shows them."""
    request = row.request
    if request is None:
        return ""
    spec = request.spec
    parts = [spec.format.value, f"voice {spec.voice}", spec.language]
    if spec.captions_burned_in:
        parts.append("captions")
    if request.paid.template_id:
        parts.append(f"template {request.paid.template_id}")
    return " · ".join(str(part) for part in parts if part)


class BatchDialog(QDialog):
    """Plan a batch, queue it, and follow it.

    Args:
        studio: the application services.
        runner: the job runner of this process (``None`` if another process works the queue:
            the dialog then reads the job states every :data:`POLL_MS` ms).
        parent: the main window.

    Signals:
        planned(object): the :class:`~studio.batch.Batch` was read and planned.
        queued(object): the batch's rows were queued: their job ids (new and reused).
        progressed(int, int): ``(done, total)`` of the queued batch changed.
    """

    planned = Signal(object)
    queued = Signal(object)
    progressed = Signal(int, int)

    def __init__(
        self, studio: Studio, runner: JobRunner | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.studio = studio
        self.runner = runner
        self.batch: Batch | None = None
        self.states: dict[int, str] = {}
        """The batch's jobs → their last known state (``JobState`` values)."""
        self._rows_of_job: dict[int, list[int]] = {}
        self._generation = 0
        self.setWindowTitle(Msg.title)
        self.setObjectName("batch_dialog")
        self.setModal(False)
        self.resize(900, 480)

        intro = QLabel(Msg.intro, self)
        intro.setWordWrap(True)
        self.source_edit = QLineEdit(self)
        self.source_edit.setPlaceholderText(Msg.placeholder)
        self.manifest_button = QPushButton("Manifest…", self)
        self.folder_button = QPushButton("Folder…", self)
        pick = QHBoxLayout()
        pick.addWidget(self.source_edit, 1)
        pick.addWidget(self.manifest_button)
        pick.addWidget(self.folder_button)

        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("batch_rows")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)

        self.status = QLabel("", self)
        self.status.setObjectName("batch_status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("batch_progress")
        self.progress.setFormat("%v of %m done")
        self.progress.hide()
        self.progress_label = QLabel("", self)
        self.progress_label.setObjectName("batch_progress_label")

        self.start_button = QPushButton("Start", self)
        self.start_button.setToolTip("Queue the rows that can be rendered")
        self.start_button.setEnabled(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.start_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(pick)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress_label)
        progress_row.addWidget(self.progress, 1)
        layout.addLayout(progress_row)
        layout.addWidget(buttons)

        self.manifest_button.clicked.connect(self._pick_manifest)
        self.folder_button.clicked.connect(self._pick_folder)
        self.source_edit.returnPressed.connect(self._typed_source)
        self.start_button.clicked.connect(self.start)
        if runner is not None:
            runner.job_finished.connect(self._on_job_finished)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._read_states)

    # -- choosing and planning -------------------------------------------------------------

    def _start_folder(self) -> str:
        last = self.studio.settings.current.last_folder
        return str(last or Path.home())

    def _pick_manifest(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Choose a batch manifest", self._start_folder(), MANIFEST_FILTER
        )
        if name:
            self.load(Path(name))

    def _pick_folder(self) -> None:
        name = QFileDialog.getExistingDirectory(
            self, "Choose a folder of documents", self._start_folder()
        )
        if name:
            self.load(Path(name))

    def _typed_source(self) -> None:
        text = self.source_edit.text().strip()
        if text:
            self.load(Path(text).expanduser())

    def load(self, source: Path) -> None:
        """Read ``source`` (a manifest or a folder) and plan its rows off the GUI thread."""
        self._generation += 1
        generation = self._generation
        self.batch = None
        self._forget_progress()
        self.source_edit.setText(str(source))
        self.table.setRowCount(0)
        self.start_button.setEnabled(False)
        self._say(Msg.reading.format(source=source))
        studio = self.studio

        def done(batch: Batch) -> None:
            if generation == self._generation:
                self._show_batch(batch)

        def failed(error: BaseException) -> None:
            if generation == self._generation:
                self._say(Msg.unusable.format(source=source, problem=_problem(error)), error=True)

        run_in_background(self, lambda: plan_batch(studio, source), done, failed)

    def _show_batch(self, batch: Batch) -> None:
        self.batch = batch
        self.table.setRowCount(len(batch.rows))
        red = QBrush(QColor(ERROR_COLOR))
        for index, row in enumerate(batch.rows):
            output = row.request.output if row.request is not None else None
            cells = (
                str(row.line),
                row.label,
                output.name if output is not None else "",
                _options(row),
                self._state_text(row),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(str(output) if column == 2 and output is not None else text)
                if row.error:
                    item.setForeground(red)
                self.table.setItem(index, column, item)
        ready, total = len(batch.valid), len(batch.rows)
        self.start_button.setEnabled(ready > 0)
        if ready:
            self._say(Msg.planned.format(total=total, ready=ready, bad=total - ready))
        else:
            self._say(Msg.nothing, error=True)
        self.planned.emit(batch)

    @staticmethod
    def _state_text(row: BatchRow, state: str | None = None) -> str:
        if row.error:
            return f"line {row.line}: " + " ".join(row.error.split())
        state = state or row.state
        if row.job_id is None:
            return "ready"
        word = state.lower()
        return f"reused ({word})" if row.reused else word

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {ERROR_COLOR};" if error else "")

    # -- queuing ---------------------------------------------------------------------------

    def start(self) -> None:
        """Queue the planned batch's valid rows (off the GUI thread); rows already queued or
        done are reused."""
        batch = self.batch
        if batch is None or not batch.valid:
            return
        self.start_button.setEnabled(False)
        self._say(Msg.queuing.format(count=len(batch.valid)))
        generation = self._generation
        studio = self.studio

        def done(result: Batch) -> None:
            if generation == self._generation:
                self._on_queued(result)

        def failed(error: BaseException) -> None:
            if generation == self._generation:
                self.start_button.setEnabled(True)
                self._say(Msg.queue_failed.format(problem=_problem(error)), error=True)

        run_in_background(self, lambda: enqueue_batch(studio, batch), done, failed)

    def _on_queued(self, batch: Batch) -> None:
        self.batch = batch
        new = sum(1 for row in batch.valid if not row.reused)
        reused = len(batch.valid) - new
        parts = [Msg.queued.format(new=new, s="" if new == 1 else "s")]
        if reused:
            parts.append(Msg.reused.format(count=reused))
        if len(batch.rows) > len(batch.valid):
            parts.append(Msg.skipped.format(count=len(batch.rows) - len(batch.valid)))
        self._say(", ".join(parts))
        self._rows_of_job = {}
        for index, row in enumerate(batch.rows):
            if row.job_id is not None:
                self._rows_of_job.setdefault(row.job_id, []).append(index)
                self.states[row.job_id] = row.state
        for job_id in self._rows_of_job:
            self._show_state(job_id, self.states[job_id])
        self.progress.setRange(0, len(self._rows_of_job))
        self.progress.show()
        self._update_progress()
        if self.runner is not None:
            self.runner.schedule()
        else:
            self._poll.start()
        self._read_states()  # a job may have finished before its signal could be followed
        self.queued.emit(list(self._rows_of_job))

    # -- progress --------------------------------------------------------------------------

    def _forget_progress(self) -> None:
        self._poll.stop()
        self._rows_of_job = {}
        self.states = {}
        self.progress.hide()
        self.progress_label.setText("")

    def _on_job_finished(self, job_id: int, state: str, _error: str) -> None:
        if job_id in self._rows_of_job:
            self.states[job_id] = state
            self._show_state(job_id, state)
            self._update_progress()

    def _read_states(self) -> None:
        ids = list(self._rows_of_job)
        if not ids:
            return
        generation = self._generation
        store = self.studio.jobs

        def read() -> dict[int, str]:
            states = {}
            for job_id in ids:
                job = store.get_job(job_id)
                if job is not None:
                    states[job_id] = job.state.value
            return states

        def done(states: dict[int, str]) -> None:
            if generation != self._generation:
                return
            for job_id, state in states.items():
                if self.states.get(job_id) not in _FINISHED:  # a signal may be newer
                    self.states[job_id] = state
                    self._show_state(job_id, state)
            self._update_progress()

        run_in_background(self, read, done, lambda _error: None)

    def _show_state(self, job_id: int, state: str) -> None:
        if self.batch is None:
            return
        for index in self._rows_of_job.get(job_id, []):
            item = self.table.item(index, COLUMNS.index("State"))
            if item is not None:
                text = self._state_text(self.batch.rows[index], state)
                item.setText(text)
                item.setToolTip(text)

    def _update_progress(self) -> None:
        total = len(self._rows_of_job)
        done = sum(1 for state in self.states.values() if state in _FINISHED)
        failed = sum(1 for state in self.states.values() if state == JobState.FAILED.value)
        text = Msg.progress.format(done=done, total=total)
        if failed:
            text += f" ({Msg.failed.format(count=failed)})"
        self.progress_label.setText(text)
        self.progress.setValue(done)
        if total and done == total:
            self._poll.stop()
        self.progressed.emit(done, total)

    def progress_text(self) -> str:
        """The overall progress line, e.g. ``Batch: 2 of 5 done`` (empty before Start)."""
        return self.progress_label.text()
