"""Narration by rules: what the voice says for each scene, and cleaning text for speech.

* :func:`narrate_scene` writes natural narration from a scene's content, for scenes whose
  ``narration`` is ``None``. Items that appear one by one (list items, objectives, quiz
  options, instructions, checkpoint entries) are mentioned in order, so the timeline can
  reveal each when its first word is spoken (see :func:`pipeline.timeline.revealable_items`).
* :func:`clean_for_speech` turns text into something a voice can read: no URLs spelled out,
  no Markdown/HTML markup, code summarised instead of read symbol by symbol.
* :func:`script_stage` gives one narration per scene of a spec.

All fixed wording lives in :data:`PHRASES` (English); every other language of the voice table
takes its translation from the message catalogs of :mod:`pipeline.i18n` (a phrase missing there
falls back to English). To change a phrase, change it here and in each catalog
(``pipeline/i18n/locales/<language>.po``); a test fails until every catalog has it.
"""

from __future__ import annotations

import re
import unicodedata

from pipeline.i18n import phrase_table
from pipeline.models import (
    MAX_NARRATION_TEXT,
    AdScene,
    CheckpointScene,
    ClipScene,
    CodeComparisonScene,
    CommandScene,
    ExerciseScene,
    LearningObjectivesScene,
    ListScene,
    OutroScene,
    ProblemScene,
    QuizScene,
    QuoteScene,
    Scene,
    SolutionScene,
    TitleScene,
    VideoSpec,
)

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "run_commands": "Run {count} {noun}, starting with {first}.",
        "command_one": "command",
        "command_many": "commands",
        "comparison": "First, the {before} version. Then, the {after} version.",
        "quote_said": "{quote}, as {attribution} said.",
        "objectives_intro": "In this lesson, you will:",
        "difficulty": "Difficulty: {difficulty}.",
        "duration_min": "It takes about {minutes} minutes.",
        "solution_code": "Here is the solution in {language}.",
        "quiz_options": "Is it {options}?",
        "quiz_or": "or",
        "quiz_answer": "The answer is {answer}.",
        "checkpoint": "Checkpoint {number}.",
        "checkpoint_done": "So far, we covered:",
        "checkpoint_review": "Ask yourself:",
        "checkpoint_next": "Next up:",
        "exercise_time": "Plan on {time}.",
        "exercise_steps": "Here is what to do:",
        "exercise_hints": "A hint:",
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
"""Fixed wording in English; other languages come from :func:`pipeline.i18n.phrase_table`."""

_SENTENCE_ENDS = ".!?:。！？：।"


def _phrases(language: str) -> dict[str, str]:
    return phrase_table(language, PHRASES["en"])


def narrate_scene(scene: Scene, *, language: str = "en") -> str:
    """Narration for ``scene`` built from its content, cleaned for speech.

    Args:
        scene: any of the 12 scene types.
        language: BCP-47 code; picks the phrase catalog (English when it has none).

    Returns:
        Plain sentences, at most :data:`~pipeline.models.MAX_NARRATION_TEXT` characters, that
        mention every revealable item in order and read no code symbols or URLs.
    """
    p = _phrases(language)
    parts = _parts(scene, p)
    joined = " ".join(_sentence(part, p) for part in parts if part.strip())
    text = clean_for_speech(joined, language=language)
    return _clip(text, MAX_NARRATION_TEXT)


