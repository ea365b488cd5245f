"""PDF → document blocks with pypdf.

A hostile or broken PDF can make a parser loop or allocate without bound; like every parser
it runs in a child process under the limits of :mod:`pipeline.sandbox` (CPU time, wall time,
memory), through :func:`pipeline.adapters.read_document`. The reader (:func:`_extract`)
collects visual lines with position, size and weight, and the outline; what the lines mean —
headings (from the outline when there is one, else from font size), lists, paragraphs, page
furniture — is decided by :mod:`pipeline.adapters.pdf_layout`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.adapters.blocks import Block, Document, Heading
from pipeline.adapters.pdf_layout import lines_to_blocks as layout_blocks
from pipeline.errors import InputError

MAX_PDF_PAGES = 500
"""Pages after this one are ignored."""

_BOLD_FONT_RE = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_MONO_FONT_RE = re.compile(r"mono|courier|consol|code|menlo|typewriter", re.IGNORECASE)
_NO_SPACE_BEFORE = tuple(",.;:!?)]}%")
_MARKER_ONLY_RE = re.compile(r"^\s*\S{1,3}\s*$")


@dataclass(frozen=True)
class PdfLine:
    """One visual line of a page: its text and where and how it is drawn.

    Attributes:
        page: page index, from 0.
        x: left edge of the line, points from the page's left.
        y: baseline, points from the page's bottom.
        size: effective font size in points (the size of most of its characters).
        bold: every character (bar list markers) is in a bold font.
        text: the text, fragments joined left to right.
        mono: every character is in a monospaced font (code).
    """

    page: int
    x: float
    y: float
    size: float
    bold: bool
    text: str
    mono: bool = False


@dataclass(frozen=True)
class PdfContent:
    """What the reader found.

    Attributes:
        lines: visual lines in reading order (page, top to bottom, left to right).
        outline: the PDF outline (bookmarks) as ``(level, title)``, level 1 at the top.
        pages: number of pages read.
        page_heights: height of each page read, points.
        empty_pages: indices of pages without any text (scanned images?).
    """

    lines: list[PdfLine]
    outline: list[tuple[int, str]]
    pages: int
    page_heights: list[float]
    empty_pages: list[int]


def pdf_document(path: Path) -> Document:
    """Blocks of the PDF at ``path``.

    Raises:
        InputError: not a PDF, damaged or truncated, encrypted, no extractable text (scanned),
            or parsing exceeded the time or memory limit.
    """
    source = str(path)
    with path.open("rb") as handle:
        head = handle.read(1024)
    if b"%PDF-" not in head:
        raise InputError(
            "this is not a PDF file", source=source, hint="choose a real .pdf document"
        )
    content = _read(path)
    blocks = lines_to_blocks(content)
    if not blocks:
        raise InputError(
            "the PDF has no extractable text (it may be scanned images)",
            source=source,
            hint="run OCR on it first, or export the document as text or Markdown",
        )
    notes: list[str] = []
    if content.empty_pages:
        listed = ", ".join(str(n + 1) for n in content.empty_pages[:10])
        more = " …" if len(content.empty_pages) > 10 else ""
        notes.append(
            f"{path.name}: {len(content.empty_pages)} of {content.pages} pages have no text "
            f"(scanned images?) and are left out: page {listed}{more}; run OCR on the PDF to "
            "include them"
        )
    if content.pages >= 3 and not any(isinstance(b, Heading) for b in blocks):
        notes.append(
            f"{path.name}: no headings found (no outline, one font size); the video follows "
            "the paragraphs. A PDF exported with bookmarks or heading styles gives sections"
        )
    return Document(blocks=blocks, notes=notes)


def _read(path: Path) -> PdfContent:
    """The PDF's lines and outline; a reader failure becomes an :class:`InputError`."""
    try:
        return _extract(str(path))
    except MemoryError as error:
        raise InputError(
            "reading the PDF needs more memory than allowed",
            source=str(path),
            hint="the file may be damaged or hostile; export it again or convert it to text",
        ) from error
    except Exception as error:  # any parser failure, with the reader's words
        raise InputError(
            f"the PDF could not be read: {type(error).__name__}: {error}"[:300],
            source=str(path),
            hint="the file may be damaged, truncated or encrypted; export it again",
        ) from error


