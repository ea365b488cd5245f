"""Narration by rules: what the voice says for each scene, and cleaning text for speech.

* :func:`narrate_scene` writes natural narration from a scene's content, for scenes whose
  ``narration`` is ``None``. Items that appear one by one (list items, objectives, quiz
  options, instructions, checkpoint entries) are mentioned in order, so the timeline can
  reveal each when its first word is spoken (see :func:`pipeline.timeline.revealable_items`).
* :func:`clean_for_speech` turns text into something a voice can read: no URLs spelled out,
  no Markdown/HTML markup, code summarised instead of read symbol by symbol.
* :func:`script_stage` gives one narration per scene of a spec.

All fixed wording lives in :data:`PHRASES` (English, with each scene type's own phrases);
every other language of the voice table takes its translation from the message catalogs of
:mod:`pipeline.i18n` (a phrase missing there falls back to English). To change a phrase,
change it here (or in its scene type's descriptor) and in each catalog
(``pipeline/i18n/locales/<language>.po``); a test fails until every catalog has it.
"""

from __future__ import annotations

import re
import unicodedata

from pipeline.i18n import phrase_table
from pipeline.models import MAX_NARRATION_TEXT, Scene, VideoSpec
from pipeline.scene_types import REGISTRY, descriptor

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "the_code": "the code",
        "a_link": "a link",
        "and": "and",
        "percent": "percent",
        "dollars": "dollars",
        "plus": "plus",
        "less_than": "less than",
        "more_than": "more than",
        "for_example": "for example",
        "that_is": "that is",
        "et_cetera": "and so on",
        "numbers": "zero one two three four five six seven eight nine ten eleven twelve",
        "sentence_end": ".",
    },
}
"""Fixed wording in English; other languages come from :func:`pipeline.i18n.phrase_table`.

The English wording of each scene type's own phrases (``quiz_answer``, ``run_commands``, …)
is declared by its descriptor (:attr:`SceneTypeDescriptor.phrases
<pipeline.scene_types.base.SceneTypeDescriptor.phrases>`) and merged into ``"en"`` here; the
catalogs translate every key."""

for _descriptor in REGISTRY.values():
    for _key, _text in _descriptor.phrases.items():
        PHRASES["en"].setdefault(_key, _text)


_SENTENCE_ENDS = ".!?:。！？：।"


def _phrases(language: str) -> dict[str, str]:
    return phrase_table(language, PHRASES["en"])


def narrate_scene(scene: Scene, *, language: str = "en") -> str:
    """Narration for ``scene`` built from its content, cleaned for speech.

    Args:
        scene: a scene of any registered type; its descriptor gives the parts.
        language: BCP-47 code; picks the phrase catalog (English when it has none).

    Returns:
        Plain sentences, at most :data:`~pipeline.models.MAX_NARRATION_TEXT` characters, that
        mention every revealable item in order and read no code symbols or URLs.
    """
    p = _phrases(language)
    parts = descriptor(scene.scene_type).narration_parts(scene, p)
    joined = " ".join(_sentence(part, p) for part in parts if part.strip())
    return _clip(clean_for_speech(joined, language=language), MAX_NARRATION_TEXT)


def _sentence(text: str, p: dict[str, str]) -> str:
    text = text.strip()
    return text if text[-1:] in _SENTENCE_ENDS else text + p["sentence_end"]


# --- cleaning ---------------------------------------------------------------------------

_FENCE_RE = re.compile(r"```.*?(?:```|$)|~~~.*?(?:~~~|$)", re.DOTALL)
_COMMENT_RE = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_IMAGE_RE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK_RE = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_REF_LINK_RE = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_TAG_RE = re.compile(r"</?[A-Za-z][^<>]{0,500}?>")
_URL_RE = re.compile(r"\b(?:https?|ftp)://([^\s/?#<>()\[\]\"']+)[^\s<>()\[\]\"']*", re.I)
_WWW_RE = re.compile(r"\bwww\.([^\s/?#<>()\[\]\"']+)[^\s<>()\[\]\"']*", re.I)
_EMAIL_RE = re.compile(r"\b[\w.+-]+@([\w-]+\.[\w.-]+)\b")
_CODE_SPAN_RE = re.compile(r"`+([^`]*)`+")
_SHORTCODE_RE = re.compile(r"(?<!\w):[a-z0-9_+-]{2,30}:(?!\w)")
_EMPHASIS_RE = re.compile(r"(\*{1,3}|_{2,3})(\S(?:.*?\S)?)\1")
_LINE_MARK_RE = re.compile(r"^\s*(?:#{1,6}\s+|>\s?|[-*+]\s+)", re.MULTILINE)
_DOLLARS_RE = re.compile(
    r"\$\s?(\d[\d,.]*(?:\s?[-–]\s?\d[\d,.]*)?)(\s(?:thousand|million|billion|trillion))?"
)
_CODE_SYMBOLS = set("(){}[];=<>$\\|&*/#@^~`'\"")
_SYMBOLS_RE = re.compile(r"[{}\[\]<>|\\^~`*#=$_‹›]+")
_SPACE_BEFORE_PUNCT_RE = re.compile(r"\s+([,.;:!?])")
_REPEAT_PUNCT_RE = re.compile(r"([,.;:!?])(?:\s*[,.;:])+")
_SPACE_RE = re.compile(r"\s+")
_SPACE_AFTER_CJK_PUNCT_RE = re.compile(r"(?<=[。！？：、，；])\s+")


