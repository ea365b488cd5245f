"""Templates end to end: an ad renders at 9:16 with hard cuts, and its alternate hooks reuse
the body's cached segments (only the hook scene is encoded again)."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from pipeline.artifacts import DirectoryStore
from pipeline.render_job import RenderOptions, render_video
from pipeline.templates import ad_variants
from studio.cli import main

pytestmark = pytest.mark.slow

FIELDS = {
    "product": "BrewMate",
    "problem": "bitter office coffee",
    "benefit_1": "Fresh espresso in 40 seconds",
    "benefit_2": "Fits on any desk",
}


def test_alternate_hooks_share_the_body_segments(tmp_path: Path):
    variants = ad_variants("problem_solution", FIELDS)
    assert len(variants) == 5
    store = DirectoryStore(tmp_path / "store")
    options = RenderOptions(speech_mode="offline")
    first = render_video(variants[0], tmp_path / "hook1.mp4", store, options)
    second = render_video(variants[1], tmp_path / "hook2.mp4", store, options)
    assert first.validation.passed and second.validation.passed
    assert [s.segment_cached for s in second.scenes] == [False] + [True] * (len(second.scenes) - 1)
    assert first.scenes[0].narration != second.scenes[0].narration
    with av.open(str(second.output_path)) as container:
        video = container.streams.video[0].codec_context
        assert (video.width, video.height) == (1080, 1920)


def test_cli_renders_a_template(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "ad.mp4"
    args = ["render", "--template", "testimonial", "-o", str(out), "--offline"]
    for name, value in FIELDS.items():
        args += ["--set", f"{name}={value}"]
    assert main(args) == 0
    with av.open(str(out)) as container:
        assert 25.0 <= float(container.duration) / av.time_base <= 40.0


def test_cli_template_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["render", "--template", "testimonial", "--set", "product=X", "--offline"]) == 2
    assert "problem" in capsys.readouterr().err  # names a missing field
    assert main(["render", "--template", "no_such_template", "--offline"]) == 2
    assert main(["render", "--template", "testimonial", "--set", "oops", "--offline"]) == 2
    assert "FIELD=VALUE" in capsys.readouterr().err
