"""A crash right after an edit loses nothing: the real studio runs in a child process, makes
the first edit after opening a project (Ctrl+D) while its previews are busy synthesising
speech, and is killed with SIGKILL the moment it reports the edit saved; the restarted
studio shows the edit."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from pipeline.models import VideoSpec
from studio.service import Studio
from ui.main_window import MainWindow

DRIVER = Path(__file__).with_name("studio_edit_driver.py")
LINE_TIMEOUT_S = 120.0


def _lines(stream: object) -> tuple[queue.Queue[str], threading.Thread]:
    out: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:  # type: ignore[attr-defined]
            out.put(line.strip())
        out.put("EOF")

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return out, thread


def _next(lines: queue.Queue[str], word: str, log: Path) -> list[str]:
    while True:
        try:
            line = lines.get(timeout=LINE_TIMEOUT_S)
        except queue.Empty:
            pytest.fail(f"the studio never printed {word}; its log:\n{log.read_text()[-3000:]}")
        if line == "EOF":
            pytest.fail(f"the studio ended before {word}; its log:\n{log.read_text()[-3000:]}")
        parts = line.split()
        if parts and parts[0] == word:
            return parts


def _children(pid: int) -> set[int]:
    """Pids of the live processes whose parent is ``pid`` (Linux /proc; empty elsewhere)."""
    found: set[int] = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_kill_right_after_a_saved_edit_keeps_it(
    qtbot, tmp_path: Path, settings: QSettings, small_spec: VideoSpec
):
    data_dir = Path(os.environ["VIDEOSTUDIO_DATA_DIR"])
    cache_dir = Path(os.environ["VIDEOSTUDIO_CACHE_DIR"])
    with Studio() as studio:
        project_id = studio.projects.save_project(small_spec, name="Kill test")

    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "VIDEOSTUDIO_OFFLINE": "1",
        "VIDEOSTUDIO_NO_AUDIO": "1",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),  # the child's QSettings, not the user's
    }
    log = tmp_path / "studio.log"
    with log.open("w") as stderr:
        child = subprocess.Popen(
            [sys.executable, str(DRIVER), str(data_dir), str(cache_dir), str(project_id)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=env,
        )
        lines, reader = _lines(child.stdout)
        try:
            edited = _next(lines, "EDITED", log)
            assert int(edited[2]) == 4  # scene 1 duplicated in the child's editor
            saved = _next(lines, "SAVED", log)
            helpers = _children(child.pid)  # e.g. the thumbnail helper process
            os.kill(child.pid, signal.SIGKILL)  # no shutdown, no closeEvent, no flush
            child.wait(30)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(30)
            reader.join(30)
            assert child.stdout is not None
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert int(saved[2]) == project_id
    # Nothing the killed studio started outlives it for long.
    deadline = time.monotonic() + 15.0
    while any(_alive(pid) for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in helpers if _alive(pid)], "helper processes outlived the studio"
    latency_s = float(saved[1]) - float(edited[1])
    print(
        f"edit reported saved {latency_s * 1000:.0f} ms after it was made; {len(helpers)} child process(es) at the kill"
    )

    # Restart: a new Studio on the same folders, the project opened in a new window.
    with Studio() as studio:
        window = MainWindow(studio, None, settings)
        qtbot.addWidget(window)
        with qtbot.waitSignal(window.project_loaded, timeout=10_000):
            window.open_project(project_id)
        scenes = window.document.require().scenes
        assert [s.scene_type for s in scenes] == ["title", "title", "list", "outro"]
        assert scenes[1] == scenes[0]
        window.close()