def clean_for_speech(text: str, *, language: str = "en") -> str:
    """Make ``text`` fit to be read aloud.

    * Markdown and HTML go: ``**bold**`` → ``bold``, ``[text](url)`` → ``text``, images,
      tags (``<br>``), comments and emoji shortcodes (``:rocket:``) are removed.
    * URLs are replaced by their host (``https://github.com/foo/bar`` → ``github.com``).
    * Code is summarised: a fenced block becomes "the code"; an inline code span full of
      symbols becomes its identifier words (``napari.run()`` → ``napari run``) or "the code".
    * A few symbols are said in words (``&`` → and, ``%`` → percent, ``$5`` → 5 dollars,
      ``e.g.`` → for example); other code symbols are dropped. Sentence punctuation stays and
      whitespace is collapsed.

    Returns:
        Plain text on one line (may be empty).
    """
    p = _phrases(language)
    text = _FENCE_RE.sub(f" {p['the_code']} ", text)
    text = _COMMENT_RE.sub(" ", text)
    text = _IMAGE_RE.sub(" ", text)
    text = _LINK_RE.sub(r"\1", text)
    text = _REF_LINK_RE.sub(r"\1", text)
    text = _TAG_RE.sub(" ", text)
    text = _URL_RE.sub(lambda m: _host(m.group(1)), text)
    text = _WWW_RE.sub(lambda m: "www." + _host(m.group(1)), text)
    text = _EMAIL_RE.sub(lambda m: _host(m.group(1)), text)
    text = _CODE_SPAN_RE.sub(lambda m: _speak_code(m.group(1), p), text)
    text = _SHORTCODE_RE.sub(" ", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("So", "Cs", "Co"))
    for _ in range(3):
        text = _EMPHASIS_RE.sub(r"\2", text)
    text = _LINE_MARK_RE.sub(" ", text)
    text = _DOLLARS_RE.sub(lambda m: f"{m.group(1)}{m.group(2) or ''} {p['dollars']}", text)
    text = re.sub(r"\be\.g\.,?", p["for_example"], text)
    text = re.sub(r"\bi\.e\.,?", p["that_is"], text)
    text = re.sub(r"\betc\.", p["et_cetera"] + ".", text)
    text = re.sub(r"\s*&\s*", f" {p['and']} ", text)
    text = re.sub(r"(\d)\s?%", rf"\1 {p['percent']}", text)
    text = re.sub(r"(\d)\+", rf"\1 {p['plus']}", text)
    text = re.sub(r"\s*(?:->|=>|→)\s*", " to ", text)
    text = re.sub(r"<=?\s?(?=\d)", f"{p['less_than']} ", text)
    text = re.sub(r">=?\s?(?=\d)", f"{p['more_than']} ", text)
    text = _SYMBOLS_RE.sub(" ", text)
    text = _SPACE_RE.sub(" ", text)
    text = _SPACE_AFTER_CJK_PUNCT_RE.sub("", text)  # Chinese and Japanese put no space there
    text = _SPACE_BEFORE_PUNCT_RE.sub(r"\1", text)
    text = _REPEAT_PUNCT_RE.sub(r"\1", text)
    return text.strip(" ,;")


def _host(netloc: str) -> str:
    return netloc.rsplit("@", 1)[-1].split(":", 1)[0].lower()


def _speak_code(code: str, p: dict[str, str]) -> str:
    code = code.strip()
    if not code:
        return " "
    symbols = sum(ch in _CODE_SYMBOLS for ch in code)
    if symbols == 0 and len(code.split()) <= 6:
        return code
    names = [w for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", code)]
    if 0 < len(names) <= 4:
        return " ".join(names)
    return p["the_code"]


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"


def script_stage(spec: VideoSpec) -> list[str]:
    """One narration per scene of ``spec``, in order.

    A scene's own ``narration`` is cleaned with :func:`clean_for_speech` (an explicit empty
    string stays silent); ``None``, or text that cleans to nothing, is replaced by
    :func:`narrate_scene`. When consecutive scenes share a heading (a section split over
    several scenes), only the first says it: a later one's narration loses an opening
    sentence that is just that heading. Each result is at most
    :data:`~pipeline.models.MAX_NARRATION_TEXT` characters.
    """
    script: list[str] = []
    previous_heading = ""
    for scene in spec.scenes:
        heading = scene_heading(scene, language=spec.language)
        said_before, previous_heading = previous_heading, heading
        if scene.narration is not None and not scene.narration.strip():
            script.append("")
            continue
        text = clean_for_speech(scene.narration, language=spec.language) if scene.narration else ""
        if not text:
            text = narrate_scene(scene, language=spec.language)
        if heading and heading == said_before:
            text = _without_opening(text, heading)
        script.append(_clip(text, MAX_NARRATION_TEXT))
    return script


def scene_heading(scene: Scene, *, language: str = "en") -> str:
    """The heading ``scene`` shows and its generated narration opens with (a title card's
    title, a list's or command's header, a quote's context …), cleaned for speech, without
    its final punctuation; ``""`` when it has none."""
    parts = descriptor(scene.scene_type).narration_parts(scene, _phrases(language))
    if not parts or not parts[0].strip():
        return ""
    return clean_for_speech(parts[0], language=language).rstrip(_HEADING_ENDS)


_HEADING_ENDS = ".!?:。！？："
_OPENING_END_RE = re.compile(r"[.!?:。！？：]\s*")


def _without_opening(text: str, heading: str) -> str:
    """``text`` without its first sentence when that sentence is ``heading`` (and something
    is left): a section split over several scenes says its heading once. On a document's
    "Usage" section of five scenes the narrator said "Usage." five times."""
    if not text.startswith(heading):
        return text
    end = _OPENING_END_RE.match(text, len(heading))
    if end is None or not text[end.end() :].strip():
        return text
    return text[end.end() :]
