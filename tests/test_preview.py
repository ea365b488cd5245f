"""The preview shows the frame the encoder produces (pipeline.preview, no Qt)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from pipeline import preview
from pipeline.artifacts import DirectoryStore
from pipeline.avio import extract_frame
from pipeline.errors import StudioError
from pipeline.models import VideoSpec
from pipeline.narration import script_stage
from pipeline.render import make_renderer
from pipeline.render_job import RenderOptions, render_context, render_video, synthesize_speech
from pipeline.speech.base import SAMPLE_RATE_HZ
from pipeline.speech.chain import SpeechEngine
from pipeline.timeline import build_timeline

MAX_MEAN_ABS_DIFF = 6.0  # H.264 at the default CRF, on 0–255


@pytest.fixture()
def spec() -> VideoSpec:
    return VideoSpec.model_validate(
        {
            "title": "Preview check",
            "format": "1:1",
            "scenes": [
                {"scene_type": "title", "title": "Preview", "subtitle": "equals render"},
                {
                    "scene_type": "list",
                    "header": "Steps",
                    "items": ["Narrate", "Render", "Encode"],
                    "narration": "Narrate. Render. Encode.",
                },
                {"scene_type": "outro", "main_text": "Done", "narration": "Done."},
            ],
        }
    )


@pytest.fixture(autouse=True)
def fresh_caches() -> None:
    preview.clear_caches()


@pytest.mark.slow
def test_preview_matches_the_encoded_video(spec: VideoSpec, tmp_path: Path):
    store = DirectoryStore(tmp_path / "store")
    result = render_video(
        spec, tmp_path / "out.mp4", store, RenderOptions(speech_mode="offline", encoder="x264")
    )
    starts = [s.start_s for s in result.scenes]
    # Mid-scene, during a crossfade, and just after a reveal.
    for index, t_s in ((0, 0.9), (1, 0.2), (1, 1.5), (2, 0.7)):
        encoded = extract_frame(result.output_path, starts[index] + t_s + 1e-4)
        previewed = preview.preview_frame(spec, index, t_s, store, speech_mode="offline")
        assert previewed.shape == encoded.shape
        diff = np.abs(previewed.astype(np.int16) - encoded.astype(np.int16)).mean()
        assert diff < MAX_MEAN_ABS_DIFF, (index, t_s, diff)


def test_preview_equals_the_renderer_exactly(spec: VideoSpec, tmp_path: Path):
    store = DirectoryStore(tmp_path / "store")
    narrations = script_stage(spec)
    # Speech through the store, as a render makes it (eSpeak's length varies by a few
    # samples between runs, so the preview must reuse the stored clips to match exactly).
    voiced = synthesize_speech(spec, narrations, store, SpeechEngine(mode="offline"))
    speech = [audio for audio, _cached in voiced]
    manifest = build_timeline(spec, speech, narrations)
    ctx = render_context(spec)
    first_final = make_renderer(spec.scenes[0], ctx, manifest.scenes[0]).final_frame()
    renderer = make_renderer(spec.scenes[1], ctx, manifest.scenes[1], previous_final=first_final)
    for t_s in (0.0, 0.1, 1.0, manifest.scenes[1].duration_s - 0.05):
        assert np.array_equal(
            preview.preview_frame(spec, 1, t_s, store, speech_mode="offline"),
            renderer.frame_at(t_s),
        )
    timings = preview.scene_timings(spec, store)
    assert [t.n_frames for t in timings] == [t.n_frames for t in manifest.scenes]


def test_speech_is_cached_in_the_store_and_in_memory(spec: VideoSpec, tmp_path: Path):
    store = DirectoryStore(tmp_path / "store")
    preview.preview_frame(spec, 0, 0.5, store)
    stored = sorted(p.name for p in (tmp_path / "store").rglob("*") if p.is_file())
    assert len(stored) == 1  # only the previewed scene is voiced
    preview.preview_frame(spec, 2, 0.5, store)  # scene 3 and, for its crossfade, scene 2
    stored = sorted(p.name for p in (tmp_path / "store").rglob("*") if p.is_file())
    assert len(stored) == 3  # one speech clip per scene
    preview.preview_frame(spec, 1, 0.5, store)  # served from memory: nothing new stored
    assert sorted(p.name for p in (tmp_path / "store").rglob("*") if p.is_file()) == stored


def test_times_outside_the_scene_are_clamped(spec: VideoSpec, tmp_path: Path):
    store = DirectoryStore(tmp_path / "store")
    timings = preview.scene_timings(spec, store)
    last = (timings[2].n_frames - 1) / timings[2].fps
    assert np.array_equal(
        preview.preview_frame(spec, 2, 999.0, store), preview.preview_frame(spec, 2, last, store)
    )
    with pytest.raises(IndexError):
        preview.preview_frame(spec, 3, 0.0, store)


def test_thumbnails_and_scene_audio(spec: VideoSpec, tmp_path: Path):
    store = DirectoryStore(tmp_path / "store")
    timings, thumbs = preview.scene_thumbnails(spec, store, width_px=200)
    assert len(timings) == 3
    assert all(t is not None and t.shape == (200, 200, 3) for t in thumbs)
    path = preview.write_scene_wav(spec, 1, store, tmp_path / "audio")
    with wave.open(str(path)) as wav:
        assert wav.getframerate() == SAMPLE_RATE_HZ
        assert wav.getnframes() == round(timings[1].duration_s * SAMPLE_RATE_HZ)
    assert preview.write_scene_wav(spec, 1, store, tmp_path / "audio") == path


def test_a_scene_type_without_renderer_says_so(tmp_path: Path):
    spec = VideoSpec.model_validate(
        {"title": "Ad", "scenes": [{"scene_type": "ad", "headline": "Buy now"}]}
    )
    store = DirectoryStore(tmp_path / "store")
    try:
        frame = preview.preview_frame(spec, 0, 0.2, store)
    except StudioError as error:  # no ad renderer yet: a message, not a crash
        assert "ad" in error.message and error.hint
    else:
        assert frame.shape == (1080, 1920, 3)


def test_a_code_scene_is_laid_out_once_to_learn_its_minimum_length(monkeypatch):
    # Every preview frame asks how long each code scene must stay; the answer is kept by the
    # scene's content and the frame geometry instead of laying the scene out again.
    from pipeline.render import registry

    spec = VideoSpec.model_validate(
        {
            "title": "Paced",
            "scenes": [
                {
                    "scene_type": "command",
                    "header": "Install",
                    "commands": [f"pip install package-{i}" for i in range(12)],
                    "narration": "Install them.",
                }
            ],
        }
    )
    built: list[str] = []
    real = registry.make_renderer

    def counting(scene, ctx, timing, **kwargs):
        built.append(scene.scene_type)
        return real(scene, ctx, timing, **kwargs)

    monkeypatch.setattr(registry, "make_renderer", counting)
    ctx = render_context(spec)
    scene = spec.scenes[0].model_copy(update={"header": "Install (unique to this test)"})
    first = registry.min_display_s(scene, ctx)
    assert first >= 5.0 and built == ["command"]
    assert registry.min_display_s(scene.model_copy(), ctx) == first
    assert built == ["command"]  # not laid out again
    portrait = render_context(VideoSpec.model_validate({**spec.model_dump(), "format": "9:16"}))
    registry.min_display_s(scene, portrait)  # another geometry: laid out for it
    assert built == ["command", "command"]
