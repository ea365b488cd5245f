"""Rebuild the bundle's two ICU data libraries with only the data their users load.

Usage (``packaging/build.sh`` runs it after stripping)::

    python packaging/trim_icu_data.py BUNDLE_FOLDER

The bundle carries two ICU versions, each with its whole data set (~32 MB apiece) compiled into
a ``libicudata`` library that holds one symbol, ``icudt<NN>_dat``: a *common data package*
(ICU's ``CmnD`` format: a header, a table of contents of ``icudt<NN>l/<path>`` names and
offsets, then the items, 16-byte aligned; ``icu4c/source/common/ucmndata.h``). Two users:

* **icu4py** (ICU 78), only ``icu4py.breakers.LineBreaker`` for Japanese, Chinese, Thai, Lao,
  Khmer and Myanmar (``pipeline/i18n/scripts.py``, ``pipeline/render/text_layout.py``): it
  needs the break-iterator tree (``brkitr/``: rules, dictionaries, the Japanese phrase model)
  and the core tables (``*.icu``, ``*.nrm``, ``root.res``, ``res_index.res``, the supplemental
  ``*.res`` such as ``likelySubtags``), not the locale bundles, collation, time zones, display
  names, units, converters or transliterators (:func:`icu4py_keep`).
* **Qt** (ICU 73): ``libQt6Core`` calls only ``ucnv_*``, ``u_strToUpper/Lower``, ``ucal_*``
  (time-zone IDs and names) and ``ucol_*`` (``nm -D --undefined-only``; no other Qt library
  links ICU), so it keeps the core tables, every locale bundle, collation (``coll/``) and time
  zones (``zone/``). Left out: break iterators, units, language/region/currency display names,
  transliterators, spell-out rules, StringPrep profiles, and the legacy charset converters
  (``*.cnv``: Qt opens them only for a ``QStringDecoder`` of a named non-Unicode encoding, which
  the studio never makes; its documents are decoded in Python) (:func:`qt_keep`).

Each library is replaced by a new one (same ``SONAME``, the same single exported symbol, built
with the C compiler from an ``.incbin`` of the filtered package) only after a check: a Python
child process with the new library preloaded (``LD_PRELOAD``: a library whose ``SONAME`` is
already loaded satisfies every later ``NEEDED`` of that name) must give exactly the results of
one with the original library (:data:`ICU4PY_CHECK`: line breaks of sample text in every
no-space language with the app's locales; :data:`QT_CHECK`: collation order, case mapping,
time-zone names, the built-in UTF-8 and Latin-1 decoders). Without a C compiler the libraries are left as
they are (the bundle is then ~45 MB bigger) and a note says so.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_LOCALE_RE = re.compile(r"[a-z]{2,3}(_\w+)?\.res")
"""A locale bundle's file name (``en.res``, ``sr_Latn_BA.res``); ``root.res`` is not one."""


def _top_level(name: str) -> str | None:
    """The item's file name if it sits at the top of the package (``icudt78l/uprops.icu``)."""
    parts = name.split("/")
    return parts[1] if len(parts) == 2 else None


def icu4py_keep(name: str) -> bool:
    """icu4py's line breaker: ``brkitr/`` and the top-level tables that are not locales."""
    if name.split("/")[1:2] == ["brkitr"]:
        return True
    top = _top_level(name)
    if top is None:
        return False
    return top.endswith((".icu", ".nrm")) or (
        top.endswith(".res") and not _LOCALE_RE.fullmatch(top)
    )


QT_DROPPED_TREES = ("brkitr", "unit", "lang", "region", "curr", "translit", "rbnf")


def qt_keep(name: str) -> bool:
    """Qt Core: everything but :data:`QT_DROPPED_TREES`, ``*.cnv`` and ``*.spp``."""
    parts = name.split("/")
    if len(parts) > 2:
        return parts[1] not in QT_DROPPED_TREES
    return not parts[-1].endswith((".cnv", ".spp"))


ICU4PY_CHECK = r"""
from icu4py.breakers import LineBreaker
SAMPLES = {
    "ja@lb=strict;lw=phrase": "東京都に住んでいます。「こんにちは」と言った。ビデオスタジオで動画を作ります。",
    "ja@lb=strict": "ちょっと待ってください。ー・ぁぃぅ、漢字とカタカナ。",
    "zh@lb=strict": "我们使用视频工作室制作视频。这是一个测试，（括号）和“引号”。",
    "zh": "中文换行测试：人工智能改变世界。",
    "th": "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ เราจึงต้องใช้พจนานุกรมในการตัดคำ",
    "lo": "ພາສາລາວບໍ່ມີການຍະຫວ່າງລະຫວ່າງຄໍາ",
    "km": "ភាសាខ្មែរមិនមានដកឃ្លារវាងពាក្យទេ",
    "my": "မြန်မာဘာသာသည်စကားလုံးများကြားတွင်နေရာလွတ်မရှိပါ",
    "en": "Video Studio works offline, with 29 languages.",
}
for locale, text in SAMPLES.items():
    print(locale, "|".join(LineBreaker(text, locale)))
"""
"""Prints the line-break pieces of each sample with the app's ICU locales."""

