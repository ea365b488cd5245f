"""Batch renders from a manifest (CSV, JSONL, YAML) or a folder: rows become the studio's one
render request, bad rows are reported by line, and a re-run renders nothing twice."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import av
import pytest

from studio.batch import enqueue_batch, plan_batch, read_manifest
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


def test_a_folder_is_one_row_per_document(studio: Studio, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "b.md").write_text("# Bee\n\nBees make honey.\n", encoding="utf-8")
    (folder / "a.txt").write_text("Ants\n\nAnts carry leaves.\n", encoding="utf-8")
    (folder / "notes.bin").write_bytes(b"\0")
    batch = plan_batch(studio, folder, defaults=RenderOverrides(format="9:16"))
    assert [Path(r.label).name for r in batch.rows] == ["a.txt", "b.md"]
    assert all(r.request is not None and r.request.spec.format.value == "9:16" for r in batch.rows)


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
