"""Turn a list of document blocks into a :class:`~pipeline.models.VideoSpec`.

One builder for Markdown, plain text, PDF and DOCX. The rules:

* The title is the ``title`` argument, else the document's first level-1 heading (when it is
  the first heading), else the file name. The video opens with a ``title`` scene whose
  subtitle is the first sentence of the introduction and whose narration is the introduction
  (the paragraphs before the first heading).
* Sections named like a changelog, licence, contributors or badges are skipped unless
  ``skip_boilerplate=False`` (:data:`BOILERPLATE_SECTIONS`); sentences that only point at
  something not shown ("This produces the following output:" before an image, "see the
  table below") are dropped.
* Document order is kept: paragraphs before a list, code block or quote are narrated before
  it, paragraphs after it after it.
* Every other heading opens a section. A section's paragraphs become one ``title`` scene
  (heading as title, first sentence as subtitle, paragraphs as narration). Sections longer
  than :data:`WORDS_PER_SCENE` words of running text are split into several such scenes at
  paragraph or sentence boundaries, so there is at most about one scene per 150–220 words.
  A section with only a heading gets a title card if it is level 1 or 2 and is dropped
  otherwise.
* Lists become ``list`` scenes (nested entries folded into the item description), at most
  :data:`~pipeline.models.MAX_ITEMS` items per scene; longer lists are split. Shell code
  (``sh``, ``bash``, ``console``, ``powershell``… or lines starting with ``$``) becomes a
  ``command`` scene, other code a ``solution`` scene; block quotes become ``quote`` scenes.
  A short paragraph ending with ``:`` or a bold-only paragraph right before such a block
  becomes its description or header instead of being narrated; when a longer paragraph ends
  with such a lead-in sentence, that sentence becomes the description.
* Scenes whose narration is left ``None`` get generated narration later
  (:func:`pipeline.narration.narrate_scene`).
* At most :data:`~pipeline.models.MAX_SCENES` scenes: past the cap, the storyboard is
  condensed (:func:`pipeline.condense.condense_scenes`: each section's first scene, lists and
  code first) and a note says so. The video always ends with an ``outro`` scene.
* Every text is clipped at a word boundary (with ``…``) to the model's limits instead of failing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError as PydanticValidationError

from pipeline.adapters.blocks import (
    Block,
    Code,
    Document,
    Heading,
    ListBlock,
    ListEntry,
    Paragraph,
    Quote,
    clip,
    clip_lines,
    first_sentence,
    sentences,
    words,
)
from pipeline.errors import InputError
from pipeline.models import (
    MAX_CODE_TEXT,
    MAX_ITEMS,
    MAX_NARRATION_TEXT,
    MAX_SCENES,
    MAX_SHORT_TEXT,
    CommandScene,
    ListItem,
    ListScene,
    OutroScene,
    QuoteScene,
    SceneBase,
    SolutionScene,
    TitleScene,
    VideoSpec,
    spec_error,
)
from pipeline.narration import clean_for_speech

WORDS_PER_SCENE = 220
"""Most words of running text narrated by one section scene."""
MAX_COLLECTED_SCENES = 5 * MAX_SCENES
"""Scenes built before condensing to the cap; text past them is not read (bounds the work)."""

BOILERPLATE_SECTIONS = re.compile(
    r"^(?:change\s*log|changes|release\s+notes|release\s+history|version\s+history|"
    r"what'?s\s+new|news|history\s+of\s+changes|licen[cs]e|licen[cs]ing|copyright|"
    r"contributors?|contributing|contribution\s+guidelines|how\s+to\s+contribute|authors|"
    r"credits|acknowledg(?:e)?ments|thanks|sponsors?|backers|funding|badges?|status|"
    r"build\s+status|project\s+status)\b[^a-z0-9]*(?:\(.*\))?$",
    re.IGNORECASE,
)
"""Headings of sections skipped by default (``skip_boilerplate``): changelog, licence,
contributors, badges. The heading is matched whole (``License``, ``Changelog``,
``Contributing``, ``Release notes``), so "Licensing your plugin" is kept."""

SHELL_LANGUAGES: dict[str, str] = {
    "sh": "bash",
    "bash": "bash",
    "shell": "bash",
    "console": "bash",
    "shell-session": "bash",
    "zsh": "bash",
    "fish": "bash",
    "powershell": "powershell",
    "ps1": "powershell",
    "pwsh": "powershell",
    "bat": "batch",
    "batch": "batch",
    "cmd": "batch",
}

_TITLE_MAX = 120
_ITEM_TITLE_MAX = 120
_DESCRIPTION_MAX = 400
_QUOTE_MAX = 600
_LEAD_MAX_WORDS = 60
_ITEM_SPLIT_RE = re.compile(r"^(.{2,80}?)(?::\s+|\s+[-–—]\s+)(.+)$")
_ATTRIBUTION_RE = re.compile(r"^(.*\S)\s+(?:[—–]|--)\s*([^—–]{2,80})$")


_T = TypeVar("_T")

Scene = TitleScene | ListScene | CommandScene | SolutionScene | QuoteScene | OutroScene


def blocks_to_spec(
    document: Document,
    *,
    title: str | None = None,
    source: str = "",
    fallback_title: str = "",
    skip_boilerplate: bool = True,
    notes: list[str] | None = None,
) -> VideoSpec:
    """Build a validated spec from ``document`` (see the module docstring for the rules).

    Args:
        document: blocks in reading order, plus a title if the source format names one.
        title: overrides every other title source.
        source: file name used in error messages and notes.
        fallback_title: used when there is neither ``title`` nor a level-1 heading.
        skip_boilerplate: leave out changelog, licence, contributor and badge sections
            (:data:`BOILERPLATE_SECTIONS`); ``False`` keeps them.
        notes: if given, receives what the user should know (sections skipped, the document
            condensed to the scene cap), each naming the file.

    Raises:
        InputError: the document has no usable text.
    """
    notes = notes if notes is not None else []
    name = Path(source).name if source else "the document"
    blocks = list(document.blocks)
    blocks, _toc = _skip_sections(blocks, TOC_SECTIONS)
    if skip_boilerplate:
        blocks, skipped = _skip_sections(blocks, BOILERPLATE_SECTIONS)
        if skipped:
            notes.append(
                f"{name}: skipped {len(skipped)} section{'s' if len(skipped) > 1 else ''} "
                f"({', '.join(repr(h) for h in skipped[:6])}{' …' if len(skipped) > 6 else ''}): "
                "changelog, licence, contributors and badges are left out by default"
            )
    blocks = _drop_pointer_sentences(blocks)
    doc_title = document.title
    first_heading = next((i for i, b in enumerate(blocks) if isinstance(b, Heading)), None)
    if first_heading is not None:
        heading = blocks[first_heading]
        assert isinstance(heading, Heading)
        if heading.level == 1:
            doc_title = doc_title or heading.text
            del blocks[first_heading]
    blocks = _promote_bold_leads(blocks)
    if not any(_has_text(block) for block in blocks):
        skipped_all = (
            bool(document.blocks) and skip_boilerplate and any("skipped" in note for note in notes)
        )
        raise InputError(
            "the document has nothing to say: no readable text"
            + (" besides its title" if doc_title else "")
            + (
                " once changelog, licence and contributor sections are skipped"
                if skipped_all
                else ""
            ),
            source=source,
            hint=(
                "keep those sections (skip_boilerplate=False) or add text"
                if skipped_all
                else "add some headings, paragraphs or lists and try again"
            ),
        )
    video_title = clip(title or doc_title or fallback_title or "Untitled", _TITLE_MAX)
    video_title = video_title or "Untitled"
    try:
        scenes = _collect(blocks, video_title)
        if len(scenes) > MAX_SCENES - 1:
            from pipeline.condense import condense_scenes

            total = len(scenes) + 1
            condensed = condense_scenes(scenes, max_scenes=MAX_SCENES - 1)
            scenes = list(condensed.scenes)  # type: ignore[arg-type]
            notes.append(
                f"{name}: the document makes {total} scenes, more than the {MAX_SCENES}-scene "
                f"limit; it was condensed to {MAX_SCENES} scenes (about "
                f"{condensed.estimated_duration_s / 60:.0f} min), keeping each section's "
                "heading and first scene; set a target duration to choose the length"
            )
        scenes.append(OutroScene(main_text="Thanks for watching", sub_text=video_title))
        return VideoSpec(title=video_title, scenes=list[SceneBase](scenes))
    except PydanticValidationError as error:  # pragma: no cover - clipping should prevent it
        raise spec_error(error, source=source) from error


def _promote_bold_leads(blocks: list[Block]) -> list[Block]:
    """A short bold-only paragraph (``**Fiber Optic Technology:**``) becomes a sub-heading."""
    result: list[Block] = []
    level = 1
    for block in blocks:
        if isinstance(block, Heading):
            level = block.level
        elif isinstance(block, Paragraph) and block.emphasised and words(block.text) <= 12:
            block = Heading(min(level + 1, 6), block.text.strip().rstrip(":").strip())
        result.append(block)
    return result


def _has_text(block: Block) -> bool:
    if isinstance(block, ListBlock):
        return any(entry.text for entry in block.entries)
    return bool(block.text.strip())


def _collect(blocks: list[Block], video_title: str) -> list[Scene]:
    """Scenes for all sections; stops early once far past the scene cap."""
    scenes: list[Scene] = []
    limit = MAX_COLLECTED_SCENES
    for heading, body in _sections(blocks):
        if heading is None:
            scenes.extend(_intro_scenes(video_title, body))
        else:
            scenes.extend(_section_scenes(heading, body))
        if len(scenes) > limit:
            break
    if not scenes or not isinstance(scenes[0], TitleScene) or scenes[0].title != video_title:
        scenes.insert(0, TitleScene(title=video_title))
    return scenes


def _sections(blocks: list[Block]) -> Iterator[tuple[Heading | None, list[Block]]]:
    heading: Heading | None = None
    body: list[Block] = []
    for block in blocks:
        if isinstance(block, Heading):
            if heading is not None or body:
                yield heading, body
            heading, body = block, []
        else:
            body.append(block)
    if heading is not None or body:
        yield heading, body


def _intro_scenes(video_title: str, body: list[Block]) -> list[Scene]:
    scenes = _ordered_scenes(body, video_title)
    opening = TitleScene(title=video_title)
    first = scenes[0] if scenes else None
    if isinstance(first, TitleScene) and first.title == video_title:
        scenes.pop(0)
        subtitle = first.subtitle if first.subtitle.rstrip(".") != video_title.rstrip(".") else ""
        opening = first.model_copy(update={"subtitle": subtitle})
    return [opening, *scenes]


def _section_scenes(heading: Heading, body: list[Block]) -> list[Scene]:
    header = clip(heading.text.strip().rstrip(":").strip(), _TITLE_MAX) or "Section"
    scenes = _ordered_scenes(body, header)
    if not scenes and heading.level <= 2:
        scenes.append(TitleScene(title=header))
    return scenes


def _text_scene(header: str, chunk: list[str]) -> TitleScene:
    return TitleScene(
        title=header,
        subtitle=first_sentence(chunk[0], _TITLE_MAX) if chunk else "",
        narration=_narration(header, chunk),
    )


def _narration(header: str, chunk: list[str]) -> str:
    spoken = clean_for_speech(" ".join([_sentence(header), *chunk]))
    return clip(spoken, MAX_NARRATION_TEXT)


def _sentence(text: str) -> str:
    text = text.strip().rstrip(":")
    return text if text[-1:] in ".!?" else text + "."


def _ordered_scenes(body: list[Block], section_header: str) -> list[Scene]:
    """Scenes of a section's blocks in document order.

    Paragraphs accumulate into text scenes; a list, code block or quote first closes the
    paragraphs before it (so a paragraph stays before its code), then becomes its scenes. A
    paragraph introducing the block (ending with ``:``, or bold) becomes its description or
    header; when a long paragraph ends with such a lead-in sentence, only that sentence moves
    to the block and the rest stays narration.
    """
    scenes: list[Scene] = []
    paragraphs: list[str] = []

    def close_paragraphs() -> None:
        scenes.extend(_text_scene(section_header, chunk) for chunk in _chunks(paragraphs))
        paragraphs.clear()

    for i, block in enumerate(body):
        nxt = body[i + 1] if i + 1 < len(body) else None
        if isinstance(block, Paragraph):
            text = block.text.strip()
            if not text:
                continue
            if _is_lead(block, nxt):
                continue
            lead_split = _split_lead(text, nxt)
            paragraphs.append(lead_split[0] if lead_split else text)
            continue
        close_paragraphs()
        header, description = section_header, ""
        prev = body[i - 1] if i > 0 else None
        if isinstance(prev, Paragraph):
            if _is_lead(prev, block):
                if prev.emphasised:
                    header = clip(prev.text.strip().rstrip(":"), _TITLE_MAX) or section_header
                else:
                    description = clip(prev.text, _DESCRIPTION_MAX)
            else:
                lead_split = _split_lead(prev.text.strip(), block)
                if lead_split:
                    description = clip(lead_split[1], _DESCRIPTION_MAX)
        scenes.extend(_visual_scenes(block, header, description))
    close_paragraphs()
    return scenes


def _split_lead(text: str, nxt: Block | None) -> tuple[str, str] | None:
    """``(rest, lead)`` when a long paragraph ends with a sentence introducing ``nxt``."""
    if not isinstance(nxt, (ListBlock, Code, Quote)) or not text.endswith(":"):
        return None
    parts = sentences(text)
    if len(parts) < 2 or words(parts[-1]) > _LEAD_MAX_WORDS:
        return None
    return " ".join(parts[:-1]), parts[-1]


def _is_lead(paragraph: Paragraph, nxt: Block | None) -> bool:
    """Whether ``paragraph`` introduces the list/code/quote block right after it."""
    if not isinstance(nxt, (ListBlock, Code, Quote)):
        return False
    text = paragraph.text.strip()
    if paragraph.emphasised and words(text) <= 12:
        return True
    return text.endswith(":") and words(text) <= _LEAD_MAX_WORDS and len(sentences(text)) == 1


def _visual_scenes(block: Block, header: str, description: str) -> list[Scene]:
    if isinstance(block, ListBlock):
        return _list_scenes(block, header, description)
    if isinstance(block, Code):
        return _code_scenes(block, header, description)
    if isinstance(block, Quote):
        return _quote_scenes(block)
    return []


def _list_scenes(block: ListBlock, header: str, description: str) -> list[Scene]:
    """A list's scenes: batches of :data:`MAX_ITEMS` cards, each followed by a list of its
    own for every item whose nested entries do not fit the item's description."""
    entries = [made for made in (_list_item(entry) for entry in block.entries) if made]
    scenes: list[Scene] = []
    for n, group in enumerate(_batches(entries, MAX_ITEMS)):
        title = header if n == 0 else clip(f"{header} (continued)", MAX_SHORT_TEXT)
        items = [item for item, _nested in group]
        scenes.append(
            ListScene(header=title, description=description if n == 0 else "", items=items)
        )
        for item, nested in group:
            if nested:
                scenes += _list_scenes(ListBlock(nested), item.title, "")
    return scenes


