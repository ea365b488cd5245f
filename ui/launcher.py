"""The ``videostudio`` console script: the desktop studio with no arguments (or ``gui``),
the headless command line (:mod:`studio.cli`) otherwise.

It lives in ``ui`` because only the top layer may know both the widgets and the CLI; it imports
no widget module unless the desktop studio is asked for.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Start the desktop studio for ``[]``/``["gui", …]``, else run the command line."""
    import multiprocessing

    multiprocessing.freeze_support()  # the thumbnail helper process of a frozen build
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] == "gui":
        from ui.app import run_app

        return run_app(args[1:])
    from studio.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    raise SystemExit(main())
