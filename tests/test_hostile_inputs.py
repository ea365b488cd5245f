"""The hostile-input table: each row attacks Video Studio one way, as a user (or a fault) would,
and checks the outcome — a clear message naming the problem and what to do, the documented
exit code (2 for the input, 1 for the environment, 130 for an interrupt), no traceback, no
half-written output, no damage to what was there before, and the rest of the work going on.

Rows run the real command line in a child process where the exit code matters. Full and
read-only disks are real tmpfs mounts in a private mount namespace where the machine allows
it (``tests/support/mounts.py``), else injected. Deeper tests of each fix sit beside the fix
(``test_parser_limits``, ``test_damaged_rows``, ``test_output_set``, ``test_environment_errors``,
``test_budget_zone``, ``test_unsent_requests``, ``test_memory_bounded``).
"""

from __future__ import annotations

import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from pipeline.adapters import load_document
from pipeline.errors import InputError
from pipeline.fsutil import STAGING_PREFIX, TEMP_PREFIX
from pipeline.sandbox import Limits
from studio.store import JobState, JobStore, open_database
from tests.support.hostile_files import declared_size_bomb, forged_zip, paragraphs_docx
from tests.support.mounts import run_with_tmpfs, tmpfs_available

REPO = Path(__file__).resolve().parents[1]
SHORT_YAML = (
    "title: Short\nscenes:\n"
    "  - {scene_type: title, title: Short, narration: A short hostile test., "
    "min_duration_s: 1, max_duration_s: 2}\n"
)
WORDS = ["Packets travel", "through routers", "to reach", "their destination"]


def env(tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "VIDEOSTUDIO_DATA_DIR": str(tmp / "data"),
        "VIDEOSTUDIO_CACHE_DIR": str(tmp / "cache"),
        "VIDEOSTUDIO_OFFLINE": "1",
        "PYTHONPATH": str(REPO),
    }


def cli(tmp: Path, *args: str, timeout_s: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        env=env(tmp),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def expect(result: subprocess.CompletedProcess[str], code: int, *fragments: str) -> None:
    """The exit code, every fragment in the error output, and no traceback."""
    assert result.returncode == code, (result.returncode, result.stderr[-2000:])
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]


def short_doc(tmp: Path) -> Path:
    path = tmp / "short.yaml"
    path.write_text(SHORT_YAML)
    return path


def refused(path: Path, *fragments: str, limits: Limits | None = None) -> InputError:
    with pytest.raises(InputError) as info:
        load_document(path, limits=limits)
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))
    assert info.value.hint and path.name in str(info.value)
    return info.value


# -- documents -----------------------------------------------------------------------------------


def docx_paragraphs(tmp: Path, corpus: Path) -> None:
    path = tmp / "paragraphs.docx"
    paragraphs_docx(path, WORDS, 60_000)
    refused(path, "CPU time limit", limits=Limits(cpu_s=1.0, wall_s=60.0))


def docx_declared_size_bomb(tmp: Path, corpus: Path) -> None:
    path = tmp / "bomb.docx"
    declared_size_bomb(path)  # 8.4 MB declaring 900 KB, inflating to 8 GiB
    refused(path, "declares 900,000 bytes but inflates to more")


def docx_honest_size_bomb(tmp: Path, corpus: Path) -> None:
    path = tmp / "big.docx"
    declared_size_bomb(path, inflated_mib=300, declared=300 * 1024 * 1024)
    refused(path, "limit is 200 MB")


def docx_ratio_bomb(tmp: Path, corpus: Path) -> None:
    path = tmp / "zeros.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (40 * 1024 * 1024))
    refused(path, "100:1")


def docx_truncated(tmp: Path, corpus: Path) -> None:
    good = tmp / "good.docx"
    paragraphs_docx(good, WORDS, 500)
    path = tmp / "cut.docx"
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    refused(path)


