"""Input adapters: documents and scene files → :class:`~pipeline.models.VideoSpec`.

:func:`load_document` picks the adapter from the file suffix:

========================  ==============================================================
``.md``, ``.markdown``     Markdown (markdown-it-py), see :mod:`pipeline.adapters.scenes`
``.rst``, ``.rest``        reStructuredText (docutils), see :mod:`pipeline.adapters.rst`
``.txt``                   plain text, or reST when it looks like reST (underlined titles,
                           directives)
``.pdf``                   PDF (pypdf)
``.docx``                  Word (python-docx, after zip-bomb checks by streaming inflation)
``.yaml``, ``.yml``        scene files: our schema (``docs/yaml-schema.md``) or video_gen's
``.srt``, ``.vtt``         transcripts (pysubs2), see :mod:`pipeline.adapters.transcript`
========================  ==============================================================

A new input format is one module plus an entry in :data:`FORMATS` (:func:`register_format`):
its suffixes, what to call the file in messages, the parsing function (by name, imported in
the parsing child) and its size limit. A YouTube URL given instead of a path is fetched
first, in this process, and read as a ``.vtt`` transcript
(:func:`pipeline.adapters.transcript.fetch_youtube_transcript`).

Every format is parsed the same way: :func:`read_document` checks the file's size, then
runs the adapter in a child process under the limits of :mod:`pipeline.sandbox` (CPU time,
wall time, memory); a limit hit is an :class:`~pipeline.errors.InputError` naming it, and
Ctrl-C stops the child at once.

Adapters set only content (title, scenes, and for scene files whatever the file states);
callers apply format, voice and theme overrides with ``spec.model_copy(update=...)``.
Every failure is an :class:`~pipeline.errors.InputError` naming the file and, where known,
the place in it. What the user should know but is not an error (sections skipped, pages
without text, a document condensed to the 100-scene cap) comes back as notes from
:func:`read_document`; :func:`load_document` logs them as warnings.
"""

from __future__ import annotations

import importlib
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class InputFormat:
    """An input format that lives in its own module (the registry's entry).

    Attributes:
        what: how messages call such a file (``"the transcript"``).
        parser: ``"module:function"``; the function takes ``(path, *, title, source,
            skip_boilerplate, notes)`` and returns a :class:`~pipeline.models.VideoSpec`
            (raising :class:`~pipeline.errors.InputError` for bad input). It runs in the
            limited parsing child.
        max_bytes: the largest file accepted.
        preload: modules the parsing child imports before its limits apply.
    """

    what: str
    parser: str
    max_bytes: int
    preload: tuple[str, ...] = ()

    def load_parser(self) -> Callable[..., VideoSpec]:
        """The parsing function."""
        module, _, name = self.parser.partition(":")
        function: Callable[..., VideoSpec] = getattr(importlib.import_module(module), name)
        return function


FORMATS: dict[str, InputFormat] = {}
"""Registered input formats by file suffix (lower case, with the dot)."""


def register_format(suffixes: tuple[str, ...], input_format: InputFormat) -> None:
    """Register ``input_format`` for ``suffixes`` (``(".srt", ".vtt")``)."""
    for suffix in suffixes:
        FORMATS[suffix.lower()] = input_format


register_format(
    (".srt", ".vtt"),
    InputFormat(
        what="the transcript",
        parser="pipeline.adapters.transcript:transcript_spec",
        max_bytes=5_000_000,
        preload=("pipeline.adapters.transcript", "pysubs2"),
    ),
)

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
    *FORMATS,
)

