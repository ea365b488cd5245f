"""Start the desktop studio: ``run_app(args) -> exit code``.

Creates the ``QApplication`` (organisation and application names for QSettings, which keeps
only the window layout), installs the global exception hooks, opens the
:class:`~studio.api.Studio` with its settings, applies the settings' theme, starts its job
runner (recovering jobs a previous session left unfinished) and shows the
:class:`~ui.main_window.MainWindow`.

Closing the app while a render runs does not lose it: the running job is stopped at its next
check and queued again, so the next start resumes it (the speech clips and video chunks it
finished are in the content cache, and its progress and time worked carry on).
"""

from __future__ import annotations

import argparse
import logging
import sys

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from pipeline.errors import StudioError
from studio.api import JobRunner, RunnerBusyError, Studio
from ui import errors, theme
from ui.operations import wait_for_operations

ORGANIZATION = "VideoStudio"
APPLICATION = "Video Studio"
SHUTDOWN_TIMEOUT_MS = 15_000

log = logging.getLogger(__name__)


def app_settings() -> QSettings:
    """The user's settings (after the application's names are set)."""
    return QSettings(ORGANIZATION, APPLICATION)


def start_runner(studio: Studio) -> JobRunner | None:
    """Take the queue's lock and start working it; ``None`` if another process has it.

    Recovery and claiming run on the runner's scheduler thread: the GUI thread never writes
    the database.
    """
    try:
        runner = studio.make_runner()
    except RunnerBusyError as error:
        errors.show_error(error)
        return None
    runner.start_in_background()
    return runner


def stop_runner(studio: Studio, runner: JobRunner | None) -> None:
    """Stop the running jobs and queue them again, so the next start resumes them."""
    if runner is None:
        return
    interrupted = runner.running_ids
    runner.shutdown(SHUTDOWN_TIMEOUT_MS)
    for job_id in interrupted:
        job = studio.jobs.get_job(job_id)
        if job is not None and job.state.value == "CANCELLED":
            studio.jobs.retry_job(job_id)


def report_and_quit(app: QApplication, window: QWidget) -> None:
    """End a ``gui --smoke-test`` run: print what was shown and quit; exit code 0 if visible.

    The line names the window title, its size and the Qt platform, e.g.
    ``smoke test: main window shown: 'No project — Video Studio' 1400x900 on offscreen``.
    """
    shown = window.isVisible()
    state = "shown" if shown else "NOT shown"
    size = window.size()
    print(
        f"smoke test: main window {state}: {window.windowTitle()!r} "
        f"{size.width()}x{size.height()} on {app.platformName()}",
        flush=True,
    )
    app.exit(0 if shown else 1)


def run_app(options: argparse.Namespace) -> int:
    """Run the desktop studio until its window closes; returns the exit code.

    Args:
        options: the parsed command line (``data_dir``, ``cache_dir``, and the ``gui``
            command's ``offline``, ``open`` and ``smoke_test``; see
            :func:`studio.cli.build_parser`).
    """
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    settings = app_settings()
    errors.install_exception_hooks()
    overrides = {"offline": True} if getattr(options, "offline", None) else None
    try:
        studio = Studio(options.data_dir, options.cache_dir, setting_overrides=overrides)
    except StudioError as error:
        errors.show_error(error)
        return 1
    theme.apply_theme(studio.settings.current.theme)
    for warning in studio.settings.current.load_warnings:
        log.warning("%s", warning)
    runner = start_runner(studio)
    from ui.main_window import MainWindow

    window = MainWindow(studio, runner, settings)
    window.show()
    if getattr(options, "open", None) is not None:
        window.open_project(options.open)
    if getattr(options, "smoke_test", False):
        QTimer.singleShot(0, lambda: report_and_quit(app, window))
    try:
        code = app.exec()
    finally:
        from ui import thumbnailer

        stop_runner(studio, runner)
        wait_for_operations()
        thumbnailer.shutdown()
        studio.close()
    return int(code)
