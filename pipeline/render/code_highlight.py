"""Syntax-coloured, monospaced code laid out at a readable size, wrapped and paged, never cut.

Code is lexed with Pygments using the scene's language (``TextLexer`` when the name is
unknown), tabs are expanded to 4 columns, and each token type is mapped to a colour that reads
well on the dark code card (:attr:`Palette.code_bg`; every colour reaches 4.5:1 on it).
:func:`paginate_code` picks the largest size between a maximum and a minimum at which the
widest line fits; at the minimum, longer lines wrap onto continuation rows marked ``↪``, and
rows beyond the box go to the next page. :func:`page_durations_s` says how long each page
stays (at least 5 s and 0.4 s per line).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from PIL import ImageDraw
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.token import (
    Comment,
    Error,
    Generic,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Token,
    _TokenType,
)
from pygments.util import ClassNotFound

from pipeline.render.fonts import FreeTypeFont, load_font
from pipeline.render.palette import RGB

TAB_SIZE = 4
MAX_LEXED_LINES = 400
"""Only this many lines are lexed; more can never be shown."""
LINE_SPACING = 1.3

CodeLine = tuple[tuple[str, RGB], ...]
"""One line of code: ``(text, colour)`` runs, no newline characters."""

_TOKEN_COLORS: tuple[tuple[_TokenType, RGB], ...] = (
    (Comment, (127, 140, 152)),
    (String.Doc, (127, 140, 152)),
    (String, (195, 232, 141)),
    (Number, (247, 140, 108)),
    (Keyword.Constant, (247, 140, 108)),
    (Keyword, (199, 146, 234)),
    (Name.Builtin, (137, 221, 255)),
    (Name.Function, (130, 170, 255)),
    (Name.Class, (255, 203, 107)),
    (Name.Decorator, (255, 203, 107)),
    (Name.Exception, (255, 203, 107)),
    (Name.Tag, (240, 113, 120)),
    (Name.Attribute, (255, 203, 107)),
    (Name.Variable, (240, 113, 120)),
    (Operator.Word, (199, 146, 234)),
    (Operator, (137, 221, 255)),
    (Punctuation, (191, 199, 213)),
    (Generic.Prompt, (137, 221, 255)),
    (Generic.Deleted, (240, 113, 120)),
    (Generic.Inserted, (195, 232, 141)),
    (Error, (240, 113, 120)),
)


@lru_cache(maxsize=256)
def token_color(token_type: _TokenType, default: RGB) -> RGB:
    """The colour of a Pygments token type (its closest listed ancestor), else ``default``."""
    for parent, color in _TOKEN_COLORS:
        if token_type in parent:
            return color
    return default


def get_lexer(language: str) -> Lexer:
    """A Pygments lexer for ``language``; ``TextLexer`` for unknown names."""
    try:
        return get_lexer_by_name(language.strip().lower() or "text", stripnl=False, ensurenl=False)
    except ClassNotFound:
        return TextLexer(stripnl=False, ensurenl=False)


def highlight(code: str, language: str, default: RGB) -> list[CodeLine]:
    """Split ``code`` into coloured lines (tabs expanded, trailing blank lines dropped)."""
    raw_lines = code.expandtabs(TAB_SIZE).split("\n")[:MAX_LEXED_LINES]
    text = "\n".join(line.rstrip("\r") for line in raw_lines)
    lines: list[list[tuple[str, RGB]]] = [[]]
    for token_type, value in get_lexer(language).get_tokens(text):
        color = token_color(token_type, default) if token_type is not Token.Text else default
        parts = value.split("\n")
        for i, part in enumerate(parts):
            if i > 0:
                lines.append([])
            if part:
                lines[-1].append((part, color))
    while lines and not "".join(t for t, _ in lines[-1]).strip():
        lines.pop()
    return [tuple(line) for line in lines]


def line_length(line: CodeLine) -> int:
    """Number of characters (columns) in ``line``."""
    return sum(len(text) for text, _ in line)


def _metrics(size_px: int, font_file: str) -> tuple[FreeTypeFont, float, int, int]:
    """``(font, advance of one character, line height, glyph height)`` at ``size_px``."""
    font = load_font(font_file, size_px)
    ascent, descent = font.getmetrics()
    glyph_h = ascent + descent
    return font, font.getlength("0"), max(glyph_h, math.ceil(size_px * LINE_SPACING)), glyph_h


def draw_code_line(
    draw: ImageDraw.ImageDraw, line: CodeLine, font: FreeTypeFont, char_w: float, x: int, y: int
) -> None:
    """Draw one coloured line with its top-left at ``(x, y)`` on a fixed character grid."""
    col = 0
    for text, color in line:
        if text.strip():
            draw.text((x + col * char_w, y), text, font=font, fill=color, anchor="la")
        col += len(text)


CONTINUATION = "\u21aa "
"""Marks a wrapped code line's continuation (drawn in the marker colour)."""


