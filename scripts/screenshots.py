"""Screenshots of the desktop studio for the docs (docs/screenshots/*.png).

Runs the real app under Xvfb (``xvfb-run`` if no display is set; ``--offscreen`` to skip X),
on temporary data and cache folders: opens the sample project (resources/samples/demo.md),
walks through the empty window, storyboard + preview, properties, the job panel with a finished
render in the embedded player, the operator view, the settings dialog, the dark palette and
the new-project wizard's template gallery, and grabs each screen. Look at every image before
committing it.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
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
MAX_PNG_BYTES = 300_000


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

    root = Path(tempfile.mkdtemp(prefix="videostudio-shots-"))
    os.environ["VIDEOSTUDIO_DATA_DIR"] = str(root / "data")
    os.environ["VIDEOSTUDIO_CACHE_DIR"] = str(root / "cache")
    os.environ["VIDEOSTUDIO_OFFLINE"] = "1"

    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication, QWidget

    from pipeline.adapters import load_document
    from studio.service import Studio
    from ui import theme
    from ui.main_window import MainWindow
    from ui.operations import wait_for_operations

    app = QApplication([sys.argv[0]])
    app.setApplicationName("Video Studio")
    settings = QSettings(str(root / "settings.ini"), QSettings.Format.IniFormat)
    theme.apply_theme("light", settings)
    studio = Studio()
    studio.settings.update(
        studio.settings.current.model_copy(update={"output_dir": root / "renders"})
    )
    runner = studio.make_runner()
    runner.start()
    args.out.mkdir(parents=True, exist_ok=True)

    def pump(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def wait(signal: object, timeout_ms: int = 30_000) -> list[object]:
        loop = QEventLoop()
        got: list[object] = []

        def done(*values: object) -> None:
            got.extend(values)
            loop.quit()

        signal.connect(done)  # type: ignore[attr-defined]
        QTimer.singleShot(timeout_ms, loop.quit)
        loop.exec()
        signal.disconnect(done)  # type: ignore[attr-defined]
        return got

    def shoot(widget: QWidget, name: str, *, from_screen: bool = False) -> None:
        pump(400)
        pixmap = widget.grab()
        screen = app.primaryScreen()
        if from_screen and screen is not None and app.platformName() == "xcb":
            # Native video surfaces are not in QWidget.grab(); take them from the X server.
            pixmap = screen.grabWindow(widget.winId())
        image = pixmap.toImage().convertToFormat(QImage.Format.Format_RGB888)
        path = args.out / f"{name}.png"
        image.save(str(path), "PNG", 9)
        if path.stat().st_size > MAX_PNG_BYTES:  # keep the docs light: scale down
            scaled = image.scaledToWidth(int(image.width() * 0.75), mode=1)  # smooth
            scaled.save(str(path), "PNG", 9)
        print(
            f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}: "
            f"{path.stat().st_size // 1024} KB"
        )

    sample = REPO / "resources" / "samples" / "demo.md"
    spec = load_document(sample)
    studio.projects.save_project(
        load_document(REPO.parent / "shared" / "corpus" / "video_gen-example_simple.yaml"),
        source_kind="yaml",
    )
    project_id = studio.projects.save_project(spec, source_path=sample, source_kind="md")

    window = MainWindow(studio, runner, settings)
    window.resize(WIDTH, HEIGHT)
    window.show()
    pump(800)
    shoot(window, "01-library")

    window.open_project(project_id)
    wait(window.project_loaded)
    wait(window.storyboard.model.thumbnails_ready)
    window.storyboard.view.setCurrentIndex(window.storyboard.model.index(1))
    wait(window.preview.frame_shown)  # the scene at its representative moment
    pump(1500)  # durations arrive on the cards
    shoot(window, "02-storyboard-preview")

    window.properties.setCurrentIndex(0)
    shoot(window.docks["properties"], "03-properties")

    window.render_current()
    wait(runner.job_finished, 300_000)
    pump(800)
    jobs = window.jobs
    view = jobs.selected()
    if view is not None and view.output_path is not None:
        jobs.play(view.output_path)
        pump(2500)
        player = jobs.player
        if player is not None:
            player.pause()  # type: ignore[attr-defined]
    shoot(window, "04-jobs-player", from_screen=True)

    window.docks["operator"].show()
    window.docks["operator"].raise_()
    wait(window.operator.refreshed, 10_000)
    shoot(window, "05-operator", from_screen=True)
    window.docks["properties"].raise_()

    from ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(studio, window)
    dialog.show()
    wait(dialog.ready, 10_000)
    shoot(dialog, "06-settings")
    dialog.reject()

    window.actions_["dark"].trigger()
    window.storyboard.view.setCurrentIndex(window.storyboard.model.index(2))
    wait(window.preview.frame_shown)
    pump(800)
    shoot(window, "07-dark", from_screen=True)
    window.actions_["dark"].trigger()

    from ui.wizard import NewProjectWizard

    wizard = NewProjectWizard(studio, window)
    wizard.show()
    page = wizard.source_page
    rows = [k for k, t in enumerate(page.templates) if t.fields]
    page.template_list.setCurrentRow(rows[0] if rows else 0)
    shoot(wizard, "08-wizard-templates")
    wizard.reject()

    window.close()
    runner.shutdown(30_000)
    wait_for_operations()
    studio.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
