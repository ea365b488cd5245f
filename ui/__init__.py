"""PySide6 widgets of the studio (the desktop UI). Knows ``studio`` and pipeline models only."""