def _list_item(entry: ListEntry) -> tuple[ListItem, tuple[ListEntry, ...]] | None:
    """The card of ``entry`` and, when its nested entries are too long to be its description
    (more than :data:`MAX_SHORT_TEXT` characters joined), those entries for a list of their
    own: clipping them lost the end of 20 items of the Internet guide (on screen and in the
    narration)."""
    text = entry.text.strip()
    if not text and entry.children:
        text, children = entry.children[0], entry.children[1:]
    else:
        children = entry.children
    if not text:
        return None
    description = ""
    match = _ITEM_SPLIT_RE.match(text)
    if match:
        text, description = match.group(1), match.group(2)
    details = "; ".join(part for part in (description, *children) if part)
    nested: tuple[ListEntry, ...] = ()
    if len(details) > MAX_SHORT_TEXT and children:
        details, nested = description, tuple(ListEntry(child) for child in children)
    item = ListItem(
        title=clip(text.rstrip(":").strip() or text, _ITEM_TITLE_MAX),
        description=clip(details, MAX_SHORT_TEXT),
    )
    return item, nested


def _code_scenes(block: Code, header: str, description: str) -> list[Scene]:
    code = block.text.strip("\n")
    if not code.strip():
        return []
    language = block.language.lower()
    lines = [line.strip() for line in code.splitlines()]
    is_shell = language in SHELL_LANGUAGES or (
        not language and any(line.startswith("$ ") for line in lines)
    )
    if not is_shell:
        return [
            SolutionScene(
                title=header,
                code=clip_lines(code, MAX_CODE_TEXT),
                explanation=description,
                language=clip(language or "text", 40),
            )
        ]
    commands = [clip(line, MAX_SHORT_TEXT) for line in lines if line and not line.startswith("#")]
    scenes: list[Scene] = []
    for n, group in enumerate(_batches(commands, MAX_ITEMS)):
        scenes.append(
            CommandScene(
                header=header if n == 0 else clip(f"{header} (continued)", MAX_SHORT_TEXT),
                description=description if n == 0 else "",
                commands=group,
                language=SHELL_LANGUAGES.get(language, "bash"),
            )
        )
    return scenes


