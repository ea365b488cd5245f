"""``python -m studio`` runs the ``videostudio`` command line."""

from studio.cli import exit_process, main

exit_process(main())
