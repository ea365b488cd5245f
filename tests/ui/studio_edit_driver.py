"""Child process of ``test_kill_after_edit.py``: the real desktop studio, plus one edit.

Runs the ``videostudio`` console script's :func:`ui.launcher.main` as
``videostudio --data-dir D --cache-dir C gui --open PROJECT_ID`` (the desktop studio). As soon as the project is on screen it duplicates scene
1 with the Ctrl+D action — the first edit after opening — and prints to stdout::

    EDITED <monotonic s>      right after the edit
    SAVED <monotonic s> <id>  when the autosave reports the edit is in the database

The test kills this process with SIGKILL on ``SAVED`` and looks for the edit after a restart.

    python tests/ui/studio_edit_driver.py DATA_DIR CACHE_DIR PROJECT_ID
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> int:
    data_dir, cache_dir, project_id = sys.argv[1], sys.argv[2], int(sys.argv[3])
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ui.launcher import main as videostudio
    from ui.main_window import MainWindow

    app = QApplication(sys.argv[:1])

    def say(*words: object) -> None:
        print(*words, flush=True)

    def edit(window: MainWindow) -> None:
        window.saver.saved.connect(lambda pid: say("SAVED", time.monotonic(), pid))
        window.actions_["duplicate"].trigger()
        say("EDITED", time.monotonic(), len(window.document.require().scenes))

    def hook() -> None:
        windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow)]
        if not windows:
            QTimer.singleShot(10, hook)
            return
        window = windows[0]
        if window.document.is_open():
            edit(window)
        else:
            window.project_loaded.connect(lambda _pid: edit(window))

    QTimer.singleShot(0, hook)
    return videostudio(
        ["--data-dir", data_dir, "--cache-dir", cache_dir, "gui", "--open", str(project_id)]
    )


if __name__ == "__main__":
    raise SystemExit(main())
