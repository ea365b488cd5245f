"""PDF → document blocks with pypdf.

A hostile or broken PDF can make a parser loop or allocate without bound; like every parser
it runs in a child process under the limits of :mod:`pipeline.sandbox` (CPU time, wall time,
memory), through :func:`pipeline.adapters.load_document`. The reader collects text runs
(font size, text) per page; headings come from the PDF outline when it has
one, else from font size (runs larger than the body text, ranked by size into levels).
Running headers, footers and page numbers (text smaller than the body) are dropped.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pipeline.adapters.blocks import (
    Block,
    Document,
    Heading,
    ListBlock,
    ListEntry,
    Paragraph,
    tidy,
)
from pipeline.errors import InputError

MAX_PDF_PAGES = 500
"""Pages after this one are ignored."""

_BULLET_RE = re.compile(r"^\s*(?:[•◦▪‣∙·\-–*]|\d{1,3}[.)])\s+")
_PAGE_NUMBER_RE = re.compile(r"^\s*(?:page\s+)?\d+(?:\s+(?:of|/)\s+\d+)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class TextRun:
    """Consecutive text drawn with one font size in one text object (roughly a paragraph)."""

    page: int
    size: float
    text: str


@dataclass(frozen=True)
class PdfContent:
    """What the reader found: text runs and outline entries ``(level, title)``."""

    runs: list[TextRun]
    outline: list[tuple[int, str]]


def pdf_document(path: Path) -> Document:
    """Blocks of the PDF at ``path``.

    Raises:
        InputError: not a PDF, damaged or truncated, encrypted, no extractable text (scanned),
            or the reader failed.
    """
    source = str(path)
    with path.open("rb") as handle:
        head = handle.read(1024)
    if b"%PDF-" not in head:
        raise InputError(
            "this is not a PDF file", source=source, hint="choose a real .pdf document"
        )
    content = _extract(str(path))
    blocks = runs_to_blocks(content)
    if not blocks:
        raise InputError(
            "the PDF has no extractable text (it may be scanned images)",
            source=source,
            hint="run OCR on it first, or export the document as text or Markdown",
        )
    return Document(blocks=blocks)


def _extract(path: str) -> PdfContent:
    import logging
    import warnings

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    warnings.simplefilter("ignore")
    reader = PdfReader(path, strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        raise ValueError("the PDF is encrypted with a password")
    runs: list[TextRun] = []
    for number, page in enumerate(reader.pages):
        if number >= MAX_PDF_PAGES:
            break
        runs.extend(_page_runs(page, number))
    outline: list[tuple[int, str]] = []
    try:
        _flatten_outline(reader.outline, 1, outline)
    except Exception:  # a broken outline only loses headings
        outline = []
    return PdfContent(runs=runs, outline=outline)


def _page_runs(page: object, number: int) -> list[TextRun]:
    runs: list[TextRun] = []
    current: list[str] = []
    key: tuple[float, tuple[float, ...]] | None = None

    def flush() -> None:
        text = "".join(current).strip()
        if text and key is not None:
            runs.append(TextRun(number, key[0], text))
        current.clear()

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        nonlocal key
        if not text:
            return
        scale = abs(tm[0]) if tm and tm[0] else 1.0
        effective = round(float(size or 0) * scale, 1)
        this_key = (effective, tuple(round(v, 1) for v in cm))
        if key is not None and this_key != key and text.strip():
            flush()
        if text.strip() or current:
            key = this_key if text.strip() else key
            current.append(text if text.endswith((" ", "\n")) else text + " ")

    page.extract_text(visitor_text=visit)  # type: ignore[attr-defined]
    flush()
    return runs


def _flatten_outline(items: list[object], level: int, out: list[tuple[int, str]]) -> None:
    for item in items:
        if isinstance(item, list):
            _flatten_outline(item, level + 1, out)
        else:
            title = getattr(item, "title", None)
            if isinstance(title, str) and title.strip():
                out.append((level, title.strip()))


def runs_to_blocks(content: PdfContent) -> list[Block]:
    """Headings, paragraphs and lists from text runs (see the module docstring)."""
    runs = [run for run in content.runs if not _PAGE_NUMBER_RE.match(run.text)]
    if not runs:
        return []
    weights: Counter[float] = Counter()
    for run in runs:
        weights[run.size] += len(run.text)
    body = weights.most_common(1)[0][0]
    outline = {_key(title): level for level, title in content.outline}
    heading_sizes = sorted({r.size for r in runs if r.size > body + 0.5}, reverse=True)
    levels = {size: min(i + 1, 6) for i, size in enumerate(heading_sizes)}
    repeated = _repeated_lines(runs)
    blocks: list[Block] = []
    entries: list[ListEntry] = []

    def flush_list() -> None:
        if entries:
            blocks.append(ListBlock(tuple(entries)))
            entries.clear()

    for run in runs:
        text = tidy(run.text)
        if not text or run.size < body - 0.5 or _key(text) in repeated:
            continue
        if _key(text) in outline:
            flush_list()
            blocks.append(Heading(outline[_key(text)], text))
        elif run.size in levels and len(text) <= 150:
            flush_list()
            blocks.append(Heading(levels[run.size], text))
        elif _BULLET_RE.match(text):
            entries.append(ListEntry(_BULLET_RE.sub("", text, count=1)))
        else:
            flush_list()
            blocks.append(Paragraph(text))
    flush_list()
    return blocks


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def _repeated_lines(runs: list[TextRun]) -> set[str]:
    """Short texts repeated on most pages at body size or smaller (running headers)."""
    pages = len({run.page for run in runs})
    if pages < 3:
        return set()
    seen: Counter[str] = Counter()
    for text in {(run.page, _key(run.text)) for run in runs if len(run.text) < 80}:
        seen[text[1]] += 1
    return {text for text, count in seen.items() if count >= max(3, pages * 0.6)}
