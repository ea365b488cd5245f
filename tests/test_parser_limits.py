"""Every document parser runs in a limited child process; hostile archives and oversized
scene files are refused fast and with little memory (issue 11, items 1, 2 and 12)."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.adapters import load_document
from pipeline.adapters.docx_reader import check_docx_archive
from pipeline.errors import InputError
from pipeline.sandbox import Limits, run_limited
from tests.support.hostile_files import declared_size_bomb, paragraphs_docx

REPO = Path(__file__).resolve().parents[1]
WORDS = ["Packets travel", "through routers", "to reach", "their destination"]


def _all_formats(tmp_path: Path, corpus_dir: Path) -> list[Path]:
    text = tmp_path / "notes.txt"
    # big enough that parsing it needs fresh memory: a forked child starts with its parent's
    # heap, and a few lines could be parsed without a new allocation
    paragraph = "Some plain text about networks, routers and the packets they pass on. " * 12
    text.write_text("Notes\n\n" + "\n\n".join([paragraph] * 300) + "\n")
    docx_path = tmp_path / "small.docx"
    paragraphs_docx(docx_path, WORDS, 10)
    return [
        corpus_dir / "pyav-README.md",
        text,
        corpus_dir / "video_gen-example_simple.yaml",
        corpus_dir / "video_gen-Internet_Guide_Vol1_Core_Infrastructure.pdf",
        docx_path,
    ]


def test_every_format_is_parsed_under_the_memory_limit(tmp_path: Path, corpus_dir: Path):
    """A child allowed 40 MiB of address space cannot even run Python: every format fails
    with the memory limit named, which shows each one is parsed in the limited child."""
    tiny = Limits(memory_bytes=40 * 1024 * 1024)
    for path in _all_formats(tmp_path, corpus_dir):
        assert load_document(path).scenes  # fine with the default limits
        with pytest.raises(InputError, match="memory") as info:
            load_document(path, limits=tiny)
        assert path.name in str(info.value) and "limit" in str(info.value)


def test_many_short_paragraphs_hit_the_cpu_limit(tmp_path: Path):
    path = tmp_path / "paragraphs.docx"
    paragraphs_docx(path, WORDS, 60_000)  # a 0.4 MB file python-docx needs many seconds for
    started = time.monotonic()
    with pytest.raises(InputError, match=r"more than 1 s of CPU time \(the parser's CPU"):
        load_document(path, limits=Limits(cpu_s=1.0, wall_s=60.0))
    assert time.monotonic() - started < 30.0  # 1 s of CPU, on a machine shared by many


def test_wall_time_limit_is_named(tmp_path: Path):
    path = tmp_path / "paragraphs.docx"
    paragraphs_docx(path, WORDS, 60_000)
    with pytest.raises(InputError, match=r"longer than 0.3 s \(the parser's time limit\)"):
        load_document(path, limits=Limits(wall_s=0.3))


def test_memory_hungry_parse_is_refused_not_the_app(tmp_path: Path):
    path = tmp_path / "many-words.docx"
    paragraphs_docx(path, WORDS, 150_000)  # 10 MB of XML: about 100 MB as a tree
    with pytest.raises(InputError, match="memory limit"):
        load_document(path, limits=Limits(memory_bytes=120 * 1024 * 1024, wall_s=60.0))


def test_input_errors_come_back_with_hint_and_location(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("title: T\nscenes:\n  - scene_type: nonsense\n")
    with pytest.raises(InputError) as info:
        load_document(path)
    assert info.value.location == "scenes[0].scene_type"
    assert info.value.source == str(path) and info.value.hint


def _raise_bug(value: int) -> int:
    raise KeyError(value)


def test_a_parser_bug_becomes_a_clear_error():
    with pytest.raises(InputError, match=r"the thing could not be read \(KeyError: 7\)"):
        run_limited(_raise_bug, 7, what="the thing", source="x.md")


def test_declared_size_bomb_is_refused_fast_with_little_memory(tmp_path: Path):
    """8.4 MB that declares 900 KB and inflates to 8 GiB: refused in well under a second
    with almost no memory (zipfile would inflate up to 2 GiB in one call)."""
    path = tmp_path / "bomb.docx"
    declared_size_bomb(path)
    assert 8_000_000 < path.stat().st_size < 9_000_000
    before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with pytest.raises(InputError, match="declares 900,000 bytes but inflates to more"):
        check_docx_archive(path)
    assert time.perf_counter() - started < 2.0  # milliseconds of work (zipfile: 2.3 GB)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_kib) / 1024
    assert grown_mib < 32
    with pytest.raises(InputError, match="zip bomb"):
        load_document(path)


def test_honest_large_entry_is_measured_not_trusted(tmp_path: Path):
    path = tmp_path / "honest-bomb.docx"
    declared_size_bomb(path, inflated_mib=300, declared=300 * 1024 * 1024)
    with pytest.raises(InputError, match="limit is 200 MB"):
        load_document(path)


def test_forty_thousand_scenes_are_refused_quickly(tmp_path: Path):
    path = tmp_path / "huge.yaml"
    lines = ["title: Huge", "scenes:"]
    lines += [f"  - {{scene_type: title, title: 'Scene {i}'}}" for i in range(40_000)]
    path.write_text("\n".join(lines))
    warm = tmp_path / "warm.md"
    warm.write_text("# Warm\n\nThe parser's fork server is running after this.\n")
    load_document(warm)
    started = time.perf_counter()
    with pytest.raises(InputError) as info:
        load_document(path)
    elapsed_s = time.perf_counter() - started
    assert "more than 100 scenes" in str(info.value) and info.value.location == "scenes[100]"
    assert elapsed_s < 5.0, elapsed_s  # 16-24 s before; benchmarks/interrupt_bench.py times it


def test_ctrl_c_while_parsing_exits_130_promptly(tmp_path: Path):
    """SIGINT to `videostudio render` while a slow document is being parsed: the parser child
    is killed and the command exits 130 at once (the old code kept parsing for 30 s; the 1 s
    target is measured by benchmarks/interrupt_bench.py, the bound here holds on a loaded
    machine)."""
    path = tmp_path / "slow.docx"
    paragraphs_docx(path, WORDS, 200_000)
    env = {
        **os.environ,
        "VIDEOSTUDIO_DATA_DIR": str(tmp_path / "data"),
        "VIDEOSTUDIO_CACHE_DIR": str(tmp_path / "cache"),
        "PYTHONPATH": str(REPO),
    }
    log = tmp_path / "data" / "logs" / "videostudio.log"
    output = tmp_path / "output.txt"  # a file, not a pipe: the parser's fork server shares it
    with open(output, "w", encoding="utf-8") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "studio", "render", str(path), "-o", str(tmp_path / "o.mp4")],
            env=env,
            cwd=REPO,
            stdout=sink,
            stderr=sink,
        )
    child_pid = None
    deadline = time.monotonic() + 60
    while child_pid is None and time.monotonic() < deadline and process.poll() is None:
        text = log.read_text(encoding="utf-8") if log.is_file() else ""
        for line in text.splitlines():
            if "parsing in child process" in line:
                child_pid = int(line.rsplit("pid ", 1)[1].split()[0])
        time.sleep(0.05)
    assert child_pid is not None, (process.wait(), output.read_text())
    time.sleep(0.5)  # well into the parse
    assert _alive(child_pid)
    process.send_signal(signal.SIGINT)
    signalled = time.monotonic()
    process.wait(timeout=30)
    assert time.monotonic() - signalled < 5.0
    assert process.returncode == 130, output.read_text()
    assert "interrupted" in output.read_text()
    assert not _alive(child_pid)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"