__all__ = [
    "FORMATS",
    "SUPPORTED_SUFFIXES",
    "InputFormat",
    "LoadedDocument",
    "load_document",
    "parse_document",
    "read_document",
    "register_format",
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


_WHAT = {
    ".md": "the Markdown file",
    ".markdown": "the Markdown file",
    ".rst": "the reStructuredText file",
    ".rest": "the reStructuredText file",
    ".txt": "the text file",
    ".pdf": "the PDF",
    ".docx": "the Word document",
    ".yaml": "the scene file",
    ".yml": "the scene file",
}
_BINARY_SUFFIXES = (".pdf", ".docx")
_RST = ("pipeline.adapters.rst", "docutils.core")
_PARSER_MODULES: dict[str, tuple[str, ...]] = {
    ".rst": _RST,
    ".rest": _RST,
    ".txt": _RST,
    ".pdf": ("pipeline.adapters.pdf", "pypdf"),
    ".docx": ("pipeline.adapters.docx_reader", "docx"),
    ".yaml": ("pipeline.adapters.yaml_scenes",),
    ".yml": ("pipeline.adapters.yaml_scenes",),
}
"""Modules the parsing child loads before its limits apply (code, not the document)."""


def read_document(
    path: Path | str,
    *,
    title: str | None = None,
    skip_boilerplate: bool = True,
    limits: Limits | None = None,
    offline: bool = False,
) -> LoadedDocument:
    """Load any supported document or scene file into a spec, with notes for the user.

    The file's size is checked here; the parsing runs in a child process under the limits
    of :mod:`pipeline.sandbox` (CPU time, wall time, memory), the same for every format.

    Args:
        path: the file; its suffix picks the adapter (:data:`SUPPORTED_SUFFIXES`). A YouTube
            URL (as text, or as a ``Path`` made of it) is fetched here first and read as a
            transcript.
        title: overrides the title found in the document.
        skip_boilerplate: leave out changelog, licence, contributor and badge sections
            (documents only; see :data:`pipeline.adapters.scenes.BOILERPLATE_SECTIONS`).
        limits: the parser's limits (default :data:`pipeline.sandbox.DEFAULT_LIMITS`).
        offline: the studio must not use the network (a URL is refused).

    Raises:
        TranscriptFetchError: a URL's transcript could not be fetched for want of a network
            (exit status 1).
        InputError: a URL that is not a YouTube video or has no transcript, unsupported suffix, missing/empty/oversized file, unreadable or hostile
            content, a parser limit hit (the message names it), a document with nothing to
            say (a scanned PDF without text), or an invalid scene file (the message names
            the file and location).
    """
    from pipeline.adapters.transcript import fetch_youtube_transcript, source_url

    url = source_url(path)
    if url is not None:
        with tempfile.TemporaryDirectory(prefix="videostudio-transcript-") as folder:
            fetched = fetch_youtube_transcript(url, Path(folder), offline=offline)
            return read_document(
                fetched, title=title, skip_boilerplate=skip_boilerplate, limits=limits
            )
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(
            f"unsupported file type {suffix or '(no suffix)'!r}",
            source=str(path),
            hint="use one of: " + ", ".join(SUPPORTED_SUFFIXES),
        )
    check_size(path, MAX_BINARY_BYTES if suffix in _BINARY_SUFFIXES else _text_limit(suffix))
    loaded: LoadedDocument = run_limited(
        parse_document,
        path,
        title,
        skip_boilerplate,
        what=FORMATS[suffix].what if suffix in FORMATS else _WHAT.get(suffix, "the document"),
        source=str(path),
        limits=limits or sandbox.DEFAULT_LIMITS,
        preload=FORMATS[suffix].preload if suffix in FORMATS else _PARSER_MODULES.get(suffix, ()),
    )
    return loaded


def _text_limit(suffix: str) -> int:
    if suffix in FORMATS:
        return FORMATS[suffix].max_bytes
    if suffix in (".yaml", ".yml"):
        from pipeline.adapters.yaml_scenes import MAX_YAML_BYTES

        return MAX_YAML_BYTES
    return textio.MAX_TEXT_BYTES


def parse_document(
    path: Path, title: str | None = None, skip_boilerplate: bool = True
) -> LoadedDocument:
    """The parsing behind :func:`read_document`, in this process and without its limits
    (:func:`read_document` calls it in a limited child process; call that instead).

    Raises:
        InputError: as :func:`read_document`.
    """
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
    elif suffix in FORMATS:
        input_format = FORMATS[suffix]
        check_size(path, input_format.max_bytes)
        spec = input_format.load_parser()(path, notes=notes, **options)
    else:
        raise InputError(
            f"unsupported file type {suffix or '(no suffix)'!r}",
            source=source,
            hint="use one of: " + ", ".join(SUPPORTED_SUFFIXES),
        )
    return LoadedDocument(spec, notes)


def load_document(
    path: Path | str,
    *,
    title: str | None = None,
    skip_boilerplate: bool = True,
    limits: Limits | None = None,
    offline: bool = False,
) -> VideoSpec:
    """Load any supported document or scene file into a spec (see :func:`read_document`).

    Notes for the user are logged as warnings on this module's logger; call
    :func:`read_document` to get them.
    """
    loaded = read_document(
        path, title=title, skip_boilerplate=skip_boilerplate, limits=limits, offline=offline
    )
    for note in loaded.notes:
        _log.warning("%s", note)
    return loaded.spec
