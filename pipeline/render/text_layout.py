"""Wrap text by measured pixel width and shrink it until it fits a box.

:func:`fit_text` binary-searches the largest font size between a maximum and a minimum at
which the wrapped text fits the box; when even the minimum does not fit, the text is cut to
the lines that fit and the last one ends with an ellipsis. The resulting :class:`TextBlock`
never exceeds the box it was fitted to (widths use ``FreeTypeFont.getlength``; heights use
the font's ascent + descent, with lines drawn from their ascender).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Literal

from PIL import ImageDraw

from pipeline.i18n.scripts import break_opportunities, no_space_script
from pipeline.render.fonts import FreeTypeFont, load_font
from pipeline.render.palette import RGB

ELLIPSIS = "…"
_SIDE_PAD_PX = 2  # glyph ink may overhang the advance width by a pixel or two


@dataclass(frozen=True)
class TextBlock:
    """Lines of text laid out at one font size.

    Attributes:
        lines: the wrapped lines (may be empty when nothing fits).
        font: the font they are drawn with.
        line_height_px: distance between baselines.
        width_px: width of the widest line.
        height_px: from the top of the first line to the bottom of the last (0 if empty).
        truncated: whether text was cut (ellipsis added).
    """

    lines: tuple[str, ...]
    font: FreeTypeFont
    line_height_px: int
    width_px: int
    height_px: int
    truncated: bool = False

    @property
    def size_px(self) -> int:
        """Font size in pixels."""
        return int(self.font.size)


def _line_metrics(font: FreeTypeFont, line_spacing: float) -> tuple[int, int]:
    ascent, descent = font.getmetrics()
    glyph_h = ascent + descent
    return max(glyph_h, math.ceil(font.size * line_spacing)), glyph_h


def _cuttable(text: str, i: int) -> bool:
    """True if ``text`` may be cut before index ``i`` (never before a combining mark)."""
    return i >= len(text) or unicodedata.category(text[i])[0] != "M"


HYPHEN = "-"


def _hyphenates(text: str, i: int) -> bool:
    """Whether a cut of ``text`` before index ``i`` falls between two letters of an
    alphabetic script (Latin, Greek, Cyrillic), where a hyphen marks it."""
    if not 0 < i < len(text):
        return False
    a, b = text[i - 1], text[i]
    return a.isalpha() and b.isalpha() and ord(a) < 0x0530 and ord(b) < 0x0530


def _break_word(word: str, font: FreeTypeFont, max_w: float, *, hyphen: bool = False) -> list[str]:
    """Split a word wider than ``max_w`` into pieces that each fit (at least one char each).

    Pieces are cut between characters, never before a combining mark (a Thai vowel sign or
    a Devanagari matra stays with its consonant). With ``hyphen``, a piece cut between two
    letters of an alphabetic script ends with a hyphen (``Infras-`` / ``tructure``), which
    fits too.
    """
    pieces: list[str] = []
    rest = word

    def fits(n: int) -> bool:
        mark = HYPHEN if hyphen and _hyphenates(rest, n) else ""
        return font.getlength(rest[:n] + mark) <= max_w

    while rest:
        if font.getlength(rest) <= max_w:
            pieces.append(rest)
            break
        lo, hi = 1, len(rest)  # largest prefix length that fits, at least 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if fits(mid):
                lo = mid
            else:
                hi = mid - 1
        cut = lo
        while cut > 1 and not _cuttable(rest, cut):
            cut -= 1
        if not _cuttable(rest, cut):  # a single cluster wider than the line
            cut = lo
            while cut < len(rest) and not _cuttable(rest, cut):
                cut += 1
        pieces.append(rest[:cut] + (HYPHEN if hyphen and _hyphenates(rest, cut) else ""))
        rest = rest[cut:]
    return pieces


def _finer_pieces(piece: str, language: str | None) -> list[str]:
    """Break opportunities inside one phrase: by character with kinsoku (Japanese only)."""
    from icu4py.breakers import LineBreaker

    lang = (language or no_space_script(piece) or "").split("-")[0].lower()
    return list(LineBreaker(piece, "ja@lb=strict")) if lang == "ja" else [piece]


def _wrap_pieces(paragraph: str, font: FreeTypeFont, max_width_px: float) -> list[str]:
    """Greedy fill of a paragraph's break opportunities into lines of at most ``max_width_px``."""
    language = getattr(font, "language", None)
    pieces = break_opportunities(paragraph.strip(), language)
    return _wrap_pieces_of(pieces, font, max_width_px, language)


