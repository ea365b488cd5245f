"""PDF → document blocks with pypdf, parsed in a child process with time and memory limits.

A hostile or broken PDF can make a parser loop or allocate without bound, so the parsing runs
in a fresh ``spawn`` process limited to :data:`PDF_TIMEOUT_S` seconds of wall time and
:data:`PDF_MEMORY_BYTES` of address space (``RLIMIT_AS``, where the OS supports it). The child
returns text runs (font size, text) per page; headings come from the PDF outline when it has
one, else from font size (runs larger than the body text, ranked by size into levels).
Running headers, footers and page numbers (text smaller than the body) are dropped.
"""

from __future__ import annotations

import multiprocessing
import re
from collections import Counter
from dataclasses import dataclass
from multiprocessing.connection import Connection
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

PDF_TIMEOUT_S = 30.0
"""Wall-time limit of the parsing child process."""
PDF_MEMORY_BYTES = 1024 * 1024 * 1024
"""Address-space limit of the parsing child process (1 GiB)."""
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
    """What the child process sends back: text runs and outline entries ``(level, title)``."""

    runs: list[TextRun]
    outline: list[tuple[int, str]]


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
    content = _run_child(path)
    blocks = runs_to_blocks(content)
    if not blocks:
        raise InputError(
            "the PDF has no extractable text (it may be scanned images)",
            source=source,
            hint="run OCR on it first, or export the document as text or Markdown",
        )
    return Document(blocks=blocks)


def _run_child(path: Path) -> PdfContent:
    source = str(path)
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child_main, args=(str(path), sender), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(PDF_TIMEOUT_S):
            raise InputError(
                f"reading the PDF took longer than {PDF_TIMEOUT_S:.0f} s",
                source=source,
                hint="the file may be damaged or hostile; export it again or convert it to text",
            )
        try:
            result = receiver.recv()
        except (EOFError, OSError) as error:
            raise InputError(
                "reading the PDF failed (it needed too much memory or crashed the reader)",
                source=source,
                hint="the file may be damaged; export it again or convert it to text",
            ) from error
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join(5)
    if isinstance(result, str):
        raise InputError(
            f"the PDF could not be read: {result}",
            source=source,
            hint="the file may be damaged, truncated or encrypted; export it again",
        )
    assert isinstance(result, PdfContent)
    return result


def _child_main(path: str, sender: Connection) -> None:  # pragma: no cover - child process
    """Entry point of the child: apply limits, parse, send a PdfContent or an error string."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (PDF_MEMORY_BYTES, PDF_MEMORY_BYTES))
    except (ImportError, ValueError, OSError):
        pass
    try:
        sender.send(_extract(path))
    except MemoryError:
        sender.send("it needs more memory than allowed")
    except Exception as error:  # any parser failure goes to the parent
        sender.send(f"{type(error).__name__}: {error}"[:300])
    finally:
        sender.close()


def _extract(path: str) -> PdfContent:  # pragma: no cover - runs in the child process
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


def _page_runs(page: object, number: int) -> list[TextRun]:  # pragma: no cover - child
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
    for item in items:  # pragma: no cover - child
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
