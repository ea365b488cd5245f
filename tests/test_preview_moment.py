"""Thumbnails without speech, and the representative moment of a scene (pipeline.preview)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline import preview
from pipeline.adapters import load_document
from pipeline.artifacts import DirectoryStore
from pipeline.models import VideoSpec


@pytest.fixture(autouse=True)
def fresh_caches() -> None:
    preview.clear_caches()


def test_thumbnails_without_speech_equal_the_speech_timed_ones(corpus_dir: Path, tmp_path: Path):
    spec = load_document(corpus_dir / "video_gen-example_new_scene_types.yaml")
    store = DirectoryStore(tmp_path / "store")
    _, timed = preview.scene_thumbnails(spec, store, speech_mode="offline")
    preview.clear_caches()
    for index, expected in enumerate(timed):
        drawn = preview.scene_thumbnail(spec, index)
        assert (drawn is None) == (expected is None)
        if drawn is not None and expected is not None:
            assert drawn.shape == expected.shape and drawn.dtype == np.uint8
            assert np.array_equal(drawn, expected), f"scene {index + 1} differs"
    with pytest.raises(IndexError):
        preview.scene_thumbnail(spec, len(spec.scenes))


def test_the_representative_moment_is_after_the_crossfade_and_every_reveal(tmp_path: Path):
    spec = VideoSpec.model_validate(
        {
            "title": "Moment",
            "format": "1:1",
            "scenes": [
                {"scene_type": "title", "title": "First", "narration": "First scene."},
                {
                    "scene_type": "list",
                    "header": "Steps",
                    "items": ["Narrate", "Render", "Encode"],
                    "narration": "We narrate, then we render, then we encode it all.",
                },
            ],
        }
    )
    store = DirectoryStore(tmp_path / "store")
    renderer, timing = preview.preview_renderer(spec, 1, store, speech_mode="offline")
    moment = preview.representative_time_s(spec, 1, store, speech_mode="offline")
    last_s = (timing.n_frames - 1) / timing.fps
    assert timing.transition_in_s > 0 and len(timing.item_reveal_s) == 3
    assert max(timing.transition_in_s, timing.item_reveal_s[-1]) < moment <= last_s
    # From that moment on the picture only changes with the captions (none here): it is the
    # scene's final look; one frame earlier the last item is still fading in.
    at = preview.preview_frame(spec, 1, moment, store, speech_mode="offline")
    end = preview.preview_frame(spec, 1, last_s, store, speech_mode="offline")
    before = preview.preview_frame(spec, 1, moment - 1 / timing.fps, store, speech_mode="offline")
    assert np.array_equal(at, end)
    assert not np.array_equal(before, end)
    # At 0 s the scene is still the previous scene's last frame crossfading in.
    start = preview.preview_frame(spec, 1, 0.0, store, speech_mode="offline")
    assert float(np.abs(start.astype(int) - end.astype(int)).mean()) > 5.0
    assert renderer.settled_s() == moment
