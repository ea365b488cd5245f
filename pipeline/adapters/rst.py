"""reStructuredText → document blocks, with docutils' parser (no HTML writer involved).

The document is parsed into a docutils doctree with a safe configuration (no file
insertion, no ``raw`` directive, no error output, nothing halts) and walked into the blocks
every adapter produces, so reST gets the same scene rules as Markdown:

* sections → headings (the document title and subtitle docutils promotes become the title
  and an intro paragraph); paragraphs → paragraphs; bullet, enumerated, definition and field
  lists → lists (nested lists folded into their entry); literal, code and doctest blocks →
  code with their language; block quotes and admonitions (``.. note::``) → quotes;
  tables → the first column as a list.
* Never shown or spoken: images and figures (badges: ``.. |PyPI| image::``), substitution
  definitions, comments, targets, raw blocks, the ``contents`` topic (a table of contents),
  docinfo fields and system messages. Section underlines (``====``) are syntax and never
  reach the text.

:func:`looks_like_rst` tells a ``.txt`` file written in reST from plain text.
"""

from __future__ import annotations

import re
from typing import Any

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

_UNDERLINE_RE = re.compile(r"^([=\-~^\"'`#*+:.])\1{2,}\s*$")
_DIRECTIVE_RE = re.compile(r"^\.\.\s+(?:\|[^|]+\|\s+)?[a-zA-Z][\w-]*::", re.MULTILINE)
_ROLE_RE = re.compile(r":[a-z]+:`[^`]+`")
_SKIPPED = (
    "image",
    "figure",
    "substitution_definition",
    "comment",
    "target",
    "raw",
    "system_message",
    "docinfo",
    "pending",
    "footnote",
    "citation",
)


def looks_like_rst(text: str) -> bool:
    """Whether plain text uses reST markup: two or more underlined titles or directives."""
    lines = text.splitlines()[:2000]
    underlined = sum(
        1
        for above, line in zip(lines, lines[1:], strict=False)
        if above.strip() and _UNDERLINE_RE.match(line) and len(line.rstrip()) >= len(above.rstrip())
    )
    directives = len(_DIRECTIVE_RE.findall(text[:200_000]))
    roles = len(_ROLE_RE.findall(text[:200_000]))
    return underlined >= 2 or directives >= 1 or (underlined >= 1 and roles >= 1)


def rst_document(text: str, *, source: str = "") -> Document:
    """Blocks of a reST document, in reading order.

    Parsing never fails on markup errors (docutils reports them as system messages, which are
    dropped); only an internal docutils failure raises, as
    :class:`~pipeline.errors.InputError`.
    """
    from docutils import nodes
    from docutils.core import publish_doctree
    from docutils.utils import SystemMessage

    from pipeline.errors import InputError

    settings = {
        "report_level": 5,
        "halt_level": 5,
        "file_insertion_enabled": False,
        "raw_enabled": False,
        "warning_stream": False,
        "input_encoding": "unicode",
        "syntax_highlight": "none",
        "doctitle_xform": True,
        "sectsubtitle_xform": True,
    }
    try:
        tree = publish_doctree(text, source_path=source or None, settings_overrides=settings)
    except (SystemMessage, ValueError, AttributeError, IndexError) as error:
        raise InputError(
            f"the reStructuredText could not be parsed: {error}"[:300],
            source=source,
            hint="check the document with a reST checker (for example rst2html)",
        ) from error
    walker = _Walker(nodes)
    title = ""
    for child in tree.children:
        if isinstance(child, nodes.title):
            title = walker.inline(child)
        elif isinstance(child, nodes.subtitle):
            subtitle = walker.inline(child)
            if subtitle:
                walker.blocks.append(Paragraph(subtitle))
        else:
            walker.block(child, 1)
    return Document(blocks=walker.blocks, title=title)


