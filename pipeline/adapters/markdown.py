"""Markdown and plain text to document blocks, with markdown-it-py's token stream.

Raw HTML (blocks, inline tags, comments), images and badges are dropped; links keep their
text only; tables keep the entries of their first column (as a list). Nesting deeper than
:data:`MAX_NESTING` is cut off by the parser, lines longer than :data:`MAX_LINE_CHARS` are
shortened and text past :data:`MAX_PARSE_CHARS` is ignored, so pathological input stays fast.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token

from pipeline.adapters.blocks import (
    Block,
    Code,
    Document,
    Heading,
    ListBlock,
    ListEntry,
    Paragraph,
    Quote,
    tidy,
)

MAX_NESTING = 40
"""Deepest block nesting (lists in lists, quotes in quotes) the parser follows."""
MAX_LINE_CHARS = 20_000
"""Longer lines are cut at a space before parsing (the scene limits drop such text anyway)."""
MAX_PARSE_CHARS = 500_000
"""Only this much of a document is parsed: 100 scenes never hold more, and it bounds the
parser's time on pathological input (about 20 µs per character in the worst case)."""

_ALERT_RE = re.compile(r"^\s*\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*", re.IGNORECASE)
_LIST_OPEN = ("bullet_list_open", "ordered_list_open")


def _markdown_parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"maxNesting": MAX_NESTING}).enable(["table", "strikethrough"])


def _text_parser() -> MarkdownIt:
    # Plain text: only paragraphs and lists; no emphasis, code, HTML or headings.
    return MarkdownIt("zero", {"maxNesting": MAX_NESTING}).enable(["list"])


def markdown_document(text: str) -> Document:
    """Blocks of a Markdown document, in reading order."""
    tokens = _markdown_parser().parse(_cap_lines(text))
    return Document(blocks=_blocks(tokens, 0, len(tokens)))


def text_document(text: str) -> Document:
    """Blocks of a plain-text document.

    Blank lines separate blocks; lines starting with ``-``, ``*``, ``+`` or ``1.`` form
    lists. A short one-line block without final punctuation is taken as a heading (the first
    one, if it opens the text, as the title).
    """
    tokens = _text_parser().parse(_cap_lines(text))
    blocks: list[Block] = []
    for block in _blocks(tokens, 0, len(tokens)):
        if isinstance(block, Paragraph) and _looks_like_heading(block.text):
            level = 1 if not blocks else 2
            blocks.append(Heading(level, block.text.rstrip(":").strip()))
        else:
            blocks.append(block)
    return Document(blocks=blocks)


def _looks_like_heading(text: str) -> bool:
    return (
        "\n" not in text
        and 0 < len(text.split()) <= 10
        and len(text) <= 80
        and text[-1] not in ".,;!?"
        and not text[0].islower()
    )