QT_CHECK = r"""
from PySide6.QtCore import QCollator, QLocale, QStringDecoder, QTimeZone
words = ["zebra", "Äpfel", "apple", "Öl", "øre", "Ångström", "ch", "cz", "ılık", "İstanbul"]
for name in ["de_DE", "sv_SE", "tr_TR", "cs_CZ", "ja_JP", "C"]:
    print(name, sorted(words, key=QCollator(QLocale(name)).sortKey))
    print(name, QLocale(name).toUpper("istanbul ß"), QLocale(name).toLower("İSTANBUL"))
for zone in [b"Europe/Berlin", b"Asia/Tokyo", b"America/New_York"]:
    tz = QTimeZone(zone)
    for locale in ["en_US", "de_DE", "ja_JP"]:
        print(zone, locale, tz.displayName(QTimeZone.StandardTime, QTimeZone.LongName, QLocale(locale)))
print(QStringDecoder("UTF-8").isValid(), QStringDecoder("ISO-8859-1").isValid())
"""
"""Prints what Qt Core asks ICU for: collation, case mapping, time-zone names, decoding."""


@dataclass(frozen=True)
class Target:
    """One ICU data library of the bundle and how to trim and check it."""

    pattern: str
    """Glob of the library, relative to the bundle's ``_internal`` folder."""
    keep: Callable[[str], bool]
    """Whether an item (``icudt78l/brkitr/line.brk``) stays."""
    check: str
    """Python code whose output must not change when the trimmed library is preloaded."""


TARGETS = (
    Target("icu4py.libs/libicudata-*.so.*", icu4py_keep, ICU4PY_CHECK),
    Target("PySide6/Qt/lib/libicudata.so.*", qt_keep, QT_CHECK),
)


