"""Write a Word file from a Markdown document, for the quality report's Word input.

Run:  .venv/bin/python benchmarks/markdown_to_docx.py IN.md OUT.docx

No real Word document is on this machine (no network), so the quality report's Word case
is a real document's text in Word's own structure: headings in the ``Heading 1``–``3``
styles, bullets in ``List Bullet``, numbered items in ``List Number``, code blocks as
paragraphs in a monospace font, paragraphs as ``Normal``; inline markup is dropped to its
text as Word shows it (a link's text, no Markdown syntax); images are left out (in Word they
would be pictures), so a paragraph of badges writes nothing. Parsed with markdown-it-py (tokens), written with python-docx.
"""

from __future__ import annotations

import sys
from pathlib import Path

import docx
from docx.shared import Pt
from markdown_it import MarkdownIt
from markdown_it.token import Token


def _inline_text(children: list[Token]) -> str:
    """The text of an inline token's children as a reader sees it: text and code spans, line
    breaks as spaces; images (and their alt text) dropped."""
    parts: list[str] = []
    for child in children:
        if child.type == "image":
            continue  # its alt text is in child.children, not in this list
        if child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type in ("text", "code_inline"):
            parts.append(child.content)
    return " ".join("".join(parts).split())


def convert(source: Path, target: Path) -> int:
    """Write ``target`` (.docx) from ``source`` (Markdown); the number of paragraphs written."""
    tokens = MarkdownIt("commonmark").parse(source.read_text(encoding="utf-8"))
    document = docx.Document()
    lists: list[str] = []  # "List Bullet" / "List Number", innermost last
    heading = 0
    written = 0
    for token in tokens:
        if token.type == "bullet_list_open":
            lists.append("List Bullet")
        elif token.type == "ordered_list_open":
            lists.append("List Number")
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif token.type == "heading_open":
            heading = min(3, int(token.tag[1]))
        elif token.type == "inline" and token.content.strip():
            text = _inline_text(token.children or [])
            if not text:  # only images (badges): Word would hold pictures, not text
                continue
            if heading:
                document.add_heading(text, level=heading)
            elif lists:
                document.add_paragraph(text, style=lists[-1])
            else:
                document.add_paragraph(text)
            written += 1
        elif token.type == "heading_close":
            heading = 0
        elif token.type in ("fence", "code_block"):
            for line in token.content.rstrip("\n").splitlines():
                run = document.add_paragraph().add_run(line)
                run.font.name = "Courier New"
                run.font.size = Pt(9)
                written += 1
    document.save(str(target))
    return written


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__.splitlines()[2])
    count = convert(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{sys.argv[2]}: {count} paragraphs")
