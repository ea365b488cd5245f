"""Screenshots of the template gallery and the template editor (docs/screenshots/07-*, 08-*).

Runs the real app under Xvfb (``xvfb-run`` if no display is set; ``--offscreen`` to skip X) on
temporary data and cache folders: the main window with its Templates dock (every card's
thumbnail drawn), then the template editor on a copy of the Problem → Solution ad with one
beat made too long, so the inline validation shows, and the preview of that beat.

    .venv/bin/python scripts/template_screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
WIDTH, HEIGHT = 1440, 900


def _reexec_under_xvfb() -> int | None:
    if os.environ.get("DISPLAY") or os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        return None
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        print("no X display and no xvfb-run: falling back to the offscreen platform")
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return None
    command = [
        xvfb,
        "-a",
        "-s",
        f"-screen 0 {WIDTH + 80}x{HEIGHT + 80}x24",
        sys.executable,
        *sys.argv,
    ]
    return subprocess.call(command)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--offscreen", action="store_true", help="do not use X (Xvfb)")
    args = parser.parse_args()
    if args.offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    code = _reexec_under_xvfb()
    if code is not None:
        return code

    root = Path(tempfile.mkdtemp(prefix="videostudio-template-shots-"))
    os.environ["VIDEOSTUDIO_DATA_DIR"] = str(root / "data")
    os.environ["VIDEOSTUDIO_CACHE_DIR"] = str(root / "cache")
    os.environ["VIDEOSTUDIO_OFFLINE"] = "1"

    from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    from pipeline.templates.edit import duplicate_data
    from studio.service import Studio
    from ui import theme
    from ui.main_window import MainWindow
    from ui.operations import wait_for_operations

    app = QApplication([sys.argv[0]])
    app.setApplicationName("Video Studio")
    settings = QSettings(str(root / "settings.ini"), QSettings.Format.IniFormat)
    theme.apply_theme("light", settings)
    studio = Studio()
    args.out.mkdir(parents=True, exist_ok=True)

    def settle(ms: int = 400) -> None:
        for _ in range(60):
            loop = QEventLoop()
            QTimer.singleShot(ms // 4, loop.quit)
            loop.exec()
            if wait_for_operations(50):
                break
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def grab(widget: QWidget, name: str) -> None:
        path = args.out / name
        widget.grab().save(str(path))
        print(f"wrote {path}")

    window = MainWindow(studio, None, settings)
    window.resize(WIDTH, HEIGHT)
    window.show()
    panel = window.templates_panel  # type: ignore[attr-defined]
    dock = window.docks["templates"]
    dock.show()
    dock.raise_()
    window.resizeDocks([dock], [700], Qt.Orientation.Horizontal)
    gallery = panel.gallery
    loop = QEventLoop()
    gallery.thumbnails_done.connect(loop.quit)
    QTimer.singleShot(120_000, loop.quit)
    loop.exec()
    gallery.select("problem_solution")
    settle()
    grab(window, "08-template-gallery.png")

    entry = studio.templates.entry("problem_solution")
    data = duplicate_data(entry.template, taken=studio.templates.ids(), name="My coffee ad")
    data["scenes"][3]["duration_s"] = [2.4, 3.6]  # too long: shows the inline validation
    editor = panel.open_editor(data, based_on=entry.id)
    editor.resize(WIDTH, HEIGHT)
    editor.tabs.setCurrentWidget(editor.scenes)
    editor.scenes.select(3)
    editor.preview.set_sample("product", "BrewMate")
    editor.preview.set_sample("problem", "bitter office coffee")
    settle(1500)
    grab(editor, "07-template-editor.png")
    editor.document.undo_stack.setClean()
    editor.close()
    window.close()
    studio.close()
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
