"""Preview frames: the real frame of a scene at a time, from the renderers the encoder uses.

``preview_frame(spec, scene_index, t_s, store, options=…)`` runs the same steps as a render,
up to the frame: narration (:func:`pipeline.narration.script_stage`) → speech
(:func:`pipeline.render_job.synthesize_speech` with the speech engine the render's
:class:`~pipeline.render_job.RenderOptions` make — speech mode, offline voice, Edge timeout —
cached in the same ArtifactStore, so the preview and the render share every clip) → timeline
(:func:`pipeline.timeline.build_timeline`) → the visual tier of clip scenes
(:func:`pipeline.render_job.resolve_visuals` without paid clips) → the scene's renderer
(:func:`pipeline.render_job.scene_renderer`, crossfade included) → ``frame_at(t_s)``. What the
preview shows is therefore pixel-identical to the frame the encoder is given for the same
options. What only a paid render can make (an LLM's narration, an AI clip) is not previewed;
the UI says so.

Pass the options of the render request (``studio.make_request(...).options``); the older
``speech_mode=`` keyword stands for ``RenderOptions(speech_mode=...)``.

A small in-memory cache (speech clips by content, renderers by everything that shapes them)
makes scrubbing fast: after the first frame of a scene, a frame costs one ``frame_at``.
Everything here is thread-safe and Qt-free; the UI calls it on a worker thread.
"""

from __future__ import annotations

import io
import itertools
import threading
import wave
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np

from pipeline.artifacts import ArtifactStore, content_key
from pipeline.errors import StudioError
from pipeline.fsutil import atomic_write_bytes
from pipeline.models import VideoSpec
from pipeline.narration import script_stage
from pipeline.render import RENDERER_VERSION, SceneRenderer, make_renderer, min_display_durations
from pipeline.render.base import RenderContext, RGBFrame
from pipeline.render.fonts import fonts_token
from pipeline.render_job import (
    RenderOptions,
    SceneVisual,
    render_context,
    resolve_visuals,
    scene_renderer,
    synthesize_speech,
)
from pipeline.speech.base import SAMPLE_RATE_HZ, SpeechAudio
from pipeline.speech.chain import SpeechEngine, SpeechMode
from pipeline.timeline import SceneTiming, TimingManifest, build_timeline, revealable_items

THUMBNAIL_WIDTH_PX = 384
"""Width of storyboard card thumbnails (drawn by the same renderers at a small size)."""
ESTIMATED_WORDS_PER_S = 2.5
"""Speaking rate assumed for a scene whose narration has not been synthesised yet."""

_SPEECH_CACHE_SIZE = 24  # a few scenes around the one previewed; the store keeps the rest
_RENDERER_CACHE_SIZE = 6


class PreviewError(StudioError):
    """A preview frame cannot be drawn (e.g. a scene type without a renderer yet)."""


@dataclass(frozen=True)
class ScenePlan:
    """Everything the preview of one spec needs: narration, speech and the timeline."""

    narrations: tuple[str, ...]
    speech: tuple[SpeechAudio, ...]
    manifest: TimingManifest


K = TypeVar("K")
V = TypeVar("V")


