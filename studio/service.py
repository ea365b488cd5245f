"""The studio's application services in one object: database, job queue, cache, runner.

:class:`Studio` is what the CLI (``queue``/``jobs``/``run``/``cache``) and the desktop UI use.
Opening it opens (and upgrades) the database and the content cache; :meth:`Studio.make_runner`
takes the single-runner lock of the data folder, sweeps what a crashed process left behind,
recovers its jobs and returns a :class:`~studio.jobs.JobRunner` with the render handler.
"""

from __future__ import annotations

import contextlib
import faulthandler
import fcntl
import hashlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

from PySide6.QtCore import QObject

from pipeline.errors import StudioError
from pipeline.fsutil import staging_dir_name, sweep_stale_staging, sweep_temp_files
from pipeline.models import VideoSpec
from pipeline.preflight import preflight
from pipeline.progress import NEVER_CANCEL, CancelToken, Progress, no_progress
from pipeline.render_job import RenderOptions, RenderResult, StageObserver, render_video
from studio import paths
from studio.budget import BudgetGovernor
from studio.cache import ContentCache
from studio.jobs import Handler, JobContext, JobRunner
from studio.paid import PaidChoices, paid_services
from studio.settings import SecretStore, load_settings
from studio.store import Job, JobState, JobStore, ProjectStore, open_database
from studio.validation import check_render_request

log = logging.getLogger(__name__)

RENDER = "render"
"""Job kind of a video render."""


class RunnerBusyError(StudioError):
    """Another Video Studio process is already working this data folder's queue."""


class _PinningStore:
    """The cache as the pipeline's ArtifactStore, pinning every key a running job touches."""

    def __init__(self, cache: ContentCache) -> None:
        self.cache = cache
        self.keys: list[str] = []

    def get(self, key: str) -> Path | None:
        self._pin(key)
        return self.cache.get(key)

    def put(self, key: str, kind: str, src: Path) -> Path:
        self._pin(key)
        return self.cache.put(key, kind, src)

    def _pin(self, key: str) -> None:
        if key not in self.keys:
            self.cache.pin(key)
            self.keys.append(key)

    def release(self) -> None:
        for key in self.keys:
            with contextlib.suppress(Exception):
                self.cache.unpin(key)
        self.keys.clear()


def render_job_input(
    spec: VideoSpec,
    output: Path,
    options: RenderOptions,
    *,
    source: Path | None = None,
    paid: PaidChoices | None = None,
) -> dict[str, Any]:
    """The ``input`` JSON of a render job: the spec, the output path, the render options and
    the paid AI it may use."""
    return {
        "spec": spec.model_dump(mode="json"),
        "output": str(Path(output).resolve()),
        "source": str(source.resolve()) if source else None,
        "paid": (paid or PaidChoices()).to_json(),
        "options": {
            "encoder": options.encoder,
            "speech_mode": options.speech_mode,
            "edge_timeout_s": options.edge_timeout_s,
            "parallel_segments": options.parallel_segments,
            "crf": options.crf,
            "preset": options.preset,
        },
    }


