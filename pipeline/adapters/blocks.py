"""The intermediate document model every adapter produces, and text helpers.

Markdown, plain text, PDF and DOCX are all turned into a flat list of :data:`Block` values
(heading, paragraph, list, code, quote) which :func:`pipeline.adapters.scenes.blocks_to_spec`
turns into scenes. Text in blocks is plain: no Markdown or HTML markup, URLs replaced by their
host name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ELLIPSIS = "…"

_URL_RE = re.compile(r"\b(?:https?|ftp)://([^\s/?#<>()\[\]]+)[^\s<>()\[\]]*", re.IGNORECASE)
_WWW_RE = re.compile(r"\bwww\.([^\s/?#<>()\[\]]+)[^\s<>()\[\]]*", re.IGNORECASE)
_SPACE_RE = re.compile(r"\s+")
_SHORTCODE_RE = re.compile(r"(?<![\w:]):[a-z0-9_+-]{2,40}:(?![\w:])")


@dataclass(frozen=True)
class Heading:
    """A heading; ``level`` 1 is the document title level."""

    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    """Running text. ``emphasised`` marks a paragraph that is entirely bold (a pseudo-heading)."""

    text: str
    emphasised: bool = False


@dataclass(frozen=True)
class ListEntry:
    """One list entry: its text and the flattened texts of its nested entries."""

    text: str
    children: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListBlock:
    """A bulleted or numbered list (nested lists already flattened into ``children``)."""

    entries: tuple[ListEntry, ...]
    ordered: bool = False


@dataclass(frozen=True)
class Code:
    """A code block with its language tag (``""`` when unknown)."""

    text: str
    language: str = ""


@dataclass(frozen=True)
class Quote:
    """A block quote; ``kind`` is an alert label such as ``"Note"`` for ``> [!NOTE]``."""

    text: str
    kind: str = ""


Block = Heading | Paragraph | ListBlock | Code | Quote


@dataclass
class Document:
    """Blocks of one document plus its title if the source names one.

    ``notes`` are warnings for the user about what was left out or guessed (scanned pages,
    skipped sections), each naming the file.
    """

    blocks: list[Block] = field(default_factory=list)
    title: str = ""
    notes: list[str] = field(default_factory=list)


def tidy(text: str) -> str:
    """Collapse whitespace, replace URLs by their host name (``github.com``, ``www.`` kept)
    and remove emoji shortcodes (``:rocket:``; the video's fonts have no emoji)."""
    text = _SHORTCODE_RE.sub("", text)
    text = _URL_RE.sub(lambda m: _host(m.group(1)), text)
    text = _WWW_RE.sub(lambda m: "www." + _host(m.group(1)), text)
    return _SPACE_RE.sub(" ", text).strip()


def _host(netloc: str) -> str:
    host = netloc.rsplit("@", 1)[-1].split(":", 1)[0].lower()
    return host


def clip(text: str, limit: int) -> str:
    """Shorten ``text`` to at most ``limit`` characters at a word boundary, adding ``…``.

    Whitespace is collapsed first; text that already fits is returned unchanged.
    """
    text = _SPACE_RE.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    opened = cut.rfind("(")
    if opened > limit // 2 and cut.count("(") > cut.count(")"):
        cut = cut[:opened]  # never end inside an aside: "traffic (satellites handle less…"
    return cut.rstrip(" ,;:-") + ELLIPSIS


def clip_lines(text: str, limit: int) -> str:
    """Shorten multi-line ``text`` (code) to at most ``limit`` characters at a line boundary."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 2, 0)]
    newline = cut.rfind("\n")
    if newline > 0:
        cut = cut[:newline]
    return cut + "\n" + ELLIPSIS


def words(text: str) -> int:
    """Number of whitespace-separated words in ``text``."""
    return len(text.split())


_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def sentences(text: str) -> list[str]:
    """Split ``text`` into sentences (simple rule: ``.!?`` followed by a capital or digit)."""
    return [part.strip() for part in _SENTENCE_END_RE.split(text) if part.strip()]


_ASIDE_RE = re.compile(r"\s*\([^()]*\)")


def first_sentence(text: str, limit: int) -> str:
    """The first sentence of ``text``, clipped to ``limit`` characters.

    A sentence too long for ``limit`` loses its parenthetical asides first when that makes
    it fit whole ("… internet traffic (satellites handle less than 1%)." → "… internet
    traffic."); otherwise it is clipped at a word boundary, never inside an aside.
    """
    parts = sentences(text)
    if not parts:
        return ""
    first = parts[0]
    if len(first) > limit:
        without_asides = _ASIDE_RE.sub("", first).strip()
        if without_asides and len(without_asides) <= limit:
            first = without_asides
    return clip(first, limit)
