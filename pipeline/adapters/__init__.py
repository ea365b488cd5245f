"""Input adapters: documents and scene files → :class:`~pipeline.models.VideoSpec`.

:func:`load_document` picks the adapter from the file suffix:

========================  ==============================================================
``.md``, ``.markdown``     Markdown (markdown-it-py), see :mod:`pipeline.adapters.scenes`
``.rst``, ``.rest``        reStructuredText (docutils), see :mod:`pipeline.adapters.rst`
``.txt``                   plain text, or reST when it looks like reST (underlined titles,
                           directives)
``.pdf``                   PDF (pypdf, in a child process with time and memory limits)
``.docx``                  Word (python-docx, after zip-bomb checks)
``.yaml``, ``.yml``        scene files: our schema (``docs/yaml-schema.md``) or video_gen's
========================  ==============================================================

Adapters set only content (title, scenes, and for scene files whatever the file states);
callers apply format, voice and theme overrides with ``spec.model_copy(update=...)``.
Every failure is an :class:`~pipeline.errors.InputError` naming the file and, where known,
the place in it. What the user should know but is not an error (sections skipped, pages
without text, a document condensed to the 100-scene cap) comes back as notes from
:func:`read_document`; :func:`load_document` logs them as warnings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.adapters.blocks import Document
from pipeline.adapters.markdown import markdown_document, text_document
from pipeline.adapters.scenes import blocks_to_spec
from pipeline.adapters.textio import MAX_BINARY_BYTES, check_size, read_text
from pipeline.errors import InputError
from pipeline.models import VideoSpec

SUPPORTED_SUFFIXES: tuple[str, ...] = (
    ".md",
    ".markdown",
    ".rst",
    ".rest",
    ".txt",
    ".pdf",
    ".docx",
    ".yaml",
    ".yml",
)

__all__ = [
    "SUPPORTED_SUFFIXES",
    "LoadedDocument",
    "load_document",
    "read_document",
    "spec_from_blocks",
    "spec_from_markdown",
    "spec_from_rst",
    "spec_from_text",
]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedDocument:
    """A loaded document: its spec, and notes for the user (each naming the file)."""

    spec: VideoSpec
    notes: list[str] = field(default_factory=list)


def spec_from_markdown(
    text: str,
    *,
    title: str | None = None,
    source: str = "",
    skip_boilerplate: bool = True,
    notes: list[str] | None = None,
) -> VideoSpec:
    """Spec from Markdown text (rules in :mod:`pipeline.adapters.scenes`).

    Args:
        text: the Markdown source.
        title: video title; default is the first level-1 heading, else the name in
            ``source``, else "Untitled".
        source: file name for messages and the fallback title.
        skip_boilerplate: leave out changelog, licence, contributor and badge sections.
        notes: receives notes for the user, if given.

    Raises:
        InputError: no readable text.
    """
    return spec_from_blocks(
        markdown_document(text),
        title=title,
        source=source,
        skip_boilerplate=skip_boilerplate,
        notes=notes,
    )


def spec_from_rst(
    text: str,
    *,
    title: str | None = None,
    source: str = "",
    skip_boilerplate: bool = True,
    notes: list[str] | None = None,
) -> VideoSpec:
    """Spec from reStructuredText (docutils; same scene rules as Markdown).

    Arguments and errors as :func:`spec_from_markdown`.
    """
    from pipeline.adapters.rst import rst_document

    return spec_from_blocks(
        rst_document(text, source=source),
        title=title,
        source=source,
        skip_boilerplate=skip_boilerplate,
        notes=notes,
    )


def spec_from_text(
    text: str,
    *,
    title: str | None = None,
    source: str = "",
    skip_boilerplate: bool = True,
    notes: list[str] | None = None,
) -> VideoSpec:
    """Spec from plain text: blank-line blocks are paragraphs, ``-``/``*``/``1.`` lines lists.

    Arguments and errors as :func:`spec_from_markdown`.
    """
    return spec_from_blocks(
        text_document(text),
        title=title,
        source=source,
        skip_boilerplate=skip_boilerplate,
        notes=notes,
    )


def spec_from_blocks(
    document: Document,
    *,
    title: str | None = None,
    source: str = "",
    skip_boilerplate: bool = True,
    notes: list[str] | None = None,
) -> VideoSpec:
    """Spec from an already extracted :class:`~pipeline.adapters.blocks.Document`.

    The document's own notes are added to ``notes`` first.
    """
    if notes is not None:
        notes.extend(document.notes)
    fallback = _title_from_name(Path(source).stem) if source else ""
    return blocks_to_spec(
        document,
        title=title,
        source=source,
        fallback_title=fallback,
        skip_boilerplate=skip_boilerplate,
        notes=notes,
    )


def _title_from_name(stem: str) -> str:
    return " ".join(stem.replace("_", " ").replace("-", " ").split())


def read_document(
    path: Path, *, title: str | None = None, skip_boilerplate: bool = True
) -> LoadedDocument:
    """Load any supported document or scene file into a spec, with notes for the user.

    Args:
        path: the file; its suffix picks the adapter (:data:`SUPPORTED_SUFFIXES`).
        title: overrides the title found in the document.
        skip_boilerplate: leave out changelog, licence, contributor and badge sections
            (documents only; see :data:`pipeline.adapters.scenes.BOILERPLATE_SECTIONS`).

    Raises:
        InputError: unsupported suffix, missing/empty/oversized file, unreadable or hostile
            content, a document with nothing to say (a scanned PDF without text), or an
            invalid scene file (the message names the file and location).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    source = str(path)
    notes: list[str] = []
    options = {"title": title, "source": source, "skip_boilerplate": skip_boilerplate}
    if suffix in (".md", ".markdown"):
        spec = spec_from_markdown(read_text(path), notes=notes, **options)  # type: ignore[arg-type]
    elif suffix in (".rst", ".rest"):
        spec = spec_from_rst(read_text(path), notes=notes, **options)  # type: ignore[arg-type]
    elif suffix == ".txt":
        from pipeline.adapters.rst import looks_like_rst

        text = read_text(path)
        reader = spec_from_rst if looks_like_rst(text) else spec_from_text
        spec = reader(text, notes=notes, **options)  # type: ignore[arg-type]
    elif suffix in (".yaml", ".yml"):
        from pipeline.adapters.yaml_scenes import load_scene_file

        spec = load_scene_file(path)
        spec = spec.model_copy(update={"title": title}) if title else spec
    elif suffix == ".pdf":
        from pipeline.adapters.pdf import pdf_document

        check_size(path, MAX_BINARY_BYTES)
        spec = spec_from_blocks(pdf_document(path), notes=notes, **options)  # type: ignore[arg-type]
    elif suffix == ".docx":
        from pipeline.adapters.docx_reader import docx_document

        check_size(path, MAX_BINARY_BYTES)
        spec = spec_from_blocks(docx_document(path), notes=notes, **options)  # type: ignore[arg-type]
    else:
        raise InputError(
            f"unsupported file type {suffix or '(no suffix)'!r}",
            source=source,
            hint="use one of: " + ", ".join(SUPPORTED_SUFFIXES),
        )
    return LoadedDocument(spec, notes)


def load_document(
    path: Path, *, title: str | None = None, skip_boilerplate: bool = True
) -> VideoSpec:
    """Load any supported document or scene file into a spec (see :func:`read_document`).

    Notes for the user are logged as warnings on this module's logger; call
    :func:`read_document` to get them.
    """
    loaded = read_document(path, title=title, skip_boilerplate=skip_boilerplate)
    for note in loaded.notes:
        _log.warning("%s", note)
    return loaded.spec