def docx_lying_compressed_size(tmp: Path, corpus: Path) -> None:
    """An entry whose data ends before its declared compressed size says."""
    path = tmp / "short-entry.docx"
    forged_zip(path, [("word/document.xml", b"\x01\x02", 5000)])  # a stored block cut short
    refused(path, "damaged")


def docx_memory_hungry(tmp: Path, corpus: Path) -> None:
    path = tmp / "many-words.docx"
    paragraphs_docx(path, WORDS, 150_000)
    refused(path, "memory limit", limits=Limits(memory_bytes=120 * 1024 * 1024, wall_s=60.0))


def pdf_truncated(tmp: Path, corpus: Path) -> None:
    data = (corpus / "video_gen-Internet_Guide_Vol1_Core_Infrastructure.pdf").read_bytes()
    path = tmp / "cut.pdf"
    path.write_bytes(data[: len(data) // 3])
    refused(path)


def pdf_slow_hits_a_limit(tmp: Path, corpus: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(str(corpus / "video_gen-Internet_Guide_Vol1_Core_Infrastructure.pdf"))
    writer = PdfWriter()
    while len(writer.pages) < 137:
        for page in reader.pages:
            writer.add_page(page)
    path = tmp / "long.pdf"
    with open(path, "wb") as handle:
        writer.write(handle)
    started = time.monotonic()
    refused(path, "the parser's time limit", limits=Limits(wall_s=0.3))
    assert time.monotonic() - started < 10


def yaml_forty_thousand_scenes(tmp: Path, corpus: Path) -> None:
    path = tmp / "huge.yaml"
    rows = [f"  - {{scene_type: title, title: 'Scene {i}'}}" for i in range(40_000)]
    path.write_text("title: Huge\nscenes:\n" + "\n".join(rows))
    result = cli(tmp, "render", str(path), "-o", str(tmp / "huge.mp4"))
    expect(result, 2, "more than 100 scenes", "scenes[100]")


def yaml_alias_bomb(tmp: Path, corpus: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, 9):
        prev, name = chr(ord("a") + n - 1), chr(ord("a") + n)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    path = tmp / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n")
    refused(path, "alias bomb")


def yaml_nested_too_deeply(tmp: Path, corpus: Path) -> None:
    path = tmp / "deep.yaml"
    path.write_text("[" * 50_000)
    refused(path, "nested too deeply")


def markdown_that_is_an_image(tmp: Path, corpus: Path) -> None:
    path = tmp / "photo.md"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(4000))
    result = cli(tmp, "render", str(path))
    expect(result, 2, "PNG image", "choose a text document")


# -- the job database ----------------------------------------------------------------------------


def _damaged_queue(tmp: Path, sql: str) -> None:
    db_path = tmp / "jobs.sqlite3"
    db = open_database(db_path)
    try:
        store = JobStore(db)
        ids = [store.enqueue_job("render", {"n": n}) for n in range(3)]
        connection = sqlite3.connect(db_path)
        with connection:
            connection.execute(sql, {"id": ids[1], "blob": random.Random(3).randbytes(40)})
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        connection.close()
        listed = {job.id: job for job in store.list_jobs()}
        assert listed[ids[1]].state is JobState.FAILED and "quarantined" in listed[ids[1]].error
        claimed = [store.claim_next_job(), store.claim_next_job(), store.claim_next_job()]
        assert [job.id if job else None for job in claimed] == [ids[0], ids[2], None]
    finally:
        db.close()


def row_random_bytes_in_json(tmp: Path, corpus: Path) -> None:
    _damaged_queue(tmp, "UPDATE jobs SET input_json = :blob WHERE id = :id")


def row_unknown_state(tmp: Path, corpus: Path) -> None:
    _damaged_queue(tmp, "UPDATE jobs SET state = 'PENDIN' || hex(:blob) WHERE id = :id")


def row_unreadable_date(tmp: Path, corpus: Path) -> None:
    _damaged_queue(tmp, "UPDATE jobs SET created_at = CAST(:blob AS TEXT) WHERE id = :id")


# -- disks ---------------------------------------------------------------------------------------


def output_is_a_folder(tmp: Path, corpus: Path) -> None:
    (tmp / "videos").mkdir()
    expect(cli(tmp, "render", str(short_doc(tmp)), "-o", str(tmp / "videos")), 2, "is a folder")


def _in_tmpfs(tmp: Path, mounts: list[tuple[Path, str]], *args: str, prepare: str = ""):
    if not tmpfs_available():
        pytest.skip("cannot mount a tmpfs here")
    return run_with_tmpfs(
        mounts,
        [sys.executable, "-m", "studio", *args],
        env=env(tmp),
        cwd=REPO,
        prepare=prepare,
    )


def full_output_disk(tmp: Path, corpus: Path) -> None:
    out = tmp / "small"
    result = _in_tmpfs(tmp, [(out, "size=1m")], "render", str(short_doc(tmp)), "-o", f"{out}/v.mp4")
    expect(result, 1, "not enough free space", "the video")


def full_cache_disk(tmp: Path, corpus: Path) -> None:
    result = _in_tmpfs(
        tmp, [(tmp / "cache", "size=1m")], "render", str(short_doc(tmp)), "-o", f"{tmp}/v.mp4"
    )
    expect(result, 1, "not enough free space", "cached scenes")


def read_only_output_folder(tmp: Path, corpus: Path) -> None:
    out = tmp / "ro"
    result = _in_tmpfs(
        tmp, [(out, "size=4m,ro")], "render", str(short_doc(tmp)), "-o", f"{out}/v.mp4"
    )
    expect(result, 1, "read-only", "choose a writable folder")


def read_only_data_folder(tmp: Path, corpus: Path) -> None:
    data = tmp / "data"
    open_database(data / "videostudio.sqlite3").close()
    result = _in_tmpfs(
        tmp,
        [(tmp / "rodata", "size=8m")],
        "--data-dir",
        str(tmp / "rodata"),
        "queue",
        "add",
        str(short_doc(tmp)),
        "-o",
        str(tmp / "v.mp4"),
        prepare=f"cp -a {data}/. {tmp}/rodata/ && mount -o remount,ro {tmp}/rodata",
    )
    expect(result, 1, "do not move or delete it")
    assert "damaged" not in result.stderr


def unknown_voice(tmp: Path, corpus: Path) -> None:
    result = cli(tmp, "queue", "add", str(short_doc(tmp)), "--voice", "gandalf-the-grey")
    expect(result, 2, "gandalf-the-grey")


# -- kills ---------------------------------------------------------------------------------------


def _kill_render(tmp: Path, document: Path, out: Path, needle: str) -> None:
    log = tmp / "data" / "logs" / "videostudio.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "studio", "render", str(document), "-o", str(out)],
        env=env(tmp),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        text = log.read_text(encoding="utf-8") if log.is_file() else ""
        mine = [line for line in text.splitlines() if f" {process.pid} " in line[:40]]
        if any(needle in line for line in mine) and (
            needle != "muxing" or any(p.name.startswith(TEMP_PREFIX) for p in out.parent.iterdir())
        ):
            break
        time.sleep(0.02)
    assert process.poll() is None, "finished before the kill"
    process.send_signal(signal.SIGKILL)
    process.wait()


def _killed_then_rendered_again(tmp: Path, corpus: Path, needle: str) -> None:
    document = corpus / "video_gen-example_simple.yaml"
    out = tmp / "out" / "video.mp4"
    expect(cli(tmp, "render", str(document), "-o", str(out)), 0)
    before = {p.name: p.read_bytes() for p in out.parent.iterdir()}
    changed = tmp / "changed.yaml"
    changed.write_text(document.read_text().replace("Learn the essential", "Learn the main"))
    _kill_render(tmp, changed, out, needle)
    assert {p.name: p.read_bytes() for p in out.parent.iterdir() if p.name in before} == before
    expect(cli(tmp, "render", str(changed), "-o", str(out)), 0)  # sweeps, then renders
    leftovers = [p for p in out.parent.iterdir() if p.name.startswith(TEMP_PREFIX)]
    staging = tmp / "cache" / "staging"
    leftovers += list(staging.glob(f"{STAGING_PREFIX}*")) if staging.is_dir() else []
    assert leftovers == []
    assert (out.parent / "video.mp4").read_bytes() != before["video.mp4"]


def kill_during_render(tmp: Path, corpus: Path) -> None:
    _killed_then_rendered_again(tmp, corpus, "encoding scene")


def kill_during_mux(tmp: Path, corpus: Path) -> None:
    _killed_then_rendered_again(tmp, corpus, "muxing")


# -- money ---------------------------------------------------------------------------------------

_SPEND = """
import sys
from pathlib import Path
from pipeline.ai.base import CostEstimate, PaidWorkBlocked
from studio.budget import BudgetGovernor, BudgetPolicy
from studio.store import open_database
db = open_database(Path(sys.argv[1]))
governor = BudgetGovernor(db, BudgetPolicy(daily_usd=5.0))
for _ in range(20):
    try:
        r = governor.authorize(CostEstimate(kind="video", provider="t", model="m", units=1, usd=0.7))
        governor.settle(r, 0.7)
    except PaidWorkBlocked:
        pass
db.close()
"""


def time_zones_apart(tmp: Path, corpus: Path) -> None:
    db_path = tmp / "budget.sqlite3"
    open_database(db_path).close()
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _SPEND, str(db_path)],
            env={**os.environ, "TZ": zone, "PYTHONPATH": str(REPO)},
            cwd=REPO,
        )
        for zone in ("Etc/GMT+12", "Etc/GMT-14")
    ]
    assert all(child.wait(timeout=120) == 0 for child in children)
    connection = sqlite3.connect(db_path)
    rows = connection.execute(
        "SELECT day, SUM(actual_micro_usd) FROM ledger_entries GROUP BY day"
    ).fetchall()
    connection.close()
    assert all(total <= 6_000_000 for _, total in rows), rows  # one cap, not one per zone