def _cap_lines(text: str) -> str:
    if len(text) <= MAX_LINE_CHARS:
        return text
    text = text[:MAX_PARSE_CHARS]
    lines = []
    for line in text.split("\n"):
        if len(line) > MAX_LINE_CHARS:
            cut = line.rfind(" ", 0, MAX_LINE_CHARS)
            line = line[: cut if cut > MAX_LINE_CHARS // 2 else MAX_LINE_CHARS]
        lines.append(line)
    return "\n".join(lines)


def _close_index(tokens: Sequence[Token], start: int) -> int:
    """Index of the token closing ``tokens[start]`` (same nesting level)."""
    opener = tokens[start]
    closer = opener.type.removesuffix("_open") + "_close"
    for j in range(start + 1, len(tokens)):
        if tokens[j].type == closer and tokens[j].level == opener.level:
            return j
    return len(tokens) - 1


def _blocks(tokens: Sequence[Token], start: int, end: int) -> list[Block]:
    blocks: list[Block] = []
    i = start
    while i < end:
        token = tokens[i]
        kind = token.type
        if kind == "heading_open":
            text = inline_text(tokens[i + 1]) if i + 1 < end else ""
            if text:
                blocks.append(Heading(int(token.tag[1:] or 1), text))
            i = _close_index(tokens, i) + 1
        elif kind == "paragraph_open":
            inline = tokens[i + 1] if i + 1 < end else None
            if inline is not None and inline.type == "inline":
                text = inline_text(inline)
                if text:
                    blocks.append(Paragraph(text, emphasised=_all_strong(inline)))
            i = _close_index(tokens, i) + 1
        elif kind in _LIST_OPEN:
            close = _close_index(tokens, i)
            entries = _list_entries(tokens, i, close)
            if entries:
                blocks.append(ListBlock(tuple(entries), ordered=kind.startswith("ordered")))
            i = close + 1
        elif kind in ("fence", "code_block"):
            language = token.info.strip().split(" ")[0] if token.info else ""
            blocks.append(Code(token.content, language))
            i += 1
        elif kind == "blockquote_open":
            close = _close_index(tokens, i)
            blocks.extend(_quote(tokens, i, close))
            i = close + 1
        elif kind == "table_open":
            close = _close_index(tokens, i)
            entries = _table_entries(tokens, i, close)
            if entries:
                blocks.append(ListBlock(tuple(entries)))
            i = close + 1
        else:  # html_block, hr, stray closers, truncated nesting
            i += 1
    return blocks


def _list_entries(tokens: Sequence[Token], start: int, end: int) -> list[ListEntry]:
    """Top-level items of the list ``tokens[start:end]``; deeper text becomes children."""
    item_level = tokens[start].level + 1
    entries: list[ListEntry] = []
    i = start + 1
    while i < end:
        if tokens[i].type == "list_item_open" and tokens[i].level == item_level:
            close = _close_index(tokens, i)
            own: list[str] = []
            children: list[str] = []
            for token in tokens[i + 1 : close]:
                if token.type != "inline":
                    continue
                text = inline_text(token)
                if not text:
                    continue
                (own if token.level == item_level + 2 else children).append(text)
            if own or children:
                entries.append(ListEntry(" ".join(own), tuple(children)))
            i = close + 1
        else:
            i += 1
    return entries


def _quote(tokens: Sequence[Token], start: int, end: int) -> list[Block]:
    parts = [inline_text(t) for t in tokens[start + 1 : end] if t.type == "inline"]
    text = " ".join(part for part in parts if part)
    kind = ""
    match = _ALERT_RE.match(text)
    if match:
        kind = match.group(1).capitalize()
        text = text[match.end() :]
    return [Quote(text.strip(), kind)] if text.strip() else []


def _table_entries(tokens: Sequence[Token], start: int, end: int) -> list[ListEntry]:
    """First-column cells of the table body, each with the rest of its row as a child."""
    entries: list[ListEntry] = []
    in_body = False
    row: list[str] = []
    for token in tokens[start + 1 : end]:
        if token.type == "tbody_open":
            in_body = True
        elif token.type == "tr_open":
            row = []
        elif token.type == "inline" and in_body:
            row.append(inline_text(token))
        elif token.type == "tr_close" and in_body and row and row[0]:
            rest = ", ".join(cell for cell in row[1:] if cell)
            entries.append(ListEntry(row[0], (rest,) if rest else ()))
    return entries


def inline_text(token: Token) -> str:
    """Plain text of an ``inline`` token: markup, images, raw HTML and URLs removed.

    Angle brackets inside code spans are shown as ``‹ ›`` so no text looks like HTML.
    """
    parts: list[str] = []
    for child in token.children or ():
        if child.type == "text":
            parts.append(child.content)
        elif child.type == "code_inline":
            parts.append(child.content.replace("<", "‹").replace(">", "›"))
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return tidy("".join(parts))


def _all_strong(token: Token) -> bool:
    children = [
        c
        for c in token.children or ()
        if c.type not in ("softbreak", "hardbreak") and (c.type != "text" or c.content.strip())
    ]
    if len(children) < 3 or children[0].type != "strong_open":
        return False
    last = children[-1]
    return last.type == "strong_close" or (
        last.type == "text"
        and last.content.strip() in (":", ".")
        and children[-2].type == "strong_close"
    )


_MARKUP_HINT_RE = re.compile(r"[*_`\[\]<>#:~|!\\]|https?://|www\.")


def plain_text(text: str) -> str:
    """Inline Markdown rendered as plain text: ``[text](#anchor)`` → ``text``, ``**b**`` → ``b``.

    Images and raw HTML are dropped, URLs become their host, emoji shortcodes go
    (:func:`inline_text`). Text without any markup character is returned unchanged, so plain
    values (with their line breaks) are not touched.
    """
    if not _MARKUP_HINT_RE.search(text):
        return text
    tokens = _markdown_parser().parseInline(text)
    return " ".join(inline_text(token) for token in tokens if token.type == "inline").strip()
