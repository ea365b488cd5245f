"""The one render request: settings, the source's own options and explicit overrides, in that
order of precedence; versioned payloads; one settings model; one command tree."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from pipeline.adapters import load_document
from pipeline.errors import InputError
from pipeline.models import VideoFormat, build_spec
from pipeline.templates import instantiate
from studio.request import (
    REQUEST_SCHEMA_VERSION,
    RenderOverrides,
    build_render_request,
    load_request,
    with_setting_defaults,
)
from studio.service import Studio
from studio.settings import StudioSettings, load_settings, save_settings, settings_path
from ui.launcher import main as launcher_main

AD_FIELDS = {
    "product": "GlowBrush",
    "problem": "Dull teeth",
    "benefit_1": "Whiter in a week",
    "benefit_2": "Gentle on gums",
}


def _markdown(tmp_path: Path) -> Path:
    path = tmp_path / "doc.md"
    path.write_text("# Savings\n\nPut money aside every month.\n", encoding="utf-8")
    return path


def test_settings_fill_only_what_the_document_does_not_say(tmp_path: Path) -> None:
    settings = StudioSettings(
        default_voice="female",
        default_language="de",
        default_format=VideoFormat.SQUARE,
        captions=True,
        encoder="x264",
        offline=True,
        output_dir=tmp_path / "videos",
    )
    spec = load_document(_markdown(tmp_path))
    request = build_render_request(settings, spec)
    assert request.spec.voice == "female" and request.spec.language == "de"
    assert request.spec.format is VideoFormat.SQUARE and request.spec.captions is True
    assert request.options.encoder == "x264" and request.options.speech_mode == "offline"
    assert request.output == (tmp_path / "videos" / "savings.mp4").resolve()
    assert request.schema_version == REQUEST_SCHEMA_VERSION


def test_a_yaml_files_own_voice_and_theme_win_over_the_settings(
    corpus_dir: Path, tmp_path: Path
) -> None:
    path = corpus_dir / "video_gen-example_simple.yaml"
    spec = load_document(path)
    settings = StudioSettings(default_voice="female", default_format=VideoFormat.PORTRAIT)
    request = build_render_request(settings, spec, output=tmp_path / "o.mp4")
    for field in ("voice", "format", "language"):
        if field in spec.model_fields_set:
            assert getattr(request.spec, field) == getattr(spec, field), field
    assert request.spec.theme == spec.theme


def test_a_templates_format_transitions_and_captions_are_kept(tmp_path: Path) -> None:
    spec = instantiate("problem_solution", AD_FIELDS)
    assert spec.format is VideoFormat.PORTRAIT and spec.transition_s == 0.0
    settings = StudioSettings(default_format=VideoFormat.LANDSCAPE, captions=False)
    request = build_render_request(settings, spec, output=tmp_path / "ad.mp4")
    assert request.spec.format is VideoFormat.PORTRAIT
    assert request.spec.transition_s == 0.0
    # captions: the template does not set them, so the setting applies (explicitly off here)
    assert request.spec.captions is False
    defaults = with_setting_defaults(StudioSettings(), spec)
    assert defaults.format is VideoFormat.PORTRAIT and defaults.captions_burned_in


def test_explicit_overrides_win_over_source_and_settings(tmp_path: Path) -> None:
    spec = instantiate("problem_solution", AD_FIELDS)
    settings = StudioSettings(encoder="x264", ai={"llm_enabled": True})
    overrides = RenderOverrides(
        format=VideoFormat.SQUARE,
        voice="female",
        accent="green",
        encoder="auto",
        offline=True,
        llm=False,
        ai_clips=True,
        template_id="problem_solution",
    )
    request = build_render_request(settings, spec, overrides=overrides, output=tmp_path / "a")
    assert request.spec.format is VideoFormat.SQUARE and request.spec.voice == "female"
    assert request.spec.theme.accent_color == "#10b981"
    assert request.options.encoder == "auto" and request.options.speech_mode == "offline"
    assert request.paid.llm is False and request.paid.ai_clips is True
    assert request.paid.template_id == "problem_solution"
    assert request.output.suffix == ".mp4"


def test_bad_override_is_an_input_error(tmp_path: Path) -> None:
    spec = load_document(_markdown(tmp_path))
    with pytest.raises(InputError, match="colour"):
        build_render_request(StudioSettings(), spec, overrides=RenderOverrides(accent="nope"))


def test_stored_requests_are_versioned_and_old_payloads_migrate(tmp_path: Path) -> None:
    spec = build_spec({"title": "Old", "scenes": [{"scene_type": "title", "title": "Old"}]})
    legacy = {  # a job queued before requests had a version
        "spec": spec.model_dump(mode="json"),
        "output": str(tmp_path / "old.mp4"),
        "source": None,
        "paid": {"llm": False, "ai_clips": False, "template_id": None},
        "options": {"encoder": "x264", "speech_mode": "offline", "edge_timeout_s": 5.0},
    }
    request = load_request(legacy)
    assert request.spec == spec and request.options.encoder == "x264"
    stored = request.to_json()
    assert stored["schema_version"] == REQUEST_SCHEMA_VERSION and stored["spec_version"] == 1
    assert load_request(json.loads(json.dumps(stored))) == request

    with pytest.raises(InputError, match="newer Video Studio"):
        load_request({**stored, "schema_version": REQUEST_SCHEMA_VERSION + 1})
    with pytest.raises(InputError, match="job 7"):
        load_request({**stored, "output": 42, "spec": {"title": ""}}, source="job 7")


def test_environment_and_command_line_override_the_file_and_are_never_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "settings.json"
    save_settings(StudioSettings(encoder="auto", cache_quota_gb=2.0, theme="light"), path)
    monkeypatch.setenv("VIDEOSTUDIO_ENCODER", "x264")
    monkeypatch.setenv("VIDEOSTUDIO_AI__DAILY_BUDGET_USD", "9.5")
    settings = load_settings(path, overrides={"theme": "dark"})
    assert settings.encoder == "x264" and settings.ai.daily_budget_usd == 9.5
    assert settings.theme == "dark" and settings.cache_quota_gb == 2.0
    save_settings(settings.model_copy(update={"cache_quota_gb": 3.0}), path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["encoder"] == "auto" and saved["theme"] == "light"
    assert saved["cache_quota_gb"] == 3.0 and saved["ai"]["daily_budget_usd"] == 5.0

    monkeypatch.setenv("VIDEOSTUDIO_ENCODER", "h265-magic")
    with pytest.raises(InputError, match="VIDEOSTUDIO_ENCODER"):
        load_settings(path)


def test_settings_changes_reach_listeners_and_the_cache_quota_survives_a_restart(
    tmp_path: Path,
) -> None:
    data, cache = tmp_path / "data", tmp_path / "cache"
    seen: list[float] = []
    with Studio(data, cache) as studio:
        studio.settings.subscribe(lambda s: seen.append(s.cache_quota_gb))
        studio.settings.update(studio.settings.current.model_copy(update={"cache_quota_gb": 1.5}))
        assert seen == [1.5]
        assert studio.cache.quota_bytes == 1_500_000_000
    with Studio(data, cache) as again:
        assert again.cache.quota_bytes == 1_500_000_000
        assert load_settings(settings_path(data)).cache_quota_gb == 1.5


def test_every_render_path_builds_the_same_request(tmp_path: Path, monkeypatch) -> None:
    """``queue add`` stores exactly what the studio's request builder makes."""
    from studio.cli import main as cli_main

    data, cache = tmp_path / "data", tmp_path / "cache"
    doc = _markdown(tmp_path)
    with Studio(data, cache) as studio:
        studio.settings.update(
            studio.settings.current.model_copy(
                update={"encoder": "x264", "default_voice": "female"}
            )
        )
    monkeypatch.chdir(tmp_path)
    args = ["--data-dir", str(data), "--cache-dir", str(cache), "queue", "add", str(doc)]
    assert cli_main([*args, "--format", "1:1", "--offline"]) == 0
    with Studio(data, cache) as studio:
        job = studio.jobs.list_jobs()[0]
        expected = studio.make_request(
            load_document(doc),
            overrides=RenderOverrides(format=VideoFormat.SQUARE, offline=True),
            output=tmp_path / "doc.mp4",
            source=doc,
        )
    stored = load_request(job.input)
    assert stored == expected
    assert stored.options.encoder == "x264" and stored.spec.voice == "female"