class _Walker:
    """Turns doctree nodes into blocks; ``nodes`` is the docutils.nodes module."""

    def __init__(self, nodes: Any) -> None:
        self.n = nodes
        self.blocks: list[Block] = []

    def skipped(self, node: Any) -> bool:
        n = self.n
        if node.tagname in _SKIPPED:
            return True
        return isinstance(node, n.topic) and "contents" in node.get("classes", [])

    def inline(self, node: Any) -> str:
        """Plain text of a node's inline content: images and substitutions left out."""
        n = self.n
        parts: list[str] = []

        def visit(current: Any) -> None:
            if isinstance(current, n.Text):
                parts.append(str(current))
            elif current.tagname in _SKIPPED or isinstance(current, n.footnote_reference):
                return
            elif isinstance(current, n.literal):
                parts.append(current.astext().replace("<", "‹").replace(">", "›"))
            else:
                for child in current.children:
                    visit(child)

        visit(node)
        return tidy("".join(parts))

    def block(self, node: Any, depth: int) -> None:
        n = self.n
        if self.skipped(node):
            return
        if isinstance(node, n.section):
            for child in node.children:
                if isinstance(child, n.title):
                    text = self.inline(child)
                    if text:
                        self.blocks.append(Heading(min(depth + 1, 6), text))
                else:
                    self.block(child, depth + 1)
        elif isinstance(node, n.paragraph):
            text = self.inline(node)
            if text:
                self.blocks.append(Paragraph(text, emphasised=_all_strong(node, n)))
        elif isinstance(node, (n.bullet_list, n.enumerated_list)):
            entries = [self.entry(item) for item in node.children if isinstance(item, n.list_item)]
            entries = [e for e in entries if e.text or e.children]
            if entries:
                self.blocks.append(ListBlock(tuple(entries), isinstance(node, n.enumerated_list)))
        elif isinstance(node, n.definition_list):
            self.definitions(node)
        elif isinstance(node, n.field_list):
            self.fields(node)
        elif isinstance(node, (n.literal_block, n.doctest_block)):
            classes = [c for c in node.get("classes", []) if c != "code"]
            language = "pycon" if isinstance(node, n.doctest_block) else ""
            language = language or node.get("language", "") or (classes[0] if classes else "")
            self.blocks.append(Code(node.astext() + "\n", str(language)))
        elif isinstance(node, n.Admonition):
            text = " ".join(
                self.inline(child) for child in node.children if isinstance(child, n.paragraph)
            )
            kind = node.tagname.capitalize() if node.tagname != "admonition" else ""
            if text.strip():
                self.blocks.append(Quote(text.strip(), kind))
        elif isinstance(node, n.block_quote):
            self.quote(node, depth)
        elif isinstance(node, n.table):
            self.table(node)
        elif isinstance(node, (n.container, n.compound, n.topic, n.sidebar, n.line_block)):
            if isinstance(node, n.line_block):
                text = " ".join(self.inline(line) for line in node.children)
                if text.strip():
                    self.blocks.append(Paragraph(text.strip()))
                return
            for child in node.children:
                if isinstance(child, n.title):
                    text = self.inline(child)
                    if text:
                        self.blocks.append(Paragraph(text, emphasised=True))
                else:
                    self.block(child, depth)
        # transitions, raw, comments and anything unknown: nothing to show

    def entry(self, item: Any) -> ListEntry:
        n = self.n
        own: list[str] = []
        children: list[str] = []
        for child in item.children:
            if isinstance(child, n.paragraph) and not children:
                own.append(self.inline(child))
            elif isinstance(child, (n.bullet_list, n.enumerated_list)):
                for sub in child.children:
                    text = " ".join(self.inline(p) for p in sub.traverse(n.paragraph))
                    if text.strip():
                        children.append(text.strip())
            elif isinstance(child, n.paragraph):
                children.append(self.inline(child))
        return ListEntry(" ".join(t for t in own if t), tuple(c for c in children if c))

    def definitions(self, node: Any) -> None:
        n = self.n
        entries = []
        for item in node.children:
            term = next((self.inline(c) for c in item.children if isinstance(c, n.term)), "")
            definition = next((c for c in item.children if isinstance(c, n.definition)), None)
            text = ""
            if definition is not None:
                text = " ".join(self.inline(p) for p in definition.traverse(n.paragraph))
            if term:
                entries.append(ListEntry(f"{term}: {text}" if text else term))
        if entries:
            self.blocks.append(ListBlock(tuple(entries)))

    def fields(self, node: Any) -> None:
        n = self.n
        entries = []
        for field in node.children:
            name = next((self.inline(c) for c in field.children if isinstance(c, n.field_name)), "")
            body = next((c for c in field.children if isinstance(c, n.field_body)), None)
            text = " ".join(self.inline(p) for p in body.traverse(n.paragraph)) if body else ""
            if name and text:
                entries.append(ListEntry(f"{name}: {text}"))
        if entries:
            self.blocks.append(ListBlock(tuple(entries)))

    def quote(self, node: Any, depth: int) -> None:
        n = self.n
        paragraphs = [c for c in node.children if isinstance(c, n.paragraph)]
        others = [c for c in node.children if c.tagname != "attribution"]
        if len(paragraphs) != len(others):
            for child in node.children:  # an indented block holding lists or code
                self.block(child, depth)
            return
        attribution = next(
            (self.inline(c) for c in node.children if c.tagname == "attribution"), ""
        )
        text = " ".join(self.inline(p) for p in paragraphs)
        if attribution:
            text = f"{text} — {attribution}"
        if text.strip():
            self.blocks.append(Quote(text.strip()))

    def table(self, node: Any) -> None:
        n = self.n
        entries = []
        for body in node.traverse(n.tbody):
            for row in body.children:
                cells = [self.inline(entry) for entry in row.children]
                if cells and cells[0]:
                    rest = ", ".join(c for c in cells[1:] if c)
                    entries.append(ListEntry(cells[0], (rest,) if rest else ()))
        if entries:
            self.blocks.append(ListBlock(tuple(entries)))


def _all_strong(node: Any, n: Any) -> bool:
    children = [c for c in node.children if not (isinstance(c, n.Text) and not c.strip())]
    if not children or not isinstance(children[0], n.strong):
        return False
    rest = children[1:]
    return all(isinstance(c, n.Text) and c.strip() in (":", ".") for c in rest) and len(rest) <= 1
