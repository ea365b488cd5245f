"""Bundled fonts and the per-language fallback chain, loaded once per (face, size).

Faces and chains
----------------
A *face* is what the renderers pass around (``FontSet.regular`` …, ``font_file`` arguments):
a bundled file name (``"DejaVuSans-Bold.ttf"``), optionally followed by ``@`` and a language
code (``"DejaVuSans-Bold.ttf@ja"``). :func:`load_font` turns a face into a
:class:`FallbackFont`: a Pillow ``FreeTypeFont`` whose measuring and drawing methods pick, for
every character, the first font of the face's *chain* that has a glyph for it. Existing code
that calls ``font.getlength``, ``font.getbbox`` or ``draw.text(..., font=font)`` needs no
change.

The chain of a face is, in order (:func:`chain_files`):

1. for Chinese, Japanese and Korean, the CJK face (Noto Sans CJK, which has its own Latin, so
   Japanese text with English words is drawn in one design);
2. the face's own file (DejaVu Sans / Serif / Sans Mono, in the weight of the file);
3. the fonts of the language's script (Devanagari for ``hi``, Bengali for ``bn``, Thai for
   ``th``; DejaVu Sans for the Arabic and Hebrew letters DejaVu Serif and Mono lack);
4. every other bundled script font, as a last resort, so a Japanese word in a Hindi video is
   still drawn.

Fallback fonts are opened only when a character needs them. Line metrics (``getmetrics``) are
the largest of the face's own file and its language's script fonts (step 1–3), so a line box
holds the tallest glyphs of the language; for a face without a language (``"DejaVuSans.ttf"``)
they are exactly DejaVu's, and text that DejaVu covers is drawn exactly as before.

Text that needs several fonts is cut into runs; runs are shaped by raqm one by one (with the
face's language, so Noto CJK's ``locl`` draws Simplified Chinese forms for ``zh``) and placed
side by side. A line holding right-to-left letters that one font of the chain covers entirely
is shaped in one piece by raqm (its bidi is exact); otherwise runs are ordered visually with
:func:`bidi_levels` (the Unicode Bidirectional Algorithm, UAX #9, without explicit embedding
controls).

Fonts (all in ``resources/fonts``, licences beside them): DejaVu (Bitstream Vera licence),
Noto Sans Devanagari, Bengali, Thai and a subset of Noto Sans CJK JP (SIL OFL 1.1; the subset
is made by ``scripts/build_fonts.py``). See ``docs/notes/languages.md``.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

from pipeline.models import Theme
from resources import font_path

FreeTypeFont = ImageFont.FreeTypeFont

FACE_LANGUAGE_SEP = "@"
"""Separates a file name from a language code in a face (``"DejaVuSans.ttf@ja"``)."""


@dataclass(frozen=True)
class ScriptFonts:
    """The bundled files of one writing system.

    Attributes:
        regular, bold: file names in ``resources/fonts``.
        label: what the script is, for documentation and messages.
    """

    regular: str
    bold: str
    label: str


SCRIPT_FONTS: dict[str, ScriptFonts] = {
    "cjk": ScriptFonts(
        "NotoSansCJKjp-Regular-Subset.otf",
        "NotoSansCJKjp-Bold-Subset.otf",
        "Chinese (Simplified), Japanese, Korean",
    ),
    "arabic_hebrew": ScriptFonts(
        "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "Arabic, Persian, Hebrew"
    ),
    "devanagari": ScriptFonts(
        "NotoSansDevanagari-Regular.ttf", "NotoSansDevanagari-Bold.ttf", "Devanagari (Hindi)"
    ),
    "bengali": ScriptFonts("NotoSansBengali-Regular.ttf", "NotoSansBengali-Bold.ttf", "Bengali"),
    "thai": ScriptFonts("NotoSansThai-Regular.ttf", "NotoSansThai-Bold.ttf", "Thai"),
}
"""Script fonts by script key; the order is the last-resort order of every chain."""

LANGUAGE_SCRIPTS: dict[str, tuple[str, ...]] = {
    "ja": ("cjk",),
    "zh": ("cjk",),
    "ko": ("cjk",),
    "ar": ("arabic_hebrew",),
    "fa": ("arabic_hebrew",),
    "he": ("arabic_hebrew",),
    "hi": ("devanagari",),
    "bn": ("bengali",),
    "th": ("thai",),
}
"""Languages whose letters the theme's DejaVu face may lack → their script fonts."""

