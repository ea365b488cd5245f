"""The fallback chain of clip scenes: AI clip → animated infographic → text card.

Each case renders a real (short) video and checks that it validates and that metadata.json
records the tier that produced each clip scene.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from pipeline.ai.base import PaidWorkBlocked, ProviderError
from pipeline.artifacts import DirectoryStore
from pipeline.models import ClipScene, build_spec
from pipeline.progress import CancelToken
from pipeline.render_job import RenderOptions, render_video

pytestmark = pytest.mark.slow
OFFLINE = RenderOptions(speech_mode="offline")


def _spec(infographic: dict[str, object] | None):
    clip: dict[str, object] = {
        "scene_type": "clip",
        "prompt": "A piggy bank slowly filling with coins",
        "headline": "Save a little every week",
        "body": "Small amounts add up.",
        "narration": "Save a little every week.",
        "cache_key": "cade0374e151bffc",
        "template_id": "persona.demo",
    }
    if infographic is not None:
        clip["infographic"] = infographic
    return build_spec(
        {
            "title": "Fallbacks",
            "scenes": [
                {"scene_type": "title", "title": "Fallbacks", "narration": "Fallbacks."},
                clip,
            ],
        }
    )


class _Down:
    """A clip supplier whose provider is down."""

    calls = 0

    def clip_for(self, scene: ClipScene, index: int, *, cancel: CancelToken):
        self.calls += 1
        raise ProviderError("the video provider answered 503", hint="try later")


class _Blocked:
    def clip_for(self, scene: ClipScene, index: int, *, cancel: CancelToken):
        raise PaidWorkBlocked(
            "first use of this template needs approval", reason="approval_required"
        )


class _Working:
    def __init__(self, clip: Path) -> None:
        self.clip = clip

    def clip_for(self, scene: ClipScene, index: int, *, cancel: CancelToken):
        return self.clip, "clipkey-" + (scene.cache_key or ""), 0.8


def _tiers(result) -> list[str]:
    meta = json.loads(result.metadata_path.read_text(encoding="utf-8"))
    return [scene["tier"] for scene in meta["scenes"]]


def _make_clip(path: Path, seconds: float = 2.0) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 30)
        for i in range(round(seconds * 30)):
            rgb = np.zeros((720, 1280, 3), np.uint8)
            rgb[:, :, 1] = 40 + i * 3  # a green ramp, frame by frame
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


BARS = {"kind": "bars", "title": "Spending", "values": [3, 5, 2], "labels": ["A", "B", "C"]}


def test_provider_down_falls_back_to_infographic(tmp_path: Path):
    supplier = _Down()
    result = render_video(
        _spec(BARS), tmp_path / "a.mp4", DirectoryStore(tmp_path / "s"), OFFLINE, clips=supplier
    )
    assert supplier.calls == 1
    assert _tiers(result) == ["rendered", "infographic"]
    assert result.validation.passed
    assert "503" in result.scenes[1].tier_notes[0]


def test_bad_infographic_falls_back_to_text_card(tmp_path: Path):
    # A pie whose slices add up to nothing cannot be drawn: the renderer refuses it up front.
    pie = {"kind": "pie", "title": "Nothing", "values": [0, 0], "labels": ["x", "y"]}
    result = render_video(
        _spec(pie), tmp_path / "b.mp4", DirectoryStore(tmp_path / "s"), OFFLINE, clips=_Blocked()
    )
    assert _tiers(result) == ["rendered", "text_card"]
    notes = " ".join(result.scenes[1].tier_notes)
    assert "approval" in notes and "infographic failed" in notes
    assert result.validation.passed


def test_no_clip_supplier_uses_text_card_without_infographic(tmp_path: Path):
    result = render_video(_spec(None), tmp_path / "c.mp4", DirectoryStore(tmp_path / "s"), OFFLINE)
    assert _tiers(result) == ["rendered", "text_card"]
    assert result.validation.passed


def test_ai_clip_is_used_when_delivered(tmp_path: Path):
    clip = _make_clip(tmp_path / "clip.mp4")
    result = render_video(
        _spec(BARS),
        tmp_path / "d.mp4",
        DirectoryStore(tmp_path / "s"),
        OFFLINE,
        clips=_Working(clip),
    )
    assert _tiers(result) == ["rendered", "ai_clip"]
    assert result.scenes[1].cost_usd == pytest.approx(0.8)
    assert result.validation.passed
    # The clip's green shows in the clip scene (sample a frame in its middle).
    from pipeline.avio import extract_frame

    t = result.scenes[1].start_s + 1.0
    frame = extract_frame(result.output_path, t)
    top = frame[: frame.shape[0] // 2]  # above the headline's gradient
    assert top[..., 1].mean() > top[..., 0].mean() + 20
