"""The studio's application services in one object: database, job queue, cache, runner.

:class:`Studio` is what the CLI (``queue``/``jobs``/``run``/``cache``) and the desktop UI use.
Opening it opens (and upgrades) the database and the content cache; :meth:`Studio.make_runner`
takes the single-runner lock of the data folder, sweeps what a crashed process left behind,
recovers its jobs and returns a :class:`~studio.jobs.JobRunner` with the render handler.
"""

from __future__ import annotations

import contextlib
import faulthandler
import hashlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

import filelock
from PySide6.QtCore import QObject

from pipeline.errors import StudioError
from pipeline.fsutil import (
    atomic_write_text,
    staging_dir_name,
    sweep_stale_staging,
    sweep_temp_files,
)
from pipeline.models import VideoSpec
from pipeline.preflight import preflight
from pipeline.progress import NEVER_CANCEL, CancelToken, EventSink, ProgressEvent, no_events
from pipeline.render_job import RenderResult, StageObserver, render_video
from pipeline.workplan import Throughput
from studio import paths
from studio.budget import BudgetGovernor
from studio.cache import CacheAddress, ContentCache
from studio.jobs import Handler, JobContext, JobRunner
from studio.ops import OpsReport, ops_report
from studio.paid import (
    budget_policy,
    paid_services,
    translation_available,
    translation_generator,
)
from studio.request import (
    RenderOverrides,
    RenderRequest,
    build_render_request,
    load_request,
    with_setting_defaults,
)
from studio.settings import SecretStore, SettingsStore, StudioSettings, settings_path
from studio.store import Job, JobState, JobStore, ProjectStore, open_database
from studio.templates import TEMPLATES_FOLDER, TemplateLibrary
from studio.validation import check_render_request

log = logging.getLogger(__name__)

RENDER = "render"
"""Job kind of a video render."""

THROUGHPUT_FILE = "throughput.json"
"""Stage speeds measured by earlier renders on this machine (for remaining-time estimates)."""


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