LEADING_SCRIPTS = frozenset({"cjk"})
"""Script fonts that go before the theme's face in their languages' chains (they have Latin)."""

_ALIASES = {"iw": "he", "in": "id", "no": "nb", "nn": "nb", "cmn": "zh", "jp": "ja"}


def face(file_name: str, language: str | None) -> str:
    """The face naming ``file_name`` with the fallback chain of ``language`` (``None``: none).

    ``face("DejaVuSans.ttf", "ja")`` → ``"DejaVuSans.ttf@ja"``. A language whose letters DejaVu
    has (not in :data:`LANGUAGE_SCRIPTS`) gives the plain file name: its text is drawn exactly
    as without a language.
    """
    lang = primary_language(language) if language else ""
    return f"{file_name}{FACE_LANGUAGE_SEP}{lang}" if lang in LANGUAGE_SCRIPTS else file_name


def split_face(face_name: str) -> tuple[str, str | None]:
    """``"DejaVuSans.ttf@ja"`` → ``("DejaVuSans.ttf", "ja")``; a plain file name → ``(name, None)``."""
    file_name, _, language = face_name.partition(FACE_LANGUAGE_SEP)
    return file_name, (language or None)


def primary_language(code: str) -> str:
    """The primary subtag of a BCP-47 code, lower case, with old aliases (``"zh_CN"`` → ``"zh"``)."""
    primary = code.strip().lower().replace("_", "-").split("-", 1)[0]
    return _ALIASES.get(primary, primary)


def _is_bold(file_name: str) -> bool:
    return "Bold" in file_name


def chain_files(face_name: str) -> tuple[tuple[str, ...], int]:
    """The files of a face's fallback chain, and how many of the first ones set line metrics.

    Returns:
        ``(files, n_metric)``: file names in lookup order (no duplicates) and the number of
        leading files whose ascent/descent the line metrics take the maximum of.
    """
    file_name, language = split_face(face_name)
    scripts = LANGUAGE_SCRIPTS.get(language or "", ())
    weight = "bold" if _is_bold(file_name) else "regular"
    lead = [getattr(SCRIPT_FONTS[s], weight) for s in scripts if s in LEADING_SCRIPTS]
    own = [getattr(SCRIPT_FONTS[s], weight) for s in scripts if s not in LEADING_SCRIPTS]
    rest = [getattr(SCRIPT_FONTS[s], weight) for s in SCRIPT_FONTS if s not in scripts]
    files: list[str] = []
    for name in [*lead, file_name, *own]:
        if name not in files:
            files.append(name)
    n_metric = len(files)
    for name in rest:
        if name not in files:
            files.append(name)
    return tuple(files), n_metric


@lru_cache(maxsize=64)
def font_coverage(file_name: str) -> frozenset[int]:
    """The code points a bundled font maps to a glyph (its best ``cmap`` subtable)."""
    with TTFont(str(font_path(file_name)), lazy=True) as font:
        cmap = font["cmap"].getBestCmap() or {}
    return frozenset(cmap)


def is_invisible(ch: str) -> bool:
    """True for characters that draw nothing whether or not a font has them.

    Controls, format characters (ZWJ, ZWNJ, bidi marks, soft hyphen) and variation
    selectors: HarfBuzz makes default-ignorable characters invisible.
    """
    cat = unicodedata.category(ch)
    return cat in ("Cc", "Cf") or 0xFE00 <= ord(ch) <= 0xFE0F or 0xE0100 <= ord(ch) <= 0xE01EF


def missing_characters(text: str, face_name: str) -> list[str]:
    """The visible characters of ``text`` that no font of the face's chain has (no duplicates)."""
    files, _ = chain_files(face_name)
    covers = [font_coverage(name) for name in files]
    missing: list[str] = []
    for ch in text:
        if ch in missing or ch.isspace() or is_invisible(ch):
            continue
        if not any(ord(ch) in cover for cover in covers):
            missing.append(ch)
    return missing