def _extract(path: str) -> PdfContent:
    """Read the lines and the outline of the PDF at ``path``."""
    import logging
    import warnings

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    warnings.simplefilter("ignore")
    reader = PdfReader(path, strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        raise ValueError("the PDF is encrypted with a password")
    lines: list[PdfLine] = []
    heights: list[float] = []
    empty: list[int] = []
    for number, page in enumerate(reader.pages):
        if number >= MAX_PDF_PAGES:
            break
        try:
            heights.append(float(page.mediabox.height))
        except Exception:  # a broken media box: assume A4
            heights.append(842.0)
        page_lines = page_lines_of(page, number)
        if not page_lines:
            empty.append(number)
        lines.extend(page_lines)
    outline: list[tuple[int, str]] = []
    try:
        _flatten_outline(reader.outline, 1, outline)
    except Exception:  # a broken outline only loses headings
        outline = []
    return PdfContent(lines, outline, len(heights), heights, empty)


def page_lines_of(page: Any, number: int) -> list[PdfLine]:
    """Visual lines of one pypdf page: text fragments grouped by baseline, left to right.

    pypdf reports each text-showing operation with its matrices; the position is the text
    matrix's origin mapped through the current transformation matrix, the effective size the
    font size scaled by both. Fragments whose baselines are within 40 % of the font size of
    each other form one line (list markers are often drawn apart from their text).
    """
    fragments: list[tuple[float, float, float, bool, str, bool]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if not text or not text.strip():
            return
        x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
        y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
        scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3]) or 1.0
        effective = round(float(size or 0) * scale, 1)
        name = str(font.get("/BaseFont", "")) if hasattr(font, "get") else ""
        bold = bool(_BOLD_FONT_RE.search(name))
        mono = bool(_MONO_FONT_RE.search(name))
        for k, part in enumerate(text.split("\n")):
            if part.strip():
                fragments.append((x, y - k * effective * 1.2, effective, bold, part, mono))

    page.extract_text(visitor_text=visit)
    fragments.sort(key=lambda f: (-f[1], f[0]))
    groups: list[list[tuple[float, float, float, bool, str, bool]]] = []
    for fragment in fragments:
        if groups and abs(groups[-1][0][1] - fragment[1]) <= 0.4 * max(fragment[2], 1.0):
            groups[-1].append(fragment)
        else:
            groups.append([fragment])
    lines: list[PdfLine] = []
    for group in groups:
        group.sort(key=lambda f: f[0])
        text = ""
        for fragment in group:
            part = fragment[4]
            glued = not text or text.endswith(" ") or part.startswith((" ", *_NO_SPACE_BEFORE))
            text += part if glued else " " + part
        sizes: Counter[float] = Counter()
        for fragment in group:
            sizes[fragment[2]] += len(fragment[4].strip())
        words = [f for f in group if not _MARKER_ONLY_RE.match(f[4])]
        bold = bool(words) and all(f[3] for f in words)
        mono = all(f[5] for f in group)
        size = sizes.most_common(1)[0][0]
        lines.append(PdfLine(number, group[0][0], group[0][1], size, bold, text, mono))
    return lines


def _flatten_outline(items: Sequence[Any], level: int, out: list[tuple[int, str]]) -> None:
    for item in items:
        if isinstance(item, list):
            _flatten_outline(item, level + 1, out)
        else:
            title = getattr(item, "title", None)
            if isinstance(title, str) and title.strip():
                out.append((level, title.strip()))


def lines_to_blocks(content: PdfContent) -> list[Block]:
    """Blocks of the PDF's lines (rules in :mod:`pipeline.adapters.pdf_layout`)."""
    return layout_blocks(content.lines, content.outline, content.page_heights)
