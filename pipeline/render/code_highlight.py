"""Syntax-coloured, monospaced code that shrinks to fit a box and is clipped by lines.

Code is lexed with Pygments using the scene's language (``TextLexer`` when the name is
unknown), tabs are expanded to 4 columns, and each token type is mapped to a colour that reads
well on the dark code card (:attr:`Palette.code_bg`). :func:`fit_code` picks the largest font
size between a maximum and a minimum at which every line fits; at the minimum, over-long lines
end with ``…`` and lines beyond the box are replaced by a final ``…`` line.
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
from pipeline.render.text_layout import ELLIPSIS

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


@dataclass(frozen=True)
class CodeLayout:
    """Code lines ready to draw at one size.

    Attributes:
        lines: the visible lines (already truncated; may end with an ellipsis line).
        font: DejaVu Sans Mono at the chosen size.
        char_w: advance width of one character, pixels (fractional).
        line_height_px: distance between lines.
        width_px, height_px: size of the drawn block.
        clipped: whether lines or columns were cut.
    """

    lines: tuple[CodeLine, ...]
    font: FreeTypeFont
    char_w: float
    line_height_px: int
    width_px: int
    height_px: int
    clipped: bool


def _metrics(size_px: int, font_file: str) -> tuple[FreeTypeFont, float, int, int]:
    font = load_font(font_file, size_px)
    ascent, descent = font.getmetrics()
    glyph_h = ascent + descent
    return font, font.getlength("0"), max(glyph_h, math.ceil(size_px * LINE_SPACING)), glyph_h


def _fits(n_lines: int, n_cols: int, size_px: int, box_w: int, box_h: int, font_file: str) -> bool:
    _, char_w, line_h, glyph_h = _metrics(size_px, font_file)
    height = (n_lines - 1) * line_h + glyph_h if n_lines else 0
    return n_cols * char_w <= box_w and height <= box_h


def _truncate(line: CodeLine, max_cols: int, marker: RGB) -> CodeLine:
    if line_length(line) <= max_cols:
        return line
    out: list[tuple[str, RGB]] = []
    room = max(0, max_cols - 1)
    for text, color in line:
        if room <= 0:
            break
        out.append((text[:room], color))
        room -= len(text[:room])
    out.append((ELLIPSIS, marker))
    return tuple(out)


def fit_code(
    lines: list[CodeLine],
    box_w: int,
    box_h: int,
    *,
    max_px: int,
    min_px: int,
    marker: RGB,
    font_file: str = "DejaVuSansMono.ttf",
) -> CodeLayout:
    """Lay out ``lines`` in a ``box_w`` × ``box_h`` box (see module docstring).

    ``marker`` colours the ``…`` added to cut lines. The result never exceeds the box; it has
    no lines when the box cannot hold one line at ``min_px``.
    """
    n_lines = len(lines)
    n_cols = max((line_length(line) for line in lines), default=0)
    lo, hi = min_px, max(min_px, max_px)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _fits(n_lines, n_cols, mid, box_w, box_h, font_file):
            lo = mid
        else:
            hi = mid - 1
    font, char_w, line_h, glyph_h = _metrics(lo, font_file)
    max_cols = int(box_w // char_w) if char_w > 0 else 0
    max_rows = 0 if box_h < glyph_h else 1 + (box_h - glyph_h) // line_h
    clipped = False
    visible = list(lines)
    if len(visible) > max_rows:
        clipped = True
        visible = visible[: max(0, max_rows - 1)]
        if max_rows > 0:
            visible.append(((ELLIPSIS, marker),))
    if max_cols < 1:
        visible = []
    cut = [_truncate(line, max_cols, marker) for line in visible]
    clipped = clipped or cut != visible
    width = math.ceil(max((line_length(line) for line in cut), default=0) * char_w)
    height = (len(cut) - 1) * line_h + glyph_h if cut else 0
    return CodeLayout(tuple(cut), font, char_w, line_h, width, height, clipped)


def draw_code_line(
    draw: ImageDraw.ImageDraw, line: CodeLine, font: FreeTypeFont, char_w: float, x: int, y: int
) -> None:
    """Draw one coloured line with its top-left at ``(x, y)`` on a fixed character grid."""
    col = 0
    for text, color in line:
        if text.strip():
            draw.text((x + col * char_w, y), text, font=font, fill=color, anchor="la")
        col += len(text)


def draw_code(draw: ImageDraw.ImageDraw, layout: CodeLayout, x: int, y: int) -> None:
    """Draw a :class:`CodeLayout` with its top-left at ``(x, y)``."""
    for i, line in enumerate(layout.lines):
        draw_code_line(draw, line, layout.font, layout.char_w, x, y + i * layout.line_height_px)
