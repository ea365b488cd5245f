"""Hostile input files built on the fly (nothing large is stored in the repository).

* :func:`forged_zip` writes a zip archive whose entries may declare sizes their data does
  not have (the local and central headers say ``declared_size``; the data inflates to
  whatever it holds), as zip bombs do.
* :func:`zeros_deflate` is a raw deflate stream of ``n_mib`` MiB of zero bytes built from one
  repeated, byte-aligned block (Z_FULL_FLUSH resets the history, so every block is the same
  bytes): an 8 GiB stream is about 8.4 MB and takes milliseconds to build.
* :func:`paragraphs_docx` writes a valid Word document of many short paragraphs straight to
  the zip (python-docx would take minutes to write what it then takes minutes to read).
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

_ONE_MIB = 1024 * 1024


def zeros_deflate(n_mib: int) -> bytes:
    """A raw deflate stream (no zlib header) that inflates to ``n_mib`` MiB of zeros."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(_ONE_MIB)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.flush(zlib.Z_FINISH)
    return first + block * (n_mib - 1) + tail


def forged_zip(path: Path, entries: Sequence[tuple[str, bytes, int | None]]) -> None:
    """Write a zip whose entries are ``(name, raw_deflate_data, declared_size)``.

    ``declared_size`` ``None`` declares the true inflated size (computed by inflating). The
    CRC written is that of ``declared_size`` zero bytes, so nothing but the sizes is odd.
    """
    local_parts: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for name, data, declared in entries:
        if declared is None:
            declared = len(zlib.decompressobj(-15).decompress(data))
        crc = zlib.crc32(bytes(min(declared, 64 * _ONE_MIB)))
        encoded = name.encode()
        local = struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(data), declared, len(encoded), 0
        )
        local_parts.append(local + encoded + data)
        central.append(
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                len(data),
                declared,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
        offset += len(local) + len(encoded) + len(data)
    directory = b"".join(central)
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(directory), offset, 0
    )
    path.write_bytes(b"".join(local_parts) + directory + end)


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def paragraphs_docx(path: Path, words: Sequence[str], n_paragraphs: int) -> None:
    """A real .docx of ``n_paragraphs`` short paragraphs cycling through ``words``."""
    body = "".join(
        f"<w:p><w:r><w:t>{words[i % len(words)]} {i}.</w:t></w:r></w:p>"
        for i in range(n_paragraphs)
    )
    document = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<w:document xmlns:w="{_W}"><w:body>{body}</w:body></w:document>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/document.xml", document)


def raw_deflate(data: bytes) -> bytes:
    """``data`` as a raw deflate stream (what a zip entry holds)."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def declared_size_bomb(path: Path, *, inflated_mib: int = 8192, declared: int = 900_000) -> None:
    """A .docx whose ``word/document.xml`` declares ``declared`` bytes but inflates to
    ``inflated_mib`` MiB (8 GiB by default, from an 8.4 MB file)."""
    forged_zip(
        path,
        [
            ("[Content_Types].xml", raw_deflate(_CONTENT_TYPES.encode()), None),
            ("_rels/.rels", raw_deflate(_RELS.encode()), None),
            ("word/document.xml", zeros_deflate(inflated_mib), declared),
        ],
    )
