"""A render's outputs are committed as a set, and what killed processes leave behind is swept
(issue 11, items 4 and 7)."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline import fsutil
from pipeline.adapters import load_document
from pipeline.artifacts import DirectoryStore
from pipeline.fsutil import (
    COMMIT_JOURNAL_FILE,
    STAGING_PREFIX,
    TEMP_PREFIX,
    OutputSet,
    sweep_stale_staging,
    sweep_temp_files,
)
from pipeline.preflight import StorageError
from pipeline.render_job import RenderOptions, render_video

REPO = Path(__file__).resolve().parents[1]
SUFFIXES = (".mp4", ".png", ".srt", ".vtt", ".metadata.json")


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _set(folder: Path, stem: str = "video") -> list[Path]:
    return [folder / f"{stem}{suffix}" for suffix in SUFFIXES]


def _temps(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX))


def test_commit_puts_every_new_file_in_place(tmp_path: Path):
    out = tmp_path / "out"
    targets = _set(out)
    for target in targets[:3]:  # an older, partial set
        out.mkdir(exist_ok=True)
        target.write_text("old " + target.name)
    with OutputSet(tmp_path / "staging") as outputs:
        for target in targets:
            outputs.temp_for(target).write_text("new " + target.name)
        assert all(t.read_text().startswith("old") for t in targets[:3])
        outputs.commit()
    assert [t.read_text() for t in targets] == ["new " + t.name for t in targets]
    assert _temps(out) == []
    assert not (tmp_path / "staging" / COMMIT_JOURNAL_FILE).exists()


def test_a_failed_rename_puts_the_previous_set_back(tmp_path: Path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    targets = _set(out)
    for target in targets[:4]:  # metadata.json is new this time
        target.write_text("old " + target.name)
    before = {t: _digest(t) for t in targets[:4]}
    real_replace = fsutil._replace
    calls = {"n": 0}

    def failing_replace(tmp: Path, target: Path) -> None:
        calls["n"] += 1
        if calls["n"] == 5:  # the video, thumbnail, subtitles and metadata went in first
            raise OSError(errno.EROFS, "Read-only file system")
        real_replace(tmp, target)

    monkeypatch.setattr(fsutil, "_replace", failing_replace)
    with pytest.raises(OSError), OutputSet(tmp_path / "staging") as outputs:
        for target in [targets[4], *targets[:4]]:
            outputs.temp_for(target).write_text("new " + target.name)
        outputs.commit()
    assert {t: _digest(t) for t in targets[:4]} == before
    assert not targets[4].exists()  # the new metadata had replaced nothing: removed again
    assert _temps(out) == []


def test_leaving_without_commit_removes_the_temporary_files(tmp_path: Path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError), OutputSet(tmp_path / "staging") as outputs:
        outputs.temp_for(out / "a.mp4").write_bytes(b"x")
        raise RuntimeError("validation failed")
    assert _temps(out) == [] and list(out.iterdir()) == []


@pytest.mark.parametrize("renamed", [0, 2, 5])
def test_a_commit_killed_midway_is_rolled_back_by_the_next_sweep(tmp_path: Path, renamed: int):
    """The journal a killed process leaves lets the sweep restore the previous set."""
    pid = _dead_pid()
    staging = tmp_path / "staging" / f"{STAGING_PREFIX}{pid}-abc"
    staging.mkdir(parents=True)
    out = tmp_path / "out"
    out.mkdir()
    targets = _set(out)
    for target in targets:
        target.write_text("old " + target.name)
    (staging / fsutil.OUTPUT_FOLDERS_FILE).write_text(f"{out}\n")
    plan = []
    for n, target in enumerate(targets):
        tmp = out / f"{TEMP_PREFIX}{pid}-new{n}{target.suffix}"
        backup = out / f"{TEMP_PREFIX}{pid}-bak{n}{target.suffix}"
        tmp.write_text("new " + target.name)
        os.link(target, backup)
        plan.append({"tmp": str(tmp), "target": str(target), "backup": str(backup)})
    (staging / COMMIT_JOURNAL_FILE).write_text(json.dumps({"state": "prepared", "pairs": plan}))
    for entry in plan[:renamed]:  # the kill came after this many renames
        os.replace(entry["tmp"], entry["target"])
    sweep_stale_staging(tmp_path / "staging")
    assert [t.read_text() for t in targets] == ["old " + t.name for t in targets]
    assert _temps(out) == [] and not staging.exists()


def test_sweep_keeps_the_files_of_live_processes(tmp_path: Path):
    folder = tmp_path / "out"
    folder.mkdir()
    mine = folder / f"{TEMP_PREFIX}{os.getpid()}-abc.mp4"
    dead = folder / f"{TEMP_PREFIX}{_dead_pid()}-abc.mp4"
    legacy_new = folder / f"{TEMP_PREFIX}0123abcd.mp4"
    legacy_old = folder / f"{TEMP_PREFIX}4567abcd.mp4"
    for path in (mine, dead, legacy_new, legacy_old):
        path.write_bytes(b"x")
    hours_ago = time.time() - 2 * fsutil.LEGACY_TEMP_AGE_S
    os.utime(legacy_old, (hours_ago, hours_ago))
    assert sorted(sweep_temp_files(folder)) == sorted([dead, legacy_old])
    assert mine.exists() and legacy_new.exists()


def _fail_fsync_for(monkeypatch, suffix: str) -> None:
    """ENOSPC when a file ending in ``suffix`` is flushed (as on a disk that has room for the
    video but not for the subtitles)."""
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").endswith(suffix):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)


@pytest.mark.slow
def test_no_room_for_the_subtitles_leaves_the_previous_set_untouched(
    tmp_path: Path, corpus_dir: Path, monkeypatch
):
    spec = load_document(corpus_dir / "video_gen-example_simple.yaml")
    store = DirectoryStore(tmp_path / "store")
    out = tmp_path / "out" / "video.mp4"
    options = RenderOptions(speech_mode="offline")
    render_video(spec, out, store, options, staging_root=tmp_path / "staging")
    targets = _set(out.parent)
    before = {t.name: _digest(t) for t in targets}
    data = spec.model_dump(mode="json")
    data["title"] = data["scenes"][0]["title"] = "A changed title"  # a visible change
    changed = spec.model_validate(data)
    _fail_fsync_for(monkeypatch, ".srt")
    with pytest.raises(StorageError, match="disk is full while writing the video and its files"):
        render_video(changed, out, store, options, staging_root=tmp_path / "staging")
    assert {t.name: _digest(t) for t in targets} == before
    assert _temps(out.parent) == []
    monkeypatch.undo()
    render_video(changed, out, store, options, staging_root=tmp_path / "staging")
    assert all(_digest(t) != before[t.name] for t in targets if t.suffix in (".mp4", ".png"))


def _cli_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "VIDEOSTUDIO_DATA_DIR": str(tmp_path / "data"),
        "VIDEOSTUDIO_CACHE_DIR": str(tmp_path / "cache"),
        "VIDEOSTUDIO_OFFLINE": "1",
        "PYTHONPATH": str(REPO),
    }


def _kill_render_when(tmp_path: Path, document: Path, out: Path, needle: str) -> int:
    """Start `videostudio render`, SIGKILL it when its log shows ``needle`` and a temporary
    file has appeared beside the output; its pid."""
    log = tmp_path / "data" / "logs" / "videostudio.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "studio", "render", str(document), "-o", str(out)],
        env=_cli_env(tmp_path),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        lines = log.read_text(encoding="utf-8").splitlines() if log.is_file() else []
        if any(f" {process.pid} " in line[:40] and needle in line for line in lines):
            if out.parent.is_dir() and _temps(out.parent):
                break
        time.sleep(0.02)
    assert process.poll() is None, "the render ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    return process.pid


@pytest.mark.slow
def test_killed_render_leftovers_are_swept_by_cache_clean_and_the_next_render(
    tmp_path: Path, corpus_dir: Path
):
    document = corpus_dir / "video_gen-example_simple.yaml"
    out = tmp_path / "out" / "video.mp4"
    staging = tmp_path / "cache" / "staging"

    def leftovers() -> list[Path]:
        found = _temps(out.parent) if out.parent.is_dir() else []
        return found + (sorted(staging.glob(f"{STAGING_PREFIX}*")) if staging.is_dir() else [])

    # killed while muxing: a staging folder and a temporary MP4 beside the output remain
    pid = _kill_render_when(tmp_path, document, out, "muxing")
    left = leftovers()
    assert any(p.parent == out.parent for p in left) and any(p.parent == staging for p in left)
    clean = subprocess.run(
        [sys.executable, "-m", "studio", "cache", "clean"],
        env=_cli_env(tmp_path),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert clean.returncode == 0, clean.stderr
    assert leftovers() == [], (pid, clean.stdout)

    # killed again; a plain render of another document elsewhere sweeps it at its start
    _kill_render_when(tmp_path, document, out, "muxing")
    assert leftovers()
    other = tmp_path / "elsewhere" / "other.mp4"
    result = subprocess.run(
        [sys.executable, "-m", "studio", "render", str(document), "-o", str(other)],
        env=_cli_env(tmp_path),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert leftovers() == [] and not out.exists() and other.is_file()