def data_symbol(library: bytes) -> tuple[str, int, int]:
    """``(name, file offset, size)`` of the ``icudt<NN>_dat`` symbol of a 64-bit
    little-endian ELF ``library``; :class:`ValueError` if there is none."""
    if library[:4] != b"\x7fELF" or library[4] != 2 or library[5] != 1:
        raise ValueError("not a 64-bit little-endian ELF file")
    (shoff,) = struct.unpack_from("<Q", library, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", library, 0x3A)
    sections = [
        struct.unpack_from("<IIQQQQIIQQ", library, shoff + index * shentsize)
        for index in range(shnum)
    ]
    for section in sections:
        if section[1] != 11:  # SHT_DYNSYM
            continue
        symbols_at, symbols_size, strings = section[4], section[5], sections[section[6]][4]
        for index in range(symbols_size // 24):
            name_at, _info, _other, shndx, value, size = struct.unpack_from(
                "<IBBHQQ", library, symbols_at + 24 * index
            )
            end = library.index(b"\0", strings + name_at)
            name = library[strings + name_at : end].decode("ascii")
            if re.fullmatch(r"icudt\d+_dat", name):
                home = sections[shndx]
                return name, home[4] + value - home[3], size
    raise ValueError("no icudt<NN>_dat symbol")


def package_items(package: bytes) -> list[tuple[str, bytes]]:
    """The ``(name, bytes)`` items of an ICU common data package, in table order."""
    (header_size,) = struct.unpack_from("<H", package, 0)
    if package[2:4] != b"\xda\x27" or package[12:16] != b"CmnD":
        raise ValueError("not an ICU common data package")
    (count,) = struct.unpack_from("<I", package, header_size)
    table = [
        struct.unpack_from("<II", package, header_size + 4 + 8 * index) for index in range(count)
    ]
    items = []
    for index, (name_at, data_at) in enumerate(table):
        start = header_size + name_at
        name = package[start : package.index(b"\0", start)].decode("ascii")
        end = header_size + table[index + 1][1] if index + 1 < count else len(package)
        items.append((name, package[header_size + data_at : end]))
    return items


def build_package(header: bytes, items: list[tuple[str, bytes]]) -> bytes:
    """An ICU common data package from its ``header`` (``MappedData`` + ``UDataInfo``, padded)
    and ``items`` (sorted by name, as ICU's binary search of the table requires)."""
    names = b"".join(name.encode("ascii") + b"\0" for name, _ in items)
    table_size = 4 + 8 * len(items)
    data_at = table_size + len(names)
    data_at += -(len(header) + data_at) % 16
    table = struct.pack("<I", len(items))
    body = b""
    name_at = table_size
    for name, data in items:
        table += struct.pack("<II", name_at, data_at + len(body))
        name_at += len(name) + 1
        body += data + b"\0" * (-len(data) % 16)
    padding = b"\0" * (data_at - table_size - len(names))
    return header + table + names + padding + body


def compile_library(package: bytes, symbol: str, soname: str, output: Path) -> None:
    """Write ``output``: a shared library named ``soname`` exporting ``symbol`` = ``package``."""
    with tempfile.TemporaryDirectory() as folder:
        blob = Path(folder) / "data.bin"
        blob.write_bytes(package)
        source = Path(folder) / "data.S"
        source.write_text(
            f"\t.section .rodata\n\t.globl {symbol}\n\t.type {symbol}, @object\n\t.balign 16\n"
            f'{symbol}:\n\t.incbin "{blob}"\n\t.size {symbol}, . - {symbol}\n'
            '\t.section .note.GNU-stack,"",@progbits\n',
            encoding="ascii",
        )
        subprocess.run(
            ["cc", "-shared", "-nostdlib", f"-Wl,-soname,{soname}", "-Wl,-Bsymbolic",
             "-o", str(output), str(source)],
            check=True,
        )  # fmt: skip


def soname_of(library: Path) -> str:
    """The ``SONAME`` of ``library`` (``readelf -d``)."""
    dynamic = subprocess.run(
        ["readelf", "-d", str(library)], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"Library soname: \[([^\]]+)\]", dynamic)
    if match is None:
        raise ValueError(f"{library} has no SONAME")
    return match.group(1)


def check_output(code: str, preload: Path | None) -> str:
    """Output of ``code`` run by this Python, with ``preload`` preloaded if given."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", LC_ALL="C.UTF-8")
    if preload is not None:
        env["LD_PRELOAD"] = str(preload)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    if result.returncode:
        raise RuntimeError(f"check failed (preload {preload}):\n{result.stderr}")
    return result.stdout


def trim(library: Path, target: Target) -> int:
    """Replace ``library`` by a trimmed copy if :attr:`Target.check` gives the same output
    with both; returns the bytes saved. Raises :class:`RuntimeError` when the outputs differ."""
    original = library.read_bytes()
    symbol, at, size = data_symbol(original)
    package = original[at : at + size]
    (header_size,) = struct.unpack_from("<H", package, 0)
    items = package_items(package)
    kept = sorted((name, data) for name, data in items if target.keep(name))
    trimmed = build_package(package[:header_size], kept)
    with tempfile.TemporaryDirectory() as folder:
        candidate = Path(folder) / library.name
        compile_library(trimmed, symbol, soname_of(library), candidate)
        expected = check_output(target.check, library)
        got = check_output(target.check, candidate)
        if got != expected:
            raise RuntimeError(
                f"{library.name}: the trimmed ICU data changes results:\n"
                f"--- full\n{expected}\n--- trimmed\n{got}"
            )
        mode = library.stat().st_mode
        shutil.move(candidate, library)
        library.chmod(mode)
    print(
        f"{library.name}: kept {len(kept)} of {len(items)} ICU data items, "
        f"{len(original) / 1e6:.1f} → {library.stat().st_size / 1e6:.1f} MB (results unchanged)"
    )
    return len(original) - library.stat().st_size


def main(argv: list[str]) -> int:
    """``trim_icu_data.py BUNDLE_FOLDER``; exit 2 on a wrong argument, 1 if a check fails."""
    if len(argv) != 1 or not (Path(argv[0]) / "_internal").is_dir():
        print("usage: trim_icu_data.py BUNDLE_FOLDER", file=sys.stderr)
        return 2
    if shutil.which("cc") is None:
        print("note: no C compiler (cc): the ICU data libraries are kept whole (+45 MB)")
        return 0
    internal = Path(argv[0]) / "_internal"
    saved = 0
    for target in TARGETS:
        for library in sorted(internal.glob(target.pattern)):
            if library.is_symlink():
                continue
            try:
                saved += trim(library, target)
            except RuntimeError as error:
                print(f"error: {error}", file=sys.stderr)
                return 1
    print(f"ICU data trimmed: {saved / 1e6:.0f} MB saved")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
