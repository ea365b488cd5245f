"""The content-addressed cache: keys, integrity, atomic writes, eviction, pins, counters."""

from __future__ import annotations

import errno
import os
import threading
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path

import pytest
from sqlalchemy import text

from pipeline.models import Theme
from studio import cache as cache_module
from studio.cache import CacheWriteError, ContentCache, make_key
from studio.store import Database, open_database


class ManualClock:
    """A clock that only moves when told to; starts at the real "now" (file mtimes agree)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def db(tmp_path: Path):
    database = open_database(tmp_path / "studio.sqlite3")
    yield database
    database.close()


@pytest.fixture
def cache(tmp_path: Path, db: Database, clock: ManualClock) -> ContentCache:
    return ContentCache(tmp_path / "cache", db, clock=clock)


def key(name: str) -> str:
    return make_key("test", {"name": name})


def all_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def row_count(db: Database) -> int:
    with db.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM cache_entries")).scalar_one())


# -- keys -----------------------------------------------------------------------------


class Quality(Enum):
    HIGH = "high"


def test_key_is_stable_and_changes_with_every_part() -> None:
    parts = {"scene": {"title": "A"}, "theme": Theme(), "crf": 23, "path": Path("a/b")}
    base = make_key("segment", parts)
    assert len(base) == 64 and int(base, 16) >= 0
    assert make_key("segment", dict(reversed(parts.items()))) == base
    assert make_key("thumbnail", parts) != base
    changed = [
        {**parts, "scene": {"title": "B"}},
        {**parts, "theme": Theme(dark=True)},
        {**parts, "crf": 24},
        {**parts, "path": Path("a/c")},
        {**parts, "extra": None},
    ]
    keys = {make_key("segment", variant) for variant in changed}
    assert len(keys) == len(changed) and base not in keys
    assert make_key("x", {"q": Quality.HIGH}) == make_key("x", {"q": "high"})
    assert make_key("x", {"s": {3, 1, 2}}) == make_key("x", {"s": [1, 2, 3]})
    with pytest.raises(ValueError, match="cannot make a cache key"):
        make_key("x", {"o": object()})
    with pytest.raises(ValueError):
        make_key("x", {"nan": float("nan")})


def test_keys_that_are_not_hex_are_rejected(cache: ContentCache) -> None:
    for bad in ("../../etc/passwd", "ABCDEF0123456789", "short"):
        with pytest.raises(ValueError, match="not a cache key"):
            cache.get(bad)


# -- put / get ------------------------------------------------------------------------


def test_put_get_round_trip_from_bytes_file_and_writer(cache: ContentCache, tmp_path: Path) -> None:
    source = tmp_path / "speech.wav"
    source.write_bytes(b"RIFF-audio")

    def writer(target: Path) -> None:
        target.write_bytes(b"segment-bytes")

    stored = {
        key("bytes"): ("thumbnail", b"\x89PNG..."),
        key("file"): ("speech", source),
        key("writer"): ("segment", writer),
    }
    for entry_key, (kind, src) in stored.items():
        path = cache.put(entry_key, kind, src)
        assert path == cache.root / entry_key[:2] / entry_key
    assert cache.get(key("bytes")).read_bytes() == b"\x89PNG..."
    assert cache.get(key("file")).read_bytes() == b"RIFF-audio"
    assert cache.get(key("writer")).read_bytes() == b"segment-bytes"
    assert cache.get(key("absent")) is None

    stats = cache.stats()
    assert (stats.entries, stats.hits, stats.misses) == (3, 3, 1)
    assert stats.bytes == len(b"\x89PNG...") + len(b"RIFF-audio") + len(b"segment-bytes")
    assert stats.by_kind["speech"].entries == 1
    assert stats.by_kind["speech"].bytes == len(b"RIFF-audio")
    assert stats.hit_rate == pytest.approx(0.75)
    assert [p.name for p in all_files(cache.root)] == sorted(stored)  # no temp files left


def test_corrupt_entry_is_dropped_counted_as_miss_and_rebuilt(
    cache: ContentCache, db: Database
) -> None:
    entry = key("segment-3")
    path = cache.put(entry, "segment", b"0123456789")
    data = bytearray(path.read_bytes())
    data[4] ^= 0xFF
    path.write_bytes(bytes(data))

    assert cache.get(entry) is None
    assert not path.exists()
    assert row_count(db) == 0
    assert cache.stats().misses == 1

    assert cache.put(entry, "segment", b"0123456789") == path
    assert cache.get(entry) == path
    assert cache.stats().hits == 1


def test_missing_file_is_a_miss_and_drops_the_row(cache: ContentCache, db: Database) -> None:
    entry = key("gone")
    cache.put(entry, "speech", b"abc").unlink()
    assert cache.get(entry) is None
    assert row_count(db) == 0


def test_verify_drops_only_corrupt_entries(cache: ContentCache) -> None:
    good, bad = key("good"), key("bad")
    cache.put(good, "speech", b"good")
    cache.put(bad, "speech", b"bad!").write_bytes(b"evil")
    assert cache.verify() == [bad]
    assert cache.get(good) is not None
    assert cache.stats().entries == 1


# -- eviction, pins, TTL ----------------------------------------------------------------


def test_quota_eviction_is_lru_and_spares_pinned_and_recent(
    tmp_path: Path, db: Database, clock: ManualClock
) -> None:
    cache = ContentCache(tmp_path / "cache", db, quota_bytes=350, spare_recent_s=3600, clock=clock)
    names = ["a", "b", "c", "d"]
    for name in names:  # a is the least recently used, d the most
        cache.put(key(name), "segment", bytes(100))
        clock.advance(minutes=10)
    assert cache.stats().entries == 4  # 400 > 350, but everything is recent

    clock.advance(hours=5)
    assert cache.get(key("a")) is not None  # a is now the most recently used
    with cache.pinned([key("b")]):
        cache.put(key("e"), "segment", bytes(100))  # 500 bytes: evict c, then d
        assert sorted(cache.stats().by_kind) == ["segment"]
        remaining = {name for name in [*names, "e"] if cache.path_for(key(name)).exists()}
        assert remaining == {"a", "b", "e"}  # b is pinned, a and e were used recently
        assert cache.evict() == []  # 300 <= 350 now
    assert cache.stats().bytes == 300


def test_lru_order_when_several_must_go(tmp_path: Path, db: Database, clock: ManualClock) -> None:
    cache = ContentCache(tmp_path / "cache", db, quota_bytes=10**9, spare_recent_s=60, clock=clock)
    for name in ["w", "x", "y", "z"]:
        cache.put(key(name), "speech", bytes(10))
        clock.advance(minutes=5)
    cache.get(key("w"))  # w becomes the newest of the four
    clock.advance(minutes=5)
    cache.quota_bytes = 15
    assert cache.evict() == [key("x"), key("y"), key("z")]
    assert cache.get(key("w")) is not None


def test_pins_nest_and_lease_protects_against_another_process(
    tmp_path: Path, db: Database, clock: ManualClock
) -> None:
    here = ContentCache(tmp_path / "cache", db, clock=clock)
    elsewhere = ContentCache(tmp_path / "cache", db, clock=clock)  # another process
    entry = key("clip")
    here.put(entry, "ai_clip", b"mp4")
    here.pin(entry)
    here.pin(entry)
    here.unpin(entry)
    assert here.is_pinned(entry)
    assert elsewhere.clean(all=True) == []  # the lease holds
    assert here.clean(all=True) == []  # so does the in-process pin
    here.unpin(entry)
    assert not here.is_pinned(entry)
    assert elsewhere.clean(all=True) == [entry]
    assert all_files(here.root) == []


def test_pin_before_put_is_honoured(cache: ContentCache) -> None:
    entry = key("to-be-made")
    with cache.pinned([entry]):
        cache.put(entry, "segment", b"x")
        assert cache.clean(all=True) == []
    assert cache.clean(all=True) == [entry]


def test_ttl_clean_removes_only_long_unused_entries(
    tmp_path: Path, db: Database, clock: ManualClock
) -> None:
    cache = ContentCache(tmp_path / "cache", db, ttl_days=30, clock=clock)
    cache.put(key("old"), "speech", b"old")
    cache.put(key("old-pinned"), "speech", b"pinned")
    clock.advance(days=2)
    cache.put(key("newer"), "speech", b"newer")
    clock.advance(days=29)  # old: 31 days unused; newer: 29 days
    with cache.pinned([key("old-pinned")]):
        assert cache.clean() == [key("old")]
    assert cache.get(key("newer")) is not None
    assert cache.get(key("old")) is None
    assert sorted(cache.clean(all=True)) == sorted([key("newer"), key("old-pinned")])
    assert cache.stats().entries == 0


def test_counters_persist_across_reopen(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "studio.sqlite3"
    with open_database(path) as db:
        cache = ContentCache(tmp_path / "cache", db, clock=clock)
        cache.put(key("a"), "speech", b"a")
        cache.get(key("a"))
        cache.get(key("a"))
        cache.get(key("b"))
    with open_database(path) as db:
        stats = ContentCache(tmp_path / "cache", db, clock=clock).stats()
        assert (stats.entries, stats.hits, stats.misses) == (1, 2, 1)


# -- failures -----------------------------------------------------------------------------


def test_disk_full_while_writing_leaves_nothing_behind(cache: ContentCache, db: Database) -> None:
    def writer(target: Path) -> None:
        target.write_bytes(b"half a segm")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(CacheWriteError) as caught:
        cache.put(key("big"), "segment", writer)
    assert "disk holding the cache is full" in str(caught.value)
    assert "videostudio cache clean" in caught.value.hint
    assert caught.value.errno == errno.ENOSPC
    assert isinstance(caught.value, OSError)
    assert all_files(cache.root) == []
    assert row_count(db) == 0


def test_disk_full_at_rename_leaves_nothing_behind(
    cache: ContentCache, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cache_module.os, "replace", full)
    with pytest.raises(CacheWriteError, match="full"):
        cache.put(key("big"), "segment", b"data")
    monkeypatch.undo()
    assert all_files(cache.root) == []
    assert row_count(db) == 0
    assert cache.get(key("big")) is None


def test_a_failing_writer_leaves_no_temp_file(cache: ContentCache) -> None:
    def writer(target: Path) -> None:
        target.write_bytes(b"partial")
        raise RuntimeError("encoder crashed")

    with pytest.raises(RuntimeError, match="encoder crashed"):
        cache.put(key("seg"), "segment", writer)
    with pytest.raises(RuntimeError, match="produced no file"):
        cache.put(key("seg"), "segment", lambda target: None)  # wrote nothing

    def missing_input(target: Path) -> None:
        raise FileNotFoundError(errno.ENOENT, "No such file", "input.wav")

    with pytest.raises(FileNotFoundError):  # the writer's own error, passed through
        cache.put(key("seg"), "segment", missing_input)
    assert all_files(cache.root) == []


def test_sweep_removes_temp_files_and_orphans_but_keeps_entries(cache: ContentCache) -> None:
    kept = cache.put(key("kept"), "speech", b"kept")
    orphan_key = key("orphan")
    shard = cache.root / orphan_key[:2]
    shard.mkdir(exist_ok=True)
    orphan = shard / orphan_key
    orphan.write_bytes(b"renamed but never recorded")
    temp = kept.parent / f"{cache_module.TEMP_PREFIX}{key('kept')}.4242.deadbeef"
    temp.write_bytes(b"half")
    foreign = kept.parent / "README.txt"
    foreign.write_bytes(b"not ours")

    assert cache.sweep_temp_files() == []  # fresh files may belong to a live writer
    old = cache.clock().timestamp() - 3600
    for path in (orphan, temp):
        os.utime(path, (old, old))
    assert sorted(cache.sweep_temp_files()) == sorted([orphan, temp])
    assert all_files(cache.root) == sorted([foreign, kept])
    assert cache.get(key("kept")) == kept


# -- concurrency ----------------------------------------------------------------------------


def test_concurrent_puts_and_gets_from_several_connections(tmp_path: Path, db: Database) -> None:
    workers, per_worker = 4, 25
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            with Database(db.path) as own_db:  # its own engine, like another process
                cache = ContentCache(tmp_path / "cache", own_db)
                for n in range(per_worker):
                    cache.put(key(f"{worker}-{n}"), "speech", f"{worker}-{n}".encode())
                    cache.put(key(f"shared-{n}"), "speech", f"shared-{n}".encode())
                    assert cache.get(key(f"{worker}-{n}")) is not None
                    cache.get(key(f"shared-{(n + 1) % per_worker}"))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    cache = ContentCache(tmp_path / "cache", db)
    assert row_count(db) == workers * per_worker + per_worker
    assert cache.verify() == []
    assert not [p for p in all_files(cache.root) if p.name.startswith(".tmp-")]
    stats = cache.stats()
    assert stats.hits + stats.misses == 2 * workers * per_worker
    assert db.integrity_check() == ["ok"]
