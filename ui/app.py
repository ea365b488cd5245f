"""Start the desktop studio: ``run_app(args) -> exit code``.

Creates the ``QApplication`` (organisation and application names for QSettings), applies the
remembered palette, installs the global exception hooks, opens the :class:`~studio.Studio`,
starts its job runner (recovering jobs a previous session left unfinished) and shows the
:class:`~ui.main_window.MainWindow`.

Closing the app while a render runs does not lose it: the running job is stopped at its next
check and queued again, so the next start resumes it from its checkpoints (finished scene
segments are reused from the cache).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from pipeline.errors import StudioError
from studio.jobs import JobRunner
from studio.service import RunnerBusyError, Studio
from ui import errors, theme
from ui.operations import wait_for_operations

ORGANIZATION = "VideoStudio"
APPLICATION = "Video Studio"
SHUTDOWN_TIMEOUT_MS = 15_000

log = logging.getLogger(__name__)


def parse_args(args: Sequence[str]) -> argparse.Namespace:
    """Options of ``videostudio gui``."""
    parser = argparse.ArgumentParser(prog="videostudio gui", description="The desktop studio.")
    parser.add_argument("--offline", action="store_true", help="never use the network for speech")
    parser.add_argument("--data-dir", type=Path, help="data folder (database, logs)")
    parser.add_argument("--cache-dir", type=Path, help="cache folder (speech, segments)")
    parser.add_argument("--open", type=int, metavar="PROJECT_ID", help="open this project")
    return parser.parse_args(list(args))


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


def run_app(args: Sequence[str]) -> int:
    """Run the desktop studio until its window closes; returns the exit code."""
    options = parse_args(args)
    if options.data_dir:
        os.environ["VIDEOSTUDIO_DATA_DIR"] = str(options.data_dir)
    if options.cache_dir:
        os.environ["VIDEOSTUDIO_CACHE_DIR"] = str(options.cache_dir)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    settings = app_settings()
    theme.apply_theme(theme.saved_theme(settings))
    errors.install_exception_hooks()
    try:
        studio = Studio()
    except StudioError as error:
        errors.show_error(error)
        return 1
    runner = start_runner(studio)
    from ui.main_window import MainWindow

    speech_mode = "offline" if options.offline else "auto"
    window = MainWindow(studio, runner, settings, speech_mode=speech_mode)
    window.show()
    if options.open is not None:
        window.open_project(options.open)
    try:
        code = app.exec()
    finally:
        from ui import thumbnailer

        stop_runner(studio, runner)
        wait_for_operations()
        thumbnailer.shutdown()
        studio.close()
    return int(code)
