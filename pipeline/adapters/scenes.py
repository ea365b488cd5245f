"""Turn a list of document blocks into a :class:`~pipeline.models.VideoSpec`.

One builder for Markdown, plain text, PDF and DOCX. The rules:

* The title is the ``title`` argument, else the document's first level-1 heading (when it is
  the first heading), else the file name. The video opens with a ``title`` scene whose
  subtitle is the first sentence of the introduction and whose narration is the introduction
  (the paragraphs before the first heading).
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
  becomes its description or header instead of being narrated.
* Scenes whose narration is left ``None`` get generated narration later
  (:func:`pipeline.narration.narrate_scene`).
* At most :data:`~pipeline.models.MAX_SCENES` scenes: past the cap, the remaining scenes are
  merged into one ``list`` scene naming what they covered. The video always ends with an
  ``outro`` scene.
* Every text is clipped at a word boundary (with ``…``) to the model's limits instead of failing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
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
    SolutionScene,
    TitleScene,
    VideoSpec,
    spec_error,
)
from pipeline.narration import clean_for_speech

WORDS_PER_SCENE = 220
"""Most words of running text narrated by one section scene."""

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
    document: Document, *, title: str | None = None, source: str = "", fallback_title: str = ""
) -> VideoSpec:
    """Build a validated spec from ``document`` (see the module docstring for the rules).

    Args:
        document: blocks in reading order, plus a title if the source format names one.
        title: overrides every other title source.
        source: file name used in error messages.
        fallback_title: used when there is neither ``title`` nor a level-1 heading.

    Raises:
        InputError: the document has no usable text.
    """
    blocks = list(document.blocks)
    doc_title = document.title
    first_heading = next((i for i, b in enumerate(blocks) if isinstance(b, Heading)), None)
    if first_heading is not None:
        heading = blocks[first_heading]
        assert isinstance(heading, Heading)
        if heading.level == 1:
            doc_title = doc_title or heading.text
            del blocks[first_heading]
    blocks = _promote_bold_leads(blocks)
    if not any(_has_text(block) for block in blocks) and not doc_title:
        raise InputError(
            "the document has no readable text",
            source=source,
            hint="add some headings, paragraphs or lists and try again",
        )
    video_title = clip(title or doc_title or fallback_title or "Untitled", _TITLE_MAX)
    video_title = video_title or "Untitled"
    try:
        scenes = _collect(blocks, video_title)
        scenes = _cap(scenes)
        scenes.append(OutroScene(main_text="Thanks for watching", sub_text=video_title))
        return VideoSpec(title=video_title, scenes=scenes)
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
    limit = MAX_SCENES + MAX_ITEMS
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
    paragraphs, visuals = _split_body(body, video_title)
    chunks = _chunks(paragraphs)
    subtitle = first_sentence(chunks[0][0], _TITLE_MAX) if chunks else ""
    if subtitle.rstrip(".") == video_title.rstrip("."):
        subtitle = ""
    narration = _narration(video_title, chunks[0]) if chunks else None
    scenes: list[Scene] = [TitleScene(title=video_title, subtitle=subtitle, narration=narration)]
    for chunk in chunks[1:]:
        scenes.append(_text_scene(video_title, chunk))
    scenes.extend(visuals)
    return scenes


def _section_scenes(heading: Heading, body: list[Block]) -> list[Scene]:
    header = clip(heading.text.strip().rstrip(":").strip(), _TITLE_MAX) or "Section"
    paragraphs, visuals = _split_body(body, header)
    chunks = _chunks(paragraphs)
    scenes: list[Scene] = [_text_scene(header, chunk) for chunk in chunks]
    if not scenes and not visuals and heading.level <= 2:
        scenes.append(TitleScene(title=header))
    return scenes + visuals


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


def _split_body(body: list[Block], section_header: str) -> tuple[list[str], list[Scene]]:
    """Paragraph texts to narrate, and the visual scenes of lists, code and quotes."""
    paragraphs: list[str] = []
    visuals: list[Scene] = []
    for i, block in enumerate(body):
        if isinstance(block, Paragraph):
            nxt = body[i + 1] if i + 1 < len(body) else None
            if _is_lead(block, nxt):
                continue
            if block.text.strip():
                paragraphs.append(block.text.strip())
            continue
        header, description = section_header, ""
        prev = body[i - 1] if i > 0 else None
        if isinstance(prev, Paragraph) and _is_lead(prev, block):
            if prev.emphasised:
                header = clip(prev.text.strip().rstrip(":"), _TITLE_MAX) or section_header
            else:
                description = clip(prev.text, _DESCRIPTION_MAX)
        visuals.extend(_visual_scenes(block, header, description))
    return paragraphs, visuals


def _is_lead(paragraph: Paragraph, nxt: Block | None) -> bool:
    """Whether ``paragraph`` introduces the list/code/quote block right after it."""
    if not isinstance(nxt, (ListBlock, Code, Quote)):
        return False
    text = paragraph.text.strip()
    if paragraph.emphasised and words(text) <= 12:
        return True
    return text.endswith(":") and words(text) <= _LEAD_MAX_WORDS


def _visual_scenes(block: Block, header: str, description: str) -> list[Scene]:
    if isinstance(block, ListBlock):
        return _list_scenes(block, header, description)
    if isinstance(block, Code):
        return _code_scenes(block, header, description)
    if isinstance(block, Quote):
        return _quote_scenes(block)
    return []


def _list_scenes(block: ListBlock, header: str, description: str) -> list[Scene]:
    items = [item for item in (_list_item(entry) for entry in block.entries) if item]
    scenes: list[Scene] = []
    for n, group in enumerate(_batches(items, MAX_ITEMS)):
        title = header if n == 0 else clip(f"{header} (continued)", MAX_SHORT_TEXT)
        scenes.append(
            ListScene(header=title, description=description if n == 0 else "", items=group)
        )
    return scenes


def _list_item(entry: ListEntry) -> ListItem | None:
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
    return ListItem(
        title=clip(text.rstrip(":").strip() or text, _ITEM_TITLE_MAX),
        description=clip(details, MAX_SHORT_TEXT),
    )


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


def _cap(scenes: list[Scene]) -> list[Scene]:
    """Keep room for the outro; merge the scenes past the cap into one summary list."""
    room = MAX_SCENES - 1
    if len(scenes) <= room:
        return scenes
    kept, rest = scenes[: room - 1], scenes[room - 1 :]
    labels: list[str] = []
    for scene in rest:
        label = _label(scene)
        if label and label not in labels:
            labels.append(label)
    summary = ListScene(
        header="Also covered",
        description="The rest of the document, in brief.",
        items=[ListItem(title=clip(label, _ITEM_TITLE_MAX)) for label in labels[:MAX_ITEMS]]
        or [ListItem(title="More details in the document")],
    )
    return [*kept, summary]


def _label(scene: Scene) -> str:
    if isinstance(scene, (TitleScene, SolutionScene)):
        return scene.title
    if isinstance(scene, (ListScene, CommandScene)):
        return scene.header.removesuffix(" (continued)")
    if isinstance(scene, QuoteScene):
        return "A quotation"
    return scene.main_text