def _neutral(ch: str) -> bool:
    """Spaces, punctuation, symbols and marks: they take their neighbours' font if it can."""
    return unicodedata.category(ch)[0] in "ZPSMC"


@lru_cache(maxsize=8192)
def itemize(text: str, files: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    """Cut ``text`` into runs of one font: ``((index into files, substring), …)`` in text order.

    Letters and digits take the first font of ``files`` that has them. Spaces, punctuation,
    symbols and combining marks take the font of the letter before them when it has them,
    else of the letter after them, else the first font that has them, so words stay in one
    run and a mark stays with its base. A character no font has goes to font 0 (it draws as
    that font's missing-glyph box; :func:`missing_characters` reports it).
    """
    if not text:
        return ()
    covers = [font_coverage(name) for name in files]

    def first(code: int) -> int:
        for i, cover in enumerate(covers):
            if code in cover:
                return i
        return -1

    assigned: list[int] = [-1] * len(text)
    for i, ch in enumerate(text):
        if not _neutral(ch):
            assigned[i] = max(0, first(ord(ch)))
    previous = -1
    for i, ch in enumerate(text):
        if assigned[i] >= 0:
            previous = assigned[i]
            continue
        code = ord(ch)
        following = next((assigned[j] for j in range(i + 1, len(text)) if assigned[j] >= 0), -1)
        if previous >= 0 and (code in covers[previous] or is_invisible(ch)):
            choice = previous
        elif following >= 0 and (code in covers[following] or is_invisible(ch)):
            choice = following
        else:
            choice = first(code)
            if choice < 0:
                choice = previous if previous >= 0 else max(0, following)
        assigned[i] = choice
        previous = choice
    runs: list[tuple[int, str]] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or assigned[i] != assigned[start]:
            runs.append((assigned[start], text[start:i]))
            start = i
    return tuple(runs)


# --- bidi ---------------------------------------------------------------------------------

_STRONG_RTL = {"R", "AL"}


def has_rtl(text: str) -> bool:
    """True if ``text`` holds a right-to-left letter (Hebrew, Arabic, …)."""
    return any(unicodedata.bidirectional(ch) in _STRONG_RTL for ch in text)


def bidi_levels(text: str, base_level: int | None = None) -> list[int]:
    """Embedding levels of ``text`` by the Unicode Bidirectional Algorithm (UAX #9).

    Implements rules P2–P3 (paragraph level from the first strong letter, unless
    ``base_level`` is given), W1–W7, N1–N2, I1–I2 and L1 for trailing whitespace, for one
    line without explicit embedding, override or isolate controls (those are treated as
    neutral). Even levels are left-to-right, odd levels right-to-left.
    """
    types = [unicodedata.bidirectional(ch) or "L" for ch in text]
    if base_level is None:
        base_level = 0
        for t in types:
            if t in ("L", "R", "AL"):
                base_level = 0 if t == "L" else 1
                break
    sos = "R" if base_level % 2 else "L"
    # W1: NSM takes the previous type (sos at the start).
    for i, t in enumerate(types):
        if t == "NSM":
            types[i] = types[i - 1] if i else sos
    # W2 and W3: EN after AL becomes AN; AL becomes R.
    last_strong = sos
    for i, t in enumerate(types):
        if t in ("L", "R", "AL"):
            last_strong = t
        elif t == "EN" and last_strong == "AL":
            types[i] = "AN"
    types = ["R" if t == "AL" else t for t in types]
    # W4: a single ES between ENs, or CS between two numbers of the same type.
    for i in range(1, len(types) - 1):
        if types[i] == "ES" and types[i - 1] == types[i + 1] == "EN":
            types[i] = "EN"
        elif types[i] == "CS" and types[i - 1] == types[i + 1] and types[i - 1] in ("EN", "AN"):
            types[i] = types[i - 1]
    # W5: ET next to EN becomes EN.
    for i, t in enumerate(types):
        if t == "EN":
            j = i - 1
            while j >= 0 and types[j] == "ET":
                types[j] = "EN"
                j -= 1
            j = i + 1
            while j < len(types) and types[j] == "ET":
                types[j] = "EN"
                j += 1
    # W6: remaining separators and terminators are neutral.
    types = ["ON" if t in ("ES", "ET", "CS") else t for t in types]
    # W7: EN after L (or sos L) becomes L.
    last_strong = sos
    for i, t in enumerate(types):
        if t in ("L", "R"):
            last_strong = t
        elif t == "EN" and last_strong == "L":
            types[i] = "L"
    # N1, N2: neutrals between two strong types of one direction take it, else the base's.
    strong = ["R" if t in ("R", "EN", "AN") else t for t in types]
    i = 0
    while i < len(types):
        if strong[i] in ("L", "R"):
            i += 1
            continue
        j = i
        while j < len(types) and strong[j] not in ("L", "R"):
            j += 1
        before = strong[i - 1] if i > 0 else sos
        after = strong[j] if j < len(types) else sos
        resolved = before if before == after else sos
        for k in range(i, j):
            types[k] = resolved
        i = j
    # I1, I2.
    levels: list[int] = []
    for t in types:
        if base_level % 2 == 0:
            levels.append(base_level + (1 if t == "R" else 2 if t in ("AN", "EN") else 0))
        else:
            levels.append(base_level + (1 if t in ("L", "EN", "AN") else 0))
    # L1: trailing whitespace goes back to the paragraph level.
    k = len(text) - 1
    while k >= 0 and (text[k].isspace() or unicodedata.bidirectional(text[k]) in ("WS", "BN")):
        levels[k] = base_level
        k -= 1
    return levels


def visual_runs(
    runs: Sequence[tuple[int, str]], levels: Sequence[int]
) -> list[tuple[int, str, int]]:
    """``(font, text, level)`` runs in left-to-right display order (rule L2 of UAX #9).

    ``runs`` cover the line in text order and ``levels`` has one level per character. Each
    returned run has one font and one level; its text stays in logical order (raqm lays it
    out in the run's direction).
    """
    pieces: list[tuple[int, str, int]] = []
    pos = 0
    for font_index, text in runs:
        start = 0
        for i in range(1, len(text) + 1):
            if i == len(text) or levels[pos + i] != levels[pos + start]:
                pieces.append((font_index, text[start:i], levels[pos + start]))
                start = i
        pos += len(text)
    if not pieces:
        return []
    highest = max(level for _, _, level in pieces)
    lowest_odd = min((level for _, _, level in pieces if level % 2), default=highest + 1)
    order = list(range(len(pieces)))
    for level in range(highest, lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if pieces[order[i]][2] >= level:
                j = i
                while j < len(order) and pieces[order[j]][2] >= level:
                    j += 1
                order[i:j] = reversed(order[i:j])
                i = j
            else:
                i += 1
    return [pieces[k] for k in order]


# --- the font --------------------------------------------------------------------------------


class FallbackFont(FreeTypeFont):
    """A Pillow font that draws each character with the first font of a chain that has it.

    It is the chain's first file at ``size`` (so ``path``, ``size`` and ``font`` are that
    file's), with ``getmetrics``, ``getlength``, ``getbbox`` and ``getmask2`` (which
    ``ImageDraw.text`` calls) overridden to measure and draw run by run. Text that the first
    file covers, in a chain whose metrics are that file's, goes straight to Pillow.

    Attributes:
        files: the chain's file names in lookup order.
        language: BCP-47 primary language passed to raqm for shaping (``None``: none).
    """

    def __init__(
        self, files: tuple[str, ...], size_px: int, *, n_metric: int, language: str | None
    ) -> None:
        super().__init__(str(font_path(files[0])), size_px)
        self.files = files
        self.language = language
        self._members: dict[int, FreeTypeFont] = {}
        ascent, descent = super().getmetrics()
        for i in range(1, n_metric):
            a, d = self.member(i).getmetrics()
            ascent, descent = max(ascent, a), max(descent, d)
        self._ascent, self._descent = ascent, descent
        self._own_metrics = (ascent, descent) == super().getmetrics()

    def member(self, index: int) -> FreeTypeFont:
        """The chain's font number ``index`` at this size (opened on first use)."""
        font = self._members.get(index)
        if font is None:
            font = ImageFont.truetype(str(font_path(self.files[index])), self.size)
            self._members[index] = font
        return font

    # -- run planning ----------------------------------------------------------------------
    def _lang(self, language: str | None) -> str | None:
        return language if language is not None else self.language

    def _plan(self, text: str, direction: str | None) -> list[tuple[int, str, str | None]] | None:
        """``None`` to let Pillow handle ``text`` with the first font, else visual runs.

        Each run is ``(font index, text in logical order, direction or None)``.
        """
        runs = itemize(text, self.files)
        if len(runs) <= 1 and (not runs or runs[0][0] == 0):
            return None if self._own_metrics else [(0, text, direction)]
        if len(runs) == 1:
            return [(runs[0][0], text, direction)]
        if has_rtl(text):
            whole = self._covering_font(text)
            if whole is not None:
                return [(whole, text, direction)]
            base = None if direction is None else (1 if direction == "rtl" else 0)
            levels = bidi_levels(text, base)
            return [(f, t, "rtl" if lv % 2 else "ltr") for f, t, lv in visual_runs(runs, levels)]
        return [(f, t, direction) for f, t in runs]

    def _covering_font(self, text: str) -> int | None:
        needed = {ord(ch) for ch in text if not ch.isspace() and not is_invisible(ch)}
        for i, name in enumerate(self.files):
            if needed <= font_coverage(name):
                return i
        return None

    # -- Pillow's font interface -----------------------------------------------------------
    def getmetrics(self) -> tuple[int, int]:
        """``(ascent, descent)`` in pixels: the largest of the chain's metric fonts."""
        return self._ascent, self._descent

    def getlength(
        self,
        text: str | bytes,
        mode: str = "",
        direction: str | None = None,
        features: list[str] | None = None,
        language: str | None = None,
    ) -> float:
        """Advance width of ``text`` in pixels (sum over its runs)."""
        if not isinstance(text, str):
            return super().getlength(text, mode, direction, features, language)
        plan = self._plan(text, direction)
        lang = self._lang(language)
        if plan is None:
            return super().getlength(text, mode, direction, features, lang)
        return sum(self.member(i).getlength(t, mode, d, features, lang) for i, t, d in plan)

    def _layout(
        self,
        plan: list[tuple[int, str, str | None]],
        mode: str,
        features: list[str] | None,
        language: str | None,
        stroke_width: float,
    ) -> tuple[list[float], float, tuple[float, float, float, float]]:
        """Pen x of each run, total advance, and ink box relative to the start's baseline."""
        xs: list[float] = []
        x = 0.0
        left = top = math.inf
        right = bottom = -math.inf
        for i, t, d in plan:
            font = self.member(i)
            xs.append(x)
            l0, t0, r0, b0 = font.getbbox(t, mode, d, features, language, stroke_width, "ls")
            left, top = min(left, x + l0), min(top, t0)
            right, bottom = max(right, x + r0), max(bottom, b0)
            x += font.getlength(t, mode, d, features, language)
        if left == math.inf:
            left = top = right = bottom = 0.0
        return xs, x, (left, top, right, bottom)

    def _anchor_shift(
        self, anchor: str | None, advance: float, ink: tuple[float, float, float, float]
    ) -> tuple[float, float]:
        """Where the anchor point is, relative to the start of the baseline."""
        anchor = anchor or "la"
        if len(anchor) != 2 or anchor[0] not in "lmr" or anchor[1] not in "amstbd":
            raise ValueError(f"unsupported anchor {anchor!r}")
        ax = {"l": 0.0, "m": advance / 2, "r": advance}[anchor[0]]
        ay = {
            "a": -float(self._ascent),
            "m": (self._descent - self._ascent) / 2,
            "s": 0.0,
            "d": float(self._descent),
            "t": ink[1],
            "b": ink[3],
        }[anchor[1]]
        return ax, ay

    def getbbox(
        self,
        text: str | bytes | bytearray,
        mode: str = "",
        direction: str | None = None,
        features: list[str] | None = None,
        language: str | None = None,
        stroke_width: float = 0,
        anchor: str | None = None,
    ) -> tuple[float, float, float, float]:
        """``(left, top, right, bottom)`` of ``text`` relative to ``anchor`` (default ``"la"``)."""
        if not isinstance(text, str):
            return super().getbbox(text, mode, direction, features, language, stroke_width, anchor)
        lang = self._lang(language)
        plan = self._plan(text, direction)
        if plan is None:
            return super().getbbox(text, mode, direction, features, lang, stroke_width, anchor)
        _, advance, ink = self._layout(plan, mode, features, lang, stroke_width)
        ax, ay = self._anchor_shift(anchor, advance, ink)
        return ink[0] - ax, ink[1] - ay, ink[2] - ax, ink[3] - ay

    def getmask2(
        self,
        text: str | bytes,
        mode: str = "",
        direction: str | None = None,
        features: list[str] | None = None,
        language: str | None = None,
        stroke_width: float = 0,
        anchor: str | None = None,
        ink: int = 0,
        start: tuple[float, float] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> tuple[Any, tuple[int, int]]:
        """The text's bitmap and its offset from the integer drawing origin (see Pillow)."""
        lang = self._lang(language)
        plan = self._plan(text, direction) if isinstance(text, str) else None
        if plan is None or mode == "RGBA":
            return super().getmask2(
                text, mode, direction, features, lang, stroke_width, anchor, ink, start,
                *args, **kwargs,
            )  # fmt: skip
        start = start or (0.0, 0.0)
        xs, advance, box = self._layout(plan, mode, features, lang, stroke_width)
        ax, ay = self._anchor_shift(anchor, advance, box)
        pen_x, pen_y = start[0] - ax, start[1] - ay
        x0, y0 = math.floor(pen_x + box[0]) - 1, math.floor(pen_y + box[1]) - 1
        x1, y1 = math.ceil(pen_x + box[2]) + 1, math.ceil(pen_y + box[3]) + 1
        canvas = Image.new("L", (max(1, x1 - x0), max(1, y1 - y0)), 0)
        draw = ImageDraw.Draw(canvas)
        draw.fontmode = "1" if mode == "1" else "L"
        for (i, t, d), x in zip(plan, xs, strict=True):
            draw.text(
                (pen_x + x - x0, pen_y - y0),
                t,
                fill=255,
                font=self.member(i),
                anchor="ls",
                direction=d,
                features=features,
                language=lang,
                stroke_width=stroke_width,
                stroke_fill=255 if stroke_width else None,
            )
        return canvas.im, (x0, y0)


@lru_cache(maxsize=1024)
def load_font(face_name: str, size_px: int) -> FallbackFont:
    """The bundled face ``face_name`` (file name, optionally ``@language``) at ``size_px`` (cached).

    Raises:
        FileNotFoundError: when no bundled font has that file name.
        ValueError: when ``size_px`` is not positive.
    """
    if size_px <= 0:
        raise ValueError(f"font size must be positive, got {size_px}")
    files, n_metric = chain_files(face_name)
    font_path(files[0])  # a clear FileNotFoundError for an unknown file
    _, language = split_face(face_name)
    return FallbackFont(files, size_px, n_metric=n_metric, language=language)


@dataclass(frozen=True)
class FontSet:
    """The four faces a scene uses (file names, optionally ``@language``; see :func:`face`)."""

    regular: str
    bold: str
    mono: str = "DejaVuSansMono.ttf"
    mono_bold: str = "DejaVuSansMono-Bold.ttf"


def font_set(theme: Theme, language: str | None = None) -> FontSet:
    """The faces for ``theme.font_family`` (``"sans"`` or ``"serif"``) and a text language.

    With ``language`` (a BCP-47 code such as ``"ja"``) every face carries that language's
    fallback chain and line metrics; without it the faces are the plain DejaVu files.
    """
    if theme.font_family == "serif":
        regular, bold = "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"
    else:
        regular, bold = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"
    return FontSet(
        regular=face(regular, language),
        bold=face(bold, language),
        mono=face("DejaVuSansMono.ttf", language),
        mono_bold=face("DejaVuSansMono-Bold.ttf", language),
    )


def fonts_token(language: str | None) -> dict[str, str]:
    """``{"fonts": <language>}`` when ``language`` changes how text is drawn, else ``{}``.

    For cache keys of rendered frames: a language with its own fallback chain draws
    differently; any other language draws exactly as English, and its keys stay unchanged.
    """
    lang = primary_language(language) if language else ""
    return {"fonts": lang} if lang in LANGUAGE_SCRIPTS else {}