class Studio:
    """Database + job queue + projects + cache of one data folder.

    Args:
        data_dir: overrides :func:`studio.paths.data_dir` (the database lives there).
        cache_dir: overrides :func:`studio.paths.cache_dir` (artefacts live in ``artifacts/``).
        cache_quota_bytes: the cache quota (default 5 GB).

    Raises:
        SchemaTooNewError / DatabaseOpenError: the database cannot be used (see the message).
    """

    def __init__(
        self,
        data_dir: Path | None = None,
        cache_dir: Path | None = None,
        *,
        cache_quota_bytes: int = 5 * 10**9,
    ) -> None:
        self.data_dir = data_dir or paths.data_dir()
        self.cache_dir = cache_dir or paths.cache_dir()
        self.db = open_database(self.data_dir / paths.DATABASE_FILE)
        self.jobs = JobStore(self.db)
        self.projects = ProjectStore(self.db)
        self.cache = ContentCache(
            self.cache_dir / "artifacts", self.db, quota_bytes=cache_quota_bytes
        )
        self._lock_file: int | None = None
        self._crash_record: TextIO | None = None
        self._crashed_before: bool | None = None

    @property
    def staging_root(self) -> Path:
        """Where renders keep temporary files (a folder per process, swept when stale)."""
        return self.cache_dir / "staging"

    # -- queue ------------------------------------------------------------------------

    def enqueue_render(
        self,
        spec: VideoSpec,
        output: Path,
        options: RenderOptions | None = None,
        *,
        source: Path | None = None,
        priority: int = 0,
        project_id: int | None = None,
        paid: PaidChoices | None = None,
    ) -> int:
        """Queue a render of ``spec`` to ``output``; returns the job id.

        The request is checked first, as a render would be (:func:`studio.validation.
        check_render_request`): a bad voice or output path is refused now, not when it runs.

        Raises:
            InputError, StorageError: see :func:`~studio.validation.check_render_request`.
        """
        spec, output = check_render_request(spec, output)
        payload = render_job_input(
            spec, output, options or RenderOptions(), source=source, paid=paid
        )
        return self.jobs.enqueue_job(RENDER, payload, priority=priority, project_id=project_id)

    # -- running ------------------------------------------------------------------------

    def acquire_runner_lock(self) -> None:
        """Become the one process that works this data folder's queue.

        Raises:
            RunnerBusyError: another process holds the lock.
        """
        if self._lock_file is not None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.data_dir / "runner.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            os.close(fd)
            raise RunnerBusyError(
                "another Video Studio is already working the job queue of this data folder",
                hint="let it finish (see `videostudio jobs`), or use another --data-dir",
            ) from error
        self._lock_file = fd

    def _previous_run_crashed(self) -> bool:
        """Read (and clear) the crash records of earlier runner processes.

        Each runner process writes Python's :mod:`faulthandler` output to
        ``<data>/crash/<pid>.log`` and deletes the file when it exits normally. A non-empty
        record left by another process means it died of a fatal error (segmentation fault,
        abort, bus error, …) — a crash. An empty one means it was stopped from outside
        (SIGKILL, power loss), which does not count against the job it was running.
        """
        crashed = False
        folder = self.data_dir / "crash"
        if not folder.is_dir():
            return False
        for record in folder.glob("*.log"):
            if record.stem == str(os.getpid()):
                continue
            with contextlib.suppress(OSError):
                text = record.read_text(encoding="utf-8", errors="replace").strip()
                if text:
                    crashed = True
                    log.error("runner process %s crashed:\n%s", record.stem, text)
                record.unlink()
        return crashed

    def _arm_crash_record(self) -> None:
        folder = self.data_dir / "crash"
        folder.mkdir(parents=True, exist_ok=True)
        if getattr(self, "_crash_record", None) is not None:
            return
        self._faulthandler_was_enabled = faulthandler.is_enabled()
        self._crash_record = open(folder / f"{os.getpid()}.log", "w", encoding="utf-8")
        faulthandler.enable(self._crash_record, all_threads=True)

    def _disarm_crash_record(self) -> None:
        record = getattr(self, "_crash_record", None)
        if record is None:
            return
        faulthandler.disable()
        if getattr(self, "_faulthandler_was_enabled", False) and sys.__stderr__ is not None:
            faulthandler.enable(sys.__stderr__, all_threads=True)  # as it was before (pytest)
        record.close()
        with contextlib.suppress(OSError):
            Path(record.name).unlink()
        self._crash_record = None

    def sweep_leftovers(self) -> list[Path]:
        """Remove what killed processes left, without the runner lock (safe beside live
        renders): their staging folders, the temporary files they made beside outputs (an
        interrupted output commit is rolled back first, see :class:`pipeline.fsutil.OutputSet`)
        and cache writes older than 15 minutes. Called when a render starts and by
        ``videostudio cache clean``. Returns the paths removed."""
        removed = sweep_stale_staging(self.staging_root)
        removed += self.cache.sweep_temp_files()
        if removed:
            log.info("removed %d leftovers of killed processes", len(removed))
        return removed

    def startup_sweep(self) -> list[Path]:
        """Remove temporary files a crashed process left: in the cache and beside the outputs
        of unfinished jobs. Needs the runner lock (nobody else is writing). Returns them."""
        self.acquire_runner_lock()
        BudgetGovernor(self.db).reconcile_on_start()  # reservations of a crashed process
        removed = list(self.cache.sweep_temp_files(min_age_s=0))
        removed += sweep_stale_staging(self.staging_root)
        folders = {
            Path(job.input["output"]).parent
            for job in self.jobs.list_jobs()
            if job.kind == RENDER and "output" in job.input
        }
        for folder in sorted(folders):
            removed += sweep_temp_files(folder)
        return removed

    def make_runner(
        self,
        parent: QObject | None = None,
        *,
        extra_handlers: Mapping[str, Handler] | None = None,
    ) -> JobRunner:
        """Lock the queue, read crash records, sweep leftovers, and return a job runner with
        the studio's handlers (call its ``start()``).

        Raises:
            RunnerBusyError: another process works this data folder's queue.
        """
        self.acquire_runner_lock()
        if self._crashed_before is None:  # once per process: later runners share the answer
            self._crashed_before = self._previous_run_crashed()
            self._arm_crash_record()
            self.startup_sweep()
        crashed = self._crashed_before
        handlers: dict[str, Handler] = {RENDER: self._run_render, **(extra_handlers or {})}
        return JobRunner(self.jobs, handlers, previous_run_crashed=crashed, parent=parent)

    def render(
        self,
        spec: VideoSpec,
        output: Path,
        options: RenderOptions | None = None,
        *,
        paid: PaidChoices | None = None,
        progress: Progress = no_progress,
        cancel: CancelToken = NEVER_CANCEL,
        observer: StageObserver | None = None,
        job_id: int | None = None,
        remote_id_for: Callable[[str], str | None] = lambda key: None,
        save_remote_id: Callable[[str, str], None] = lambda key, remote_id: None,
    ) -> RenderResult:
        """Render now, with the cache (pinned while in use) and the paid AI ``paid`` allows.

        Before any work: leftovers of killed renders are swept, the request is checked
        (:func:`~studio.validation.check_render_request`) and every disk it writes to must
        have room for it (:func:`~pipeline.preflight.preflight`).

        Paid providers come from the settings and secrets, governed by the budget ledger;
        the fallback tier of each clip scene is recorded for the operator view.
        """
        paid = paid or PaidChoices()
        self.sweep_leftovers()
        spec, output = check_render_request(spec, output)
        preflight(spec, output, {"cache": self.cache_dir, "data": self.data_dir})
        services = None
        if paid.llm or paid.ai_clips:
            services = paid_services(
                paid,
                db=self.db,
                cache=self.cache,
                ai=load_settings().ai,
                secrets=SecretStore(),
                staging=self.staging_root / f"{staging_dir_name()}clips",
                job_id=job_id,
                remote_id_for=remote_id_for,
                save_remote_id=save_remote_id,
            )
            for note in services.notes:
                log.warning("%s", note)
        store = _PinningStore(self.cache)
        try:
            result = render_video(
                spec,
                Path(output),
                store,
                options,
                progress=progress,
                cancel=cancel,
                observer=observer,
                staging_root=self.staging_root,
                clips=services.clips if services else None,
                script=services.script if services else None,
            )
            if services is not None:
                services.record_tiers(job_id, spec, result.scenes)
            return result
        finally:
            store.release()
            if services is not None:
                services.close()

    def _run_render(self, ctx: JobContext) -> Mapping[str, Any]:
        job: Job = ctx.job
        spec = VideoSpec.model_validate(job.input["spec"])
        options = RenderOptions(**job.input.get("options", {}))
        inputs_hash = hashlib.sha256(
            json.dumps(job.input, sort_keys=True).encode("utf-8")
        ).hexdigest()

        def observer(stage: str, summary: dict[str, object]) -> None:
            if stage == "scene":
                name = f"scene-{summary['index']}-{summary.get('chunk', 0)}"
            else:
                name = stage
            ctx.checkpoint(name, inputs_hash, json.loads(json.dumps(summary, default=str)))

        def remote_id_for(key: str) -> str | None:
            saved = ctx.checkpoints.get(f"clip-{key[:16]}")
            return str(saved.result["remote_id"]) if saved is not None else None

        def save_remote_id(key: str, remote_id: str) -> None:
            ctx.checkpoint(f"clip-{key[:16]}", inputs_hash, {"remote_id": remote_id})

        result = self.render(
            spec,
            Path(job.input["output"]),
            options,
            paid=PaidChoices.from_json(job.input.get("paid")),
            progress=ctx.progress,
            cancel=ctx.cancel,
            observer=observer,
            job_id=job.id,
            remote_id_for=remote_id_for,
            save_remote_id=save_remote_id,
        )
        return {
            "output": str(result.output_path),
            "thumbnail": str(result.thumbnail_path),
            "srt": str(result.srt_path),
            "vtt": str(result.vtt_path),
            "metadata": str(result.metadata_path),
            "duration_s": result.duration_s,
            "wall_s": result.wall_s,
            "encoder": result.encoder,
            "scenes_reused": sum(1 for s in result.scenes if s.segment_cached),
            "tiers": [s.tier for s in result.scenes],
        }

    # -- lifecycle ----------------------------------------------------------------------

    def pending_or_running(self) -> int:
        """How many jobs are PENDING or RUNNING."""
        return len(self.jobs.list_jobs(states=[JobState.PENDING, JobState.RUNNING]))

    def close(self) -> None:
        """Release the runner lock and close the database."""
        self._disarm_crash_record()
        if self._lock_file is not None:
            os.close(self._lock_file)
            self._lock_file = None
        self.db.close()

    def __enter__(self) -> Studio:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def open_studio(data_dir: Path | None = None, cache_dir: Path | None = None) -> Iterator[Studio]:
    """``with open_studio() as studio: ...`` — opens and always closes a :class:`Studio`."""
    studio = Studio(data_dir, cache_dir)
    try:
        yield studio
    finally:
        studio.close()