def _wrap_pieces_of(
    pieces: list[str], font: FreeTypeFont, max_width_px: float, language: str | None
) -> list[str]:
    lines: list[str] = []
    current = ""
    for piece in pieces:
        candidate = current + piece
        if font.getlength(candidate.rstrip()) <= max_width_px:
            current = candidate
            continue
        if current.strip():
            lines.append(current.rstrip())
            current = ""
        if font.getlength(piece.rstrip()) <= max_width_px:
            current = piece.lstrip()
            continue
        finer = _finer_pieces(piece, language)
        if len(finer) > 1:  # a Japanese phrase wider than the line: break it by characters
            sub = _wrap_pieces_of(finer, font, max_width_px, language)
        else:
            sub = _break_word(piece.strip(), font, max_width_px)
        lines.extend(sub[:-1])
        current = sub[-1] + piece[len(piece.rstrip()) :]
    if current.strip():
        lines.append(current.rstrip())
    return lines


def wrap_text(text: str, font: FreeTypeFont, max_width_px: float) -> list[str]:
    """Greedy wrap of ``text`` so each line measures at most ``max_width_px``.

    Explicit newlines start new lines. Words are separated by spaces; a paragraph in a script
    written without spaces (Chinese, Japanese, Thai, …) breaks where
    :func:`break_opportunities` allows, with the language of ``font`` when it has one.
    Words longer than a line are broken between characters, with a hyphen where the cut
    falls between two letters of an alphabetic script. Returns ``[]`` for blank text.
    """
    lines: list[str] = []
    space_w = font.getlength(" ")
    for paragraph in text.split("\n"):
        words = paragraph.split()
        if not words:
            if lines:
                lines.append("")
            continue
        if no_space_script(paragraph) is not None:
            lines.extend(_wrap_pieces(paragraph, font, max_width_px))
            continue
        current = ""
        current_w = 0.0
        for word in words:
            word_w = font.getlength(word)
            if current and current_w + space_w + word_w <= max_width_px:
                current += " " + word
                current_w = font.getlength(current)
                continue
            if word_w <= max_width_px:
                if current:
                    lines.append(current)
                current, current_w = word, word_w
            else:  # too long for any line: fill the current line, break between characters
                joined = f"{current} {word}" if current else word
                pieces = _break_word(joined, font, max_width_px, hyphen=True)
                lines.extend(pieces[:-1])
                current = pieces[-1]
                current_w = font.getlength(current)
        lines.append(current)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _block(lines: list[str], font: FreeTypeFont, line_spacing: float, truncated: bool) -> TextBlock:
    line_h, glyph_h = _line_metrics(font, line_spacing)
    width = max((math.ceil(font.getlength(line)) for line in lines), default=0)
    height = (len(lines) - 1) * line_h + glyph_h if lines else 0
    return TextBlock(tuple(lines), font, line_h, width, height, truncated)


def ellipsize(line: str, font: FreeTypeFont, max_width_px: float) -> str:
    """``line`` shortened so that ``line + "…"`` fits ``max_width_px`` (``""`` if nothing fits)."""
    line = line.rstrip()
    while line and font.getlength(line + ELLIPSIS) > max_width_px:
        cut = len(line) - 1  # drop the last cluster: a base with its combining marks
        while cut > 0 and not _cuttable(line, cut):
            cut -= 1
        line = line[:cut].rstrip()
    if not line:
        return ELLIPSIS if font.getlength(ELLIPSIS) <= max_width_px else ""
    return line + ELLIPSIS


