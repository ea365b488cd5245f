"""Input adapters: documents and scene files → :class:`~pipeline.models.VideoSpec`.

:func:`load_document` picks the adapter from the file suffix:

========================  ==============================================================
``.md``, ``.markdown``     Markdown (markdown-it-py), see :mod:`pipeline.adapters.scenes`
``.txt``                   plain text
``.pdf``                   PDF (pypdf)
``.docx``                  Word (python-docx, after zip-bomb checks by streaming inflation)
``.yaml``, ``.yml``        scene files: our schema (``docs/yaml-schema.md``) or video_gen's
========================  ==============================================================

Every format is parsed the same way: :func:`load_document` checks the file's size, then
runs the adapter in a child process under the limits of :mod:`pipeline.sandbox` (CPU time,
wall time, memory); a limit hit is an :class:`~pipeline.errors.InputError` naming it, and
Ctrl-C stops the child at once.

Adapters set only content (title, scenes, and for scene files whatever the file states);
callers apply format, voice and theme overrides with ``spec.model_copy(update=...)``.
Every failure is an :class:`~pipeline.errors.InputError` naming the file and, where known,
the place in it.
"""

from __future__ import annotations

from pathlib import Path

from pipeline import sandbox
from pipeline.adapters import textio
from pipeline.adapters.blocks import Document
from pipeline.adapters.markdown import markdown_document, text_document
from pipeline.adapters.scenes import blocks_to_spec
from pipeline.adapters.textio import MAX_BINARY_BYTES, check_size, read_text
from pipeline.errors import InputError
from pipeline.models import VideoSpec
from pipeline.sandbox import Limits, run_limited

SUPPORTED_SUFFIXES: tuple[str, ...] = (".md", ".markdown", ".txt", ".pdf", ".docx", ".yaml", ".yml")

__all__ = [
    "SUPPORTED_SUFFIXES",
    "load_document",
    "parse_document",
    "spec_from_blocks",
    "spec_from_markdown",
    "spec_from_text",
]


def spec_from_markdown(text: str, *, title: str | None = None, source: str = "") -> VideoSpec:
    """Spec from Markdown text (rules in :mod:`pipeline.adapters.scenes`).

    Args:
        text: the Markdown source.
        title: video title; default is the first level-1 heading, else the name in
            ``source``, else "Untitled".
        source: file name for messages and the fallback title.

    Raises:
        InputError: no readable text.
    """
    return spec_from_blocks(markdown_document(text), title=title, source=source)


def spec_from_text(text: str, *, title: str | None = None, source: str = "") -> VideoSpec:
    """Spec from plain text: blank-line blocks are paragraphs, ``-``/``*``/``1.`` lines lists.

    Arguments and errors as :func:`spec_from_markdown`.
    """
    return spec_from_blocks(text_document(text), title=title, source=source)


def spec_from_blocks(
    document: Document, *, title: str | None = None, source: str = ""
) -> VideoSpec:
    """Spec from an already extracted :class:`~pipeline.adapters.blocks.Document`."""
    fallback = _title_from_name(Path(source).stem) if source else ""
    return blocks_to_spec(document, title=title, source=source, fallback_title=fallback)


def _title_from_name(stem: str) -> str:
    return " ".join(stem.replace("_", " ").replace("-", " ").split())


_WHAT = {
    ".md": "the Markdown file",
    ".markdown": "the Markdown file",
    ".txt": "the text file",
    ".pdf": "the PDF",
    ".docx": "the Word document",
    ".yaml": "the scene file",
    ".yml": "the scene file",
}
_BINARY_SUFFIXES = (".pdf", ".docx")


def load_document(
    path: Path, *, title: str | None = None, limits: Limits | None = None
) -> VideoSpec:
    """Load any supported document or scene file into a spec.

    The file's size is checked here; the parsing runs in a child process under the limits
    of :mod:`pipeline.sandbox` (CPU time, wall time, memory), the same for every format.

    Args:
        path: the file; its suffix picks the adapter (:data:`SUPPORTED_SUFFIXES`).
        title: overrides the title found in the document.
        limits: the parser's limits (default :data:`pipeline.sandbox.DEFAULT_LIMITS`).

    Raises:
        InputError: unsupported suffix, missing/empty/oversized file, unreadable or hostile
            content, a parser limit hit (the message names it), or an invalid scene file
            (the message names the file and location).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(
            f"unsupported file type {suffix or '(no suffix)'!r}",
            source=str(path),
            hint="use one of: " + ", ".join(SUPPORTED_SUFFIXES),
        )
    check_size(path, MAX_BINARY_BYTES if suffix in _BINARY_SUFFIXES else _text_limit(suffix))
    return run_limited(
        parse_document,
        path,
        title,
        what=_WHAT.get(suffix, "the document"),
        source=str(path),
        limits=limits or sandbox.DEFAULT_LIMITS,
    )


def _text_limit(suffix: str) -> int:
    if suffix in (".yaml", ".yml"):
        from pipeline.adapters.yaml_scenes import MAX_YAML_BYTES

        return MAX_YAML_BYTES
    return textio.MAX_TEXT_BYTES


def parse_document(path: Path, title: str | None = None) -> VideoSpec:
    """The parsing behind :func:`load_document`, in this process and without its limits
    (:func:`load_document` calls it in a limited child process; call that instead).

    Raises:
        InputError: as :func:`load_document`.
    """
    suffix = path.suffix.lower()
    source = str(path)
    if suffix in (".md", ".markdown"):
        return spec_from_markdown(read_text(path), title=title, source=source)
    if suffix == ".txt":
        return spec_from_text(read_text(path), title=title, source=source)
    if suffix in (".yaml", ".yml"):
        from pipeline.adapters.yaml_scenes import load_scene_file

        spec = load_scene_file(path)
        return spec.model_copy(update={"title": title}) if title else spec
    if suffix == ".pdf":
        from pipeline.adapters.pdf import pdf_document

        check_size(path, MAX_BINARY_BYTES)
        return spec_from_blocks(pdf_document(path), title=title, source=source)
    if suffix == ".docx":
        from pipeline.adapters.docx_reader import docx_document

        check_size(path, MAX_BINARY_BYTES)
        return spec_from_blocks(docx_document(path), title=title, source=source)
    raise InputError(
        f"unsupported file type {suffix or '(no suffix)'!r}",
        source=source,
        hint="use one of: " + ", ".join(SUPPORTED_SUFFIXES),
    )
