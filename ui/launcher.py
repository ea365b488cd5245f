"""The ``videostudio`` console script: one command tree,
``videostudio [--data-dir D] [--cache-dir C] [-v] gui|render|…``.

With no command (or ``gui``) the desktop studio opens; every other command is the headless
command line (:mod:`studio.cli`). It lives in ``ui`` because only the top layer may know both
the widgets and the CLI; it imports no widget module unless the desktop studio is asked for,
and then only after :func:`ui.qt_check.startup_problem` has found the system libraries Qt needs
(a missing one would abort the process, or raise an ``ImportError`` traceback, with no hint of
what to install).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _run_gui(args: argparse.Namespace) -> int:
    from ui.qt_check import startup_problem

    problem = startup_problem()  # before any Qt GUI library loads (a missing one aborts)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    from ui.app import run_app

    return run_app(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``videostudio`` with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    import multiprocessing

    from studio.api import cli_main

    multiprocessing.freeze_support()  # the thumbnail helper process of a frozen build
    args = list(sys.argv[1:] if argv is None else argv)
    return cli_main(args, gui=_run_gui)


def run() -> None:
    """The console script's entry point: :func:`main`, then exit with its code (at once
    after an interrupt, see :func:`studio.api.exit_process`)."""
    from studio.api import exit_process

    exit_process(main())


if __name__ == "__main__":
    run()
