"""Where the pipeline keeps reusable artefacts (speech audio, scene segments).

The pipeline only needs a tiny interface, :class:`ArtifactStore`: look up a file by content
key, and adopt a finished file under a key. :class:`DirectoryStore` is the plain
implementation used by one-shot renders; the studio's content-addressed cache (with its
index, quota and verification) implements the same two methods.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from pipeline.fsutil import atomic_path


def content_key(kind: str, parts: Mapping[str, object]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``kind`` and ``parts``.

    ``parts`` must hold everything that shapes the artefact (spec, versions, settings).
    """
    payload = json.dumps({"kind": kind, "parts": parts}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ArtifactStore(Protocol):
    """A key → file store for finished artefacts."""

    def get(self, key: str) -> Path | None:
        """The stored file for ``key``, or ``None`` if absent (or found corrupt)."""
        ...

    def put(self, key: str, kind: str, src: Path) -> Path:
        """Move the finished file ``src`` into the store under ``key``; return its path."""
        ...


class DirectoryStore:
    """An :class:`ArtifactStore` in one folder: ``<root>/<key[:2]>/<key><suffix>``.

    Files are moved in with :func:`os.replace`, so a reader never sees a partial file.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key

    def get(self, key: str) -> Path | None:
        """The file stored under ``key``, or ``None``."""
        path = self._path(key)
        return path if path.is_file() and path.stat().st_size > 0 else None

    def put(self, key: str, kind: str, src: Path) -> Path:
        """Move ``src`` into the store under ``key`` (``kind`` is informational here)."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(src, path)
        except OSError as error:
            if error.errno != errno.EXDEV:
                raise
            with atomic_path(path) as tmp:  # another file system: copy, then rename
                shutil.copyfile(src, tmp)
            src.unlink(missing_ok=True)
        return path
