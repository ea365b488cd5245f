"""Reading input files safely: size limits, binary detection and text decoding."""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import InputError

MAX_TEXT_BYTES = 20 * 1024 * 1024
"""Largest Markdown, text or YAML file accepted (20 MiB)."""
MAX_BINARY_BYTES = 100 * 1024 * 1024
"""Largest PDF or DOCX file accepted (100 MiB)."""

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document (use the .pdf suffix)"),
    (b"PK\x03\x04", "a zip archive such as a Word document (use the .docx suffix)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a Windows program"),
    (b"\x1f\x8b", "a gzip archive"),
)
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v")


def check_size(path: Path, limit_bytes: int) -> int:
    """Size of ``path`` in bytes after checking it exists, is a file and is within the limit.

    Raises:
        InputError: missing, not a regular file, empty, or larger than ``limit_bytes``.
    """
    source = str(path)
    if not path.exists():
        raise InputError("file not found", source=source, hint="check the path and try again")
    if not path.is_file():
        raise InputError("not a regular file", source=source, hint="choose a document file")
    size = path.stat().st_size
    if size == 0:
        raise InputError("the file is empty", source=source, hint="choose a file with content")
    if size > limit_bytes:
        raise InputError(
            f"the file is {size / 1024 / 1024:.1f} MB; the limit is "
            f"{limit_bytes / 1024 / 1024:.0f} MB",
            source=source,
            hint="split the document into smaller parts",
        )
    return size


def read_text(path: Path, *, limit_bytes: int | None = None) -> str:
    """Read a text file: size-checked, binary refused, decoded (see :func:`decode_text`).

    ``limit_bytes`` defaults to :data:`MAX_TEXT_BYTES`.

    Raises:
        InputError: see :func:`check_size` and :func:`decode_text`.
    """
    check_size(path, MAX_TEXT_BYTES if limit_bytes is None else limit_bytes)
    return decode_text(path.read_bytes(), source=str(path))


def decode_text(data: bytes, *, source: str = "") -> str:
    """Decode document bytes to text.

    Tries UTF-8 (a BOM is removed), UTF-16 when it has a BOM, then cp1252 and Latin-1, and
    accepts a result only if it looks like text (almost no control characters). Newlines are
    normalised to ``\\n``.

    Raises:
        InputError: the bytes are empty, only whitespace, a known binary format, or not text.
    """
    if not data.strip():
        raise InputError(
            "the file is empty or contains only whitespace",
            source=source,
            hint="choose a file with some text",
        )
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise InputError(
                f"this looks like {what}, not text", source=source, hint="choose a text document"
            )
    text = _decode(data)
    if text is None:
        raise InputError(
            "the file is not readable text (binary data or an unknown encoding)",
            source=source,
            hint="save the document as UTF-8 text",
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError(
            "the file contains only whitespace", source=source, hint="choose a file with text"
        )
    return text


def _decode(data: bytes) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _textlike(data.decode("utf-16"))
        except UnicodeDecodeError:
            return None
    if b"\x00" in data[:65536]:
        return None
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            decoded = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return _textlike(decoded)
    return None  # pragma: no cover - latin-1 decodes everything


def _textlike(text: str) -> str | None:
    sample = text[:200_000]
    bad = sum(
        1
        for ch in sample
        if (ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0) and ch not in _ALLOWED_CONTROLS
    )
    if bad > max(2, len(sample) // 200):
        return None
    return text
