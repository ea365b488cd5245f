"""Fixtures of the desktop-studio tests: an isolated Studio, temporary QSettings, a small spec,
and a teardown that waits for every background call (no thread outlives its test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QThreadPool

from pipeline import preview
from pipeline.models import VideoSpec
from studio.service import Studio
from ui.operations import wait_for_operations


@pytest.fixture(autouse=True)
def offline_and_drained(monkeypatch: pytest.MonkeyPatch, qapp: object) -> Iterator[None]:
    """Offline speech; after the test, wait for background calls and forget preview caches."""
    monkeypatch.setenv("VIDEOSTUDIO_OFFLINE", "1")
    yield
    assert wait_for_operations(60_000)
    QThreadPool.globalInstance().waitForDone(60_000)
    preview.clear_caches()


@pytest.fixture()
def settings(tmp_path: Path) -> QSettings:
    """QSettings in a temporary INI file, never the user's settings."""
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture()
def studio() -> Iterator[Studio]:
    """A Studio on the test's own data and cache folders."""
    with Studio() as opened:
        yield opened
        wait_for_operations(60_000)


@pytest.fixture()
def small_spec() -> VideoSpec:
    """Three short scenes of different types."""
    return VideoSpec.model_validate(
        {
            "title": "Small test",
            "scenes": [
                {
                    "scene_type": "title",
                    "title": "Hello",
                    "subtitle": "A test",
                    "narration": "Hello.",
                },
                {
                    "scene_type": "list",
                    "header": "Points",
                    "items": ["One", "Two"],
                    "narration": "One. Two.",
                },
                {"scene_type": "outro", "main_text": "Bye", "narration": "Bye now."},
            ],
        }
    )
