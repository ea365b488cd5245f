"""Content-addressed cache of render artefacts: speech audio, scene segments, AI clips,
thumbnails.

An entry is a file at ``<root>/<key[:2]>/<key>`` plus an index row in the ``cache_entries``
table (kind, size, SHA-256, last use). Keys come from :func:`make_key`: the SHA-256 of the
canonical JSON of everything that shapes the artefact, so any change makes a new key.

Guarantees:

* **Nothing half-written is visible.** :meth:`ContentCache.put` writes to a temporary name in
  the entry's folder, fsyncs, and ``os.replace``-s it into place inside the index transaction.
* **Nothing corrupt is served.** :meth:`ContentCache.get` re-hashes the file; a missing or
  altered file is dropped (row and file) and counts as a miss.
* **What a running job uses is not evicted.** Pin keys (:meth:`ContentCache.pinned`). Within
  this process pins are exact (a reference count). For other processes a pin also writes a
  lease (``pinned_until`` = now + ``pin_lease_s``) that their eviction honours; unpinning here
  clears it, so two processes pinning the same key is not fully safe — the studio runs one
  job runner per data folder. Entries used within ``spare_recent_s`` are not evicted either.
* Eviction is LRU by ``last_used_at`` down to ``quota_bytes``; :meth:`ContentCache.clean`
  also removes entries unused for ``ttl_days``.

Hit and miss counts persist in ``cache_counters``.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import logging
import os
import re
import shutil
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from pathlib import Path, PurePath

from pydantic import BaseModel
from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from pipeline.errors import StudioError
from studio.store.database import Database, rows_affected
from studio.store.tables import CacheCounterRow, CacheEntryRow, utcnow

_log = logging.getLogger(__name__)

TEMP_PREFIX = ".tmp-"
"""Temporary files of unfinished writes start with this (swept by ``sweep_temp_files``)."""
DEFAULT_QUOTA_BYTES = 5 * 10**9
_KEY_RE = re.compile(r"^[0-9a-f]{16,128}$")
_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}

Writer = Callable[[Path], None]
"""Writes the artefact to the path it is given (a temporary file beside the entry)."""
Source = Path | bytes | Writer
"""What :meth:`ContentCache.put` stores: a file to copy, the bytes, or a writer."""


class CacheError(StudioError):
    """A problem with the local cache."""


class CacheWriteError(CacheError, OSError):
    """An entry could not be written (disk full, permissions). Nothing was recorded.

    Also an ``OSError``; ``errno`` is the underlying error number.
    """

    def __init__(self, message: str, *, hint: str, errno_: int | None) -> None:
        super().__init__(message, hint=hint)
        self.errno = errno_

    def __str__(self) -> str:  # OSError would otherwise format (errno, strerror)
        return StudioError.__str__(self)


def _canonical(value: object) -> object:
    """``json.dumps`` fallback: a stable JSON form of values JSON has no type for."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, set | frozenset):
        return sorted(value, key=lambda item: json.dumps(item, sort_keys=True, default=str))
    if isinstance(value, bytes):
        return {"__bytes_sha256__": hashlib.sha256(value).hexdigest()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"cannot make a cache key from {type(value).__name__}")


def make_key(kind: str, parts: Mapping[str, object]) -> str:
    """The cache key of an artefact: SHA-256 (64 hex chars) of the canonical JSON of
    ``{"kind": kind, "parts": parts}`` (sorted keys, no whitespace).

    ``parts`` holds everything that shapes the artefact (scene spec, theme, encoder settings,
    renderer version, …). Pydantic models, enums, paths, sets, bytes and dataclasses are
    accepted; tuples hash like lists.

    Raises:
        ValueError: a part has a type with no canonical JSON form.
    """
    try:
        text = json.dumps(
            {"kind": kind, "parts": dict(parts)},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
            default=_canonical,
        )
    except (TypeError, ValueError) as error:
        raise ValueError(f"cache key for {kind!r}: {error}") from error
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 (hex) of a file's bytes. Raises ``OSError`` if it cannot be read."""
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


