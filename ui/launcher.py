"""The ``videostudio`` console script: one command tree,
``videostudio [--data-dir D] [--cache-dir C] [-v] gui|render|…``.

With no command (or ``gui``) the desktop studio opens; every other command is the headless
command line (:mod:`studio.cli`). It lives in ``ui`` because only the top layer may know both
the widgets and the CLI; it imports no widget module unless the desktop studio is asked for.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _run_gui(args: argparse.Namespace) -> int:
    from ui.app import run_app

    return run_app(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``videostudio`` with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    from studio.api import cli_main

    args = list(sys.argv[1:] if argv is None else argv)
    return cli_main(args, gui=_run_gui)


if __name__ == "__main__":
    raise SystemExit(main())
