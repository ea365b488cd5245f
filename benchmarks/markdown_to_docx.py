"""Write a Word file from a Markdown document, for the quality report's Word input.

Run:  .venv/bin/python benchmarks/markdown_to_docx.py IN.md OUT.docx

No real Word document is on this machine (no network), so the quality report's Word case
is a real document's text in Word's own structure: headings in the ``Heading 1``–``3``
styles, bullets in ``List Bullet``, numbered items in ``List Number``, code blocks as
paragraphs in a monospace font, paragraphs as ``Normal``; inline markup is dropped to its
text. Parsed with markdown-it-py (tokens), written with python-docx.
"""

from __future__ import annotations

import sys
from pathlib import Path

import docx
from docx.shared import Pt
from markdown_it import MarkdownIt


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
            text = (
                "".join(
                    child.content
                    for child in token.children or []
                    if child.type in ("text", "code_inline")
                )
                or token.content
            )
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
