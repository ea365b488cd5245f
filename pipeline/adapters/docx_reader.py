"""Word (.docx) → document blocks with python-docx, after checking the zip container.

Before python-docx opens the file, the archive is checked by inflating every entry, as a
stream and within a byte budget, never trusting the sizes the archive declares (a zip bomb
declares small sizes; ``zipfile`` would then inflate a whole entry in one call and hold it
in memory). The file must be a zip that holds at most :data:`MAX_ZIP_ENTRIES` entries, each
stored or deflated (the methods Word writes), not encrypted; every entry must inflate to
exactly the size it declares; all entries together to at most :data:`MAX_UNCOMPRESSED_BYTES`
and the XML parts to at most :data:`MAX_XML_BYTES`; and no sizeable entry may compress
better than :data:`MAX_COMPRESSION_RATIO` to 1 (zip bombs do; real documents compress about
5–20 to 1). At most :data:`INFLATE_CHUNK_BYTES` are inflated at a time, so the check needs
about a megabyte of memory whatever the file claims, and it stops at the first byte past a
limit.

Paragraph styles give the structure: ``Title`` and ``Heading 1..9`` are headings,
``List Bullet``/``List Number``/``List Paragraph`` (or numbering properties) are list entries
(``List Bullet 2`` and deeper become nested entries), ``Quote``/``Intense Quote`` are quotes,
styles named like ``Code`` or ``HTML Preformatted`` are code, and so is a paragraph typed
wholly in a monospace font (Courier New, Consolas, …). Tables keep their first column.
Markdown pasted into Word (``[text](url)``, badge images ``[![PyPI](…)](…)``) is read as the
text it stands for (:func:`pipeline.adapters.markdown.plain_text`); a paragraph of badges
alone says nothing and is left out.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any, BinaryIO

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
from pipeline.adapters.markdown import plain_text
from pipeline.errors import InputError

MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
"""Largest total inflated size of the archive (200 MiB), measured by inflating it."""
MAX_XML_BYTES = 64 * 1024 * 1024
"""Largest total inflated size of the XML parts (64 MiB): python-docx holds them as trees."""
MAX_COMPRESSION_RATIO = 100
"""Largest inflated-to-compressed ratio of any sizeable entry."""
MAX_ZIP_ENTRIES = 10_000
INFLATE_CHUNK_BYTES = 1024 * 1024
"""Most bytes inflated (and held) at a time by the check."""
_READ_BYTES = 64 * 1024
_RATIO_MIN_BYTES = 1024 * 1024  # small entries may compress well; only check large ones
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # APPNOTE.TXT 4.3.7, 30 bytes
_LOCAL_SIGNATURE = b"PK\x03\x04"
_PASTED_MARKDOWN_RE = re.compile(r"!?\[[^\]\n]*\]\(\S")
"""A Markdown link or image (``[text](…``, ``![alt](…``): Markdown pasted into Word."""
_HINT = "save the document again from Word or LibreOffice as .docx"


def check_docx_archive(path: Path) -> None:
    """Refuse files that are not zip archives, are not Word documents, or look like zip bombs
    (see the module docstring for the limits).

    Raises:
        InputError: naming the problem.
    """
    source = str(path)
    if not zipfile.is_zipfile(path):
        raise InputError(
            "this is not a Word .docx file (not a zip archive)", source=source, hint=_HINT
        )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise InputError(
            f"the .docx archive is damaged: {error}", source=source, hint=_HINT
        ) from error
    if len(infos) > MAX_ZIP_ENTRIES:
        raise InputError(f"the archive has {len(infos)} entries", source=source, hint=_HINT)
    if "word/document.xml" not in {info.filename for info in infos}:
        raise InputError("the zip archive is not a Word document", source=source, hint=_HINT)
    declared = sum(info.file_size for info in infos)
    if declared > MAX_UNCOMPRESSED_BYTES:  # a quick refusal; acceptance needs inflation
        raise _too_big(declared, MAX_UNCOMPRESSED_BYTES, "document", source)
    total = xml_total = 0
    with path.open("rb") as handle:
        for info in infos:
            is_xml = info.filename.endswith((".xml", ".rels"))
            budget = min(
                MAX_UNCOMPRESSED_BYTES - total,
                (MAX_XML_BYTES - xml_total) if is_xml else MAX_UNCOMPRESSED_BYTES,
            )
            size = _inflated_size(handle, info, budget, source)
            total += size
            if is_xml:
                xml_total += size
            if total > MAX_UNCOMPRESSED_BYTES:
                raise _too_big(total, MAX_UNCOMPRESSED_BYTES, "document", source)
            if xml_total > MAX_XML_BYTES:
                raise _too_big(xml_total, MAX_XML_BYTES, "text of the document (XML)", source)


def _too_big(size: int, limit: int, what: str, source: str) -> InputError:
    return InputError(
        f"the {what} expands to {size / 1024 / 1024:.0f} MB or more; the limit is "
        f"{limit / 1024 / 1024:.0f} MB",
        source=source,
        hint="remove large embedded media or split the document",
    )


def _inflated_size(handle: BinaryIO, info: zipfile.ZipInfo, budget: int, source: str) -> int:
    """Inflate one entry as a stream and return its real size (stopping just past
    ``budget``: a result above ``budget`` means "too big", which the caller reports).

    Raises:
        InputError: encrypted, unusual compression, damaged, larger than declared, past
            ``budget`` bytes, or compressed more than :data:`MAX_COMPRESSION_RATIO` to 1.
    """
    name = info.filename
    if info.flag_bits & 0x1:
        raise InputError(f"the archive entry {name!r} is encrypted", source=source, hint=_HINT)
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise InputError(
            f"the archive entry {name!r} uses compression method {info.compress_type}, "
            "which Word documents do not use",
            source=source,
            hint=_HINT,
        )
    handle.seek(info.header_offset)
    header = handle.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or header[:4] != _LOCAL_SIGNATURE:
        raise InputError(
            f"the .docx archive is damaged (entry {name!r} has no header)",
            source=source,
            hint=_HINT,
        )
    fields = _LOCAL_HEADER.unpack(header)
    handle.seek(fields[-2] + fields[-1], 1)  # file name and extra field
    left = info.compress_size
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    size = 0
    ratio_limit = max(_RATIO_MIN_BYTES, MAX_COMPRESSION_RATIO * max(info.compress_size, 1))
    limit = min(budget, info.file_size, ratio_limit)
    while left > 0 and (inflater is None or not inflater.eof):
        data = handle.read(min(_READ_BYTES, left))
        if not data:
            break
        left -= len(data)
        if inflater is None:
            size += len(data)
        else:
            try:
                while data and not inflater.eof:
                    size += len(inflater.decompress(data, INFLATE_CHUNK_BYTES))
                    data = inflater.unconsumed_tail
                    if size > limit:
                        break
            except zlib.error as error:
                if "-4" in str(error):  # Z_MEM_ERROR: out of memory, not a damaged file
                    raise MemoryError(str(error)) from error
                raise InputError(
                    f"the .docx archive is damaged (entry {name!r}: {error})",
                    source=source,
                    hint=_HINT,
                ) from error
        if size > limit:
            break
    if size > ratio_limit:
        raise InputError(
            f"the archive entry {name!r} is compressed more than {MAX_COMPRESSION_RATIO}:1 "
            "(a zip bomb?)",
            source=source,
            hint="this file is unsafe to open; " + _HINT,
        )
    if size > info.file_size:
        raise InputError(
            f"the archive entry {name!r} declares {info.file_size:,} bytes but inflates to "
            "more (a forged size, as in zip bombs)",
            source=source,
            hint="this file is unsafe to open; " + _HINT,
        )
    if size > budget:
        return size  # the caller names the limit
    if size < info.file_size or (inflater is not None and not inflater.eof):
        raise InputError(
            f"the .docx archive is damaged (entry {name!r} is truncated)",
            source=source,
            hint=_HINT,
        )
    return size


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
        text = tidy(plain_text(raw) if _PASTED_MARKDOWN_RE.search(raw) else raw)
        if _is_code_style(style) or _is_monospace(item):
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


_MONOSPACE_FONTS = (
    "courier",
    "consolas",
    "menlo",
    "monaco",
    "lucida console",
    "lucida sans typewriter",
    "source code",
    "dejavu sans mono",
    "liberation mono",
    "cascadia",
    "fira code",
    "fira mono",
    "jetbrains mono",
    "roboto mono",
    "sf mono",
    "andale mono",
)
"""Font families (prefixes, lower case) that mark a paragraph typed in them as code."""


def _is_monospace(paragraph: Any) -> bool:  # a docx.text.paragraph.Paragraph (lazy import)
    """A paragraph whose every non-blank run is set in a monospace font: code typed in a
    Normal paragraph, as Word users do more often than they use a Code style."""
    fonts = [(run.font.name or "").lower() for run in paragraph.runs if run.text.strip()]
    return bool(fonts) and all(font.startswith(_MONOSPACE_FONTS) for font in fonts)


def _is_code_style(style: str) -> bool:
    name = style.lower()
    return "code" in name or "preformatted" in name or name in ("plain text", "macro text")