class _Lru(Generic[K, V]):
    """A tiny thread-safe LRU mapping."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_EngineKey = tuple[str, str | None, float]
"""What makes a speech engine: speech mode, offline voice, Edge timeout (as a render's)."""

_engines: dict[_EngineKey, SpeechEngine] = {}
_engines_lock = threading.Lock()
_speech: _Lru[tuple[int, _EngineKey, str, str, str], SpeechAudio] = _Lru(_SPEECH_CACHE_SIZE)
_store_tokens: weakref.WeakKeyDictionary[object, int] = weakref.WeakKeyDictionary()
_token_counter = itertools.count(1)
_renderers: _Lru[str, SceneRenderer] = _Lru(_RENDERER_CACHE_SIZE)
_thumbnails: _Lru[str, RGBFrame] = _Lru(128)


def clear_caches() -> None:
    """Forget every cached clip, renderer and thumbnail (tests, memory pressure)."""
    _speech.clear()
    _renderers.clear()
    _thumbnails.clear()


def preview_options(
    options: RenderOptions | None = None, speech_mode: SpeechMode = "offline"
) -> RenderOptions:
    """The render options a preview follows: ``options`` (the render request's), else
    ``RenderOptions(speech_mode=speech_mode)``."""
    return options if options is not None else RenderOptions(speech_mode=speech_mode)


def _store_token(store: ArtifactStore) -> int:
    """A number that stands for ``store`` while it lives (speech cached in memory is only
    reused with the store it came from: the render reads the clips from that store)."""
    with _engines_lock:
        try:
            token = _store_tokens.get(store)
            if token is None:
                token = _store_tokens[store] = next(_token_counter)
            return token
        except TypeError:  # not weakly referenceable
            return id(store)


def _engine_key(options: RenderOptions) -> _EngineKey:
    return (options.speech_mode, options.offline_voice, options.edge_timeout_s)


def speech_engine(options: RenderOptions) -> SpeechEngine:
    """The speech engine a render with ``options`` uses (one per kind, kept: an online
    provider found unreachable stays skipped for a while, as within a render).

    Raises:
        InputError: unknown offline voice.
    """
    key = _engine_key(options)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = SpeechEngine(
                mode=options.speech_mode,
                edge_timeout_s=options.edge_timeout_s,
                offline_voice=options.offline_voice,
            )
            _engines[key] = engine
        return engine


def plan_scenes(
    spec: VideoSpec,
    store: ArtifactStore,
    *,
    speech_mode: SpeechMode = "offline",
    options: RenderOptions | None = None,
    narrations: Sequence[str] | None = None,
) -> ScenePlan:
    """Narration → speech → timeline for ``spec``, as :func:`render_video` computes them with
    ``options`` (see :func:`preview_options`).

    ``narrations`` (one per scene) replaces the narration stage, for scenes taken out of a
    longer video whose neighbours shaped what they say. Speech comes from the in-memory
    cache, else from ``store`` (or is synthesised and stored there) through
    :func:`pipeline.render_job.synthesize_speech`, with the render's engine.
    """
    options = preview_options(options, speech_mode)
    narrations = list(narrations) if narrations is not None else script_stage(spec)
    engine = speech_engine(options)
    engine_key = _engine_key(options)
    token = _store_token(store)
    keys = [
        (token, engine_key, spec.language, scene.voice or spec.voice, text)
        for scene, text in zip(spec.scenes, narrations, strict=True)
    ]
    found: list[SpeechAudio | None] = [_speech.get(key) for key in keys]
    missing = [i for i, audio in enumerate(found) if audio is None]
    if missing:
        subset = spec.model_copy(update={"scenes": [spec.scenes[i] for i in missing]})
        voiced = synthesize_speech(subset, [narrations[i] for i in missing], store, engine)
        for i, (audio, _cached) in zip(missing, voiced, strict=True):
            _speech.put(keys[i], audio)
            found[i] = audio
    speech = tuple(audio for audio in found if audio is not None)
    minimums = min_display_durations(list(spec.scenes), preview_context(spec, options))
    manifest = build_timeline(spec, speech, narrations, min_durations_s=minimums)
    return ScenePlan(tuple(narrations), speech, manifest)


def scene_timings(
    spec: VideoSpec,
    store: ArtifactStore,
    *,
    speech_mode: SpeechMode = "offline",
    options: RenderOptions | None = None,
) -> tuple[SceneTiming, ...]:
    """The timing of every scene (duration, start, reveals), as the render will lay them out."""
    return plan_scenes(spec, store, speech_mode=speech_mode, options=options).manifest.scenes


def _renderer_key(
    spec: VideoSpec,
    manifest: TimingManifest,
    ctx: RenderContext,
    index: int,
    visuals: Sequence[SceneVisual],
) -> str:
    parts: dict[str, object] = {
        "scene": spec.scenes[index].model_dump(mode="json"),
        "timing": asdict(manifest.scenes[index]),
        "ctx": [ctx.width_px, ctx.height_px, ctx.fps, ctx.theme.model_dump(mode="json")],
        "captions": [ctx.captions, ctx.caption_style],
        "renderer": RENDERER_VERSION,
        "visual": visuals[index].tier,
        **fonts_token(ctx.language),
    }
    if index > 0 and manifest.scenes[index].transition_in_s > 0:
        parts["previous"] = [
            spec.scenes[index - 1].model_dump(mode="json"),
            asdict(manifest.scenes[index - 1]),
            visuals[index - 1].tier,
        ]
    return content_key("preview", parts)


def neighbourhood(spec: VideoSpec, scene_index: int) -> tuple[VideoSpec, int]:
    """The scenes the frames of scene ``scene_index`` depend on, and its index among them.

    A scene's length, reveals and captions come from its own narration only, and its
    crossfade starts from the previous scene's final frame (every item shown, no captions), so
    previewing scene ``i`` needs the speech of scenes ``i - 1`` and ``i``, not of the whole
    video: a 100-scene project previews its first scene as fast as a 2-scene one. Renderers use
    scene-relative times only, so the frames are those of the whole video's timeline.

    Raises:
        IndexError: no such scene.
    """
    _check_index(spec, scene_index)
    first = max(0, scene_index - 1)
    local = spec.model_copy(update={"scenes": list(spec.scenes[first : scene_index + 1])})
    return local, scene_index - first


def _check_index(spec: VideoSpec, scene_index: int) -> None:
    if not 0 <= scene_index < len(spec.scenes):
        raise IndexError(f"scene {scene_index} is outside the {len(spec.scenes)} scenes")


def preview_context(spec: VideoSpec, options: RenderOptions) -> RenderContext:
    """The frame geometry and styling a render of ``spec`` with ``options`` uses (its caption
    style included)."""
    return render_context(spec, options.caption_style)


def preview_renderer(
    spec: VideoSpec,
    scene_index: int,
    store: ArtifactStore,
    *,
    speech_mode: SpeechMode = "offline",
    options: RenderOptions | None = None,
) -> tuple[SceneRenderer, SceneTiming]:
    """The encoder's renderer of scene ``scene_index`` and its timing (cached), for a render
    with ``options`` (see :func:`preview_options`). A clip scene is drawn in the tier a
    render without paid AI clips gives it (:func:`pipeline.render_job.resolve_visuals`).

    Raises:
        IndexError: no such scene.
        PreviewError: the scene type has no renderer yet.
        InputError: unknown offline voice.
    """
    options = preview_options(options, speech_mode)
    _check_index(spec, scene_index)
    local, at = neighbourhood(spec, scene_index)
    plan = plan_scenes(local, store, options=options)
    ctx = preview_context(spec, options)
    try:
        visuals = resolve_visuals(local, plan.manifest, ctx, None)
    except KeyError as error:
        kind = spec.scenes[scene_index].scene_type
        raise PreviewError(
            f"scenes of type {kind!r} cannot be previewed yet",
            hint="render the video to see this scene, or change its type",
        ) from error
    key = _renderer_key(local, plan.manifest, ctx, at, visuals)
    renderer = _renderers.get(key)
    if renderer is None:
        try:
            renderer = scene_renderer(local, plan.manifest, ctx, at, visuals)
        except KeyError as error:
            kind = spec.scenes[scene_index].scene_type
            raise PreviewError(
                f"scenes of type {kind!r} cannot be previewed yet",
                hint="render the video to see this scene, or change its type",
            ) from error
        _renderers.put(key, renderer)
    return renderer, plan.manifest.scenes[at]


def preview_frame(
    spec: VideoSpec,
    scene_index: int,
    t_s: float,
    store: ArtifactStore,
    *,
    speech_mode: SpeechMode = "offline",
    options: RenderOptions | None = None,
) -> RGBFrame:
    """The frame the encoder draws for scene ``scene_index`` at ``t_s`` seconds into the scene,
    in a render with ``options`` (see :func:`preview_options`).

    ``t_s`` is clamped to the scene (``0 <= t_s < duration_s``). Returns an RGB frame of shape
    ``(height_px, width_px, 3)``, uint8, at the spec's full output size.

    Raises:
        IndexError: no such scene.
        PreviewError: the scene type has no renderer yet.
        SpeechError: the narration cannot be spoken.
    """
    renderer, timing = preview_renderer(
        spec, scene_index, store, speech_mode=speech_mode, options=options
    )
    last_s = (timing.n_frames - 1) / timing.fps
    return renderer.frame_at(min(max(0.0, t_s), last_s))


def scene_thumbnails(
    spec: VideoSpec,
    store: ArtifactStore,
    *,
    width_px: int = THUMBNAIL_WIDTH_PX,
    speech_mode: SpeechMode = "offline",
    options: RenderOptions | None = None,
) -> tuple[tuple[SceneTiming, ...], list[RGBFrame | None]]:
    """Timings and small thumbnails (fully revealed, no captions) of every scene.

    Thumbnails are drawn by the scene renderers at ``width_px`` wide; a scene type without a
    renderer gets ``None``. Unchanged scenes come from the in-memory cache.
    """
    plan = plan_scenes(spec, store, speech_mode=speech_mode, options=options)
    full = render_context(spec)
    height_px = max(2, round(full.height_px * width_px / full.width_px))
    ctx = RenderContext(
        width_px, height_px, full.fps, full.theme, captions=False, language=full.language
    )
    thumbs: list[RGBFrame | None] = []
    for index, (scene, timing) in enumerate(zip(spec.scenes, plan.manifest.scenes, strict=True)):
        key = content_key(
            "thumbnail",
            {
                "scene": scene.model_dump(mode="json"),
                "size": [width_px, height_px],
                "theme": spec.theme.model_dump(mode="json"),
                "reveals": list(timing.item_reveal_s),
                "renderer": RENDERER_VERSION,
                "index": index,
                **fonts_token(spec.language),
            },
        )
        thumb = _thumbnails.get(key)
        if thumb is None:
            try:
                thumb = make_renderer(scene, ctx, timing).thumbnail()
            except KeyError:
                thumbs.append(None)
                continue
            _thumbnails.put(key, thumb)
        thumbs.append(thumb)
    return plan.manifest.scenes, thumbs


def scene_audio_samples(timing: SceneTiming, speech: SpeechAudio) -> np.ndarray:
    """The scene's sound as in the final track: silence, the narration, then silence;
    float32 mono at :data:`~pipeline.speech.base.SAMPLE_RATE_HZ`, ``duration_s`` long."""
    n_total = round(timing.duration_s * SAMPLE_RATE_HZ)
    out = np.zeros(n_total, np.float32)
    start = round(timing.narration_offset_s * SAMPLE_RATE_HZ)
    samples = speech.samples[: max(0, n_total - start)]
    out[start : start + len(samples)] = samples
    return out


def scene_sound(
    spec: VideoSpec,
    scene_index: int,
    timing: SceneTiming,
    speech: SpeechAudio,
    options: RenderOptions,
) -> np.ndarray:
    """Scene ``scene_index``'s sound as the render mixes and masters it: the narration at its
    offset, the render's music bed under it (ducked, at ``music_level_db``; faded in on the
    first scene and out on the last), limited and levelled to ``loudness_lufs``
    (:func:`pipeline.audio.master.master`). Planar float32 ``(channels, n)``: one channel
    without music, two with it, ``duration_s`` long at
    :data:`~pipeline.speech.base.SAMPLE_RATE_HZ`.

    The scene is mastered on its own, so its level can differ slightly from the same scene
    in the whole video; the bed starts at its beginning rather than where the video is.

    Raises:
        InputError: the music file cannot be used.
    """
    from pipeline.audio.master import master
    from pipeline.audio.mix import Mix, MusicSettings, VoiceClip
    from pipeline.audio.music import music_source

    n_total = round(timing.duration_s * SAMPLE_RATE_HZ)
    clips = []
    if speech.n_samples:
        start = round(timing.narration_offset_s * SAMPLE_RATE_HZ)
        voice = speech.samples[: max(0, n_total - start)]
        clips.append(VoiceClip(start, len(voice), lambda: voice))
    music = None
    if options.music:
        last = scene_index == len(spec.scenes) - 1
        music = MusicSettings(
            music_source(options.music),
            level_db=options.music_level_db,
            fade_in_s=1.5 if scene_index == 0 else 0.0,
            fade_out_s=3.0 if last else 0.0,
        )
    mix = Mix(n_total, clips, music)
    return master(mix, target_lufs=options.loudness_lufs).samples()


def write_scene_wav(
    spec: VideoSpec,
    scene_index: int,
    store: ArtifactStore,
    folder: Path,
    *,
    speech_mode: SpeechMode = "offline",
    options: RenderOptions | None = None,
) -> Path:
    """Write scene ``scene_index``'s sound (:func:`scene_sound`: the narration with the
    render's music and loudness) to a 16-bit WAV in ``folder`` (named by its content, so a
    second call is free) and return its path.

    Raises:
        IndexError: no such scene.
        SpeechError / InputError: the narration cannot be spoken, the music cannot be used.
    """
    options = preview_options(options, speech_mode)
    _check_index(spec, scene_index)
    local, at = neighbourhood(spec, scene_index)
    plan = plan_scenes(local, store, options=options)
    timing = plan.manifest.scenes[at]
    speech = plan.speech[at]
    name = content_key(
        "preview-wav",
        {
            "text": plan.narrations[at],
            "voice": speech.voice_id,
            "n": timing.n_frames,
            "fps": timing.fps,
            "offset": timing.narration_offset_s,
            "provider": speech.provider,
            "samples": len(speech.samples),
            "sound": [
                options.music,
                options.music_level_db,
                options.loudness_lufs,
                scene_index == 0,
                scene_index == len(spec.scenes) - 1,
            ],
        },
    )[:32]
    path = Path(folder) / f"{name}.wav"
    if path.exists():
        return path
    samples = scene_sound(spec, scene_index, timing, speech, options)
    channels = samples.shape[0]
    pcm = (np.clip(samples.T, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE_HZ)
        wav.writeframes(pcm)
    atomic_write_bytes(path, buffer.getvalue())
    return path


def durations_s(timings: Sequence[SceneTiming]) -> list[float]:
    """Scene lengths in seconds, in order."""
    return [timing.duration_s for timing in timings]


def scene_thumbnail(
    spec: VideoSpec, scene_index: int, *, width_px: int = THUMBNAIL_WIDTH_PX
) -> RGBFrame | None:
    """The storyboard thumbnail of one scene, drawn without synthesising any speech.

    A thumbnail shows every item revealed (quiz answers hidden), without crossfade or
    captions, so it does not depend on when the narration reveals the items: the scene is
    laid out on a provisional timing (narration length estimated at
    :data:`ESTIMATED_WORDS_PER_S`) and drawn by the encoder's renderer at ``width_px`` wide.
    Pixel-identical to the thumbnail of :func:`scene_thumbnails`; cached in memory by content.

    Returns:
        RGB uint8 ``(height_px, width_px, 3)``, or ``None`` for a scene type without a renderer.

    Raises:
        IndexError: no such scene.
    """
    _check_index(spec, scene_index)
    scene = spec.scenes[scene_index]
    full = render_context(spec)
    height_px = max(2, round(full.height_px * width_px / full.width_px))
    key = content_key(
        "thumbnail-1",
        {
            "scene": scene.model_dump(mode="json"),
            "size": [width_px, height_px],
            "theme": spec.theme.model_dump(mode="json"),
            "fps": full.fps,
            "renderer": RENDERER_VERSION,
            **fonts_token(full.language),
        },
    )
    thumb = _thumbnails.get(key)
    if thumb is not None:
        return thumb
    text = script_stage(spec.model_copy(update={"scenes": [scene]}))[0]
    words = max(len(text.split()), len(revealable_items(scene)))
    n_samples = round(words / ESTIMATED_WORDS_PER_S * SAMPLE_RATE_HZ)
    silent = SpeechAudio(samples=np.zeros(n_samples, np.float32))
    one = spec.model_copy(update={"scenes": [scene]})
    timing = build_timeline(one, [silent], [text]).scenes[0]
    ctx = RenderContext(
        width_px, height_px, full.fps, full.theme, captions=False, language=full.language
    )
    try:
        thumb = make_renderer(scene, ctx, timing).thumbnail()
    except KeyError:
        return None
    _thumbnails.put(key, thumb)
    return thumb


def representative_time_s(
    spec: VideoSpec,
    scene_index: int,
    store: ArtifactStore,
    *,
    speech_mode: SpeechMode = "offline",
    options: RenderOptions | None = None,
) -> float:
    """When scene ``scene_index`` shows what it is about: the first frame after its crossfade
    and all its reveals (:meth:`~pipeline.render.engine.SceneRenderer.settled_s`), in seconds
    from the scene's start. The preview opens a scene there rather than at 0 s, where it is
    still fading in from the previous scene.

    Raises:
        IndexError: no such scene.
        PreviewError: the scene type has no renderer yet.
    """
    renderer, timing = preview_renderer(
        spec, scene_index, store, speech_mode=speech_mode, options=options
    )
    settled = getattr(renderer, "settled_s", None)
    if settled is None:  # a frame source without reveals: a third of the way in
        return (timing.n_frames // 3) / timing.fps
    return float(settled())


def scene_duration_s(
    spec: VideoSpec,
    scene_index: int,
    store: ArtifactStore,
    *,
    speech_mode: SpeechMode = "offline",
    options: RenderOptions | None = None,
) -> float:
    """The length of scene ``scene_index`` in the render, in seconds (whole frames): its own
    narration (as the render words it after the scene before) spoken by the render's voice
    (cached like every preview's speech) plus the timeline's padding and bounds. Needs the
    speech of this scene only.

    Raises:
        IndexError: no such scene.
        SpeechError: the narration cannot be spoken.
    """
    local, at = neighbourhood(spec, scene_index)  # the heading is said once per section
    text = script_stage(local)[at]
    one = spec.model_copy(update={"scenes": [spec.scenes[scene_index]]})
    plan = plan_scenes(one, store, speech_mode=speech_mode, options=options, narrations=[text])
    return plan.manifest.scenes[0].duration_s


def scene_speech(
    spec: VideoSpec,
    scene_index: int,
    store: ArtifactStore,
    *,
    speech_mode: SpeechMode = "offline",
    options: RenderOptions | None = None,
) -> SpeechAudio:
    """The narration audio the preview of scene ``scene_index`` uses (its ``provider`` says
    which voice spoke it: the preview labels a voice that differs from the render's).

    Raises:
        IndexError: no such scene.
        SpeechError: the narration cannot be spoken.
    """
    _check_index(spec, scene_index)
    local, at = neighbourhood(spec, scene_index)
    return plan_scenes(local, store, speech_mode=speech_mode, options=options).speech[at]
