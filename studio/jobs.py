"""The job runner: a persisted queue worked on a ``QThreadPool`` (QtCore only).

Jobs live in SQLite (:class:`~studio.store.JobStore`); the runner claims them, runs each on
the thread pool through a *handler* for its kind, and reports back through Qt signals. It
works the same under ``QApplication`` (desktop) and ``QCoreApplication`` (``videostudio run``).

Rules:

* Concurrency per kind: at most ``limits[kind]`` jobs of a kind run at once (default: one
  ``render`` at a time; other kinds up to ``default_limit``).
* Progress arrives as typed :class:`~pipeline.progress.ProgressEvent` s (stage, scene,
  fraction, remaining time); it is written to the database at most every
  :data:`PROGRESS_INTERVAL_S` (also the job's heartbeat) and emitted as ``job_event`` (and as
  ``job_progress`` with the fraction and the message); the first event of each new stage or
  scene is emitted (not written) even between writes, so no step goes unseen. The fraction never goes back, also
  across attempts, and the elapsed time is the job's time worked over all its attempts.
* Cancel is cooperative: :meth:`JobRunner.cancel` sets the job's :class:`CancelToken`, which the
  work checks between frame batches; a job cancelled from another process is noticed at its
  next progress write.
* Damaged rows: a job whose stored row cannot be read back is FAILED with the reason when
  the runner starts or reaches it, and the rest of the queue runs.
* Crashes: on :meth:`JobRunner.start`, jobs left RUNNING by a dead process are requeued. If
  that process *crashed* (a fatal error was recorded, see :class:`~studio.service.Studio`)
  they count a crash, and after :data:`~studio.store.MAX_CRASHES` crashes without new progress
  in between (a checkpoint — a mark of something not done before — clears the count) a job
  is FAILED, so a job that keeps crashing the app is not retried forever, while one that was
  merely interrupted (killed, power cut) always finishes. What a resumed job reuses is up to
  its handler (a render reuses the speech clips and video chunks in the content cache).

Following superqt's ``WorkerBase``, signals live on a ``QObject`` (a ``QRunnable`` cannot carry
them) and workers never touch widgets.

Threads: the runner's own thread (the GUI thread in the desktop studio) never touches the
database. Claiming jobs, loading their checkpoints, recording their end and reading their final
state run on a private one-thread *scheduler* pool (:meth:`JobRunner.schedule` only asks it
to run) or on the job's worker; ``job_started``, ``job_finished`` and ``idle`` are still
emitted from the runner's thread (queued to it), in the order the events happened.
:meth:`JobRunner.start` is the one synchronous exception, for the command line;
the desktop studio calls :meth:`JobRunner.start_in_background`.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from sqlalchemy.exc import DBAPIError

from pipeline.errors import Cancelled, StudioError
from pipeline.preflight import storage_error
from pipeline.progress import CancelToken, Monotonic, ProgressEvent
from studio.store import Checkpoint, Job, JobState, JobStore, database_error

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.25
"""Minimum time between two progress writes of one job, in seconds."""

DEFAULT_LIMITS: Mapping[str, int] = {"render": 1}


@dataclass
class JobContext:
    """What a handler gets: the job, its cancel token, and ways to report.

    Attributes:
        job: the claimed job (``job.input`` holds the handler's parameters).
        cancel: checked by the work between steps.
        checkpoints: marks saved by earlier attempts, by name (e.g. a paid clip's remote job
            id, so a resumed render polls it instead of paying again).
    """

    job: Job
    cancel: CancelToken
    checkpoints: dict[str, Checkpoint]
    _report: Callable[[ProgressEvent], None]
    _checkpoint: Callable[[str, str, Mapping[str, Any]], None]
    _extra: dict[str, Any] = field(default_factory=dict)

    def report(self, event: ProgressEvent) -> None:
        """Report typed progress of the whole job (see :class:`ProgressEvent`)."""
        self._report(event)

    def progress(self, fraction: float, message: str, stage: str = "") -> None:
        """Report progress of the whole job (``fraction`` 0–1, a message for people)."""
        self._report(ProgressEvent(fraction, stage, message))

    def checkpoint(self, stage: str, content_hash: str, result: Mapping[str, Any]) -> None:
        """Persist that ``stage`` finished with ``result`` for inputs hashing to ``content_hash``."""
        self._checkpoint(stage, content_hash, result)


Handler = Callable[[JobContext], Mapping[str, Any]]
"""Runs one job on a worker thread; returns the job's output (a JSON object)."""


class _Task(QRunnable):
    """A QRunnable that calls one function (auto-deleted by the pool after ``run``)."""

    def __init__(self, fn: Callable[[], None]) -> None:
        super().__init__()
        self._fn = fn
        self.setAutoDelete(True)

    def run(self) -> None:
        self._fn()


class JobRunner(QObject):
    """Works the persisted job queue on a thread pool.

    Args:
        store: the job queue.
        handlers: ``kind → handler``; jobs of other kinds are left in the queue.
        limits: maximum concurrent jobs per kind (default: one ``render`` at a time).
        default_limit: for kinds not in ``limits``.
        pool: the thread pool (default: ``QThreadPool.globalInstance()``).
        previous_run_crashed: whether the process that last worked the queue crashed (then
            its RUNNING jobs count a crash) or was merely stopped (they are just requeued).
            :class:`~studio.service.Studio` finds out from its crash records.

    Signals:
        job_started(int): a job was claimed and started.
        job_progress(int, float, str): ``(job_id, fraction, message)``.
        job_event(int, object): ``(job_id, ProgressEvent)`` with ``elapsed_s`` filled in.
        job_finished(int, str, str): ``(job_id, state, error or "")``.
        idle(): nothing is running and nothing this runner can run is pending.
    """

    job_started = Signal(int)
    job_progress = Signal(int, float, str)
    job_event = Signal(int, object)
    job_finished = Signal(int, str, str)
    idle = Signal()
    # Internal: delivered in the runner's thread (queued) when a worker is done.
    _worker_done = Signal(int, str, str, str)
    # Internal: from the scheduler thread to the runner's thread (queued).
    _launched = Signal(int)
    _went_idle = Signal()
    _set_aside = Signal(int, str, str)

    def __init__(
        self,
        store: JobStore,
        handlers: Mapping[str, Handler],
        *,
        limits: Mapping[str, int] = DEFAULT_LIMITS,
        default_limit: int = 2,
        pool: QThreadPool | None = None,
        previous_run_crashed: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.previous_run_crashed = previous_run_crashed
        self.store = store
        self.handlers = dict(handlers)
        self.limits = {kind: limits.get(kind, default_limit) for kind in self.handlers}
        self.pool = pool or QThreadPool.globalInstance()
        self._running: dict[int, tuple[str, CancelToken]] = {}
        self._lock = threading.Lock()
        self._schedule_lock = threading.Lock()  # one claiming pass at a time
        self._schedule_queued = False
        self._paused = False
        # Claims and other database writes of the scheduler run here, never on the GUI thread.
        self._scheduler = QThreadPool(self)
        self._scheduler.setMaxThreadCount(1)
        self._worker_done.connect(self._on_worker_done)
        self._launched.connect(self.job_started)
        self._went_idle.connect(self.idle)
        self._set_aside.connect(self.job_finished)

    # -- public API (call from the runner's thread) -------------------------------------

    def start(self) -> list[int]:
        """Recover jobs left RUNNING by a crashed process, set damaged job rows aside
        (FAILED with the reason, see :mod:`studio.store.jobs`), then start working the queue,
        on the calling thread (the command line: :attr:`running_ids` is filled when it
        returns).

        Returns the ids of recovered jobs.
        """
        recovered = self.store.recover_after_crash(crashed=self.previous_run_crashed)
        for job in self.store.quarantine_damaged():
            self.job_finished.emit(job.id, job.state.value, job.error or "")
        self._schedule_now()
        return recovered

    def start_in_background(self) -> None:
        """:meth:`start` on the scheduler thread (the desktop studio: the GUI thread never
        writes the database). Recovered jobs are logged; ``job_started`` follows as usual."""

        def recover_and_schedule() -> None:
            recovered = self.store.recover_after_crash(crashed=self.previous_run_crashed)
            if recovered:
                log.info("resuming %d job(s) left by the previous session", len(recovered))
            for job in self.store.quarantine_damaged():  # job_finished, on the runner's thread
                self._set_aside.emit(job.id, job.state.value, job.error or "")
            self._schedule_now()

        self._scheduler.start(_Task(recover_and_schedule))

    def enqueue(
        self,
        kind: str,
        input_json: Mapping[str, Any],
        *,
        priority: int = 0,
        project_id: int | None = None,
    ) -> int:
        """Add a job and schedule it; returns its id."""
        job_id = self.store.enqueue_job(kind, input_json, priority=priority, project_id=project_id)
        self.schedule()
        return job_id

    def cancel(self, job_id: int) -> bool:
        """Cancel a pending or running job. A running one stops at its next check."""
        with self._lock:
            running = self._running.get(job_id)
        if running is not None:
            running[1].cancel()
        changed = self.store.cancel_job(job_id)
        if changed and running is None:
            self.job_finished.emit(job_id, JobState.CANCELLED.value, "")
        return changed or running is not None

    def retry(self, job_id: int) -> bool:
        """Queue a FAILED or CANCELLED job again; it resumes (its handler reuses what earlier
        attempts finished, e.g. a render's cached speech clips and video chunks)."""
        changed = self.store.retry_job(job_id)
        if changed:
            self.schedule()
        return changed

    @property
    def running_ids(self) -> list[int]:
        """Ids of the jobs running now."""
        with self._lock:
            return sorted(self._running)

    def schedule(self) -> None:
        """Ask the scheduler thread to claim and start as many pending jobs as the per-kind
        limits allow (returns at once; any thread may call it)."""
        if self._paused:
            return
        with self._lock:
            if self._schedule_queued:  # a pass that has not started yet will see this job too
                return
            self._schedule_queued = True
        self._scheduler.start(_Task(self._schedule_now))

    def _schedule_now(self) -> None:
        """Claim and launch pending jobs, on the calling thread (the scheduler's, or
        :meth:`start`'s)."""
        with self._lock:
            self._schedule_queued = False
        with self._schedule_lock:
            self._claim_pending()

    def _claim_pending(self) -> None:
        while not self._paused:
            with self._lock:
                counts: dict[str, int] = {}
                for kind, _ in self._running.values():
                    counts[kind] = counts.get(kind, 0) + 1
            free = [kind for kind, limit in self.limits.items() if counts.get(kind, 0) < limit]
            if not free:
                break
            job = self.store.claim_next_job(kinds=free)
            if job is None:
                break
            self._launch(job)
        with self._lock:
            nothing_running = not self._running
        if nothing_running:
            self._went_idle.emit()

    def shutdown(self, timeout_ms: int = -1) -> None:
        """Stop scheduling, cancel running jobs and wait for the workers (for app exit, tests)."""
        self._paused = True
        self._scheduler.waitForDone(timeout_ms)  # no claim may launch a job after this
        with self._lock:
            tokens = [token for _, token in self._running.values()]
        for token in tokens:
            token.cancel()
        self.pool.waitForDone(timeout_ms)

    # -- internals -----------------------------------------------------------------------

    def _launch(self, job: Job) -> None:
        token = CancelToken()
        with self._lock:
            self._running[job.id] = (job.kind, token)
        checkpoints = self.store.load_checkpoints(job.id)
        handler = self.handlers[job.kind]
        last_write = [0.0]
        unwritten: list[ProgressEvent | None] = [None]  # the newest event not yet persisted
        last_step: list[tuple[str | None, int | None]] = [(None, None)]
        made_progress = [False]
        monotonic = Monotonic(job.progress)  # a resumed job goes on from where it was
        attempt_started = time.monotonic()

        def report(event: ProgressEvent) -> None:
            now = time.monotonic()
            elapsed = job.active_s + (now - attempt_started)
            # Nine decimals: the job store reads numbers back through text (15 significant
            # digits), and a resumed attempt must not start a hair below where it stopped.
            fraction = round(monotonic(event.fraction), 9)
            event = replace(event, fraction=fraction, elapsed_s=elapsed)
            step = (event.stage, event.scene)
            if now - last_write[0] < PROGRESS_INTERVAL_S and event.fraction < 1.0:
                unwritten[0] = event
                if step != last_step[0]:  # a new stage or scene is shown, not written
                    last_step[0] = step
                    self.job_event.emit(job.id, event)
                return
            unwritten[0] = None
            last_write[0] = now
            last_step[0] = step
            still_running = self.store.update_progress(
                job.id, event.fraction, event.message, event.stage or None, active_s=elapsed
            )
            if not still_running:
                token.cancel()  # cancelled elsewhere (another process, the CLI)
            self.job_progress.emit(job.id, float(event.fraction), event.message)
            self.job_event.emit(job.id, event)

        def checkpoint(stage: str, content_hash: str, result: Mapping[str, Any]) -> None:
            self.store.save_checkpoint(job.id, stage, content_hash, result)
            # Progress means something *new* was persisted in this attempt: redoing stages
            # an earlier attempt already checkpointed does not forgive a crash.
            if stage not in checkpoints and not made_progress[0]:
                made_progress[0] = True
                if job.crash_count:
                    self.store.clear_crash_count(job.id)

        context = JobContext(
            job=job, cancel=token, checkpoints=checkpoints, _report=report, _checkpoint=checkpoint
        )

        def work() -> None:
            state, error, output = JobState.SUCCEEDED, "", None
            try:
                output = dict(handler(context))
            except Cancelled:
                state = JobState.CANCELLED
            except StudioError as exc:
                state, error = JobState.FAILED, str(exc)
            except Exception as exc:
                problem = self._environment_problem(exc)
                if problem is not None:  # a full or read-only disk, the database's included
                    state, error = JobState.FAILED, str(problem)
                else:  # a bug: keep the app alive, record it, log the traceback
                    log.error("job %s failed unexpectedly:\n%s", job.id, traceback.format_exc())
                    state, error = JobState.FAILED, f"unexpected error: {exc!r}"
            if token.cancelled and state is not JobState.SUCCEEDED:
                state = JobState.CANCELLED
            shown = state.value
            try:
                self.store.finish_job(job.id, state, error=error or None, output=output)
                last = unwritten[0]
                if last is not None and state is not JobState.SUCCEEDED:
                    # where it stopped, not where the last throttled write was: the jobs
                    # panel shows it and the resumed attempt goes on from there
                    self.store.record_last_progress(
                        job.id,
                        last.fraction,
                        last.stage or None,
                        active_s=last.elapsed_s or 0.0,
                    )
                final = self.store.get_job(job.id)  # e.g. CANCELLED by another process
                shown = final.state.value if final is not None else shown
            except Exception:  # the database is gone (app shutting down): the crash sweep fixes it
                log.exception("could not record the end of job %s", job.id)
            self._worker_done.emit(job.id, job.kind, shown, error)

        log.info("job %d started (%s, attempt %d)", job.id, job.kind, job.attempts)
        self._launched.emit(job.id)  # job_started, from the runner's thread
        self.pool.start(_Task(work))

    def _environment_problem(self, error: Exception) -> StudioError | None:
        """A disk or database failure as a message naming the folder and what to do."""
        if isinstance(error, DBAPIError):
            return database_error(error, self.store.db.path)
        if isinstance(error, OSError):
            return storage_error(error, None, "the job's files")
        return None

    @Slot(int, str, str, str)
    def _on_worker_done(self, job_id: int, kind: str, state: str, error: str) -> None:
        with self._lock:
            self._running.pop(job_id, None)
        self.job_finished.emit(job_id, state, error)
        self.schedule()
