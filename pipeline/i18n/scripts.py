"""Which writing systems put spaces between words (for line breaking and caption text)."""

from __future__ import annotations

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