def test_one_command_tree_with_global_options_before_gui(tmp_path: Path) -> None:
    seen: list[argparse.Namespace] = []

    def fake_gui(args: argparse.Namespace) -> int:
        seen.append(args)
        return 0

    from studio.cli import main as cli_main

    data = tmp_path / "D"
    assert cli_main(["--data-dir", str(data), "gui", "--offline"], gui=fake_gui) == 0
    assert cli_main(["--data-dir", str(data)], gui=fake_gui) == 0
    assert [a.data_dir for a in seen] == [data.resolve(), data.resolve()]
    assert seen[0].offline is True and seen[1].command is None
    # the console script's own parser accepts it too (no "invalid choice: 'gui'")
    with pytest.raises(SystemExit) as caught:
        launcher_main(["--data-dir", str(data), "gui", "--help"])
    assert caught.value.code == 0


def test_music_precedence_overrides_then_the_source_then_the_settings(tmp_path: Path) -> None:
    settings = StudioSettings(music="calm", music_level_db=-18.0, output_dir=tmp_path)
    spec = load_document(_markdown(tmp_path))
    assert build_render_request(settings, spec).options.music == "calm"  # the settings
    own = spec.model_copy(update={"music": "pulse", "music_level_db": -10.0})
    request = build_render_request(settings, own)  # the project's (or YAML file's) own bed
    assert request.options.music == "pulse" and request.options.music_level_db == -10.0
    chosen = build_render_request(settings, own, overrides=RenderOverrides(music="bright"))
    assert chosen.options.music == "bright" and chosen.options.music_level_db == -10.0
    off = spec.model_copy(update={"music": "none"})
    assert build_render_request(settings, off).options.music is None  # "none" beats settings
    yaml_path = tmp_path / "music.yaml"
    yaml_path.write_text(
        "title: Beds\nmusic: bright\nmusic_level_db: -20\n"
        "scenes:\n  - scene_type: title\n    title: Hi\n    narration: Hello.\n",
        encoding="utf-8",
    )
    from_yaml = build_render_request(settings, load_document(yaml_path))
    assert from_yaml.options.music == "bright" and from_yaml.options.music_level_db == -20.0