class Studio:
    """The studio's application services for one data folder: settings, database, job
    queue, projects, templates, cache, the render request and the runner.

    Args:
        data_dir: overrides :func:`studio.paths.data_dir` (database, settings, logs).
        cache_dir: overrides :func:`studio.paths.cache_dir` (artefacts live in ``artifacts/``).
        setting_overrides: settings given on the command line (nested like
            :class:`~studio.settings.StudioSettings`); they win over the environment and the
            settings file.

    Raises:
        SchemaTooNewError / DatabaseOpenError: the database cannot be used (see the message).
        SettingsTooNewError / InputError: the settings cannot be used.
    """

    def __init__(
        self,
        data_dir: Path | None = None,
        cache_dir: Path | None = None,
        *,
        setting_overrides: Mapping[str, Any] | None = None,
    ) -> None:
        self.data_dir = data_dir or paths.data_dir()
        self.cache_dir = cache_dir or paths.cache_dir()
        self.settings = SettingsStore(settings_path(self.data_dir), setting_overrides)
        self.db = open_database(self.data_dir / paths.DATABASE_FILE)
        self.jobs = JobStore(self.db)
        self.projects = ProjectStore(self.db)
        self.templates = TemplateLibrary(self.db, self.data_dir / TEMPLATES_FOLDER)
        """Bundled and user templates (``<data>/templates/*.yaml``, indexed in the database)."""
        self.cache = ContentCache(
            self.cache_dir / "artifacts",
            self.db,
            quota_bytes=self.settings.current.cache_quota_bytes,
        )
        self._unsubscribe = self.settings.subscribe(self._settings_changed)
        self._lock: filelock.BaseFileLock | None = None
        self._crash_record: TextIO | None = None
        self._crashed_before: bool | None = None

    def _settings_changed(self, settings: StudioSettings) -> None:
        self.cache.quota_bytes = settings.cache_quota_bytes

    @property
    def staging_root(self) -> Path:
        """Where renders keep temporary files (a folder per process, swept when stale)."""
        return self.cache_dir / "staging"

    # -- the render request -----------------------------------------------------------

    def make_request(
        self,
        spec: VideoSpec,
        *,
        overrides: RenderOverrides | None = None,
        output: Path | None = None,
        default_output_dir: Path | None = None,
        source: Path | None = None,
        project_id: int | None = None,
        condense: bool = True,
    ) -> RenderRequest:
        """The render request of ``spec`` under the settings in effect (see
        :func:`studio.request.build_render_request`, the one place requests are made;
        ``condense=False`` for the preview, which shows every scene of the project).

        Raises:
            InputError: an override does not validate.
        """
        return build_render_request(
            self.settings.current,
            spec,
            overrides=overrides,
            output=output,
            default_output_dir=default_output_dir,
            source=source,
            project_id=project_id,
            condense=condense,
        )

    def cache_address(self) -> CacheAddress:
        """Where the content cache lives, for a helper process to open it
        (:meth:`CacheAddress.open`): the studio's preview helper draws and speaks into the
        same cache the renders use, so a clip voiced for a preview is the render's clip."""
        return CacheAddress(
            root=self.cache.root,
            database=self.data_dir / paths.DATABASE_FILE,
            quota_bytes=self.cache.quota_bytes,
        )

    def import_document(self, path: Path) -> int:
        """Make a project from a document (the settings' defaults fill what the document does
        not say); returns the project id.

        Raises:
            InputError: the document cannot be read (the message names it).
        """
        from pipeline.adapters import load_document

        settings = self.settings.current
        spec = load_document(path, skip_boilerplate=settings.skip_boilerplate)
        spec = with_setting_defaults(settings, spec)
        kind = path.suffix.lower().lstrip(".")
        return self.projects.save_project(spec, source_path=path, source_kind=kind)

    def report(self, days: int = 30) -> OpsReport:
        """The operator's report over ``days`` under the budget of the settings in effect."""
        return ops_report(self.db, budget_policy(self.settings.current.ai), days=days)

    # -- queue ------------------------------------------------------------------------

    def enqueue(self, request: RenderRequest, *, priority: int = 0) -> int:
        """Queue ``request``; returns the job id (``videostudio run`` or the studio runs it).

        The request is checked first, as a render would be (:func:`studio.validation.
        check_render_request`): a bad voice or output path is refused now, not when it runs.

        Raises:
            InputError, StorageError: see :func:`~studio.validation.check_render_request`.
        """
        check_render_request(request.spec, request.output)
        return self.jobs.enqueue_job(
            RENDER, request.to_json(), priority=priority, project_id=request.project_id
        )

    def throughput(self) -> Throughput:
        """The stage speeds measured on this machine so far (defaults before the first)."""
        try:
            text = (self.data_dir / THROUGHPUT_FILE).read_text(encoding="utf-8")
            return Throughput.from_json(json.loads(text))
        except (OSError, ValueError):
            return Throughput()

    def _remember_throughput(self, measured: Throughput) -> None:
        try:
            blended = self.throughput().blend(measured)
            atomic_write_text(
                self.data_dir / THROUGHPUT_FILE, json.dumps(blended.to_json(), indent=2) + "\n"
            )
        except OSError as error:  # only estimates suffer
            log.warning("could not save measured throughput: %s", error)

    def governor(self) -> BudgetGovernor:
        """The budget ledger with the thresholds of the settings in effect."""
        return BudgetGovernor(self.db, budget_policy(self.settings.current.ai))

    # -- running ------------------------------------------------------------------------

    def acquire_runner_lock(self) -> None:
        """Become the one process that works this data folder's queue.

        Raises:
            RunnerBusyError: another process holds the lock.
        """
        if self._lock is not None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(self.data_dir / "runner.lock", timeout=0, is_singleton=False)
        try:
            lock.acquire()
        except filelock.Timeout as error:
            raise RunnerBusyError(
                "another Video Studio is already working the job queue of this data folder",
                hint="let it finish (see `videostudio jobs`), or use another --data-dir",
            ) from error
        self._lock = lock

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

    def language_warnings(self, request: RenderRequest) -> list[str]:
        """What the user must be told before rendering ``request`` in the languages it asks
        for: the text stays in its language (only the voice changes) when no LLM can
        translate it, or translation is off. Makes no paid call; ``[]`` when nothing to say.
        """
        targets = request.options.languages
        if not targets:
            return []
        from pipeline.ai.translate import detect_language, language_label, translatable_texts
        from pipeline.speech.voices import normalize_language

        source = detect_language([slot.text for slot in translatable_texts(request.spec)])
        others = [code for code in targets if normalize_language(code) != source]
        if not others:
            return []
        names = ", ".join(language_label(code) for code in others)
        stays = f"The text stays in {language_label(source)}: only the voice changes to {names}."
        if not request.options.translate:
            return [f"{stays} Translation is off (--no-translate)."]
        offline = request.options.speech_mode == "offline"
        if translation_available(self.settings.current.ai, SecretStore(), offline=offline):
            return []
        if offline:
            return [f"{stays} Offline, only an LLM server on this machine could translate it."]
        return [
            f"{stays} No LLM is configured to translate it: add an Anthropic or OpenAI key, "
            "or an OpenAI-compatible endpoint (a local Ollama or LM Studio server needs no key), "
            "in Settings."
        ]

    def render(
        self,
        request: RenderRequest,
        *,
        events: EventSink = no_events,
        cancel: CancelToken = NEVER_CANCEL,
        observer: StageObserver | None = None,
        job_id: int | None = None,
        remote_id_for: Callable[[str], str | None] = lambda key: None,
        save_remote_id: Callable[[str, str], None] = lambda key, remote_id: None,
    ) -> RenderResult:
        """Render ``request`` now and return the result of its first language (see
        :meth:`render_all`, which returns every language's)."""
        return self.render_all(
            request,
            events=events,
            cancel=cancel,
            observer=observer,
            job_id=job_id,
            remote_id_for=remote_id_for,
            save_remote_id=save_remote_id,
        )[0]

    def render_all(
        self,
        request: RenderRequest,
        *,
        events: EventSink = no_events,
        cancel: CancelToken = NEVER_CANCEL,
        observer: StageObserver | None = None,
        job_id: int | None = None,
        remote_id_for: Callable[[str], str | None] = lambda key: None,
        save_remote_id: Callable[[str, str], None] = lambda key, remote_id: None,
    ) -> list[RenderResult]:
        """Render ``request`` now, once per language it asks for, with the cache (pinned while
        in use) and the paid AI it allows.

        Languages (``request.options.languages``): with none, the spec is rendered as it is.
        Otherwise the source language is detected once and, per language, the text is
        translated with the configured LLM (governed by the budget ledger; when none can,
        only the voice changes and the warning is logged), then rendered to ``request.output``
        (one language) or ``<stem>.<language>.mp4`` beside it (several). Paid services, the
        LLM client and the cache are shared by all languages: AI clips and anything else that
        does not depend on the language are made once.

        Paid providers come from the settings and secrets, governed by the budget ledger;
        the fallback tier of each clip scene (and each document scene drawn over an AI image)
        is recorded for the operator view. Progress
        arrives as typed events whose remaining time comes from this machine's measured
        throughput, which the render then updates.

        Before any work: leftovers of killed renders are swept, the request is checked
        (:func:`~studio.validation.check_render_request`) and every disk it writes to must
        have room for it (:func:`~pipeline.preflight.preflight`).
        """
        paid = request.paid
        ai = self.settings.current.ai
        self.sweep_leftovers()
        spec, output = check_render_request(request.spec, request.output)
        preflight(spec, output, {"cache": self.cache_dir, "data": self.data_dir})
        services = None
        translator = None
        if paid.any:
            services = paid_services(
                paid,
                db=self.db,
                cache=self.cache,
                ai=ai,
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
            targets = request.options.languages
            specs: list[tuple[VideoSpec, str]] = []
            if targets and request.options.translate:
                from pipeline.ai.translate import translate_spec_many

                governor = BudgetGovernor(self.db, budget_policy(ai), job_id=job_id)
                offline = request.options.speech_mode == "offline"
                translator = translation_generator(ai, SecretStore(), governor, offline=offline)
                outcomes = translate_spec_many(
                    spec, targets, translator, template_id=paid.template_id
                )
                for outcome in outcomes:
                    for warning in outcome.warnings:
                        log.warning("%s: %s", outcome.target_language, warning)
                    for note in outcome.notes:
                        log.info("%s: %s", outcome.target_language, note)
                    specs.append((outcome.spec, outcome.target_language))
            elif targets:  # translation off: only the voice changes
                specs = [(spec.model_copy(update={"language": c}), c) for c in targets]
            else:
                specs = [(spec, "")]
            jobs = [(one, _language_output(output, code, len(specs))) for one, code in specs]
            results = []
            for number, (one, one_output) in enumerate(jobs):
                result = render_video(
                    one,
                    one_output,
                    store,
                    request.options,
                    events=_language_events(events, number, len(jobs), one.language),
                    cancel=cancel,
                    observer=observer,
                    staging_root=self.staging_root,
                    clips=services.clips if services else None,
                    images=services.images if services else None,
                    script=services.script if services else None,
                    throughput=self.throughput(),
                )
                self._remember_throughput(result.throughput)
                if services is not None:
                    services.record_tiers(job_id, one, result.scenes)
                if "otio" in request.options.exports:
                    from pipeline.export import export_for_editors

                    export_for_editors(result.output_path, result.metadata_path)
                results.append(result)
            return results
        finally:
            store.release()
            if services is not None:
                services.close()
            if translator is not None:
                translator.close()

    def _run_render(self, ctx: JobContext) -> Mapping[str, Any]:
        job: Job = ctx.job
        request = load_request(job.input, source=f"job {job.id}")
        inputs_hash = hashlib.sha256(
            json.dumps(job.input, sort_keys=True).encode("utf-8")
        ).hexdigest()

        def observer(stage: str, summary: dict[str, object]) -> None:
            # Marks of progress (a job that keeps crashing without making any is failed);
            # resuming itself needs none of them: finished speech clips and 4-second chunks
            # are in the content cache, and the render reuses whatever is there.
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

        results = self.render_all(
            request,
            events=ctx.report,
            cancel=ctx.cancel,
            observer=observer,
            job_id=job.id,
            remote_id_for=remote_id_for,
            save_remote_id=save_remote_id,
        )
        result = results[0]
        return {
            "outputs": [str(r.output_path) for r in results],
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
        self._unsubscribe()
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        self.db.close()

    def __enter__(self) -> Studio:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _language_events(events: EventSink, number: int, count: int, language: str) -> EventSink:
    """Events of language ``number`` of ``count`` as part of the whole job: the fraction in
    its slice, the language in the message, the remaining time counting the languages left."""
    if count <= 1:
        return events

    def forward(event: ProgressEvent) -> None:
        remaining = event.remaining_s
        if remaining is not None:
            one_language_s = remaining / max(1e-3, 1.0 - event.fraction)
            remaining += (count - number - 1) * one_language_s
        events(
            replace(
                event,
                fraction=(number + event.fraction) / count,
                message=f"[{language}] {event.message}",
                remaining_s=remaining,
            )
        )

    return forward


def _language_output(output: Path, language: str, count: int) -> Path:
    """``output`` for a single language; ``<stem>.<language>.mp4`` beside it for several."""
    if count <= 1 or not language:
        return output
    return output.with_name(f"{output.stem}.{language}{output.suffix}")


@contextlib.contextmanager
def open_studio(
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    *,
    setting_overrides: Mapping[str, Any] | None = None,
) -> Iterator[Studio]:
    """``with open_studio() as studio: ...`` — opens and always closes a :class:`Studio`."""
    studio = Studio(data_dir, cache_dir, setting_overrides=setting_overrides)
    try:
        yield studio
    finally:
        studio.close()
