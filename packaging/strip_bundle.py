"""Drop the symbol tables of the bundle's shared libraries, where that is safe.

Usage (``packaging/build.sh`` runs it after PyInstaller)::

    python packaging/strip_bundle.py BUNDLE_FOLDER

Why not PyInstaller's own ``strip=True``: it strips every binary, and GNU ``strip`` corrupts
libraries that ``patchelf`` rewrote — auditwheel does that to every library a wheel vendors in
its ``<name>.libs`` folder. NumPy's OpenBLAS then fails to load with "ELF load command
address/offset not page-aligned" (seen here with numpy 2.4.6). So this script:

* skips files inside ``*.libs`` folders;
* strips every other ELF file with ``strip --strip-unneeded`` into a temporary copy, and keeps
  the copy only if all its ``PT_LOAD`` segments are still page-aligned
  (:func:`load_segments_aligned`, the check the dynamic loader makes) and it got smaller.

Saves about 80 MB (PyAV's extension modules shrink from 30 to 5 MB, libpython from 23 to 6).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

ELF_MAGIC = b"\x7fELF"
PT_LOAD = 1
PAGE_SIZE = 4096


def is_elf(path: Path) -> bool:
    """Whether ``path`` is a regular file that starts with the ELF magic number."""
    if path.is_symlink() or not path.is_file():
        return False
    with path.open("rb") as handle:
        return handle.read(4) == ELF_MAGIC


def load_segments_aligned(path: Path, page_size: int = PAGE_SIZE) -> bool:
    """Whether every ``PT_LOAD`` segment of the 64-bit little-endian ELF file ``path`` has
    ``(p_vaddr - p_offset) % page_size == 0``, as glibc's loader requires (``dl-load.c``:
    "ELF load command address/offset not page-aligned"). Other ELF classes return ``True``.
    """
    data = path.read_bytes()
    if data[:4] != ELF_MAGIC or data[4] != 2 or data[5] != 1:  # ELFCLASS64, little-endian
        return True
    (phoff,) = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for index in range(phnum):
        p_type, _flags, p_offset, p_vaddr = struct.unpack_from(
            "<IIQQ", data, phoff + index * phentsize
        )
        if p_type == PT_LOAD and (p_vaddr - p_offset) % page_size:
            return False
    return True


def strip_file(path: Path) -> int:
    """Strip ``path`` in place if the result stays loadable; returns the bytes saved (0 if the
    file was kept as it was)."""
    before = path.stat().st_size
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / path.name
        shutil.copy2(path, copy)
        result = subprocess.run(
            ["strip", "--strip-unneeded", str(copy)], capture_output=True, check=False
        )
        if result.returncode or not load_segments_aligned(copy):
            return 0
        after = copy.stat().st_size
        if after >= before:
            return 0
        mode = path.stat().st_mode
        os.replace(copy, path)
        path.chmod(mode)
    return before - after


def strip_bundle(root: Path) -> tuple[int, int]:
    """Strip the ELF files under ``root`` outside ``*.libs`` folders; returns
    ``(files stripped, bytes saved)``."""
    stripped = saved = 0
    for path in sorted(root.rglob("*")):
        if any(part.endswith(".libs") for part in path.relative_to(root).parts[:-1]):
            continue
        if not is_elf(path):
            continue
        gained = strip_file(path)
        if gained:
            stripped += 1
            saved += gained
    return stripped, saved


def main(argv: list[str]) -> int:
    """``strip_bundle.py BUNDLE_FOLDER``; exit 2 on a wrong argument or without ``strip``."""
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print("usage: strip_bundle.py BUNDLE_FOLDER", file=sys.stderr)
        return 2
    if shutil.which("strip") is None:
        print("error: `strip` (binutils) is not installed", file=sys.stderr)
        return 2
    stripped, saved = strip_bundle(Path(argv[0]))
    print(f"stripped {stripped} files, {saved / 1e6:.0f} MB saved")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
