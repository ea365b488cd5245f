"""PDF lines → document blocks: the author's structure recovered from the page layout.

Input is what :mod:`pipeline.adapters.pdf` reads from a PDF (visual lines with position, size
and boldness, and the outline); output is the blocks every adapter produces. The rules:

* **Running headers, footers and page numbers go.** A line whose text (digits ignored) recurs
  at the same height on at least half of the pages (and on two or more) is page furniture, as
  is a bare page number ("12", "Page 3 of 12", "- 4 -") in the top or bottom 12 % of a page.
* **Headings** come from the outline (bookmarks) when the PDF has one: a line (or run of
  lines) whose text is an outline title becomes a heading of that outline level. Other lines
  larger than the body text (the size that carries most characters) are headings too, ranked
  by size. On the first page, large lines right after the title are its subtitle. A short
  bold line at body size is a bold lead (``**Setup:**`` in Markdown), which the scene rules
  turn into a sub-heading or a list's header.
* **Lists**: a line starting with a bullet (``•``, ``◦``, ``▪``, ``‣``, ``●``, ``○``, ``■``,
  ``–``, ``-``, ``*``, the private-use bullets of Symbol/Wingdings fonts) or a number or letter
  (``1.``, ``2)``, ``a)``, ``iv.``) opens a list entry; following lines indented past the
  marker continue it; a marker indented further than the list's first marker opens a nested
  entry (its text is folded into the entry above, as in Markdown).
* **Paragraphs** are runs of lines of the same size and weight without a gap larger than
  1.5 × the line spacing; a paragraph continues over a page break when its last line does not
  end a sentence. Lines are joined with a space, except a line-end hyphen inside a word
  ("dan-" + "gerous" → "dangerous") and a URL broken after ``/``, ``-``, ``.``, ``_``, ``?``,
  ``=``, ``&`` or ``#``, which are joined without one, so URLs stay whole.
* **Code**: runs of lines set in a monospaced font become a code block, indentation kept.
* **Tables of contents are skipped**: a heading named "Contents" or "Table of contents" and
  everything up to the next heading, and any dot-leader line ("Setup ....... 4").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pipeline.adapters.blocks import Block, Code, Heading, ListBlock, ListEntry, Paragraph, tidy

BULLETS = "•◦▪▫‣⁃∙·●○■□◆◇►▸➢➤✓✔❖–—*\uf0b7\uf0a7\uf076\uf0d8\uf0fc\uf06e\uf0a8-"
"""Characters that mark a bulleted list entry at the start of a line."""

_MARKER_RE = re.compile(
    r"^\s*(?:[" + re.escape(BULLETS) + r"]|\(?(?:\d{1,3}|[a-zA-Z]|[ivxlc]{1,6})[.)])(?:\s+|$)"
)
_NUMBERED_RE = re.compile(r"^\s*\(?(?:\d{1,3}|[a-zA-Z]|[ivxlc]{1,6})[.)]")
_PAGE_NUMBER_RE = re.compile(
    r"^\s*(?:[-–—]\s*)?(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?(?:\s*[-–—])?\s*$",
    re.IGNORECASE,
)
_DOT_LEADER_RE = re.compile(r"(?:\.\s*){4,}\d{1,4}\s*$|\s{3,}\d{1,4}\s*$")
_TOC_TITLES = frozenset({"contents", "table of contents", "toc", "inhalt", "sommaire"})
_URL_TAIL_RE = re.compile(r"(?:https?://|www\.)\S*[/\-._?=&#]$", re.IGNORECASE)
_HYPHEN_END_RE = re.compile(r"(?:[A-Za-zà-ÿ][a-zà-ÿ]-|[^\W\d_][\u2010\u00ad])$")
_SENTENCE_END = ".!?:;\"'”’)"


class LayoutLine(Protocol):
    """What the rules need of a line (:class:`pipeline.adapters.pdf.PdfLine` has it)."""

    @property
    def page(self) -> int: ...
    @property
    def x(self) -> float: ...
    @property
    def y(self) -> float: ...
    @property
    def size(self) -> float: ...
    @property
    def bold(self) -> bool: ...
    @property
    def text(self) -> str: ...
    @property
    def mono(self) -> bool: ...


@dataclass
class _Entry:
    marker_x: float
    text_parts: list[str]
    children: list[str] = field(default_factory=list)


def join_lines(first: str, second: str) -> str:
    """Join two lines of running text: hyphenated words and broken URLs without a space."""
    first, second = first.rstrip(), second.strip()
    if not first:
        return second
    if not second:
        return first
    if _HYPHEN_END_RE.search(first) and second[:1].islower():
        return first[:-1] + second
    last_token = first.rsplit(" ", 1)[-1]
    if _URL_TAIL_RE.search(last_token) and " " not in second.split(" ", 1)[0]:
        return first + second
    return first + " " + second


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _furniture_key(line: LayoutLine) -> tuple[str, int]:
    return (re.sub(r"\d+", "#", _norm(line.text)), round(line.y / 6))


def drop_page_furniture(
    lines: Sequence[LayoutLine], page_heights: Sequence[float]
) -> list[LayoutLine]:
    """Lines without running headers, footers and page numbers (rules in the module doc)."""
    pages = len({line.page for line in lines})
    seen: dict[tuple[str, int], set[int]] = {}
    for line in lines:
        if len(line.text) <= 120:
            seen.setdefault(_furniture_key(line), set()).add(line.page)
    need = max(2, (pages + 1) // 2)
    repeated = {key for key, on in seen.items() if len(on) >= need} if pages >= 2 else set()
    kept: list[LayoutLine] = []
    for line in lines:
        height = page_heights[line.page] if line.page < len(page_heights) else 842.0
        in_margin = line.y < 0.12 * height or line.y > 0.88 * height
        if _furniture_key(line) in repeated and len(line.text) <= 120:
            continue
        if in_margin and _PAGE_NUMBER_RE.match(line.text):
            continue
        kept.append(line)
    return kept


def body_size(lines: Iterable[LayoutLine]) -> float:
    """The font size that carries the most characters (the running text)."""
    weights: Counter[float] = Counter()
    for line in lines:
        weights[round(line.size)] += len(line.text)
    return float(weights.most_common(1)[0][0]) if weights else 0.0


def lines_to_blocks(
    lines: Sequence[LayoutLine],
    outline: Sequence[tuple[int, str]] = (),
    page_heights: Sequence[float] = (),
) -> list[Block]:
    """Headings, paragraphs and lists from the lines of a PDF (rules in the module doc)."""
    lines = drop_page_furniture(lines, page_heights)
    lines = [line for line in lines if line.text.strip() and not _DOT_LEADER_RE.search(line.text)]
    if not lines:
        return []
    body = body_size(lines)
    outline_levels: dict[str, int] = {}
    for outline_level, title in outline:
        outline_levels.setdefault(_norm(tidy(title)), outline_level)
    largest = max(round(line.size) for line in lines)
    first_page = lines[0].page
    big = sorted(
        {
            round(line.size)
            for line in lines
            if body < round(line.size) < largest and line.page != first_page
        },
        reverse=True,
    )
    size_levels = {size: min(rank + 2, 6) for rank, size in enumerate(big)}
    if largest > body:
        size_levels[largest] = 1
    for line in lines:  # large lines of the title page only: subtitles, below the title
        size = round(line.size)
        if body < size and size not in size_levels:
            size_levels[size] = 2
    if outline_levels:  # outline levels win; sizes only rank what the outline does not name
        size_levels = {size: min(level + 1, 6) for size, level in size_levels.items()}
    spacing = _line_spacing(lines, body)
    builder = _Builder()
    i = 0
    seen_body = False
    while i < len(lines):
        line = lines[i]
        text = line.text.strip()
        size = round(line.size)
        # A heading may wrap: take following lines of the same size and weight.
        if (
            size in size_levels
            or _norm(text) in outline_levels
            or _outline_prefix(text, outline_levels)
        ):
            j = i + 1
            joined = text
            while (
                j < len(lines)
                and lines[j].page == line.page
                and round(lines[j].size) == size
                and lines[j].bold == line.bold
                and 0 < lines[j - 1].y - lines[j].y <= 1.6 * lines[j].size
                and len(joined) < 150
                and (_outline_prefix(joined, outline_levels) or _norm(joined) not in outline_levels)
                and not _MARKER_RE.match(lines[j].text)
            ):
                joined = join_lines(joined, lines[j].text)
                j += 1
            level: int | None = outline_levels.get(_norm(tidy(joined)))
            if level is None and size in size_levels and len(joined) <= 150:
                level = size_levels[size]
            if level is not None:
                if (
                    not seen_body
                    and builder.has_title
                    and level > 1
                    and line.page == first_page
                    and _norm(joined) not in outline_levels
                    and _norm(joined).rstrip(":") not in _TOC_TITLES
                ):
                    builder.paragraph_text(joined)  # the title page's subtitle lines
                else:
                    builder.heading(level, joined)
                i = j
                continue
        if line.mono:
            builder.code_line(line, spacing)
            seen_body = True
        elif _MARKER_RE.match(text):
            builder.list_line(line, spacing)
            seen_body = True
        else:
            builder.text_line(line, body, spacing)
            seen_body = seen_body or size <= body
        i += 1
    return builder.finish()


def _outline_prefix(text: str, outline_levels: dict[str, int]) -> bool:
    key = _norm(tidy(text))
    return len(key) >= 12 and any(
        title.startswith(key + " ") or title.startswith(key.rstrip("-"))
        for title in outline_levels
        if len(title) > len(key)
    )


def _line_spacing(lines: Sequence[LayoutLine], body: float) -> float:
    """The usual distance between baselines of consecutive body lines (points)."""
    gaps: Counter[int] = Counter()
    for prev, line in zip(lines, lines[1:], strict=False):
        if prev.page == line.page and round(prev.size) == round(line.size) == round(body):
            gap = prev.y - line.y
            if 0 < gap < 3 * body:
                gaps[round(gap)] += 1
    return float(gaps.most_common(1)[0][0]) if gaps else body * 1.3


class _Builder:
    """Accumulates blocks; one open paragraph or one open list at a time."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.paragraph: list[str] = []
        self.paragraph_bold = False
        self.last: LayoutLine | None = None
        self.entries: list[_Entry] = []
        self.code: list[LayoutLine] = []
        self.ordered = False
        self.skipping_toc = False
        self.toc_level = 1
        self.has_title = False

    # -- blocks --------------------------------------------------------------------------

    def heading(self, level: int, text: str) -> None:
        self.flush()
        text = tidy(text)
        if self.skipping_toc and level > self.toc_level:
            return  # an entry of the table of contents set as a heading
        self.skipping_toc = _norm(text).rstrip(":") in _TOC_TITLES
        self.toc_level = level
        if not self.skipping_toc and text:
            self.blocks.append(Heading(level, text))
            self.has_title = self.has_title or level == 1
        self.last = None

    def paragraph_text(self, text: str) -> None:
        self.flush()
        if not self.skipping_toc and tidy(text):
            self.blocks.append(Paragraph(tidy(text)))

    def code_line(self, line: LayoutLine, spacing: float) -> None:
        last = self.last
        if (
            self.paragraph
            and last is not None
            and last.page == line.page
            and 0 < last.y - line.y <= 1.5 * spacing
            and self.paragraph[-1].rstrip()[-1:] not in _SENTENCE_END
        ):  # inline code wrapped onto its own line: still the paragraph
            self.paragraph.append(line.text.strip())
            return
        if not self.code:
            self.flush()
        self.code.append(line)
        self.last = None

    def flush_code(self) -> None:
        if not self.code:
            return
        left = min(line.x for line in self.code)
        rows = []
        for line in self.code:
            indent = round((line.x - left) / max(line.size * 0.6, 1.0))
            rows.append(" " * indent + line.text.rstrip())
        if not self.skipping_toc:
            self.blocks.append(Code("\n".join(rows) + "\n"))
        self.code = []

    def text_line(self, line: LayoutLine, body: float, spacing: float) -> None:
        text = line.text.strip()
        if self.entries and self._continues_entry(line, spacing):
            entry = self.entries[-1]
            if entry.children:
                entry.children[-1] = join_lines(entry.children[-1], text)
            else:
                entry.text_parts.append(text)
            self.last = line
            return
        if self.paragraph and self._continues_paragraph(line, spacing):
            self.paragraph.append(text)
            self.last = line
            return
        self.flush()
        self.paragraph = [text]
        self.paragraph_bold = line.bold and round(line.size) >= round(body) - 0.5
        self.last = line

    def list_line(self, line: LayoutLine, spacing: float) -> None:
        self.flush_code()
        text = line.text.strip()
        if self.paragraph:
            self.flush_paragraph()
        match = _MARKER_RE.match(text)
        assert match is not None
        rest = text[match.end() :].strip()
        if self.entries and line.x > self.entries[0].marker_x + 4:
            self.entries[-1].children.append(rest)
        else:
            if not self.entries:
                self.ordered = bool(_NUMBERED_RE.match(text))
            self.entries.append(_Entry(line.x, [rest] if rest else []))
        self.last = line

    def _continues_entry(self, line: LayoutLine, spacing: float) -> bool:
        last = self.last
        if last is None:
            return False
        indented = line.x > self.entries[-1].marker_x + 2
        close = last.page != line.page or 0 < last.y - line.y <= 1.5 * spacing
        return indented and close and round(line.size) == round(last.size)

    def _continues_paragraph(self, line: LayoutLine, spacing: float) -> bool:
        last = self.last
        if last is None or round(line.size) != round(last.size) or line.bold != last.bold:
            return False
        if last.page != line.page:
            previous = self.paragraph[-1].rstrip()
            return bool(previous) and previous[-1] not in _SENTENCE_END
        return 0 < last.y - line.y <= 1.5 * spacing

    def flush_paragraph(self) -> None:
        self.flush_code()
        if not self.paragraph:
            return
        text = ""
        for part in self.paragraph:
            text = join_lines(text, part)
        text = tidy(text)
        if text and not self.skipping_toc:
            emphasised = self.paragraph_bold and len(text.split()) <= 12
            self.blocks.append(Paragraph(text, emphasised=emphasised))
        self.paragraph = []
        self.paragraph_bold = False

    def flush_list(self) -> None:
        if not self.entries:
            return
        entries = []
        for entry in self.entries:
            text = ""
            for part in entry.text_parts:
                text = join_lines(text, part)
            children = tuple(tidy(child) for child in entry.children if tidy(child))
            if tidy(text) or children:
                entries.append(ListEntry(tidy(text), children))
        if entries and not self.skipping_toc:
            self.blocks.append(ListBlock(tuple(entries), ordered=self.ordered))
        self.entries = []

    def flush(self) -> None:
        self.flush_code()
        self.flush_paragraph()
        self.flush_list()

    def finish(self) -> list[Block]:
        self.flush()
        return self.blocks
