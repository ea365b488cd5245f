"""AI backgrounds of document scenes (issue 13, item 4): a still per scene from its narration.

The renderer part draws a still under a scrim that keeps every text at WCAG AA contrast; the
governed part goes through the real ``openai`` SDK to the fake images endpoint on 127.0.0.1
and through the real budget ledger: the cache, approval before any request, the fall back to
the plain scene when the endpoint fails, and ``metadata.json`` with each scene's tier and cost.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from pipeline.adapters import load_document
from pipeline.models import NAMED_ACCENTS, Theme, VideoSpec
from pipeline.render import make_renderer
from pipeline.render.backdrop import (
    BACKDROP_SCENE_TYPES,
    MIN_SCRIM,
    backdrop_frame,
    scrim_alpha,
    text_colors,
)
from pipeline.render.base import RenderContext
from pipeline.render.palette import contrast_ratio, make_palette
from pipeline.render.textlog import MIN_CONTRAST, recording_text
from pipeline.render_job import SceneVisual, render_context, scene_renderer
from studio.budget import BudgetGovernor
from studio.request import RenderOverrides
from studio.service import Studio
from studio.settings import StudioSettings, save_settings
from tests.fakes.images_server import FakeImagesServer, sample_image
from tests.test_render import SAMPLES, make_timing

KEY = "sk-image-canary-0123456789abcdef"
TEMPLATE = "docs.backdrops"


def _noise(path: Path, seed: int = 0) -> Path:
    """A hostile still: black, white and saturated pixels everywhere."""
    rng = np.random.default_rng(seed)
    pixels = rng.choice([0, 255], size=(90, 160, 3)).astype(np.uint8)
    Image.fromarray(pixels).resize((640, 360), Image.Resampling.NEAREST).save(path)
    return path


def _gradient(path: Path) -> Path:
    path.write_bytes(sample_image(640, 360))
    return path


# -- the renderer -------------------------------------------------------------------------


def test_scrim_is_weakest_that_keeps_every_text_colour_legible(tmp_path: Path) -> None:
    for dark in (False, True):
        palette = make_palette(Theme(dark=dark))
        for still in (_noise(tmp_path / "noise.png"), _gradient(tmp_path / "gradient.png")):
            frame = backdrop_frame(still, 320, 180, palette)
            assert frame.shape == (180, 320, 3) and frame.dtype == np.uint8
            pixels = {tuple(int(v) for v in p) for p in frame.reshape(-1, 3)[::7]}
            worst = min(contrast_ratio(c, p) for c in text_colors(palette) for p in pixels)  # type: ignore[arg-type]
            assert worst >= MIN_CONTRAST
    palette = make_palette(Theme())
    flat = np.full((20, 20, 3), palette.background, np.uint8)
    assert scrim_alpha(flat, palette) == MIN_SCRIM  # nothing to hide: the lightest scrim
    light = np.full((20, 20, 3), 255, np.uint8)
    black = np.zeros((20, 20, 3), np.uint8)
    assert scrim_alpha(light, palette) < scrim_alpha(black, palette) <= 1.0


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_every_backdrop_scene_keeps_wcag_contrast_over_a_hostile_image(
    dark: bool, tmp_path: Path
) -> None:
    """Every text of every scene type that takes a backdrop, in every accent, drawn over
    black-and-white noise, reaches WCAG AA against what is under it (as recorded by the
    text log); the picture really shows (the frame differs from the plain scene)."""
    still = _noise(tmp_path / "noise.png")
    failures: list[str] = []
    for accent in NAMED_ACCENTS:
        ctx = RenderContext(480, 270, 30, Theme(accent_color=accent, dark=dark), True)
        for scene_type in sorted(BACKDROP_SCENE_TYPES):
            scene = SAMPLES[scene_type]
            with recording_text() as records:
                over = make_renderer(scene, ctx, make_timing(), tier="ai_image", image_path=still)
            assert records, f"{scene_type} drew no text"
            failures += [
                f"{accent} {scene_type} {r.text[:24]!r}: {r.contrast:.2f}:1"
                for r in records
                if r.contrast < r.required_contrast
            ]
            if accent == "blue":
                plain = make_renderer(scene, ctx, make_timing())
                diff = np.abs(over.thumbnail().astype(int) - plain.thumbnail()).mean()
                assert diff > 0.5, f"{scene_type}: the backdrop does not show ({diff:.2f})"
    assert not failures, "\n".join(failures)


def test_code_scenes_take_no_backdrop_and_a_damaged_still_is_a_value_error(
    tmp_path: Path,
) -> None:
    ctx = RenderContext(320, 180, 30, Theme(), False)
    for scene_type in ("command", "code_comparison", "solution"):
        assert scene_type not in BACKDROP_SCENE_TYPES
        with pytest.raises(ValueError, match="not drawn over an AI image"):
            make_renderer(
                SAMPLES[scene_type],
                ctx,
                make_timing(),
                tier="ai_image",
                image_path=_gradient(tmp_path / "g.png"),
            )
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    with pytest.raises(ValueError, match="cannot read the AI image"):
        make_renderer(SAMPLES["title"], ctx, make_timing(), tier="ai_image", image_path=broken)


def test_preview_and_encoder_share_the_backdrop_renderer(tmp_path: Path) -> None:
    """``scene_renderer`` (used by the encoder and the preview) draws the scene over its
    still exactly when its visual says ``ai_image``."""
    from pipeline.models import build_spec

    spec = build_spec(
        {
            "title": "T",
            "scenes": [
                {"scene_type": "title", "title": "Budgets", "narration": "Plan it."},
                {"scene_type": "list", "header": "Steps", "items": ["a", "b"], "narration": "Go."},
            ],
        }
    )

    class Manifest:
        scenes = [make_timing(), make_timing()]

    ctx = RenderContext(320, 180, 30, spec.theme, False)
    still = _gradient(tmp_path / "g.png")
    visuals = [SceneVisual("ai_image", still, "k", 0.0), SceneVisual()]
    over = scene_renderer(spec, Manifest(), ctx, 0, visuals)  # type: ignore[arg-type]
    again = scene_renderer(spec, Manifest(), ctx, 0, visuals)  # type: ignore[arg-type]
    plain = scene_renderer(spec, Manifest(), ctx, 0, None)  # type: ignore[arg-type]
    assert np.array_equal(over.frame_at(2.0), again.frame_at(2.0))
    assert not np.array_equal(over.frame_at(2.0), plain.frame_at(2.0))
    assert render_context(spec).width_px == 1920  # (the default context is the encoder's)


def test_estimate_counts_one_image_per_narrated_backdrop_scene() -> None:
    from pipeline.models import build_spec
    from studio.settings import AISettings, estimate_ai_costs

    spec = build_spec(
        {
            "title": "T",
            "scenes": [
                {"scene_type": "title", "title": "Budgets", "narration": "Plan it."},
                {"scene_type": "list", "header": "Steps", "items": ["a"], "narration": "Go."},
                {"scene_type": "title", "title": "Silent", "narration": ""},
                {
                    "scene_type": "command",
                    "header": "Install",
                    "commands": ["pip install x"],
                    "narration": "Install it.",
                },
            ],
        }
    )
    (images,) = estimate_ai_costs(spec, AISettings(), llm=False, clips=False, images=True)
    assert images.kind == "image" and images.description == "2 AI scene images"
    assert images.usd == pytest.approx(2 * 0.063)


# -- governed, through the real SDK, in a real render ----------------------------------------

DOCUMENT = """# Saving money