def unsent_request_newline_key(tmp: Path, corpus: Path) -> None:
    from pipeline.ai.base import ProviderError
    from pipeline.ai.videos import ClipRequest, VideoClipClient, VideoClipSettings
    from pipeline.progress import CancelToken
    from studio.budget import BudgetGovernor
    from tests.fakes.videos_server import FakeVideosServer

    db = open_database(tmp / "ledger.sqlite3")
    try:
        governor = BudgetGovernor(db)
        with FakeVideosServer() as server:
            settings = VideoClipSettings(
                base_url=server.base_url, api_key="sk-x\ny", model="sora-2", request_timeout_s=1
            )
            with VideoClipClient(settings, governor, price_per_second_usd=0.15) as client:
                with pytest.raises(ProviderError, match="nothing is charged"):
                    client.generate(
                        ClipRequest(prompt="p", seconds=8, size="1280x720", cache_key="k"),
                        on_remote_id=pytest.fail,
                        cancel=CancelToken(),
                        out_path=tmp / "c.mp4",
                    )
            assert server.events() == []
        assert governor.committed_usd() == 0.0
    finally:
        db.close()


def connection_refused(tmp: Path, corpus: Path) -> None:
    from pipeline.ai.base import ProviderError
    from pipeline.ai.llm import OpenAIGenerator
    from studio.budget import BudgetGovernor

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nobody listens there now
    db = open_database(tmp / "ledger.sqlite3")
    try:
        governor = BudgetGovernor(db)
        from pydantic import BaseModel

        class Card(BaseModel):
            headline: str

        with OpenAIGenerator(
            governor,
            model="gpt-4o-mini",
            api="chat",
            api_key="sk-fine",
            base_url=f"http://127.0.0.1:{port}/v1",
            max_retries=0,
        ) as generator:
            with pytest.raises(ProviderError):
                generator.generate(system="s", prompt="p", schema=Card)
        assert governor.committed_usd() == 0.0
        with db.begin() as session:
            states = [s for (s,) in session.execute(text("SELECT state FROM ledger_entries"))]
        assert states == ["released"]
    finally:
        db.close()


