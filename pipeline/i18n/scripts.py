"""Which writing systems put spaces between words: line breaking, caption words and widths.

Used by the text layout (:mod:`pipeline.render.text_layout`) and the captions
(:mod:`pipeline.subtitles`), so both break Chinese, Japanese and Thai the same way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

NO_SPACE_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0E00, 0x0EFF, "th"),  # Thai, Lao
    (0x1000, 0x109F, "my"),  # Myanmar
    (0x1780, 0x17FF, "km"),  # Khmer
    (0x3040, 0x30FF, "ja"),  # Hiragana, Katakana
    (0x31F0, 0x31FF, "ja"),
    (0x3400, 0x4DBF, "zh"),  # CJK ideographs (extension A, unified)
    (0x4E00, 0x9FFF, "zh"),
    (0xF900, 0xFAFF, "zh"),
    (0x3000, 0x303F, "zh"),  # CJK punctuation
    (0xFF00, 0xFF60, "zh"),  # full-width forms
)
"""Code point ranges of scripts written without spaces between words, with the language whose
line-breaking rules they need (Han and CJK punctuation: ``zh``; kana: ``ja``)."""

SENTENCE_END_CHARS = ".!?。！？।"
"""Characters that end a sentence in the languages of the voice table (Thai uses a space)."""


def no_space_language(ch: str) -> str | None:
    """The language of ``ch``'s script if it is written without spaces, else ``None``."""
    code = ord(ch)
    if code < 0x0E00:
        return None
    for first, last, language in NO_SPACE_RANGES:
        if first <= code <= last:
            return language
    return None


def needs_space(before: str, after: str) -> bool:
    """Whether a space goes between two adjacent words.

    None next to Chinese or Japanese (``"Python" + "の"`` → ``"Pythonの"``), none between two
    words of another script without spaces (Thai), one otherwise (Thai next to Latin too).
    """
    if not before or not after:
        return False
    left, right = no_space_language(before[-1]), no_space_language(after[0])
    if left in ("ja", "zh") or right in ("ja", "zh"):
        return False
    return not (left and right)


def join_words(words: Iterable[str]) -> str:
    """Join spoken words back into text: no space between two words of a script written
    without spaces (``["日本語", "です"]`` → ``"日本語です"``), one space otherwise."""
    text = ""
    for word in words:
        if not word:
            continue
        if text and needs_space(text, word):
            text += " "
        text += word
    return text


_STRICT_LOCALES = {"ja": "ja@lb=strict;lw=phrase", "zh": "zh@lb=strict"}


def no_space_script(text: str) -> str | None:
    """The language whose breaking rules ``text`` needs, if it holds a script without spaces.

    Returns ``"ja"`` for kana, ``"zh"`` for Han or CJK punctuation without kana, ``"th"``,
    ``"my"`` or ``"km"``; ``None`` when every word is delimited by spaces (Latin, Cyrillic,
    Greek, Arabic, Hebrew, Devanagari, Bengali, Hangul …). See
    :data:`pipeline.i18n.scripts.NO_SPACE_RANGES`.
    """
    found: str | None = None
    for ch in text:
        language = no_space_language(ch)
        if language is not None:
            if language != "zh":
                return language
            found = "zh"
    return found


def break_opportunities(text: str, language: str | None = None) -> list[str]:
    """Cut ``text`` into the pieces a line may end after (each keeps its trailing spaces).

    Text in a script without spaces (see :func:`no_space_script`) is segmented by ICU's line
    breaker (UAX #14 with ICU's dictionaries for Thai, Lao, Khmer and Myanmar, and strict
    kinsoku for Chinese and Japanese: no line starts with 、。」ー or a small kana, none ends
    with 「（); Japanese breaks between phrases, ICU's ``lw=phrase``). Other text breaks at
    spaces only. ``language`` (BCP-47) picks the ICU locale
    for the no-space scripts; by default it is guessed from the script.
    ``"".join(result) == text``.
    """
    script_language = no_space_script(text)
    if script_language is None:
        return re.findall(r"\S+\s*|\s+", text)
    from icu4py.breakers import LineBreaker  # imported on first use: ICU maps ~30 MB of data

    lang = (language or script_language).split("-")[0].lower()
    if lang not in ("ja", "zh", "th", "lo", "km", "my"):
        lang = script_language
    return list(LineBreaker(text, _STRICT_LOCALES.get(lang, lang)))


def written_tokens(text: str) -> list[str]:
    """The words of ``text`` as captions count them.

    Whitespace-separated tokens; a token in a script written without spaces is cut further
    at its line-break opportunities (:func:`break_opportunities`: Japanese phrases, Chinese
    characters with kinsoku, Thai words), so a caption can break inside it.
    ``join_words(written_tokens(text))`` gives ``text`` back, whitespace normalised.
    """
    tokens: list[str] = []
    for token in text.split():
        if no_space_script(token) is None:
            tokens.append(token)
        else:
            tokens += [piece.strip() for piece in break_opportunities(token) if piece.strip()]
    return tokens


WIDE_CELLS = 42 / 16
"""Caption cells of one wide (East Asian) character: subtitling guides allow 42 Latin
characters a line (BBC, Netflix) but 16 Chinese, Japanese or Korean ones (Netflix Timed Text
Style Guides for Simplified Chinese, Japanese and Korean)."""


def display_len(text: str) -> float:
    """Length of ``text`` in caption cells: wide and full-width characters count
    :data:`WIDE_CELLS`, combining marks (Thai vowels and tones, Devanagari matras) 0, others 1.
    """
    if text.isascii():  # no combining marks, nothing wide: one cell a character
        return float(len(text))
    cells = 0.0
    for ch in text:
        if unicodedata.category(ch)[0] == "M":
            continue
        cells += WIDE_CELLS if unicodedata.east_asian_width(ch) in ("W", "F") else 1.0
    return cells


def starts_right_to_left(text: str) -> bool:
    """Whether ``text``'s first strong letter is right-to-left (Arabic, Hebrew): its line is
    laid out from the right (rules P2–P3 of the Unicode Bidirectional Algorithm)."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False