def layout_at(
    text: str,
    font_file: str,
    size_px: int,
    box_w: int,
    box_h: int,
    *,
    line_spacing: float = 1.25,
    max_lines: int | None = None,
    truncate: bool = False,
) -> TextBlock | None:
    """Wrap ``text`` at ``size_px``; ``None`` if it does not fit, unless ``truncate``.

    With ``truncate`` the lines that fit are kept and the last one gets an ellipsis.
    """
    font = load_font(font_file, size_px)
    avail_w = box_w - _SIDE_PAD_PX
    if avail_w <= 0:
        return _block([], font, line_spacing, bool(text.strip())) if truncate else None
    lines = wrap_text(text, font, avail_w)
    line_h, glyph_h = _line_metrics(font, line_spacing)
    fit_n = 0 if box_h < glyph_h else 1 + (box_h - glyph_h) // line_h
    if max_lines is not None:
        fit_n = min(fit_n, max_lines)
    if len(lines) <= fit_n:
        return _block(lines, font, line_spacing, False)
    if not truncate:
        return None
    kept = lines[:fit_n]
    if kept:
        kept[-1] = ellipsize(kept[-1], font, avail_w)
        if not kept[-1]:
            kept.pop()
    return _block(kept, font, line_spacing, True)


def fit_text(
    text: str,
    font_file: str,
    box_w: int,
    box_h: int,
    *,
    max_px: int,
    min_px: int,
    line_spacing: float = 1.25,
    max_lines: int | None = None,
) -> TextBlock:
    """The largest layout of ``text`` between ``max_px`` and ``min_px`` that fits the box.

    Binary search on the font size; at ``min_px`` the text is truncated with an ellipsis if
    it still does not fit. The block may be empty when the box cannot hold one line.
    """
    min_px = max(1, min(min_px, max_px))
    best = fit_size(
        text,
        font_file,
        box_w,
        box_h,
        max_px=max_px,
        min_px=min_px,
        line_spacing=line_spacing,
        max_lines=max_lines,
    )
    block = layout_at(
        text,
        font_file,
        best,
        box_w,
        box_h,
        line_spacing=line_spacing,
        max_lines=max_lines,
        truncate=True,
    )
    assert block is not None
    return block


def fit_size(
    text: str,
    font_file: str,
    box_w: int,
    box_h: int,
    *,
    max_px: int,
    min_px: int,
    line_spacing: float = 1.25,
    max_lines: int | None = None,
) -> int:
    """The largest size in ``[min_px, max_px]`` at which ``text`` fits untruncated, else
    ``min_px``. A size at which every word fits a line whole is preferred: a word is broken
    across lines only when no size in the range avoids it."""

    def largest(whole_words: bool) -> int:
        lo, hi = min_px, max(min_px, max_px)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            fits = layout_at(
                text, font_file, mid, box_w, box_h, line_spacing=line_spacing, max_lines=max_lines
            )
            if fits is not None and (not whole_words or _words_fit(text, fits.font, box_w)):
                lo = mid
            else:
                hi = mid - 1
        return lo

    size = largest(whole_words=True)
    block = layout_at(
        text, font_file, size, box_w, box_h, line_spacing=line_spacing, max_lines=max_lines
    )
    if block is not None and _words_fit(text, block.font, box_w):
        return size
    return largest(whole_words=False)


def _words_fit(text: str, font: FreeTypeFont, box_w: int) -> bool:
    """Whether every space-separated word of ``text`` fits a line of ``box_w`` whole (text in
    a script written without spaces always does: it breaks between characters anyway)."""
    avail_w = box_w - _SIDE_PAD_PX
    return all(
        no_space_script(paragraph) is not None
        or all(font.getlength(word) <= avail_w for word in paragraph.split())
        for paragraph in text.split("\n")
    )


def draw_block(
    draw: ImageDraw.ImageDraw,
    block: TextBlock,
    x: int,
    y: int,
    fill: RGB | int,
    *,
    align: Literal["left", "center", "right"] = "left",
    box_w: int | None = None,
) -> None:
    """Draw ``block`` with its top-left at ``(x, y)``; aligned within ``box_w`` if given.

    ``fill`` is an RGB colour, or a grey level 0..255 when ``draw`` paints an ``L`` image.
    """
    width = box_w if box_w is not None else block.width_px
    for i, line in enumerate(block.lines):
        if not line:
            continue
        lx: float = x
        if align != "left":
            line_w = block.font.getlength(line)
            lx = x + (width - line_w) / 2 if align == "center" else x + width - line_w
        draw.text((lx, y + i * block.line_height_px), line, font=block.font, fill=fill, anchor="la")
