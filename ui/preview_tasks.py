"""The studio's preview work, Qt-free: storyboard thumbnails, scene lengths, preview frames and
scene sound, as the render makes them (:mod:`pipeline.preview`).

These functions run in the preview helper process (:mod:`ui.helper`), so the speech engines,
the renderers and Pillow's text drawing never hold the GUI process's interpreter lock: the
studio's window stays responsive however busy the preview is. They run in the studio process
only when the helper cannot (it did not start, or died). This module imports no Qt, so the
helper stays small.

Every function that needs the content cache takes the ``store`` first: in the helper it is the
studio's own cache opened there (:meth:`studio.api.CacheAddress.open`), so the speech a preview
synthesises is the clip the render reuses, and the other way round.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from pipeline.artifacts import ArtifactStore
from pipeline.models import VideoSpec
from pipeline.preview import (
    neighbourhood,
    preview_frame,
    preview_renderer,
    representative_time_s,
    scene_duration_s,
    scene_speech,
    scene_thumbnail,
    write_scene_wav,
)
from pipeline.render.base import RGBFrame
from pipeline.render_job import RenderOptions, render_context


@dataclass(frozen=True)
class FrameResult:
    """A preview frame and what the panel shows with it.

    Attributes:
        t_s: the frame's time in the scene, seconds (the representative moment when none was
            asked for).
        last_s: the time of the scene's last frame, seconds.
        frame: RGB uint8 ``(height, width, 3)``: the render's frame, scaled down to fit the
            size asked for (never up).
        provider: the speech provider whose narration timed the scene (``edge``, ``piper``,
            ``espeak``, ``silence``).
    """

    t_s: float
    last_s: float
    frame: RGBFrame
    provider: str


_FITTED_KEPT = 12
_fitted: OrderedDict[tuple[str, int, float, str, tuple[int, int]], FrameResult] = OrderedDict()
_fitted_lock = threading.Lock()


def fit_frame(frame: RGBFrame, max_width_px: int, max_height_px: int) -> RGBFrame:
    """``frame`` scaled down (aspect kept) to fit in the box; unchanged when it fits already or
    the box is degenerate (≤ 8 px). Pillow's bilinear filter widens with the reduction, so the
    result is antialiased (a third of Lanczos's cost, which the eye does not miss at 2×)."""
    height, width = frame.shape[:2]
    if max_width_px <= 8 or max_height_px <= 8:
        return frame
    scale = min(max_width_px / width, max_height_px / height)
    if scale >= 1.0:
        return frame
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(frame).resize(size, Image.Resampling.BILINEAR)
    return np.asarray(resized, dtype=np.uint8)


def frame(
    store: ArtifactStore,
    spec: VideoSpec,
    scene_index: int,
    t_s: float | None,
    options: RenderOptions,
    max_size_px: tuple[int, int],
) -> FrameResult:
    """The frame of scene ``scene_index`` at ``t_s`` (``None``: its representative moment) in
    a render with ``options``, scaled to fit ``max_size_px`` (width, height).

    Only the scenes the frame depends on travel to the helper (the scene and the one before
    it, see :func:`pipeline.preview.neighbourhood`).

    Raises:
        IndexError, PreviewError, SpeechError, InputError: see
        :func:`pipeline.preview.preview_frame`.
    """
    local, at = neighbourhood(spec, scene_index)
    _renderer, timing = preview_renderer(local, at, store, options=options)
    last_s = (timing.n_frames - 1) / timing.fps
    moment = representative_time_s(local, at, store, options=options) if t_s is None else t_s
    moment = min(max(0.0, moment), last_s)
    # A frame shown before (the scene selected again, the playhead back) is kept scaled.
    key = (
        local.model_dump_json() + repr(timing),
        at,
        moment,
        options.model_dump_json(),
        max_size_px,
    )
    with _fitted_lock:
        known = _fitted.get(key)
        if known is not None:
            _fitted.move_to_end(key)
            return known
    pixels = preview_frame(local, at, moment, store, options=options)
    provider = scene_speech(local, at, store, options=options).provider
    result = FrameResult(moment, last_s, fit_frame(pixels, *max_size_px), provider)
    with _fitted_lock:
        _fitted[key] = result
        while len(_fitted) > _FITTED_KEPT:
            _fitted.popitem(last=False)
    return result


def duration(
    store: ArtifactStore, spec: VideoSpec, scene_index: int, options: RenderOptions
) -> float:
    """Scene ``scene_index``'s length in a render with ``options``, seconds
    (:func:`pipeline.preview.scene_duration_s`)."""
    return scene_duration_s(spec, scene_index, store, options=options)


def sound(
    store: ArtifactStore,
    spec: VideoSpec,
    scene_index: int,
    folder: Path,
    options: RenderOptions,
) -> Path:
    """Scene ``scene_index``'s sound with the render's music and loudness, as a WAV in
    ``folder`` (:func:`pipeline.preview.write_scene_wav`)."""
    return write_scene_wav(spec, scene_index, store, folder, options=options)


def sketch(spec: VideoSpec, scene_index: int, max_size_px: tuple[int, int]) -> RGBFrame | None:
    """Scene ``scene_index`` as it looks once everything is on screen, drawn without its
    speech (the storyboard thumbnail's drawing at the size of the preview box, fitted to
    ``max_size_px``): what the preview shows while the narration that times the exact frame
    is being voiced. No captions; ``None`` for a scene type without a renderer.

    Raises:
        IndexError: no such scene.
    """
    full = render_context(spec)
    box_w, box_h = max_size_px
    scale = min(1.0, box_w / full.width_px, box_h / full.height_px)
    width_px = max(16, round(full.width_px * scale))
    one = spec.model_copy(update={"scenes": [spec.scenes[scene_index]]})
    drawn = scene_thumbnail(one, 0, width_px=width_px)
    return None if drawn is None else fit_frame(drawn, *max_size_px)


def thumbnail(spec: VideoSpec, scene_index: int) -> RGBFrame | None:
    """The storyboard thumbnail of scene ``scene_index`` (no speech, no store needed;
    :func:`pipeline.preview.scene_thumbnail`)."""
    return scene_thumbnail(spec, scene_index)
