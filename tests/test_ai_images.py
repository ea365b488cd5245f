"""AI scene images (issue 13, item 4): the governed tier between AI clips and infographics.

Everything goes through the real ``openai`` SDK to a fake images endpoint on 127.0.0.1 and
through the real budget ledger (SQLite): estimates, reservations, approvals per template,
settling and releasing; the cache; the fallback chain; the pan-and-zoom renderer.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from pipeline.ai.base import PaidWorkBlocked, ProviderError, QuotaExhausted
from pipeline.ai.costs import default_price_table, estimate_image
from pipeline.ai.images import STYLE_SUFFIX, ImageClient, ImageRequest, ImageSettings
from pipeline.models import ClipScene, build_spec
from pipeline.render import make_renderer
from pipeline.render.base import RenderContext
from pipeline.render.scenes.clip_image import AIImageRenderer
from pipeline.render_job import render_context, resolve_visuals
from pipeline.timeline import SceneTiming
from studio.budget import BudgetGovernor, BudgetPolicy
from studio.cache import ContentCache
from studio.paid import PaidChoices, paid_services
from studio.settings import AISettings, SecretStore, StudioSettings, save_settings
from studio.store import Database, open_database
from tests.fakes.images_server import FakeImagesServer, sample_image

KEY = "sk-image-canary-0123456789abcdef"
TEMPLATE = "savings_builder.goal_setting"
PRICES = default_price_table()


@pytest.fixture()
def server() -> Iterator[FakeImagesServer]:
    with FakeImagesServer() as fake:
        yield fake


@pytest.fixture()
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "studio.sqlite3")
    yield database
    database.close()


def client(server: FakeImagesServer, governor: BudgetGovernor, **changes: object) -> ImageClient:
    settings = ImageSettings(base_url=server.base_url, api_key=KEY, **changes)  # type: ignore[arg-type]
    return ImageClient(
        settings, governor, estimate=functools.partial(estimate_image, prices=PRICES)
    )


def request(template_id: str | None = None) -> ImageRequest:
    return ImageRequest("A jar filling with coins", "1536x1024", "k" * 32, template_id)


def test_image_estimates_are_dated_and_much_cheaper_than_clips() -> None:
    image = estimate_image("gpt-image-1", PRICES, quality="medium", size="1536x1024")
    assert image.kind == "image" and image.usd == pytest.approx(0.063)
    clip_usd = PRICES.video_price("sora-2").usd_per_s * 8
    assert 10 <= clip_usd / image.usd <= 50  # "images cost 10-50x less than clips"
    assert PRICES.image_price("openai/gpt-image-1", "low").usd_per_image == 0.016  # LiteLLM name
    assert PRICES.image_price("unknown-model").usd_per_image == max(
        p.usd_per_image for p in PRICES.image.values()
    )  # unknown models at the dearest rate
    assert all(p.as_of and "http" in p.source for p in PRICES.image.values())


def test_image_is_reserved_generated_settled_and_saved(
    server: FakeImagesServer, db: Database, tmp_path: Path
) -> None:
    governor = BudgetGovernor(db)
    with client(server, governor) as images:
        result = images.generate(request(), out_path=tmp_path / "still.png")
    assert server.generations == 1
    body = server.requests[0].body
    assert body["model"] == "gpt-image-1" and body["size"] == "1536x1024"
    assert body["quality"] == "medium" and body["n"] == 1
    assert body["prompt"].startswith("A jar filling with coins") and STYLE_SUFFIX in body["prompt"]
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    with Image.open(result.path) as saved:
        assert saved.size == (1536, 1024) and saved.format == "PNG"
    (entry,) = governor.ledger()
    assert entry.kind == "image" and entry.state == "settled"
    assert entry.actual_usd == pytest.approx(0.063) and result.cost_usd == pytest.approx(0.063)


def test_an_image_answered_by_url_is_downloaded(
    server: FakeImagesServer, db: Database, tmp_path: Path
) -> None:
    server.script = ["url"]
    with client(server, BudgetGovernor(db), quality="") as images:
        result = images.generate(request(), out_path=tmp_path / "still.png")
    assert "quality" not in server.requests[0].body
    assert [r.method for r in server.requests] == ["POST", "GET"]
    assert result.width_px == 1536


@pytest.mark.parametrize("answer", ["garbage", "tiny"])
def test_an_unusable_image_is_refused_but_booked(
    answer: str, server: FakeImagesServer, db: Database, tmp_path: Path
) -> None:
    server.script = [answer]
    governor = BudgetGovernor(db)
    with client(server, governor) as images, pytest.raises(ProviderError, match="unusable"):
        images.generate(request(), out_path=tmp_path / "still.png")
    assert not (tmp_path / "still.png").exists() and not list(tmp_path.glob("*.png"))
    (entry,) = governor.ledger()
    assert entry.state == "settled"  # the endpoint did the work: it bills it


def test_a_refused_request_is_released_and_never_retried(
    server: FakeImagesServer, db: Database, tmp_path: Path
) -> None:
    server.script = [500, 500, 500]
    governor = BudgetGovernor(db)
    with client(server, governor) as images, pytest.raises(ProviderError, match="never retried"):
        images.generate(request(), out_path=tmp_path / "still.png")
    assert server.generations == 1  # max_retries=0 on the paid request
    (entry,) = governor.ledger()
    assert entry.state == "released"


def test_quota_exhausted_pauses_paid_work(
    server: FakeImagesServer, db: Database, tmp_path: Path
) -> None:
    server.script = ["quota"]
    governor = BudgetGovernor(db)
    with client(server, governor) as images:
        with pytest.raises(QuotaExhausted):
            images.generate(request(), out_path=tmp_path / "still.png")
        with pytest.raises(PaidWorkBlocked) as blocked:
            images.generate(request(), out_path=tmp_path / "still.png")
    assert blocked.value.reason == "paused" and server.generations == 1


def test_approval_per_template_comes_before_any_request(
    server: FakeImagesServer, db: Database, tmp_path: Path
) -> None:
    governor = BudgetGovernor(db)
    with client(server, governor) as images:
        with pytest.raises(PaidWorkBlocked) as blocked:
            images.generate(request(TEMPLATE), out_path=tmp_path / "still.png")
        assert blocked.value.reason == "approval_required" and server.generations == 0
        (pending,) = governor.list_approvals("pending")
        assert pending.kind == "image" and pending.template_id == TEMPLATE
        governor.approve(pending.id)
        images.generate(request(TEMPLATE), out_path=tmp_path / "still.png")
    assert server.generations == 1


def test_no_key_makes_no_request(server: FakeImagesServer, db: Database, tmp_path: Path) -> None:
    settings = ImageSettings(base_url=server.base_url, api_key=None)
    images = ImageClient(
        settings, BudgetGovernor(db), estimate=functools.partial(estimate_image, prices=PRICES)
    )
    with pytest.raises(PaidWorkBlocked) as blocked:
        images.generate(request(), out_path=tmp_path / "still.png")
    assert blocked.value.reason == "disabled" and server.requests == []
    assert BudgetGovernor(db).ledger() == []


# -- the tier in the fallback chain -------------------------------------------------------


def clip_spec():  # type: ignore[no-untyped-def]
    return build_spec(
        {
            "title": "Savings",
            "scenes": [
                {"scene_type": "title", "title": "Savings", "narration": "Let us save."},
                {
                    "scene_type": "clip",
                    "prompt": "A jar filling with coins, warm light",
                    "headline": "Set a goal",
                    "body": "Saving a little every week adds up.",
                    "narration": "Set a goal you can see.",
                    "cache_key": "cade0374e151bffc",
                    "template_id": TEMPLATE,
                    "clip_seconds": 4,
                    "infographic": {"kind": "progress", "title": "Goal", "values": [0.6]},
                },
            ],
        }
    )


def timing(index: int = 1, seconds: float = 3.0, fps: int = 30) -> SceneTiming:
    return SceneTiming(
        index=index,
        start_s=0.0,
        n_frames=round(seconds * fps),
        fps=fps,
        narration_offset_s=0.4,
        narration_duration_s=seconds - 1.0,
        transition_in_s=0.0,
    )


class _Manifest:
    def __init__(self, n: int) -> None:
        self.scenes = [timing(i) for i in range(n)]


def tiers_with(
    server: FakeImagesServer,
    tmp_path: Path,
    *,
    budget_usd: float = 5.0,
    approve: bool = True,
) -> tuple[list[str], list[str], BudgetGovernor]:
    """Resolve the visuals of :func:`clip_spec` with AI images on (clips off)."""
    db = open_database(tmp_path / "studio.sqlite3")
    cache = ContentCache(tmp_path / "artifacts", db)
    ai = AISettings(image_enabled=True, image_base_url=server.base_url, daily_budget_usd=budget_usd)
    governor = BudgetGovernor(db, BudgetPolicy(daily_usd=budget_usd))
    if approve:
        approval = governor.request_approval(TEMPLATE, "image", 0.063, "test")
        if approval.state != "approved":  # a second call on the same database
            governor.approve(approval.id)
    secrets = SecretStore(env={"VIDEOSTUDIO_IMAGE_API_KEY": KEY})
    services = paid_services(
        PaidChoices(ai_images=True, template_id=TEMPLATE),
        db=db,
        cache=cache,
        ai=ai,
        secrets=secrets,
        staging=tmp_path / "staging",
    )
    spec = clip_spec()
    try:
        visuals = resolve_visuals(
            spec,
            _Manifest(2),
            render_context(spec),
            None,
            images=services.images,  # type: ignore[arg-type]
        )
    finally:
        services.close()
        db.close()
    notes = [note for v in visuals for note in v.notes]
    return [v.tier for v in visuals], notes, governor


def test_fallback_chain_image_then_cache(server: FakeImagesServer, tmp_path: Path) -> None:
    # the title scene gets a background from its narration, the clip scene its still
    tiers, _, _ = tiers_with(server, tmp_path)
    assert tiers == ["ai_image", "ai_image"] and server.generations == 2
    assert "Let us save" in server.requests[0].body["prompt"]
    assert server.requests[1].body["prompt"].startswith("A jar filling with coins")
    tiers, _, governor = tiers_with(server, tmp_path)  # same cache: no new request
    assert tiers == ["ai_image", "ai_image"] and server.generations == 2
    assert [e.kind for e in governor.ledger()] == ["image", "image"]


def test_budget_refusal_falls_back_without_a_request(
    server: FakeImagesServer, tmp_path: Path
) -> None:
    tiers, notes, _ = tiers_with(server, tmp_path, budget_usd=0.01)
    assert tiers == ["rendered", "infographic"] and server.generations == 0
    assert any("budget" in note for note in notes)


def test_unapproved_template_falls_back_without_a_request(
    server: FakeImagesServer, tmp_path: Path
) -> None:
    tiers, notes, governor = tiers_with(server, tmp_path, approve=False)
    assert tiers == ["rendered", "infographic"] and server.generations == 0
    assert any("approval" in note for note in notes)
    assert [a.kind for a in governor.list_approvals("pending")] == ["image"]


def test_garbage_image_falls_back(server: FakeImagesServer, tmp_path: Path) -> None:
    server.script = ["garbage", "garbage"]
    tiers, notes, _ = tiers_with(server, tmp_path)
    assert tiers == ["rendered", "infographic"] and server.generations == 2
    assert any("unusable" in note for note in notes)


def test_chain_clip_down_then_image_then_infographic_then_text_card(
    server: FakeImagesServer, tmp_path: Path
) -> None:
    """The whole chain through the real SDK with both paid tiers on: the Videos API answers
    500 to the create (never retried), so the scene gets its AI image; with the images
    endpoint down too, the infographic; without an infographic, the text card. Each scene
    says why it fell."""
    from tests.fakes.videos_server import FakeVideosServer

    def resolve(spec, folder: Path, videos: FakeVideosServer) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
        folder.mkdir()
        db = open_database(folder / "studio.sqlite3")
        governor = BudgetGovernor(db)
        for kind in ("video", "image"):
            governor.approve(governor.request_approval(TEMPLATE, kind, 1.0, "test").id)
        ai = AISettings(
            video_clips_enabled=True,
            video_base_url=videos.base_url,
            image_enabled=True,
            image_base_url=server.base_url,
        )
        secrets = SecretStore(
            env={"VIDEOSTUDIO_IMAGE_API_KEY": KEY, "VIDEOSTUDIO_VIDEO_API_KEY": KEY}
        )
        services = paid_services(
            PaidChoices(ai_clips=True, ai_images=True, template_id=TEMPLATE),
            db=db,
            cache=ContentCache(folder / "artifacts", db),
            ai=ai,
            secrets=secrets,
            staging=folder / "staging",
        )
        try:
            visuals = resolve_visuals(
                spec,
                _Manifest(len(spec.scenes)),
                render_context(spec),
                services.clips,
                images=services.images,  # type: ignore[arg-type]
            )
        finally:
            services.close()
            db.close()
        return [v.tier for v in visuals], [" ".join(v.notes) for v in visuals]

    with FakeVideosServer(create_script=[500, 500, 500]) as videos:
        tiers, notes = resolve(clip_spec(), tmp_path / "a", videos)
        assert tiers == ["ai_image", "ai_image"] and videos.create_requests == 1
        assert "AI clip unavailable" in notes[1] and server.generations == 2

        server.script = [500, 500]  # the title's background, then the clip scene's still
        tiers, notes = resolve(clip_spec(), tmp_path / "b", videos)
        assert tiers == ["rendered", "infographic"] and server.generations == 4
        assert "AI image unavailable" in notes[0]
        assert "AI clip unavailable" in notes[1] and "AI image unavailable" in notes[1]

        server.script = [500, 500]
        bare = clip_spec()
        bare = bare.model_copy(
            update={
                "scenes": [bare.scenes[0], bare.scenes[1].model_copy(update={"infographic": None})]
            }
        )
        tiers, notes = resolve(bare, tmp_path / "c", videos)
        assert tiers == ["rendered", "text_card"] and server.generations == 6
        assert videos.create_requests == 3  # one create per render, never retried


# -- the renderer ---------------------------------------------------------------------------


def test_image_scene_moves_gently_and_carries_the_text(tmp_path: Path) -> None:
    still = tmp_path / "still.png"
    still.write_bytes(sample_image())
    scene = clip_spec().scenes[1]
    assert isinstance(scene, ClipScene)
    ctx = RenderContext(
        width_px=640, height_px=360, fps=30, theme=clip_spec().theme, captions=False
    )
    renderer = make_renderer(scene, ctx, timing(), tier="ai_image", image_path=still)
    assert isinstance(renderer, AIImageRenderer) and renderer.tier == "ai_image"
    first, middle, last = (renderer.frame_at(t) for t in (0.0, 1.5, 2.96))
    assert first.shape == (360, 640, 3) and first.dtype == np.uint8
    assert renderer.frame_key(0.0) != renderer.frame_key(1 / 30)  # it moves every frame
    # gentle: neighbouring frames differ a little; the whole move is visible
    step = np.abs(renderer.frame_at(1.5).astype(int) - renderer.frame_at(1.5 + 1 / 30)).mean()
    whole = np.abs(first.astype(int) - last.astype(int)).mean()
    assert 0 < step < 2.0 < whole
    # the picture is the still: the top area is the blue-to-orange gradient, not the theme
    top = middle[:60].reshape(-1, 3).mean(axis=0)
    assert top[2] > 100 or top[0] > 150  # blue or orange, not the light theme background
    left, right = middle[:60, :40].mean(axis=(0, 1)), middle[:60, -40:].mean(axis=(0, 1))
    assert left[2] > left[0] and right[0] > right[2]  # blue on the left, orange on the right
    # the headline is drawn in white over a dark band at the bottom
    band = middle[250:340]
    assert (band.min(axis=2) > 230).sum() > 300 and band.mean() < middle[:60].mean()


def test_a_damaged_still_is_a_value_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    scene = clip_spec().scenes[1]
    ctx = RenderContext(
        width_px=640, height_px=360, fps=30, theme=clip_spec().theme, captions=False
    )
    with pytest.raises(ValueError, match="cannot read the AI image"):
        make_renderer(scene, ctx, timing(), tier="ai_image", image_path=broken)


# -- end to end through the studio ------------------------------------------------------------


@pytest.mark.slow
def test_studio_render_uses_the_image_tier_and_records_it(
    server: FakeImagesServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from studio.ops import ops_report
    from studio.request import RenderOverrides
    from studio.service import Studio

    monkeypatch.setenv("VIDEOSTUDIO_IMAGE_API_KEY", KEY)
    settings = StudioSettings()
    ai = settings.ai.model_copy(update={"image_enabled": True, "image_base_url": server.base_url})
    save_settings(settings.model_copy(update={"ai": ai}))
    studio = Studio()
    try:
        overrides = RenderOverrides(offline=True, template_id=TEMPLATE, format="1:1")

        def render(name: str):  # type: ignore[no-untyped-def]
            out = tmp_path / "out" / name
            return studio.render(studio.make_request(clip_spec(), overrides=overrides, output=out))

        first = render("one.mp4")  # the template is not approved yet
        assert [s.tier for s in first.scenes] == ["rendered", "infographic"]
        assert server.generations == 0
        governor = BudgetGovernor(studio.db)
        (pending,) = governor.list_approvals("pending")
        assert pending.kind == "image"
        governor.approve(pending.id)

        second = render("two.mp4")  # the title gets a background, the clip scene its still
        assert [s.tier for s in second.scenes] == ["ai_image", "ai_image"]
        assert server.generations == 2 and second.scenes[1].cost_usd == pytest.approx(0.063)
        meta = json.loads(second.metadata_path.read_text(encoding="utf-8"))
        assert meta["scenes"][1]["tier"] == "ai_image"
        assert meta["scenes"][1]["cost_usd"] == pytest.approx(0.063)
        assert meta["scenes"][0]["tier"] == "ai_image"
        assert governor.status().settled_usd == pytest.approx(0.126)
        # the frames of the image scene show the still (blue left, orange right), moving
        start = second.scenes[1].start_s
        with av.open(str(second.output_path)) as container:
            frames = [
                f.to_ndarray(format="rgb24")
                for f in container.decode(video=0)
                if start + 0.5 <= f.time <= start + 1.5
            ]
        a, b = frames[0], frames[-1]
        assert a[:150, :100].mean(axis=(0, 1))[2] > a[:150, :100].mean(axis=(0, 1))[0]
        assert a[:150, -100:].mean(axis=(0, 1))[0] > a[:150, -100:].mean(axis=(0, 1))[2]
        assert np.abs(a.astype(int) - b.astype(int)).mean() > 0.5  # it moved

        third = render("three.mp4")  # from the cache
        assert [s.tier for s in third.scenes] == ["ai_image", "ai_image"]
        assert server.generations == 2 and third.scenes[1].cost_usd == 0.0
        report = ops_report(studio.db)
        assert report.tier_counts["ai_image"] == 4 and report.tier_counts["infographic"] == 1
        assert KEY not in second.metadata_path.read_text(encoding="utf-8")
    finally:
        studio.close()


def test_asking_for_ai_images_without_eligible_scenes_says_nothing_is_generated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """AI images are made for clip scenes and for the background of document scenes other
    than code: a video of code scenes only asked to use them is told so (a note on the
    request), and so is a document asked for AI clips (printed by the command line)."""
    from studio.cli import main
    from studio.request import RenderOverrides, build_render_request

    document = build_spec(
        {"title": "Doc", "scenes": [{"scene_type": "title", "title": "Doc", "narration": "Hi."}]}
    )
    code_only = build_spec(
        {
            "title": "Code",
            "scenes": [
                {
                    "scene_type": "command",
                    "header": "Install",
                    "commands": ["pip install package"],
                    "narration": "Install it.",
                }
            ],
        }
    )

    def notes(spec, **choices: bool) -> str:  # type: ignore[no-untyped-def]
        overrides = RenderOverrides(**choices)  # type: ignore[arg-type]
        request = build_render_request(
            StudioSettings(), spec, overrides=overrides, output=tmp_path / "v"
        )
        return " ".join(request.notes)

    assert "AI images were asked for" in notes(code_only, ai_images=True)
    assert "AI images" not in notes(document, ai_images=True)  # the title gets a background
    assert "AI clips were asked for" in notes(document, ai_clips=True, ai_images=True)
    assert "AI images" not in notes(document, ai_clips=True, ai_images=True)
    assert "AI clips and" not in notes(clip_spec(), ai_clips=True, ai_images=True)
    assert "were asked for" not in notes(clip_spec(), ai_images=True)  # a clip scene: used
    assert "were asked for" not in notes(code_only)  # the setting alone: no note every render
    doc = tmp_path / "doc.md"
    doc.write_text("# Doc\n\nHello there.\n", encoding="utf-8")
    code = main(["queue", "add", str(doc), "--ai-clips", "-o", str(tmp_path / "doc.mp4")])
    assert code == 0
    assert "note: AI clips were asked for" in capsys.readouterr().err