@dataclass(frozen=True, slots=True)
class KindStats:
    """Entries and bytes of one kind of artefact."""

    entries: int
    bytes: int


@dataclass(frozen=True, slots=True)
class CacheStats:
    """Cache totals. ``hit_rate`` is hits / (hits + misses), 0.0 before any lookup."""

    entries: int
    bytes: int
    quota_bytes: int
    hits: int
    misses: int
    pinned: int
    by_kind: dict[str, KindStats] = field(default_factory=dict)

    @property
    def hit_rate(self) -> float:
        """Fraction 0–1 of lookups that were hits."""
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else 0.0


@dataclass(frozen=True, slots=True)
class _Seen:
    """The index row as a lookup saw it (to drop it only if nobody replaced it since)."""

    key: str
    path: str
    sha256: str
    created_at: datetime


@dataclass(frozen=True)
class CacheAddress:
    """Where a :class:`ContentCache` lives, to open it in another process (picklable).

    Attributes:
        root: the cache folder.
        database: the studio database file holding the cache's index.
        quota_bytes: the size limit eviction keeps to.
    """

    root: Path
    database: Path
    quota_bytes: int = DEFAULT_QUOTA_BYTES

    def open(self) -> ContentCache:
        """Open the cache. The database is used as it is (the studio that gave the address
        has upgraded it); several processes share it safely (WAL, busy timeout, pin leases).

        Raises:
            DatabaseOpenError: the database cannot be opened.
        """
        return ContentCache(self.root, Database(self.database), quota_bytes=self.quota_bytes)


