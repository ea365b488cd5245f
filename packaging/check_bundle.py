"""Check a built Linux bundle: every library it needs is inside it or expected from the host.

Usage::

    python packaging/check_bundle.py [--with-voice] build/dist/videostudio

Reads the ``NEEDED`` entries and the glibc symbol versions of every ELF file in the bundle with
``readelf`` (binutils). Prints the bundle's size, the newest glibc it needs (the oldest Linux
it runs on) and the host libraries it uses; exits 1, naming them, if a needed library is neither
in the bundle nor one of :data:`bundle_policy.HOST_LIBRARY_PATTERNS` (a library the spec
dropped by mistake, or one the host cannot be expected to have), if a file's segments are not
page-aligned (the loader would refuse it), or if a voice model (a large ``.onnx`` file) is in the
bundle though the voice ships as a separate voice pack (``--with-voice``: a build with
``VIDEOSTUDIO_BUNDLE_VOICE=1``, where it belongs there).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bundle_policy  # the folder of this script is on sys.path, not a package
from strip_bundle import load_segments_aligned

ELF_MAGIC = b"\x7fELF"
_NEEDED_RE = re.compile(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]")
_GLIBC_RE = re.compile(r"Name: GLIBC_(\d+(?:\.\d+)+)")


@dataclass
class BundleReport:
    """What :func:`check` found.

    Attributes:
        size_bytes: total size of the regular files (symlinks not counted).
        elf_count: ELF files read.
        glibc_floor: the newest ``GLIBC_x.y`` symbol version any file needs, e.g. ``(2, 34)``.
        host_libraries: sonames taken from the host, with one file needing each.
        unresolved: sonames found nowhere, with one file needing each.
        misaligned: files the dynamic loader would refuse (a ``PT_LOAD`` segment not
            page-aligned, as ``strip`` leaves a patchelf-rewritten library).
        voice_models: voice models in the bundle (:func:`bundle_policy.voice_models`),
            bundle-relative paths.
    """

    size_bytes: int = 0
    elf_count: int = 0
    glibc_floor: tuple[int, ...] = (0,)
    host_libraries: dict[str, str] = field(default_factory=dict)
    unresolved: dict[str, str] = field(default_factory=dict)
    misaligned: list[str] = field(default_factory=list)
    voice_models: list[str] = field(default_factory=list)


def elf_files(root: Path) -> Iterator[Path]:
    """The regular ELF files under ``root`` (symlinks skipped)."""
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        with path.open("rb") as handle:
            if handle.read(4) == ELF_MAGIC:
                yield path


def read_elf(path: Path) -> tuple[list[str], list[tuple[int, ...]]]:
    """``(needed sonames, GLIBC versions required)`` of one ELF file, via ``readelf``."""
    output = subprocess.run(
        ["readelf", "--dynamic", "--version-info", "--wide", str(path)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    needed = _NEEDED_RE.findall(output)
    versions = [tuple(int(part) for part in v.split(".")) for v in _GLIBC_RE.findall(output)]
    return needed, versions


def check(root: Path) -> BundleReport:
    """Read every ELF file under the bundle folder ``root`` (see the module docstring)."""
    report = BundleReport()
    names = {path.name for path in root.rglob("*")}
    files = [
        (str(path.relative_to(root)), path.stat().st_size)
        for path in root.rglob("*")
        if path.is_file() and not path.is_symlink()
    ]
    report.size_bytes = sum(size for _, size in files)
    report.voice_models = bundle_policy.voice_models(files)
    for path in elf_files(root):
        report.elf_count += 1
        needed, versions = read_elf(path)
        if versions:
            report.glibc_floor = max(report.glibc_floor, max(versions))
        relative = str(path.relative_to(root))
        if not load_segments_aligned(path):
            report.misaligned.append(relative)
        for soname in needed:
            if soname in names:
                continue
            if bundle_policy.is_host_library(soname):
                report.host_libraries.setdefault(soname, relative)
            else:
                report.unresolved.setdefault(soname, relative)
    return report


def main(argv: list[str]) -> int:
    """Print the report of the bundle folder (the last argument); exit 1 on unresolved
    libraries, misaligned files, or a voice model without ``--with-voice``."""
    with_voice = "--with-voice" in argv
    argv = [arg for arg in argv if arg != "--with-voice"]
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print("usage: check_bundle.py [--with-voice] BUNDLE_FOLDER", file=sys.stderr)
        return 2
    root = Path(argv[0])
    report = check(root)
    floor = ".".join(str(part) for part in report.glibc_floor)
    print(f"bundle: {root} — {report.size_bytes / 1e6:.0f} MB in files, {report.elf_count} ELF")
    print(f"needs glibc >= {floor}")
    print("from the host: " + " ".join(sorted(report.host_libraries)))
    if report.unresolved:
        print("error: needed but neither bundled nor expected from the host:", file=sys.stderr)
        for soname, user in sorted(report.unresolved.items()):
            print(f"  {soname} (needed by {user})", file=sys.stderr)
    if report.misaligned:
        print("error: the loader would refuse (segments not page-aligned):", file=sys.stderr)
        for relative in report.misaligned:
            print(f"  {relative}", file=sys.stderr)
    unexpected_voice = report.voice_models and not with_voice
    if unexpected_voice:
        print(
            "error: voice models in the bundle (the voice ships as a separate voice pack; "
            "build with VIDEOSTUDIO_BUNDLE_VOICE=1 to keep it inside):",
            file=sys.stderr,
        )
        for relative in report.voice_models:
            print(f"  {relative}", file=sys.stderr)
    else:
        print(f"voice models inside: {', '.join(report.voice_models) or 'none'}")
    return 1 if report.unresolved or report.misaligned or unexpected_voice else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