A short guide to saving a little every week.

## Three habits

- Pay yourself first
- Track every expense
- Review your budget monthly

## Start small

Put aside a small amount each week and watch it grow.
"""


@pytest.fixture()
def server() -> Iterator[FakeImagesServer]:
    with FakeImagesServer() as fake:
        yield fake


def _document_spec(folder: Path) -> VideoSpec:
    """:data:`DOCUMENT` written to ``folder`` and read as a user's Markdown file."""
    doc = folder / "saving.md"
    doc.write_text(DOCUMENT, encoding="utf-8")
    return load_document(doc)


def _studio(server: FakeImagesServer, monkeypatch: pytest.MonkeyPatch, base_url: str) -> Studio:
    monkeypatch.setenv("VIDEOSTUDIO_IMAGE_API_KEY", KEY)
    settings = StudioSettings()
    ai = settings.ai.model_copy(update={"image_enabled": True, "image_base_url": base_url})
    save_settings(settings.model_copy(update={"ai": ai}))
    return Studio()


def _frames_at(path: Path, times: list[float]) -> list[np.ndarray]:
    """The decoded frame (RGB) nearest after each time (seconds)."""
    with av.open(str(path)) as container:
        frames = [(float(f.time), f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]
    return [next(img for t, img in frames if t >= at) for at in times]


def _resolve(
    server: FakeImagesServer, tmp_path: Path, *, budget_usd: float = 5.0
) -> list[SceneVisual]:
    """Resolve the visuals of a title, a list and a command scene with AI images on."""
    from pipeline.models import build_spec
    from pipeline.render_job import resolve_visuals
    from studio.budget import BudgetPolicy
    from studio.cache import ContentCache
    from studio.paid import PaidChoices, paid_services
    from studio.settings import AISettings, SecretStore
    from studio.store import open_database

    spec = build_spec(
        {
            "title": "T",
            "scenes": [
                {"scene_type": "title", "title": "Budgets", "narration": "Plan your budget."},
                {"scene_type": "list", "header": "Steps", "items": ["a"], "narration": "Go."},
                {
                    "scene_type": "command",
                    "header": "Install",
                    "commands": ["pip install x"],
                    "narration": "Install it.",
                },
            ],
        }
    )

    class Manifest:
        scenes = [make_timing(), make_timing(), make_timing()]

    db = open_database(tmp_path / "studio.sqlite3")
    ai = AISettings(image_enabled=True, image_base_url=server.base_url, daily_budget_usd=budget_usd)
    BudgetGovernor(db, BudgetPolicy(daily_usd=budget_usd))
    services = paid_services(
        PaidChoices(ai_images=True),
        db=db,
        cache=ContentCache(tmp_path / "artifacts", db),
        ai=ai,
        secrets=SecretStore(env={"VIDEOSTUDIO_IMAGE_API_KEY": KEY}),
        staging=tmp_path / "staging",
    )
    try:
        return resolve_visuals(
            spec,
            Manifest(),  # type: ignore[arg-type]
            RenderContext(320, 180, 30, spec.theme, False),
            None,
            images=services.images,
            narrations=["Plan your budget.", "Go.", "Install it."],
        )
    finally:
        services.close()
        db.close()


def test_document_scenes_get_images_and_code_scenes_none(
    server: FakeImagesServer, tmp_path: Path
) -> None:
    visuals = _resolve(server, tmp_path)
    assert [v.tier for v in visuals] == ["ai_image", "ai_image", "rendered"]
    assert server.generations == 2 and visuals[0].cost_usd == pytest.approx(0.063)
    assert "Plan your budget" in server.requests[0].body["prompt"]
    assert visuals[0].clip_path is not None and visuals[0].clip_path.exists()
    assert visuals[0].clip_key != visuals[1].clip_key  # keyed by the narration


def test_budget_refusal_and_quota_pause_leave_the_plain_scenes(
    server: FakeImagesServer, tmp_path: Path
) -> None:
    visuals = _resolve(server, tmp_path / "poor", budget_usd=0.01)
    assert [v.tier for v in visuals] == ["rendered"] * 3 and server.generations == 0
    assert "budget" in " ".join(visuals[0].notes)
    server.script = ["quota"]
    visuals = _resolve(server, tmp_path / "quota")
    assert [v.tier for v in visuals] == ["rendered"] * 3
    assert server.generations == 1  # the 429 paused paid work: the list scene asked nothing
    assert all("AI image unavailable" in " ".join(v.notes) for v in visuals[:2])


@pytest.mark.slow
def test_markdown_render_draws_each_scene_over_its_ai_image(
    server: FakeImagesServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _document_spec(tmp_path)
    assert all(s.scene_type in BACKDROP_SCENE_TYPES for s in spec.scenes)
    studio = _studio(server, monkeypatch, server.base_url)
    try:
        overrides = RenderOverrides(offline=True, template_id=TEMPLATE, format="1:1")

        def render(name: str, **changes: object):  # type: ignore[no-untyped-def]
            request = studio.make_request(
                spec,
                overrides=overrides.model_copy(update=changes),
                output=tmp_path / "out" / name,
            )
            return studio.render(request)

        # approval first: no request reaches the endpoint, the scenes render as without images
        blocked = render("blocked.mp4")
        assert {s.tier for s in blocked.scenes} == {"rendered"} and server.generations == 0
        assert all("approval" in " ".join(s.tier_notes) for s in blocked.scenes)
        governor = BudgetGovernor(studio.db)
        (pending,) = governor.list_approvals("pending")
        assert pending.kind == "image" and pending.template_id == TEMPLATE
        governor.approve(pending.id)

        plain = render("plain.mp4", ai_images=False)
        assert server.generations == 0
        with_images = render("images.mp4")
        n = len(spec.scenes)
        assert [s.tier for s in with_images.scenes] == ["ai_image"] * n
        assert server.generations == n  # one image per scene, from its narration
        prompts = [r.body["prompt"] for r in server.requests if r.method == "POST"]
        assert any("Pay yourself first" in p for p in prompts)
        meta = json.loads(with_images.metadata_path.read_text(encoding="utf-8"))
        assert [s["tier"] for s in meta["scenes"]] == ["ai_image"] * n
        assert all(s["cost_usd"] == pytest.approx(0.063) for s in meta["scenes"])
        assert governor.status().settled_usd == pytest.approx(0.063 * n)
        assert KEY not in with_images.metadata_path.read_text(encoding="utf-8")

        # each scene's frame shows its image: it differs from the same scene without images
        times = [s.start_s + s.duration_s * 0.7 for s in with_images.scenes]
        assert [round(s.start_s, 2) for s in plain.scenes] == [
            round(t.start_s, 2) for t in with_images.scenes
        ]
        for k, (a, b) in enumerate(
            zip(
                _frames_at(with_images.output_path, times),
                _frames_at(plain.output_path, times),
                strict=True,
            )
        ):
            assert np.abs(a.astype(int) - b.astype(int)).mean() > 2.0, f"scene {k}"

        again = render("again.mp4")  # the cache: no new request, nothing paid
        assert [s.tier for s in again.scenes] == ["ai_image"] * n
        assert server.generations == n and all(s.cost_usd == 0.0 for s in again.scenes)
    finally:
        studio.close()


@pytest.mark.slow
def test_failing_endpoint_renders_the_plain_scenes(
    server: FakeImagesServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _document_spec(tmp_path)
    server.script = [500] * len(spec.scenes)
    studio = _studio(server, monkeypatch, server.base_url)
    try:
        overrides = RenderOverrides(offline=True, ai_images=True, format="1:1")
        result = studio.render(
            studio.make_request(spec, overrides=overrides, output=tmp_path / "down.mp4")
        )
        assert {s.tier for s in result.scenes} == {"rendered"}
        assert all("AI image unavailable" in " ".join(s.tier_notes) for s in result.scenes)
        assert server.generations == len(spec.scenes)  # one try each, never retried
        meta = json.loads(result.metadata_path.read_text(encoding="utf-8"))
        assert all(s["tier"] == "rendered" and s["cost_usd"] == 0 for s in meta["scenes"])
        assert result.output_path.stat().st_size > 0
    finally:
        studio.close()
