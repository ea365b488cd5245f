"""Copy the Noto fonts Video Studio bundles into resources/fonts, subsetting the CJK face.

Run on a Debian machine with ``apt-get install fonts-noto-core fonts-noto-cjk`` (the fonts
come from Debian's packages; CI and users get them from the repository, never from apt)::

    .venv/bin/python scripts/build_fonts.py

What it writes (all SIL Open Font License 1.1, see resources/fonts/LICENSE-Noto.txt):

* ``NotoSansDevanagari-{Regular,Bold}.ttf``, ``NotoSansBengali-…``, ``NotoSansThai-…``:
  copied unchanged from ``fonts-noto-core``.
* ``NotoSansCJKjp-{Regular,Bold}-Subset.otf``: face 0 (Japanese) of ``NotoSansCJK-*.ttc``
  from ``fonts-noto-cjk``, subset to the characters of the national standard sets of the three
  languages — GB 2312 (Simplified Chinese), JIS X 0208 (Japanese) and KS X 1001 (Korean) — plus
  every precomposed Hangul syllable (U+AC00–D7A3), kana, CJK punctuation, full-width forms and
  printable ASCII. Of the ``locl`` language systems only ``ZHS`` is kept, so text tagged
  ``zh`` draws the Simplified Chinese glyph forms and ``ja``/``ko`` the Japanese defaults.
  Vertical-writing features are dropped (the studio draws horizontal text only).

The character sets are enumerated from Python's own codecs (``gb2312``, ``euc_jp``,
``euc_kr``), so the result is reproducible without downloading any table.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parents[1]
FONTS_DIR = ROOT / "resources" / "fonts"
NOTO_CORE = Path("/usr/share/fonts/truetype/noto")
NOTO_CJK = Path("/usr/share/fonts/opentype/noto")

COPIED = [
    f"NotoSans{script}-{weight}.ttf"
    for script in ("Devanagari", "Bengali", "Thai")
    for weight in ("Regular", "Bold")
]

CJK_RANGES = [
    (0x0020, 0x007E),  # printable ASCII (so a CJK run never needs another font for a digit)
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x2E80, 0x2EFF),  # CJK radicals supplement
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x3040, 0x309F),  # Hiragana
    (0x30A0, 0x30FF),  # Katakana
    (0x3100, 0x312F),  # Bopomofo
    (0x3130, 0x318F),  # Hangul compatibility Jamo
    (0x31F0, 0x31FF),  # Katakana phonetic extensions
    (0x3200, 0x33FF),  # enclosed CJK letters, CJK compatibility
    (0xAC00, 0xD7A3),  # every precomposed Hangul syllable
    (0xFF00, 0xFFEF),  # half-width and full-width forms
]
KEEP_LANGSYS = {"ZHS "}
LAYOUT_FEATURES = ["ccmp", "locl", "kern", "mark", "mkmk", "calt", "liga", "palt"]


def _codec_chars(codec: str, lead: range, trail: range) -> set[str]:
    """Every character a double-byte codec maps from ``lead`` × ``trail`` byte pairs."""
    chars: set[str] = set()
    for a in lead:
        for b in trail:
            try:
                text = bytes([a, b]).decode(codec)
            except UnicodeDecodeError:
                continue
            if len(text) == 1:
                chars.add(text)
    return chars


def cjk_charset() -> set[str]:
    """The characters kept in the CJK subset (see the module docstring)."""
    national = (
        _codec_chars("gb2312", range(0xA1, 0xF8), range(0xA1, 0xFF))
        | _codec_chars("euc_jp", range(0xA1, 0xF5), range(0xA1, 0xFF))
        | _codec_chars("euc_kr", range(0xA1, 0xFE), range(0xA1, 0xFF))
    )
    chars = {ch for ch in national if ord(ch) >= 0x2000}
    for first, last in CJK_RANGES:
        chars.update(chr(code) for code in range(first, last + 1))
    return chars


def build_cjk(weight: str, out_dir: Path) -> Path:
    """Subset face 0 of ``NotoSansCJK-<weight>.ttc`` into ``out_dir``; returns the file."""
    font = TTFont(str(NOTO_CJK / f"NotoSansCJK-{weight}.ttc"), fontNumber=0)
    for table_tag in ("GSUB", "GPOS"):
        table = font[table_tag].table
        for record in table.ScriptList.ScriptRecord:
            kept = [ls for ls in record.Script.LangSysRecord if ls.LangSysTag in KEEP_LANGSYS]
            record.Script.LangSysRecord = kept
            record.Script.LangSysCount = len(kept)
    options = subset.Options()
    options.layout_features = LAYOUT_FEATURES
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(ch) for ch in cjk_charset()])
    subsetter.subset(font)
    out = out_dir / f"NotoSansCJKjp-{weight}-Subset.otf"
    font.save(str(out))
    return out


def main() -> int:
    missing = [p for p in [NOTO_CORE / name for name in COPIED] if not p.is_file()]
    missing += [p for p in (NOTO_CJK / "NotoSansCJK-Regular.ttc",) if not p.is_file()]
    if missing:
        print("missing: " + ", ".join(map(str, missing)), file=sys.stderr)
        print("install them with: apt-get install fonts-noto-core fonts-noto-cjk", file=sys.stderr)
        return 2
    for name in COPIED:
        shutil.copyfile(NOTO_CORE / name, FONTS_DIR / name)
        print(f"{name}: {(FONTS_DIR / name).stat().st_size / 1e6:.2f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        for weight in ("Regular", "Bold"):
            built = build_cjk(weight, Path(tmp))
            target = FONTS_DIR / built.name
            shutil.move(built, target)
            print(f"{target.name}: {target.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