def _parts(scene: Scene, p: dict[str, str]) -> list[str]:
    if isinstance(scene, TitleScene):
        return [scene.title, scene.subtitle]
    if isinstance(scene, ListScene):
        items = [_join(item.title, item.description) for item in scene.items]
        return [scene.header, scene.description, *items]
    if isinstance(scene, CommandScene):
        return [scene.header, scene.description, _commands_summary(scene.commands, p)]
    if isinstance(scene, CodeComparisonScene):
        comparison = p["comparison"].format(
            before=scene.before_label.lower() or "before",
            after=scene.after_label.lower() or "after",
        )
        return [scene.header, comparison, scene.improvement]
    if isinstance(scene, QuoteScene):
        quote = _strip_end(scene.quote_text)
        if scene.attribution:
            quote = p["quote_said"].format(quote=quote, attribution=scene.attribution)
        return [scene.context, quote]
    if isinstance(scene, OutroScene):
        return [scene.main_text, scene.sub_text]
    if isinstance(scene, LearningObjectivesScene):
        extra = [p["difficulty"].format(difficulty=scene.difficulty)] if scene.difficulty else []
        if scene.duration_min:
            extra.append(p["duration_min"].format(minutes=scene.duration_min))
        return [scene.lesson_title, p["objectives_intro"], *scene.objectives, *extra]
    if isinstance(scene, ProblemScene):
        extra = [p["difficulty"].format(difficulty=scene.difficulty)] if scene.difficulty else []
        return [scene.title, scene.problem_text, *extra]
    if isinstance(scene, SolutionScene):
        code = p["solution_code"].format(language=scene.language) if scene.code.strip() else ""
        return [scene.title, scene.explanation, code]
    if isinstance(scene, QuizScene):
        options = [_strip_end(option) for option in scene.options]
        comma = "," if len(options) > 2 else ""
        listed = ", ".join(options[:-1]) + f"{comma} {p['quiz_or']} " + options[-1]
        parts = [scene.question, p["quiz_options"].format(options=listed)]
        if scene.show_answer:
            answer = _strip_end(scene.options[scene.correct_index])
            parts.append(p["quiz_answer"].format(answer=answer))
        return parts
    if isinstance(scene, CheckpointScene):
        parts = [p["checkpoint"].format(number=scene.checkpoint_number)]
        for key, entries in (
            ("checkpoint_done", scene.completed_topics),
            ("checkpoint_review", scene.review_questions),
            ("checkpoint_next", scene.next_topics),
        ):
            if entries:
                parts += [p[key], *entries]
        return parts
    if isinstance(scene, ClipScene | AdScene):
        return [scene.headline, scene.body]
    if isinstance(scene, ExerciseScene):
        parts = [scene.title]
        if scene.difficulty:
            parts.append(p["difficulty"].format(difficulty=scene.difficulty))
        if scene.estimated_time:
            parts.append(p["exercise_time"].format(time=scene.estimated_time))
        parts += [p["exercise_steps"], *scene.instructions]
        if scene.hints:
            parts += [p["exercise_hints"], scene.hints[0]]
        return parts
    return []  # pragma: no cover - the union is exhaustive


def _join(title: str, description: str) -> str:
    title = _strip_end(title)
    return f"{title}: {description}" if description else title


def _strip_end(text: str) -> str:
    return text.strip().rstrip(".!?;:,").strip()


def _sentence(text: str, p: dict[str, str]) -> str:
    text = text.strip()
    return text if text[-1:] in _SENTENCE_ENDS else text + p["sentence_end"]


_PROMPT_RE = re.compile(r"^\s*(?:\$|>|#|PS [^>]*>)\s*")
_IDENT_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")


def _commands_summary(commands: list[str], p: dict[str, str]) -> str:
    """``Run three commands, starting with tool install.`` — never reads symbols."""
    if not commands:
        return ""
    first_words = _IDENT_RE.findall(_PROMPT_RE.sub("", commands[0]))[:2]
    first = " ".join(word.strip(".-") for word in first_words) or p["the_code"]
    numbers = p["numbers"].split()
    count = numbers[len(commands)] if len(commands) < len(numbers) else str(len(commands))
    noun = p["command_one"] if len(commands) == 1 else p["command_many"]
    return p["run_commands"].format(count=count, noun=noun, first=first)


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
    text = _WWW_RE.sub(lambda m: _host(m.group(1)), text)
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
    return netloc.rsplit("@", 1)[-1].split(":", 1)[0].lower().removeprefix("www.")


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
    :func:`narrate_scene`. Each result is at most
    :data:`~pipeline.models.MAX_NARRATION_TEXT` characters.
    """
    script: list[str] = []
    for scene in spec.scenes:
        if scene.narration is not None and not scene.narration.strip():
            script.append("")
            continue
        text = clean_for_speech(scene.narration, language=spec.language) if scene.narration else ""
        if not text:
            text = narrate_scene(scene, language=spec.language)
        script.append(_clip(text, MAX_NARRATION_TEXT))
    return script