def wrap_code_line(line: CodeLine, max_cols: int, marker: RGB) -> list[CodeLine]:
    """``line`` split into rows of at most ``max_cols`` columns; continuation rows start
    with :data:`CONTINUATION` in ``marker`` colour. Nothing is cut."""
    if line_length(line) <= max_cols or max_cols <= len(CONTINUATION) + 1:
        return [line]
    rows: list[CodeLine] = []
    current: list[tuple[str, RGB]] = []
    room = max_cols
    for text, color in line:
        while text:
            piece, text = text[:room], text[room:]
            current.append((piece, color))
            room -= len(piece)
            if room == 0:
                rows.append(tuple(current))
                current = [(CONTINUATION, marker)]
                room = max_cols - len(CONTINUATION)
    if len(current) > 1 or not rows:
        rows.append(tuple(current))
    return rows


@dataclass(frozen=True)
class CodePages:
    """Code laid out at one readable size and split into pages.

    Attributes:
        pages: rows per page (wrapped lines continue on the next row, never cut).
        lines_per_page: source lines per page (what a viewer reads; wrapped rows count once).
        font, char_w, line_height_px, glyph_h: the monospaced face and its metrics.
        width_px: widest row, pixels.
    """

    pages: tuple[tuple[CodeLine, ...], ...]
    lines_per_page: tuple[int, ...]
    font: FreeTypeFont
    char_w: float
    line_height_px: int
    glyph_h: int
    width_px: int

    def height_px(self, page: int) -> int:
        """Height of page ``page``, pixels."""
        n = len(self.pages[page])
        return (n - 1) * self.line_height_px + self.glyph_h if n else 0


def paginate_code(
    lines: list[CodeLine],
    box_w: int,
    box_h: int,
    *,
    max_px: int,
    min_px: int,
    marker: RGB,
    font_file: str = "DejaVuSansMono.ttf",
) -> CodePages:
    """Lay out ``lines`` at the largest size in ``[min_px, max_px]`` at which the widest line
    fits ``box_w`` (else at ``min_px``, wrapping longer lines), in pages of ``box_h``.

    Pages break preferably at a blank line in the last third of a page. At least one row
    per page, even when ``box_h`` is smaller than a row.
    """
    n_cols = max((line_length(line) for line in lines), default=0)
    size = min_px
    for candidate in range(max(min_px, max_px), min_px - 1, -1):
        _, char_w, _, _ = _metrics(candidate, font_file)
        if n_cols * char_w <= box_w:
            size = candidate
            break
    font, char_w, line_h, glyph_h = _metrics(size, font_file)
    max_cols = max(1, int(box_w // char_w)) if char_w > 0 else 1
    rows_per_page = max(1, 1 + (box_h - glyph_h) // line_h) if box_h >= glyph_h else 1
    wrapped = [wrap_code_line(line, max_cols, marker) for line in lines]
    pages: list[tuple[CodeLine, ...]] = []
    counts: list[int] = []
    i = 0
    while i < len(wrapped):
        rows: list[CodeLine] = []
        j = i
        while j < len(wrapped) and (not rows or len(rows) + len(wrapped[j]) <= rows_per_page):
            rows += wrapped[j]
            j += 1
        if j < len(wrapped):  # prefer to end the page after a blank line near its end
            for k in range(j - 1, i + max(1, (j - i) * 2 // 3) - 1, -1):
                if not "".join(t for t, _ in wrapped[k][0]).strip() and k > i:
                    rows = [row for w in wrapped[i:k] for row in w]
                    j = k + 1  # the blank line itself is dropped at the page break
                    break
        pages.append(tuple(rows))
        counts.append(j - i)
        i = j
    width = math.ceil(max((line_length(r) for p in pages for r in p), default=0) * char_w)
    return CodePages(tuple(pages), tuple(counts), font, char_w, line_h, glyph_h, width)


MIN_PAGE_S = 5.0
"""A page of code stays on screen at least this long."""
PAGE_S_PER_LINE = 0.4
"""…and at least this long per line on it."""


def page_durations_s(lines_per_page: tuple[int, ...], total_s: float | None = None) -> list[float]:
    """How long each page of code stays: at least ``max(5 s, 0.4 s × lines)``; with
    ``total_s`` (the scene's length) longer than their sum, the extra time is shared in
    proportion to those minimums."""
    minimums = [max(MIN_PAGE_S, PAGE_S_PER_LINE * n) for n in lines_per_page]
    if total_s is None or total_s <= sum(minimums) or not minimums:
        return minimums
    scale = total_s / sum(minimums)
    return [m * scale for m in minimums]
