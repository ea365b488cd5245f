"""The ``videostudio`` console script: the desktop studio with no arguments (or ``gui``),
the headless command line (:mod:`studio.cli`) otherwise.

It lives in ``ui`` because only the top layer may know both the widgets and the CLI; it imports
no widget module unless the desktop studio is asked for, and then only after
:func:`ui.qt_check.startup_problem` has found the system libraries Qt needs (a missing one would
abort the process, or raise an ``ImportError`` traceback, with no hint of what to install).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Start the desktop studio for ``[]``/``["gui", …]``, else run the command line."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] == "gui":
        from ui.qt_check import startup_problem

        problem = startup_problem()  # before any Qt GUI library loads (a missing one aborts)
        if problem is not None:
            print(f"error: {problem}", file=sys.stderr)
            return 1
        from ui.app import run_app

        return run_app(args[1:])
    from studio.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    raise SystemExit(main())