def _quote_scenes(block: Quote) -> list[Scene]:
    text = block.text.strip()
    attribution = ""
    match = _ATTRIBUTION_RE.match(text)
    if match:
        text, attribution = match.group(1), match.group(2)
    if not text:
        return []
    return [
        QuoteScene(
            quote_text=clip(text, _QUOTE_MAX),
            attribution=clip(attribution, MAX_SHORT_TEXT),
            context=clip(block.kind, MAX_SHORT_TEXT),
        )
    ]


def _chunks(paragraphs: list[str]) -> list[list[str]]:
    """Group paragraphs into runs of at most :data:`WORDS_PER_SCENE` words."""
    pieces: list[str] = []
    for paragraph in paragraphs:
        if words(paragraph) <= WORDS_PER_SCENE:
            pieces.append(paragraph)
        else:
            pieces.extend(_split_long(paragraph))
    chunks: list[list[str]] = []
    count = 0
    for piece in pieces:
        n = words(piece)
        if chunks and count + n <= WORDS_PER_SCENE:
            chunks[-1].append(piece)
            count += n
        else:
            chunks.append([piece])
            count = n
        if len(chunks) > MAX_SCENES:
            break
    return chunks


def _split_long(paragraph: str) -> Iterator[str]:
    """Split a paragraph longer than the scene budget at sentences, else at words."""
    for sentence in sentences(paragraph):
        tokens = sentence.split()
        for start in range(0, len(tokens), WORDS_PER_SCENE):
            yield " ".join(tokens[start : start + WORDS_PER_SCENE])
            if start > WORDS_PER_SCENE * MAX_SCENES:
                return


