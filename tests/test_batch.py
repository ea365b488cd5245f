"""Batch renders from a manifest (CSV, JSONL, YAML) or a folder: rows become the studio's one
render request, bad rows are reported by line, and a re-run renders nothing twice."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import av
import pytest

from studio.batch import REPORT_COLUMNS, enqueue_batch, plan_batch, read_manifest
from studio.cli import main as cli_main
from studio.request import RenderOverrides
from studio.service import Studio
from studio.store import JobState


@pytest.fixture()
def studio(tmp_path: Path):
    with Studio(tmp_path / "data", tmp_path / "cache") as opened:
        yield opened


def _csv(folder: Path, corpus_dir: Path) -> Path:
    shutil.copy(corpus_dir / "video_gen-example_simple.yaml", folder / "simple.yaml")
    manifest = folder / "videos.csv"
    manifest.write_text(
        "input,template,output,format,voice,field.product,field.problem,field.benefit_1,"
        "field.benefit_2\n"
        "simple.yaml,,out/simple.mp4,1:1,,,,,\n"
        ",problem_solution,out/ad.mp4,,female,GlowBrush,Dull teeth,Whiter,Gentle\n"
        "missing.md,,,,,,,,\n"
        ",problem_solution,,,,GlowBrush,,,\n"
        "simple.yaml,,out/bad.mp4,4:3,,,,,\n",
        encoding="utf-8",
    )
    return manifest


def test_csv_rows_become_requests_and_bad_rows_name_their_line(
    studio: Studio, tmp_path: Path, corpus_dir: Path
) -> None:
    batch = plan_batch(studio, _csv(tmp_path, corpus_dir))
    assert [row.line for row in batch.rows] == [2, 3, 4, 5, 6]
    simple, ad, missing, incomplete, bad_format = batch.rows
    assert simple.request is not None and simple.request.spec.format.value == "1:1"
    assert simple.request.output == (tmp_path / "out" / "simple.mp4").resolve()
    assert ad.request is not None and ad.request.spec.voice == "female"
    assert ad.request.paid.template_id == "problem_solution"
    assert ad.request.spec.format.value == "9:16"  # the template's own format
    assert "missing.md" in missing.error
    assert "benefit_1" in incomplete.error and incomplete.request is None
    assert "format" in bad_format.error
    assert len(batch.valid) == 2


def test_jsonl_and_yaml_manifests_keep_line_numbers(tmp_path: Path, corpus_dir: Path) -> None:
    jsonl = tmp_path / "v.jsonl"
    jsonl.write_text(
        '{"input": "a.md", "lang": "de"}\n\n{not json}\n'
        '{"template": "problem_solution", "fields": {"product": "X"}}\n',
        encoding="utf-8",
    )
    rows = read_manifest(jsonl)
    assert [(r.line, sorted(r.values)) for r in rows] == [
        (1, ["input", "language"]),
        (3, ["__error__"]),
        (4, ["fields", "template"]),
    ]
    yml = tmp_path / "v.yaml"
    yml.write_text(
        "videos:\n  - input: a.md\n    format: '9:16'\n\n  - template: problem_solution\n"
        "    fields: {product: X}\n",
        encoding="utf-8",
    )
    assert [r.line for r in read_manifest(yml)] == [2, 5]


def test_csv_rows_keep_the_line_they_start_on(tmp_path: Path) -> None:
    """A quoted cell spanning lines, blank lines and a row with too many cells: each row is
    reported by the line it starts on (the line a user looks for in an editor)."""
    manifest = tmp_path / "v.csv"
    manifest.write_text(
        "input,title\n"
        'a.md,"Two\nlines"\n'  # lines 2-3
        "\n"  # line 4, blank
        "b.md,Bee\n"  # line 5
        ",,\n"  # line 6, empty cells only (a spreadsheet's trailing row)
        "c.md,Sea,extra\n",  # line 7
        encoding="utf-8",
    )
    rows = read_manifest(manifest)
    assert [r.line for r in rows] == [2, 5, 7]
    assert rows[0].values == {"input": "a.md", "title": "Two\nlines"}
    assert "1 more cell than the header" in rows[2].values["__error__"]
    assert "'extra'" in rows[2].values["__error__"]


def test_command_line_option_names_work_as_columns(
    studio: Studio, tmp_path: Path, corpus_dir: Path
) -> None:
    """Every render option of ``videostudio render`` can be a column under its command-line
    name: ``lang`` with several codes, ``export``, ``loudness``, ``music-level``,
    ``caption-style``, ``all-sections``."""
    (tmp_path / "tool.md").write_text(
        "# Tool\n\nThe tool sorts your photos by date.\n\n"
        "## Changelog\n\nVersion two fixed the zebra importer.\n",
        encoding="utf-8",
    )
    shutil.copy(corpus_dir / "video_gen-example_simple.yaml", tmp_path / "simple.yaml")
    manifest = tmp_path / "v.csv"
    manifest.write_text(
        "input,output,lang,export,loudness,music-level,caption-style,all-sections\n"
        'simple.yaml,a.mp4,"es, de",otio,-14,-20,plain,\n'
        "tool.md,b.mp4,,,,,,yes\n"
        "tool.md,c.mp4,,,,,,maybe\n",
        encoding="utf-8",
    )
    options, kept, bad = plan_batch(studio, manifest).rows
    assert options.request is not None, options.error
    assert options.request.spec.language == "es"
    assert options.request.options.languages == ("es", "de")
    assert options.request.options.exports == ("otio",)
    assert options.request.options.loudness_lufs == -14
    assert options.request.options.music_level_db == -20
    assert options.request.options.caption_style == "plain"
    assert kept.request is not None, kept.error
    said = " ".join(s.model_dump_json() for s in kept.request.spec.scenes)
    assert "zebra" in said  # all-sections kept the changelog of this row only
    assert bad.request is None and "all_sections" in bad.error and "maybe" in bad.error


def test_offline_flag_refuses_a_youtube_row_without_touching_the_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``batch --offline`` (not only the Offline setting) keeps a YouTube row off the network:
    the row is refused as offline, by its line; the other row is queued. Any request would go
    to a closed port and say "could not reach YouTube" instead."""
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    (tmp_path / "tiny.md").write_text("# Tiny\n\nHello there.\n", encoding="utf-8")
    manifest = tmp_path / "videos.csv"
    manifest.write_text(
        "input,offline\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ,\ntiny.md,\n"
        "https://youtu.be/dQw4w9WgXcQ,true\n",
        encoding="utf-8",
    )
    args = ["--data-dir", str(tmp_path / "d"), "--cache-dir", str(tmp_path / "c")]
    assert cli_main([*args, "batch", str(manifest), "--offline", "--no-run"]) == 2
    report = _report(tmp_path)
    assert [(r["line"], r["state"]) for r in report] == [
        ("2", "invalid"),
        ("3", "PENDING"),
        ("4", "invalid"),
    ]
    for row in (report[0], report[2]):
        assert "set to work offline" in row["error"] and "could not reach" not in row["error"]
    # without --offline, the row's own offline column still keeps it off the network
    assert cli_main([*args, "batch", str(manifest), "--no-run"]) == 2
    report = _report(tmp_path)
    assert "could not reach YouTube" in report[0]["error"]  # it tried (and met the closed port)
    assert "set to work offline" in report[2]["error"]
    capsys.readouterr()


