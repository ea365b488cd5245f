"""Editing one scene and rendering again re-renders only that scene.

A spy wraps every renderer the render creates and counts the frames drawn per scene type;
the scenes are of different types, so the counts say exactly which scenes were drawn.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pytest

import pipeline.render_job as render_job
from pipeline.artifacts import DirectoryStore
from pipeline.models import VideoSpec, build_spec
from pipeline.render_job import RenderOptions, render_video

pytestmark = pytest.mark.slow


def _spec(quote: str) -> VideoSpec:
    return build_spec(
        {
            "title": "Incremental",
            "scenes": [
                {"scene_type": "title", "title": "Incremental", "narration": "Only what changed."},
                {"scene_type": "list", "header": "Steps", "items": ["Edit", "Render"]},
                {"scene_type": "quote", "quote_text": quote, "attribution": "A. Tester"},
                {"scene_type": "outro", "main_text": "Done", "narration": "That is all."},
            ],
        }
    )


class _Spy:
    def __init__(self, renderer: object, scene_type: str, drawn: Counter[str]) -> None:
        self._renderer = renderer
        self._scene_type = scene_type
        self._drawn = drawn

    def frame_at(self, t_s: float):
        self._drawn[self._scene_type] += 1
        return self._renderer.frame_at(t_s)

    def __getattr__(self, name: str) -> object:
        return getattr(self._renderer, name)


def test_edit_one_scene_rerenders_only_that_scene(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    drawn: Counter[str] = Counter()
    real = render_job.make_renderer

    def spy(scene, ctx, timing, **kwargs):
        return _Spy(real(scene, ctx, timing, **kwargs), scene.scene_type, drawn)

    monkeypatch.setattr(render_job, "make_renderer", spy)
    store = DirectoryStore(tmp_path / "store")
    options = RenderOptions(speech_mode="offline")
    render_video(_spec("Measure twice, cut once."), tmp_path / "v.mp4", store, options)
    assert set(drawn) == {"title", "list", "quote", "outro"}

    drawn.clear()
    caplog.set_level(logging.INFO, logger="pipeline.render_job")
    caplog.clear()  # only the second render's records
    result = render_video(_spec("Measure once, cut twice."), tmp_path / "v.mp4", store, options)
    # Only the edited quote scene is drawn and encoded again — plus the first chunk (4 s) of
    # the outro, whose opening crossfade starts from the quote's final frame, which changed.
    encoded = [
        r.getMessage() for r in caplog.records if r.getMessage().startswith("encoding scene")
    ]
    assert any(m.startswith("encoding scene 3/4") for m in encoded)
    assert all(
        m.startswith("encoding scene 3/4") or m.startswith("encoding scene 4/4 chunk 0")
        for m in encoded
    ), encoded
    assert drawn["title"] == 0 and drawn["list"] == 0
    assert drawn["quote"] > 0
    assert [s.segment_cached for s in result.scenes][:2] == [True, True]
    assert result.scenes[2].segment_cached is False