def ctrl_c_while_parsing(tmp: Path, corpus: Path) -> None:
    path = tmp / "slow.docx"
    paragraphs_docx(path, WORDS, 200_000)
    log = tmp / "data" / "logs" / "videostudio.log"
    sink = open(tmp / "out.txt", "w", encoding="utf-8")
    with sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "studio", "render", str(path), "-o", str(tmp / "o.mp4")],
            env=env(tmp),
            cwd=REPO,
            stdout=sink,
            stderr=sink,
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if log.is_file() and "parsing in child process" in log.read_text(encoding="utf-8"):
            break
        time.sleep(0.05)
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    process.wait(timeout=30)
    assert process.returncode == 130


def missing_input(tmp: Path, corpus: Path) -> None:
    """A render refused before work leaves nothing at the output path."""
    out = tmp / "nothing" / "v.mp4"
    result = cli(tmp, "render", str(tmp / "missing.md"), "-o", str(out))
    expect(result, 2, "file not found")
    assert not out.exists() and not out.with_suffix(".srt").exists()


@dataclass(frozen=True)
class Hostile:
    """One row: what is attacked, how, and the checks (in the function)."""

    kind: str
    attack: Callable[[Path, Path], None]
    slow: bool = False


TABLE = [
    Hostile("docx of many short paragraphs (CPU limit)", docx_paragraphs),
    Hostile("docx declaring 900 KB that inflates to 8 GiB", docx_declared_size_bomb),
    Hostile("docx honestly declaring 300 MiB", docx_honest_size_bomb),
    Hostile("docx compressed 1000:1", docx_ratio_bomb),
    Hostile("docx cut in half", docx_truncated),
    Hostile("docx entry shorter than declared", docx_lying_compressed_size),
    Hostile("docx that needs too much memory", docx_memory_hungry),
    Hostile("pdf cut short", pdf_truncated),
    Hostile("pdf too slow to parse (time limit)", pdf_slow_hits_a_limit),
    Hostile("yaml of 40,000 scenes", yaml_forty_thousand_scenes),
    Hostile("yaml alias bomb", yaml_alias_bomb),
    Hostile("yaml nested 50,000 deep", yaml_nested_too_deeply),
    Hostile("markdown that is an image", markdown_that_is_an_image),
    Hostile("job row with random bytes in its JSON", row_random_bytes_in_json),
    Hostile("job row with an unknown state", row_unknown_state),
    Hostile("job row with an unreadable date", row_unreadable_date),
    Hostile("output path that is a folder", output_is_a_folder),
    Hostile("full output disk", full_output_disk),
    Hostile("full cache disk", full_cache_disk),
    Hostile("read-only output folder", read_only_output_folder),
    Hostile("read-only data folder", read_only_data_folder),
    Hostile("unknown voice in queue add", unknown_voice),
    Hostile("missing input", missing_input),
    Hostile("SIGKILL during a render", kill_during_render, slow=True),
    Hostile("SIGKILL during the mux", kill_during_mux, slow=True),
    Hostile("processes in zones 26 hours apart", time_zones_apart),
    Hostile("API key with a newline (never sent)", unsent_request_newline_key),
    Hostile("connection refused (never sent)", connection_refused),
    Hostile("Ctrl-C while a slow document is parsed", ctrl_c_while_parsing),
]


@pytest.mark.parametrize(
    "row",
    [pytest.param(row, id=row.kind, marks=[pytest.mark.slow] if row.slow else []) for row in TABLE],
)
def test_hostile_input(row: Hostile, tmp_path: Path, corpus_dir: Path) -> None:
    row.attack(tmp_path, corpus_dir)


def test_the_table_has_at_least_25_kinds() -> None:
    assert len({row.kind for row in TABLE}) >= 25