def test_a_folder_is_one_row_per_document(studio: Studio, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "b.md").write_text("# Bee\n\nBees make honey.\n", encoding="utf-8")
    (folder / "a.txt").write_text("Ants\n\nAnts carry leaves.\n", encoding="utf-8")
    (folder / "notes.bin").write_bytes(b"\0")
    batch = plan_batch(studio, folder, defaults=RenderOverrides(format="9:16"))
    assert [Path(r.label).name for r in batch.rows] == ["a.txt", "b.md"]
    assert all(r.request is not None and r.request.spec.format.value == "9:16" for r in batch.rows)


def test_batch_follows_the_skip_boilerplate_setting(studio: Studio, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "tool.md").write_text(
        "# Tool\n\nThe tool sorts your photos by date.\n\n"
        "## Changelog\n\nVersion two fixed the zebra importer.\n",
        encoding="utf-8",
    )

    def said(batch: object) -> str:
        (row,) = batch.rows  # type: ignore[attr-defined]
        assert row.request is not None, row.error
        return " ".join(s.model_dump_json() for s in row.request.spec.scenes)

    assert "zebra" not in said(plan_batch(studio, folder))  # skipped by default
    kept = studio.settings.current.model_copy(update={"skip_boilerplate": False})
    studio.settings.update(kept)
    assert "zebra" in said(plan_batch(studio, folder))  # the setting keeps the section
    assert "zebra" not in said(plan_batch(studio, folder, skip_boilerplate=True))


