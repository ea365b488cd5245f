"""Benchmark: how fast Video Studio refuses hostile input and honours Ctrl-C.

Run:  .venv/bin/python benchmarks/interrupt_bench.py        (about a minute on an idle machine)

Prints, each as the median of ``--repeat`` runs, in seconds:

* Ctrl-C → exit (130) of ``videostudio render`` while a slow Word document is parsed, of
  ``videostudio render`` while scenes are encoded, and of ``videostudio run`` while a queued
  job encodes (target: within 1 s; measured from SIGINT to the process's exit);
* the refusal of a 40,000-scene YAML file by ``videostudio render`` (process start to exit,
  target: well under two seconds);
* the refusal of a Word document that keeps the parser busy (60,000 short paragraphs; the
  parser's CPU limit is 10 s) and of an 8.4 MB archive that inflates to 8 GiB.

The load average is printed too: the figures are only comparable on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.hostile_files import declared_size_bomb, paragraphs_docx  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
WORDS = ["Packets travel", "through routers", "to reach", "their destination"]


def _env(work: Path) -> dict[str, str]:
    return {
        **os.environ,
        "VIDEOSTUDIO_DATA_DIR": str(work / "data"),
        "VIDEOSTUDIO_CACHE_DIR": str(work / "cache"),
        "VIDEOSTUDIO_OFFLINE": "1",
        "PYTHONPATH": str(REPO),
    }


def _wait_for_log(work: Path, pid: int, needle: str) -> None:
    log = work / "data" / "logs" / "videostudio.log"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8") if log.is_file() else ""
        if any(f" {pid} " in line[:40] and needle in line for line in text.splitlines()):
            return
        time.sleep(0.01)
    raise SystemExit(f"never saw {needle!r}")


def ctrl_c(work: Path, args: list[str], needle: str) -> float:
    """Seconds from SIGINT (sent once ``needle`` is logged) to the exit of ``videostudio``."""
    with open(work / "out.txt", "w", encoding="utf-8") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "studio", *args],
            env=_env(work),
            cwd=REPO,
            stdout=sink,
            stderr=sink,
        )
    _wait_for_log(work, process.pid, needle)
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    sent = time.monotonic()
    process.wait(timeout=120)
    elapsed = time.monotonic() - sent
    if process.returncode != 130:
        raise SystemExit(f"exit code {process.returncode}, not 130")
    return elapsed


def command_time(work: Path, args: list[str], expected_code: int) -> float:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "studio", *args],
        env=_env(work),
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != expected_code:
        raise SystemExit(f"{args}: exit code {done.returncode}\n{done.stderr[-2000:]}")
    return time.monotonic() - started


def in_process(work: Path, path: Path) -> float:
    """Seconds for ``load_document`` to refuse ``path`` (the fork server already running)."""
    from pipeline.adapters import load_document
    from pipeline.errors import InputError

    warm = work / "warm.md"
    warm.write_text("# Warm\n\nThe fork server runs after this.\n")
    load_document(warm)
    started = time.monotonic()
    try:
        load_document(path)
    except InputError:
        return time.monotonic() - started
    raise SystemExit(f"{path.name} was not refused")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows: list[tuple[str, list[float], str]] = []
    with tempfile.TemporaryDirectory(prefix="interrupt-bench-") as folder:
        base = Path(folder)
        slow_docx = base / "slow.docx"
        paragraphs_docx(slow_docx, WORDS, 200_000)
        busy_docx = base / "busy.docx"
        paragraphs_docx(busy_docx, WORDS, 60_000)
        bomb = base / "bomb.docx"
        declared_size_bomb(bomb)
        huge_yaml = base / "huge.yaml"
        rows_yaml = [f"  - {{scene_type: title, title: 'Scene {i}'}}" for i in range(40_000)]
        huge_yaml.write_text("title: Huge\nscenes:\n" + "\n".join(rows_yaml))
        document = CORPUS / "video_gen-example_new_scene_types.yaml"

        cases = {
            "Ctrl-C while parsing (render)": lambda w: ctrl_c(
                w, ["render", str(slow_docx), "-o", str(w / "o.mp4")], "parsing in child"
            ),
            "Ctrl-C while encoding (render)": lambda w: ctrl_c(
                w, ["render", str(document), "-o", str(w / "o.mp4")], "encoding scene"
            ),
            "Ctrl-C while encoding (run)": lambda w: (
                command_time(w, ["queue", "add", str(document), "-o", str(w / "q.mp4")], 0),
                ctrl_c(w, ["run"], "encoding scene"),
            )[1],
            "40,000-scene YAML refused (render)": lambda w: command_time(
                w, ["render", str(huge_yaml), "-o", str(w / "h.mp4")], 2
            ),
            "busy Word document refused (CPU limit)": lambda w: in_process(w, busy_docx),
            "8 GiB zip bomb refused": lambda w: in_process(w, bomb),
        }
        targets = {
            "Ctrl-C while parsing (render)": "<= 1 s",
            "Ctrl-C while encoding (render)": "<= 1 s",
            "Ctrl-C while encoding (run)": "<= 1 s",
            "40,000-scene YAML refused (render)": "< 2 s",
            "busy Word document refused (CPU limit)": "~10 s CPU",
            "8 GiB zip bomb refused": "< 1 s",
        }
        for name, measure in cases.items():
            times = []
            for n in range(args.repeat):
                work = base / f"{len(rows)}-{n}"
                work.mkdir()
                times.append(measure(work))
            rows.append((name, times, targets[name]))
            print(
                f"{name:40} median {statistics.median(times):6.2f} s  "
                f"(runs: {', '.join(f'{t:.2f}' for t in times)}; target {targets[name]})",
                flush=True,
            )
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
