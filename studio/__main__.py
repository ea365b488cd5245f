"""``python -m studio`` runs the ``videostudio`` command line."""

from studio.cli import main

raise SystemExit(main())