def test_enqueue_twice_queues_nothing_new(studio: Studio, tmp_path: Path, corpus_dir: Path):
    manifest = _csv(tmp_path, corpus_dir)
    first = enqueue_batch(studio, plan_batch(studio, manifest))
    assert [r.state for r in first.valid] == ["PENDING", "PENDING"]
    assert not any(r.reused for r in first.rows)
    again = enqueue_batch(studio, plan_batch(studio, manifest))
    assert all(r.reused for r in again.valid)
    assert [r.job_id for r in again.valid] == [r.job_id for r in first.valid]
    assert len(studio.jobs.list_jobs()) == 2


@pytest.mark.slow
def test_cli_batch_of_real_documents_renders_then_skips_on_rerun(
    tmp_path: Path, corpus_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    shutil.copy(corpus_dir / "video_gen-example_simple.yaml", folder / "simple.yaml")
    manifest = folder / "videos.csv"
    manifest.write_text(
        "input,template,output,format\n"
        "simple.yaml,,simple.mp4,9:16\n"
        ",savings_builder.goal_setting,goal.mp4,\n"
        "nope.pdf,,,\n",
        encoding="utf-8",
    )
    args = ["--data-dir", str(tmp_path / "d"), "--cache-dir", str(tmp_path / "c")]
    assert cli_main([*args, "batch", str(manifest), "--offline"]) == 2  # one bad row
    for name, size in (("simple.mp4", (1080, 1920)), ("goal.mp4", None)):
        with av.open(str(folder / name)) as container:
            stream = container.streams.video[0]
            if size is not None:
                assert (stream.codec_context.width, stream.codec_context.height) == size
            assert container.streams.audio and float(container.duration or 0) > 1_000_000
    report = _report(folder)
    assert [(r["line"], r["state"]) for r in report] == [
        ("2", "SUCCEEDED"),
        ("3", "SUCCEEDED"),
        ("4", "invalid"),
    ]
    assert "nope.pdf" in report[2]["error"]
    assert list(report[0]) == list(REPORT_COLUMNS)
    assert [r["output"] for r in report] == [
        str((folder / "simple.mp4").resolve()),
        str((folder / "goal.mp4").resolve()),
        "",
    ]
    assert report[0]["job"] and report[1]["job"] and not report[2]["job"]
    # the summary table on stdout names each row's line, state and output
    table = capsys.readouterr().out
    for text in ("simple.mp4", "goal.mp4", "SUCCEEDED", "invalid", "nope.pdf"):
        assert text in table, text

    before = (folder / "simple.mp4").stat().st_mtime_ns
    assert cli_main([*args, "batch", str(manifest), "--offline"]) == 2
    assert (folder / "simple.mp4").stat().st_mtime_ns == before  # not rendered again
    report = _report(folder)
    assert [r["reused"] for r in report[:2]] == ["yes", "yes"]
    with Studio(tmp_path / "d", tmp_path / "c") as studio:
        jobs = studio.jobs.list_jobs()
    assert len(jobs) == 2 and all(job.state is JobState.SUCCEEDED for job in jobs)


def _report(folder: Path) -> list[dict[str, str]]:
    text = (folder / "batch-report.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))
