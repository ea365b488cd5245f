"""Paid AI through the studio, end to end, against a local fake Videos API (real SDK):

* the first paid generation of a template waits for an approval: no request reaches the
  server, the scene falls back to its infographic, and the video still validates;
* once approved, exactly one clip job is created, the clip is used, its cost is settled in the
  ledger and recorded in metadata.json and in the operator figures;
* a second render takes the clip from the cache (no new request);
* a canary API key never appears in the database, logs, settings, metadata.json or outputs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.models import build_spec
from studio.budget import BudgetGovernor
from studio.ops import ops_report
from studio.request import RenderOverrides
from studio.service import Studio
from studio.settings import StudioSettings, save_settings
from tests.fakes.videos_server import FakeVideosServer
from tests.test_videos import make_clip

pytestmark = pytest.mark.slow
CANARY = "sk-canary-video-5f1e2d3c4b5a69788796"
TEMPLATE = "savings_builder.goal_setting"


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[FakeVideosServer]:
    clip = make_clip(tmp_path / "clip.mp4", 1280, 720, 4).read_bytes()
    with FakeVideosServer(content=clip, polls_until_done=2) as fake:
        yield fake


@pytest.fixture()
def studio(
    tmp_path: Path, server: FakeVideosServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Studio]:
    monkeypatch.setenv("VIDEOSTUDIO_VIDEO_API_KEY", CANARY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", CANARY + "-llm")
    settings = StudioSettings()
    ai = settings.ai.model_copy(
        update={
            "video_clips_enabled": True,
            "video_base_url": server.base_url,
            "video_poll_interval_s": 0.01,
        }
    )
    save_settings(settings.model_copy(update={"ai": ai}))
    studio = Studio()
    yield studio
    studio.close()


def _spec():
    return build_spec(
        {
            "title": "Savings",
            "scenes": [
                {"scene_type": "title", "title": "Savings", "narration": "Let us save."},
                {
                    "scene_type": "clip",
                    "prompt": "A jar filling with coins, warm light",
                    "headline": "Set a goal",
                    "narration": "Set a goal you can see.",
                    "cache_key": "cade0374e151bffc",
                    "template_id": TEMPLATE,
                    "clip_seconds": 4,
                    "infographic": {"kind": "progress", "title": "Goal", "values": [0.6]},
                },
            ],
        }
    )


def _render(studio: Studio, out: Path):
    overrides = RenderOverrides(offline=True, ai_clips=True, template_id=TEMPLATE)
    return studio.render(studio.make_request(_spec(), overrides=overrides, output=out))


def test_approval_then_paid_clip_then_cache(
    studio: Studio, server: FakeVideosServer, tmp_path: Path
):
    first = _render(studio, tmp_path / "out" / "one.mp4")
    assert [s.tier for s in first.scenes] == ["rendered", "infographic"]
    assert "approval" in " ".join(first.scenes[1].tier_notes)
    assert server.create_requests == 0 and server.events() == []  # nothing paid without approval
    assert first.validation.passed

    governor = BudgetGovernor(studio.db)
    (request,) = governor.list_approvals("pending")
    assert request.template_id == TEMPLATE and request.kind == "video"
    governor.approve(request.id, note="fine", by="tester")

    second = _render(studio, tmp_path / "out" / "two.mp4")
    assert [s.tier for s in second.scenes] == ["rendered", "ai_clip"]
    assert server.create_requests == 1
    assert second.scenes[1].cost_usd > 0
    meta = json.loads(second.metadata_path.read_text(encoding="utf-8"))
    assert meta["scenes"][1]["tier"] == "ai_clip"
    assert meta["scenes"][1]["cost_usd"] == pytest.approx(second.scenes[1].cost_usd)
    status = governor.status()
    assert status.settled_usd == pytest.approx(second.scenes[1].cost_usd)

    third = _render(studio, tmp_path / "out" / "three.mp4")
    assert [s.tier for s in third.scenes] == ["rendered", "ai_clip"]
    assert third.scenes[1].cost_usd == 0.0
    assert server.create_requests == 1  # served from the cache

    report = ops_report(studio.db)
    assert report.tier_counts["ai_clip"] == 2 and report.tier_counts["infographic"] == 1


def test_canary_key_never_written(
    studio: Studio, server: FakeVideosServer, tmp_path: Path, isolated_folders: Path
):
    governor = BudgetGovernor(studio.db)
    _render(studio, tmp_path / "out" / "a.mp4")  # files an approval request
    for request in governor.list_approvals("pending"):
        governor.approve(request.id)
    _render(studio, tmp_path / "out" / "b.mp4")
    assert server.create_requests == 1
    # The key reached the server (so it was really used) ...
    assert any(CANARY in r.headers.get("authorization", "") for r in server.requests)
    studio.db.close()
    # ... and appears in no file the studio wrote: database (and WAL), logs, settings,
    # cache, metadata.json, subtitles, thumbnails, videos.
    roots = [isolated_folders, tmp_path / "out"]
    checked = 0
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                assert CANARY.encode() not in path.read_bytes(), path
                checked += 1
    assert checked > 10