def _batches(values: Iterable[_T], size: int) -> Iterator[list[_T]]:
    batch: list[_T] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


TOC_SECTIONS = re.compile(r"^(?:table\s+of\s+contents|contents|toc|index)\W*$", re.IGNORECASE)
"""Headings of tables of contents: always skipped (the video is its own order)."""


def _skip_sections(blocks: list[Block], pattern: re.Pattern[str]) -> tuple[list[Block], list[str]]:
    """Blocks without the sections whose heading matches ``pattern``, and those headings."""
    kept: list[Block] = []
    skipped: list[str] = []
    skip_level: int | None = None
    first_heading = True
    for block in blocks:
        if isinstance(block, Heading):
            is_title = first_heading and block.level == 1  # the document's own title stays
            first_heading = False
            if skip_level is not None and block.level > skip_level:
                continue
            skip_level = None
            if not is_title and pattern.match(block.text.strip()):
                skip_level = block.level
                skipped.append(block.text.strip())
                continue
        elif skip_level is not None:
            continue
        kept.append(block)
    return kept, skipped


_POINTER_RE = re.compile(
    r"\b(?:(?:see|in|shown\s+in|as\s+shown\s+in)\s+the\s+(?:table|figure|image|screenshot|"
    r"diagram|chart|picture|gif|video|badge)s?\s+(?:below|above)|"
    r"(?:the|this)\s+(?:table|figure|image|screenshot|diagram|chart|picture|gif)s?\s+"
    r"(?:below|above)|the\s+following\s+(?:table|figure|image|screenshot|diagram|chart|"
    r"picture|output|badges?)|(?:looks|look)\s+like\s+this:|as\s+follows:)",
    re.IGNORECASE,
)


def _drop_pointer_sentences(blocks: list[Block]) -> list[Block]:
    """Drop sentences that only point at something not shown (an image, a badge, a table).

    A sentence goes when it names a table/figure/image/screenshot "below"/"above" or "the
    following output", or when it ends with ``:`` and the block after it is not a list, code
    or quote (what it introduced was an image or raw HTML, which are dropped). A paragraph
    left empty goes too.
    """
    result: list[Block] = []
    for i, block in enumerate(blocks):
        if not isinstance(block, Paragraph) or block.emphasised:
            result.append(block)
            continue
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        introduces_visual = isinstance(nxt, (ListBlock, Code, Quote))
        parts = sentences(block.text)
        kept = []
        for k, sentence in enumerate(parts):
            last = k == len(parts) - 1
            if _POINTER_RE.search(sentence) and not (last and introduces_visual):
                continue
            if last and sentence.rstrip().endswith(":") and not introduces_visual:
                continue
            kept.append(sentence)
        if kept:
            text = " ".join(kept)
            result.append(block if text == block.text else Paragraph(text, block.emphasised))
    return result
