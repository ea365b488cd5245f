"""Word (.docx) → document blocks with python-docx, after checking the zip container.

Before python-docx opens the file, the archive is checked: it must be a zip, hold at most
:data:`MAX_ZIP_ENTRIES` entries, expand to at most :data:`MAX_UNCOMPRESSED_BYTES`, and no entry
may compress better than :data:`MAX_COMPRESSION_RATIO` to 1 (zip bombs do; real documents
compress about 5–20 to 1).

Paragraph styles give the structure: ``Title`` and ``Heading 1..9`` are headings,
``List Bullet``/``List Number``/``List Paragraph`` (or numbering properties) are list entries
(``List Bullet 2`` and deeper become nested entries), ``Quote``/``Intense Quote`` are quotes,
styles named like ``Code`` or ``HTML Preformatted`` are code. Tables keep their first column.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

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
from pipeline.errors import InputError

MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
"""Largest total uncompressed size of the archive (200 MiB)."""
MAX_COMPRESSION_RATIO = 100
"""Largest uncompressed-to-compressed ratio of any sizeable entry."""
MAX_ZIP_ENTRIES = 10_000
_RATIO_MIN_BYTES = 1024 * 1024  # small entries may compress well; only check large ones


def check_docx_archive(path: Path) -> None:
    """Refuse files that are not zip archives, are not Word documents, or look like zip bombs.

    Raises:
        InputError: naming the problem.
    """
    source = str(path)
    hint = "save the document again from Word or LibreOffice as .docx"
    if not zipfile.is_zipfile(path):
        raise InputError(
            "this is not a Word .docx file (not a zip archive)", source=source, hint=hint
        )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise InputError(
            f"the .docx archive is damaged: {error}", source=source, hint=hint
        ) from error
    if len(infos) > MAX_ZIP_ENTRIES:
        raise InputError(f"the archive has {len(infos)} entries", source=source, hint=hint)
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise InputError(
            f"the document expands to {total / 1024 / 1024:.0f} MB; the limit is "
            f"{MAX_UNCOMPRESSED_BYTES / 1024 / 1024:.0f} MB",
            source=source,
            hint="remove large embedded media or split the document",
        )
    for info in infos:
        if info.file_size >= _RATIO_MIN_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            raise InputError(
                f"the archive entry {info.filename!r} is compressed more than "
                f"{MAX_COMPRESSION_RATIO}:1 (a zip bomb?)",
                source=source,
                hint="this file is unsafe to open; " + hint,
            )
    if "word/document.xml" not in {info.filename for info in infos}:
        raise InputError("the zip archive is not a Word document", source=source, hint=hint)


def docx_document(path: Path) -> Document:
    """Blocks of the Word document at ``path`` (checks it first, see module docstring).

    Raises:
        InputError: unsafe or unreadable archive, or a document python-docx cannot read.
    """
    check_docx_archive(path)
    import docx

    try:
        document = docx.Document(str(path))
        return Document(blocks=_blocks(document), title=tidy(document.core_properties.title or ""))
    except InputError:
        raise
    except Exception as error:  # python-docx raises many kinds on bad XML
        raise InputError(
            f"the Word document could not be read ({type(error).__name__})",
            source=str(path),
            hint="save the document again from Word or LibreOffice as .docx",
        ) from error


def _blocks(document: object) -> list[Block]:
    from docx.table import Table
    from docx.text.paragraph import Paragraph as DocxParagraph

    blocks: list[Block] = []
    entries: list[ListEntry] = []
    code: list[str] = []

    def flush() -> None:
        if entries:
            blocks.append(ListBlock(tuple(entries)))
            entries.clear()
        if code:
            blocks.append(Code("\n".join(code)))
            code.clear()

    for item in document.iter_inner_content():  # type: ignore[attr-defined]
        if isinstance(item, Table):
            flush()
            rows = [row.cells[0].text.strip() for row in item.rows[1:] if row.cells]
            table_entries = tuple(ListEntry(tidy(text)) for text in rows if tidy(text))
            if table_entries:
                blocks.append(ListBlock(table_entries))
            continue
        if not isinstance(item, DocxParagraph):
            continue
        style = (item.style.name if item.style is not None else "") or ""
        raw = item.text
        text = tidy(raw)
        if _is_code_style(style):
            if entries:
                flush()
            code.append(raw.rstrip())
            continue
        if not text:
            continue
        list_level = _list_level(item, style)
        if list_level is not None:
            if code:
                flush()
            if list_level > 0 and entries:
                last = entries[-1]
                entries[-1] = ListEntry(last.text, (*last.children, text))
            else:
                entries.append(ListEntry(text))
            continue
        flush()
        level = _heading_level(style)
        if level is not None:
            blocks.append(Heading(level, text))
        elif style.lower() in ("quote", "intense quote"):
            blocks.append(Quote(text))
        else:
            bold = [run.bold for run in item.runs if run.text.strip()]
            blocks.append(Paragraph(text, emphasised=bool(bold) and all(bold)))
    flush()
    return blocks


def _heading_level(style: str) -> int | None:
    name = style.lower()
    if name == "title":
        return 1
    if name.startswith("heading"):
        digits = name.removeprefix("heading").strip()
        return min(int(digits), 6) if digits.isdigit() else 1
    return None


def _list_level(paragraph: object, style: str) -> int | None:
    name = style.lower()
    if name.startswith(("list bullet", "list number")):
        digits = name.split()[-1]
        return int(digits) - 1 if digits.isdigit() else 0
    p_pr = paragraph._p.pPr  # type: ignore[attr-defined]
    if name == "list paragraph" or (p_pr is not None and p_pr.numPr is not None):
        ilvl = p_pr.numPr.ilvl if p_pr is not None and p_pr.numPr is not None else None
        return int(ilvl.val) if ilvl is not None else 0
    return None


def _is_code_style(style: str) -> bool:
    name = style.lower()
    return "code" in name or "preformatted" in name or name in ("plain text", "macro text")