class ContentCache:
    """The cache under ``root``, indexed in ``db``. Safe to share between threads.

    Args:
        root: the cache folder (created if missing), usually :func:`studio.paths.cache_dir`.
        db: the open studio database.
        quota_bytes: eviction brings the total size down to this (default 5 GB).
        ttl_days: :meth:`clean` removes entries unused for this many days.
        spare_recent_s: entries used within this many seconds are never evicted for quota.
        clock: returns "now" as an aware UTC datetime (injectable for tests).
        pin_lease_s: how long another process honours a pin made here.
    """

    def __init__(
        self,
        root: Path,
        db: Database,
        quota_bytes: int = DEFAULT_QUOTA_BYTES,
        ttl_days: float = 30,
        spare_recent_s: float = 24 * 3600,
        *,
        clock: Callable[[], datetime] = utcnow,
        pin_lease_s: float = 6 * 3600,
    ) -> None:
        self.root = root
        self.db = db
        self.quota_bytes = quota_bytes
        self.ttl = timedelta(days=ttl_days)
        self.spare_recent = timedelta(seconds=spare_recent_s)
        self.clock = clock
        self.pin_lease = timedelta(seconds=pin_lease_s)
        self._lock = threading.Lock()
        self._pins: Counter[str] = Counter()
        self._writing: set[Path] = set()
        root.mkdir(parents=True, exist_ok=True)

    # -- lookup and store -------------------------------------------------------------

    def path_for(self, key: str) -> Path:
        """Where the entry ``key`` lives (whether or not it exists).

        Raises:
            ValueError: ``key`` is not 16–128 lowercase hex characters.
        """
        if not _KEY_RE.match(key):
            raise ValueError(f"not a cache key (lowercase hex from make_key): {key!r}")
        return self.root / key[:2] / key

    def get(self, key: str) -> Path | None:
        """The file of entry ``key`` if it is present and intact, else ``None`` (a miss).

        A missing or corrupt file is dropped from the index and deleted. A hit updates
        ``last_used_at``. Pin the key first if the file must outlive a quota eviction.
        """
        path = self.path_for(key)
        with self.db.begin() as session:
            row = session.get(CacheEntryRow, key)
            seen = _Seen(key, row.path, row.sha256, row.created_at) if row else None
        if seen is None or not self._intact(seen):
            if seen is not None:
                self._drop_if_unchanged(seen)
            self._count("misses")
            return None
        now = self.clock()
        with self.db.begin() as session:
            touched = rows_affected(
                session.execute(
                    update(CacheEntryRow)
                    .where(CacheEntryRow.key == key, CacheEntryRow.sha256 == seen.sha256)
                    .values(last_used_at=now, hits=CacheEntryRow.hits + 1)
                )
            )
            self._count("hits" if touched else "misses", session)  # evicted meanwhile: a miss
        return path if touched else None

    def put(self, key: str, kind: str, source: Source) -> Path:
        """Store an artefact under ``key`` and return its path; then evict down to the quota.

        Args:
            key: from :func:`make_key`.
            kind: ``"speech"``, ``"segment"``, ``"ai_clip"``, ``"thumbnail"``, …
            source: a file to copy, the bytes, or a writer called with a temporary path.

        Raises:
            CacheWriteError: the disk is full (also when the writer hits it) or the cache
                folder is not writable; the temporary file is removed, nothing is recorded.
            RuntimeError: the writer returned without writing the file.
            Exception: whatever else the writer raises (the temporary file is removed).
        """
        final = self.path_for(key)
        temp = final.parent / f"{TEMP_PREFIX}{key}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        with self._lock:
            self._writing.add(temp)
        in_writer = False
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            if callable(source) and not isinstance(source, Path | bytes):
                in_writer = True
                source(temp)
                in_writer = False
                if not temp.is_file():
                    raise RuntimeError(f"the cache writer for a {kind} produced no file")
            else:
                self._copy(temp, source)
            sha256, size = self._hash_and_sync(temp)
            self._commit_entry(key, kind, temp, final, sha256, size)
        except OSError as error:
            with suppress(OSError):
                temp.unlink()
            if in_writer and error.errno not in _DISK_FULL:
                raise  # the writer's own problem (a missing input, …), not the cache's
            raise self._write_error(error, kind) from error
        except BaseException:
            with suppress(OSError):
                temp.unlink()
            raise
        finally:
            with self._lock:
                self._writing.discard(temp)
        _sync_dir(final.parent)
        try:
            self.evict()
        except OperationalError as error:  # the entry is stored; eviction retries next put
            _log.warning("cache eviction skipped: %s", error)
        return final

    # -- pins -------------------------------------------------------------------------

    def pin(self, key: str) -> None:
        """Keep ``key`` from eviction until a matching :meth:`unpin` (pins nest)."""
        self.path_for(key)
        with self._lock:
            self._pins[key] += 1
        with self.db.begin() as session:
            session.execute(
                update(CacheEntryRow)
                .where(CacheEntryRow.key == key)
                .values(pinned_until=self.clock() + self.pin_lease)
            )

    def unpin(self, key: str) -> None:
        """Release one :meth:`pin` of ``key``; the last release clears its lease."""
        with self._lock:
            if self._pins[key] <= 0:
                return
            self._pins[key] -= 1
            last = self._pins[key] == 0
            if last:
                del self._pins[key]
        if last:
            with self.db.begin() as session:
                session.execute(
                    update(CacheEntryRow).where(CacheEntryRow.key == key).values(pinned_until=None)
                )

    @contextmanager
    def pinned(self, keys: Iterable[str]) -> Iterator[None]:
        """Pin ``keys`` for the duration of the ``with`` block (a running job's inputs)."""
        held: list[str] = []
        try:
            for key in keys:
                self.pin(key)
                held.append(key)
            yield
        finally:
            for key in held:
                self.unpin(key)

    def is_pinned(self, key: str) -> bool:
        """Whether this process holds a pin on ``key``."""
        with self._lock:
            return self._pins[key] > 0

    # -- housekeeping -----------------------------------------------------------------

    def evict(self) -> list[str]:
        """Remove least-recently-used entries until the total is within ``quota_bytes``.

        Never removes pinned entries or entries used within ``spare_recent_s`` (so the total
        may stay above the quota). Returns the removed keys, oldest use first.
        """
        now = self.clock()
        removed: list[str] = []
        with self.db.begin_immediate() as session:
            total = session.scalar(select(func.coalesce(func.sum(CacheEntryRow.size_bytes), 0)))
            total = int(total or 0)
            if total <= self.quota_bytes:
                return removed
            candidates = session.execute(
                self._unpinned_query(now)
                .where(CacheEntryRow.last_used_at < now - self.spare_recent)
                .order_by(CacheEntryRow.last_used_at, CacheEntryRow.key)
            ).all()
            for key, rel_path, size in candidates:
                if total <= self.quota_bytes:
                    break
                if self.is_pinned(key):
                    continue
                self._remove(session, key, rel_path)
                total -= size
                removed.append(key)
        return removed

    def clean(self, all: bool = False) -> list[str]:
        """Remove entries unused for ``ttl_days``, then evict to the quota; with ``all=True``
        remove every entry that is not pinned. Returns the removed keys."""
        now = self.clock()
        query = self._unpinned_query(now).order_by(CacheEntryRow.last_used_at)
        if not all:
            query = query.where(CacheEntryRow.last_used_at < now - self.ttl)
        removed: list[str] = []
        with self.db.begin_immediate() as session:
            for key, rel_path, _size in session.execute(query).all():
                if not self.is_pinned(key):
                    self._remove(session, key, rel_path)
                    removed.append(key)
        return removed + self.evict()

    def verify(self) -> list[str]:
        """Re-hash every entry; drop those whose file is missing or altered. Returns their
        keys."""
        with self.db.begin() as session:
            rows = session.execute(
                select(
                    CacheEntryRow.key,
                    CacheEntryRow.path,
                    CacheEntryRow.sha256,
                    CacheEntryRow.created_at,
                ).order_by(CacheEntryRow.key)
            ).all()
        dropped = []
        for row in rows:
            seen = _Seen(*row)
            if not self._intact(seen) and self._drop_if_unchanged(seen):
                dropped.append(seen.key)
        return dropped

    def sweep_temp_files(self, min_age_s: float = 900.0) -> list[Path]:
        """Remove leftovers of crashed writes: temporary files, and entry files with no index
        row (a crash between rename and commit). Call at startup.

        Files modified within ``min_age_s`` seconds are kept: another process may be writing
        them. Returns the removed paths.
        """
        cutoff = self.clock().timestamp() - min_age_s
        with self.db.begin() as session:
            indexed = set(session.scalars(select(CacheEntryRow.path)))
        with self._lock:
            writing = set(self._writing)
        removed: list[Path] = []
        for shard in self.root.iterdir():
            if not (shard.is_dir() and len(shard.name) == 2):
                continue
            for path in shard.iterdir():
                is_temp = path.name.startswith(TEMP_PREFIX)
                rel = f"{shard.name}/{path.name}"
                if path in writing or not path.is_file() or (not is_temp and rel in indexed):
                    continue
                if not is_temp and not _KEY_RE.match(path.name):
                    continue  # not ours
                with suppress(OSError):
                    if path.stat().st_mtime <= cutoff:
                        path.unlink()
                        removed.append(path)
        return removed

    def stats(self) -> CacheStats:
        """Entries, bytes (total and per kind), persisted hits and misses, pins held here."""
        with self.db.begin() as session:
            by_kind = {
                kind: KindStats(int(count), int(size or 0))
                for kind, count, size in session.execute(
                    select(
                        CacheEntryRow.kind,
                        func.count(),
                        func.sum(CacheEntryRow.size_bytes),
                    ).group_by(CacheEntryRow.kind)
                )
            }
            counters = {
                name: value
                for name, value in session.execute(
                    select(CacheCounterRow.name, CacheCounterRow.value)
                )
            }
        with self._lock:
            pinned = len(self._pins)
        return CacheStats(
            entries=sum(kind.entries for kind in by_kind.values()),
            bytes=sum(kind.bytes for kind in by_kind.values()),
            quota_bytes=self.quota_bytes,
            hits=int(counters.get("hits", 0)),
            misses=int(counters.get("misses", 0)),
            pinned=pinned,
            by_kind=by_kind,
        )

    # -- internals ----------------------------------------------------------------------

    def _intact(self, seen: _Seen) -> bool:
        try:
            return file_sha256(self.root / seen.path) == seen.sha256
        except OSError:
            return False

    def _drop_if_unchanged(self, seen: _Seen) -> bool:
        """Delete a bad entry unless a concurrent put replaced it meanwhile."""
        with self.db.begin_immediate() as session:
            row = session.get(CacheEntryRow, seen.key)
            if row is None:
                return False
            if (row.sha256, row.created_at) != (seen.sha256, seen.created_at) or self._intact(seen):
                return False
            self._remove(session, seen.key, row.path)
            return True

    def _remove(self, session: Session, key: str, rel_path: str) -> None:
        """Delete an index row and its file (inside the caller's write transaction)."""
        session.execute(delete(CacheEntryRow).where(CacheEntryRow.key == key))
        with suppress(FileNotFoundError):
            (self.root / rel_path).unlink()

    def _unpinned_query(self, now: datetime) -> Select[str, str, int]:
        return select(CacheEntryRow.key, CacheEntryRow.path, CacheEntryRow.size_bytes).where(
            or_(CacheEntryRow.pinned_until.is_(None), CacheEntryRow.pinned_until <= now)
        )

    @staticmethod
    def _copy(temp: Path, source: Path | bytes) -> None:
        if isinstance(source, bytes):
            with temp.open("xb") as stream:
                stream.write(source)
        else:
            shutil.copyfile(source, temp)

    @staticmethod
    def _hash_and_sync(temp: Path) -> tuple[str, int]:
        """SHA-256 and size of ``temp``, after forcing it to disk."""
        with temp.open("r+b") as stream:
            digest = hashlib.file_digest(stream, "sha256").hexdigest()
            size = stream.seek(0, os.SEEK_END)
            os.fsync(stream.fileno())
        return digest, size

    def _commit_entry(
        self, key: str, kind: str, temp: Path, final: Path, sha256: str, size: int
    ) -> None:
        """Record the row and rename the file into place in one write transaction, so
        eviction and corrupt-entry drops in other threads never interleave with it."""
        now = self.clock()
        lease = now + self.pin_lease if self.is_pinned(key) else None
        values = {
            "key": key,
            "kind": kind,
            "path": f"{key[:2]}/{key}",
            "size_bytes": size,
            "sha256": sha256,
            "created_at": now,
            "last_used_at": now,
            "hits": 0,
            "pinned_until": lease,
        }
        statement = sqlite_insert(CacheEntryRow).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["key"],
            set_={name: statement.excluded[name] for name in values if name != "key"},
        )
        with self.db.begin_immediate() as session:
            session.execute(statement)  # takes the write lock before the rename
            os.replace(temp, final)

    def _count(self, name: str, session: Session | None = None) -> None:
        statement = sqlite_insert(CacheCounterRow).values(name=name, value=1)
        statement = statement.on_conflict_do_update(
            index_elements=["name"], set_={"value": CacheCounterRow.value + 1}
        )
        if session is not None:
            session.execute(statement)
            return
        with self.db.begin() as own:
            own.execute(statement)

    def _write_error(self, error: OSError, kind: str) -> CacheWriteError:
        if error.errno in _DISK_FULL:
            return CacheWriteError(
                f"the disk holding the cache is full; could not store a {kind} in {self.root}",
                hint="free some disk space, run `videostudio cache clean`, "
                "or lower the cache quota in Settings",
                errno_=error.errno,
            )
        reason = error.strerror or str(error)
        return CacheWriteError(
            f"could not store a {kind} in the cache folder {self.root}: {reason}",
            hint="check that the folder exists and is writable, "
            "or move it with VIDEOSTUDIO_CACHE_DIR",
            errno_=error.errno,
        )


def _sync_dir(folder: Path) -> None:
    """Best effort: make a rename in ``folder`` durable (POSIX only)."""
    if os.name == "nt":
        return
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
