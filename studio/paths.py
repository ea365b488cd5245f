"""Where Video Studio keeps its files on this machine.

Folders come from :mod:`platformdirs` (application name ``videostudio``) and can be moved with
environment variables (the CLI's ``--data-dir`` / ``--cache-dir`` options are passed to the
studio explicitly instead):

* ``VIDEOSTUDIO_DATA_DIR``  → :func:`data_dir` (database, settings); logs go to ``<data>/logs``
  when it is set.
* ``VIDEOSTUDIO_CACHE_DIR`` → :func:`cache_dir` (content-addressed artefacts).

Voice packs are installed into ``<data>/voices`` (:func:`voices_dir`); :func:`export_voices_dir`
hands that folder to the pipeline (and its child processes) through
``VIDEOSTUDIO_VOICES_DIR``, since the pipeline does not know the studio's folders.

The functions only compute paths; nothing is created here (callers ``mkdir`` what they write).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from pipeline.speech.voicepack import VOICES_DIR_ENV

APP_NAME = "videostudio"
DATA_DIR_ENV = "VIDEOSTUDIO_DATA_DIR"
CACHE_DIR_ENV = "VIDEOSTUDIO_CACHE_DIR"
DATABASE_FILE = "videostudio.sqlite3"


def _from_env(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser().resolve() if value else None


def data_dir() -> Path:
    """The user-data folder: ``$VIDEOSTUDIO_DATA_DIR`` or the platform's user-data folder."""
    return _from_env(DATA_DIR_ENV) or Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """The cache folder: ``$VIDEOSTUDIO_CACHE_DIR`` or the platform's user-cache folder."""
    return _from_env(CACHE_DIR_ENV) or Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def log_dir(data_dir: Path | None = None) -> Path:
    """The log folder: ``<data_dir>/logs`` when the data folder is given (``--data-dir``) or
    overridden (``$VIDEOSTUDIO_DATA_DIR``), else the platform's user-log folder (so a test or
    portable install stays self-contained).
    """
    override = data_dir or _from_env(DATA_DIR_ENV)
    if override is not None:
        return override / "logs"
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def database_path() -> Path:
    """The SQLite database file inside :func:`data_dir`."""
    return data_dir() / DATABASE_FILE


def voices_dir(data_folder: Path | None = None) -> Path:
    """The folder of installed voice packs: ``<data folder>/voices`` (``data_folder``: the
    ``--data-dir`` option; default :func:`data_dir`)."""
    return (data_folder or data_dir()) / "voices"


def export_voices_dir(data_folder: Path | None = None) -> Path:
    """Point the pipeline's voice lookup (``$VIDEOSTUDIO_VOICES_DIR``) at :func:`voices_dir`
    and return that folder. Called once when the command line or the studio starts; child
    processes inherit it."""
    folder = voices_dir(data_folder)
    os.environ[VOICES_DIR_ENV] = str(folder)
    return folder
