"""Captions from word timings: written words, cues people can read, SRT / WebVTT / ASS files.

* :func:`align_words` maps the timings of the *spoken* words (what the voice was given, e.g.
  ``"Py PI"`` or ``"5 dollars"``) back onto the *written* words of the narration (``"PyPI"``,
  ``"$5,"``), punctuation included: tokens are matched by their letters and digits
  (:class:`difflib.SequenceMatcher`, first word by word, then letter by letter inside the
  stretches that differ); written words the voice did not say get times interpolated between
  their neighbours.
* :func:`cut_captions` groups written words into cues following common subtitling guidance
  (BBC Subtitle Guidelines, Netflix Timed Text Style Guide): a cue never runs across a
  sentence end; it breaks preferably at clause ends (``, ; : —``) and never after a weak word
  (an article or preposition) when it can help it; at most :data:`MAX_LINES` lines of at most
  :data:`MAX_LINE_CHARS` characters; shown for :data:`MIN_CUE_S` – :data:`MAX_CUE_S` seconds
  where the speech allows; no one-word cue unless the sentence is one word.
* :func:`to_srt`, :func:`to_vtt` and :func:`to_ass` write the cues; the ASS file (written
  with pysubs2) highlights each word as it is spoken (karaoke ``\\k`` tags).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from pipeline.i18n.scripts import display_len, join_words, needs_space, written_tokens
from pipeline.speech.base import WordTiming

MAX_LINE_CHARS = 42
"""Characters per caption line (BBC and Netflix guidance for Latin scripts)."""
MAX_LINES = 2
MIN_CUE_S = 1.0
"""A cue stays at least this long when the next one does not start sooner."""
MAX_CUE_S = 7.0
"""A cue is never shown longer than this."""
HOLD_S = 0.8
"""How long a cue stays after its last word when silence follows."""
MAX_LAG_S = 0.35
"""How much later than its first word a cue may start, so that a short cue before it can
stay :data:`MIN_CUE_S` (captions trail speech this much in live subtitling without harm)."""

_SENTENCE_END_RE = re.compile(r"[.!?…。！？][\"'’”)\]»」』]*$")
_CLAUSE_END_RE = re.compile(r"[,;:–—、，；：][\"'’”)\]»」』]*$")
_WEAK_WORDS = frozenset(
    "a an the of to in on at by for with from into and or but nor so as than that "
    "your my our their his her its this these those is are was were be".split()
)
"""Words a cue should not end on (they lean on the next word)."""


@dataclass(frozen=True)
class Caption:
    """One caption cue, shown from ``start_s`` to ``end_s`` (seconds).

    Attributes:
        start_s, end_s: when the cue is shown.
        text: the cue's words on one line (``lines`` joined by spaces).
        lines: the cue broken into display lines (empty: use ``text`` as one line).
        words: the written words of the cue with their times (for word highlighting).
    """

    start_s: float
    end_s: float
    text: str
    lines: tuple[str, ...] = ()
    words: tuple[WordTiming, ...] = ()

    @property
    def display_lines(self) -> tuple[str, ...]:
        """``lines``, or ``(text,)`` when the cue was made without line breaks."""
        return self.lines or (self.text,)

    def shifted(self, offset_s: float) -> Caption:
        """The same cue ``offset_s`` seconds later (words too)."""
        return Caption(
            self.start_s + offset_s,
            self.end_s + offset_s,
            self.text,
            self.lines,
            tuple(WordTiming(w.text, w.start_s + offset_s, w.end_s + offset_s) for w in self.words),
        )


def fold(token: str) -> str:
    """Letters and digits of ``token``, case-folded (``"PyPI,"`` → ``"pypi"``)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", token).casefold() if ch.isalnum())


def align_words(text: str, spoken: Sequence[WordTiming]) -> list[WordTiming]:
    """Times of the written words of ``text`` from the timings of the ``spoken`` words.

    Args:
        text: the narration as written (whitespace-separated words, punctuation attached).
        spoken: word timings from the speech provider, in order (seconds).

    Returns:
        One :class:`WordTiming` per whitespace-separated token of ``text``, with the token
        as written; starts non-decreasing, ``start <= end``. Empty when ``text`` is blank,
        ``spoken`` is empty or no word matches at all (estimate timings instead).
    """
    tokens = written_tokens(text)
    if not tokens or not spoken:
        return []
    written = [fold(t) for t in tokens]
    said = [fold(w.text) for w in spoken]
    starts: list[float | None] = [None] * len(tokens)
    ends: list[float | None] = [None] * len(tokens)

    def assign(i: int, j: int) -> None:
        word = spoken[j]
        starts[i] = word.start_s if starts[i] is None else min(starts[i] or 0.0, word.start_s)
        ends[i] = word.end_s if ends[i] is None else max(ends[i] or 0.0, word.end_s)

    matcher = SequenceMatcher(None, written, said, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                assign(i1 + k, j1 + k)
        elif tag == "replace":
            _align_letters(written, said, i1, i2, j1, j2, assign)
    if all(s is None for s in starts):
        return []
    return _interpolate(tokens, starts, ends)


def _align_letters(
    written: list[str],
    said: list[str],
    i1: int,
    i2: int,
    j1: int,
    j2: int,
    assign: Callable[[int, int], None],
) -> None:
    """Match the letters of ``written[i1:i2]`` with those of ``said[j1:j2]``."""
    w_owner = [i for i in range(i1, i2) for _ in written[i]]
    s_owner = [j for j in range(j1, j2) for _ in said[j]]
    a, b = "".join(written[i1:i2]), "".join(said[j1:j2])
    for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            assign(w_owner[block.a + k], s_owner[block.b + k])


def _interpolate(
    tokens: list[str], starts: list[float | None], ends: list[float | None]
) -> list[WordTiming]:
    """Fill the times of unmatched tokens between their matched neighbours, by length."""
    n = len(tokens)
    out: list[WordTiming] = []
    i = 0
    last_end = next(s for s in starts if s is not None) or 0.0
    while i < n:
        start, end = starts[i], ends[i]
        if start is not None and end is not None:
            start = max(start, out[-1].start_s if out else start)
            out.append(WordTiming(tokens[i], start, max(start, end)))
            last_end = max(last_end, end)
            i += 1
            continue
        j = i
        while j < n and starts[j] is None:
            j += 1
        gap_end = starts[j] if j < n and starts[j] is not None else last_end
        gap_start = min(last_end, gap_end or last_end)
        weights = [len(tokens[k]) + 1 for k in range(i, j)]
        span = max(0.0, (gap_end or gap_start) - gap_start)
        t = gap_start
        for k, weight in zip(range(i, j), weights, strict=True):
            length = span * weight / sum(weights)
            out.append(WordTiming(tokens[k], t, t + length))
            t += length
        i = j
    return out


# -- cues ----------------------------------------------------------------------------------


def is_sentence_end(word: str) -> bool:
    """Whether ``word`` ends a sentence (``.``, ``!``, ``?``, ``…``, closing quotes allowed)."""
    return bool(_SENTENCE_END_RE.search(word))


def is_clause_end(word: str) -> bool:
    """Whether ``word`` ends a clause (``,``, ``;``, ``:``, dashes)."""
    return bool(_CLAUSE_END_RE.search(word))


class _Spans:
    """Display lengths of runs of words, each in O(1) after an O(n) pass.

    ``length(a, b) == display_len(join_words(words[a:b]))`` exactly: a joined run is its
    words' cells plus one cell per space :func:`join_words` puts between them, and cells are
    sums of 1 and 2.625 (exact in binary floating point). Captions ask for the length of
    every candidate cue and line (about 200 runs per sentence), which re-joining and
    re-measuring the text made quadratic: a 100-scene storyboard spent 90 % of its thumbnail
    time here.
    """

    def __init__(self, words: Sequence[str]) -> None:
        cells = [0.0]
        spaces = [0]
        first_word = [0] * (len(words) + 1)  # index of the first non-empty word at or after i
        previous = ""
        for word in words:
            cells.append(cells[-1] + (display_len(word) if word else 0.0))
            gap = bool(word) and bool(previous) and needs_space(previous, word)
            spaces.append(spaces[-1] + gap)
            if word:
                previous = word
        following = len(words)
        first_word[len(words)] = following
        for i in range(len(words) - 1, -1, -1):
            if words[i]:
                following = i
            first_word[i] = following
        self._cells = cells
        self._spaces = spaces
        self._first = first_word
        self.clause_end = [is_clause_end(word) for word in words]
        """Whether each word ends a clause (a good place to break)."""
        self.weak = [fold(word) in _WEAK_WORDS for word in words]
        """Whether each word leans on the next one (a poor place to break)."""

    def length(self, a: int, b: int) -> float:
        """Caption cells of ``join_words(words[a:b])``."""
        first = self._first[a]
        if first >= b:
            return 0.0
        return self._cells[b] - self._cells[a] + self._spaces[b] - self._spaces[first + 1]


def _best_break(spans: _Spans, a: int, b: int, max_chars: int) -> int | None:
    """Where words ``a .. b - 1`` of ``spans`` break into lines: ``b`` for one line, else
    the index of the first word of the second line, ``None`` when two lines cannot hold
    them (a single word is one line, however long)."""
    whole = spans.length(a, b)
    if b - a == 1 or whole <= max_chars:
        return b
    if whole > 2 * max_chars + 1:  # the lines plus at most one space between them
        return None
    best: tuple[float, int] | None = None
    for k in range(a + 1, b):
        top, bottom = spans.length(a, k), spans.length(k, b)
        if top > max_chars or bottom > max_chars:
            continue
        cost = abs(top - bottom) / max_chars
        if spans.clause_end[k - 1]:
            cost -= 0.3
        elif spans.weak[k - 1]:
            cost += 0.5
        if best is None or cost < best[0]:
            best = (cost, k)
    return None if best is None else best[1]


def split_lines(words: Sequence[str], max_chars: int = MAX_LINE_CHARS) -> list[str] | None:
    """Break ``words`` into at most two lines of at most ``max_chars`` characters.

    Prefers one line; else the break that keeps the lines balanced, after punctuation when
    possible and not after a weak word. ``None`` when two lines cannot hold the words (a
    single word longer than a line is returned as one line).
    """
    n = len(words)
    if n == 0:
        return [""]
    k = _best_break(_Spans(words), 0, n, max_chars)
    if k is None:
        return None
    if k == n:
        return [join_words(words)]
    return [join_words(words[:k]), join_words(words[k:])]


def _cue_cost(words: Sequence[WordTiming], spans: _Spans, j: int, k: int) -> float | None:
    """Cost of one cue holding ``words[j:k]`` of a sentence (``spans`` measures their
    texts); ``None`` if it cannot be one."""
    if _best_break(spans, j, k, MAX_LINE_CHARS) is None:
        return None
    sentence_len = len(words)
    # How long the cue is on screen: to the next word of the sentence, or its hold after
    # the sentence's last word.
    shown_until = words[k].start_s if k < sentence_len else words[k - 1].end_s + HOLD_S
    shown_s = shown_until - words[j].start_s
    n_chars = spans.length(j, k)
    cost = 3.0  # per cue: prefer fewer, fuller cues
    if shown_s > MAX_CUE_S:
        cost += 40.0 + 40.0 * (shown_s - MAX_CUE_S)
    if shown_s < MIN_CUE_S and sentence_len > k - j:
        cost += 20.0  # a flash inside a sentence (a whole short sentence is what it is)
    if k - j == 1 and sentence_len > 1:
        cost += 60.0  # an orphan
    elif n_chars < 16 and sentence_len > k - j:
        cost += 6.0
    if k < len(words):  # the cue ends inside the sentence: how good is this break?
        if spans.clause_end[k - 1]:
            cost += 0.0
        elif spans.weak[k - 1]:
            cost += 12.0
        else:
            cost += 5.0
    return cost


def _split_sentence(words: Sequence[WordTiming]) -> list[tuple[int, int]]:
    """Best cue boundaries inside one sentence (dynamic programming over break points)."""
    n = len(words)
    measure = _Spans([w.text for w in words])
    best: list[tuple[float, int]] = [(0.0, 0)] + [(float("inf"), 0)] * n
    max_words = MAX_LINES * MAX_LINE_CHARS // 2 + 1
    for k in range(1, n + 1):
        for j in range(max(0, k - max_words), k):
            if best[j][0] == float("inf"):
                continue
            cost = _cue_cost(words, measure, j, k)
            if cost is None:
                continue
            total = best[j][0] + cost
            if total < best[k][0]:
                best[k] = (total, j)
        if best[k][0] == float("inf"):  # nothing fits (a huge word): take it alone
            best[k] = (best[k - 1][0] + 100.0, k - 1)
    spans: list[tuple[int, int]] = []
    k = n
    while k > 0:
        j = best[k][1]
        spans.append((j, k))
        k = j
    return spans[::-1]


def sentences(words: Sequence[WordTiming]) -> list[list[WordTiming]]:
    """Split word timings into sentences at words that end one."""
    out: list[list[WordTiming]] = [[]]
    for word in words:
        out[-1].append(word)
        if is_sentence_end(word.text):
            out.append([])
    return [s for s in out if s]


def cut_captions(words: Sequence[WordTiming], *, end_limit_s: float | None = None) -> list[Caption]:
    """Group written word timings into caption cues (see the module docstring).

    Args:
        words: written words with times, in order (seconds, relative to anything).
        end_limit_s: no cue is shown past this time (the end of the scene).

    Returns:
        Cues in time order, each within one sentence, with ``lines`` (1–2 lines of at most
        :data:`MAX_LINE_CHARS` characters, unless a single word is longer) and ``words``.
        A cue lasts from its first word to the next cue's start, or :data:`HOLD_S` past its
        last word when silence follows, at least :data:`MIN_CUE_S` (the next cue may start
        up to :data:`MAX_LAG_S` after its first word for it) and at most :data:`MAX_CUE_S`
        (unless its own words take longer to say).
    """
    groups: list[list[WordTiming]] = []
    for sentence in sentences(words):
        groups += [sentence[j:k] for j, k in _split_sentence(sentence)]
    cues: list[Caption] = []
    for i, group in enumerate(groups):
        start = group[0].start_s
        spoken_end = group[-1].end_s
        next_start = groups[i + 1][0].start_s if i + 1 < len(groups) else None
        if cues and cues[-1].end_s > start:  # the cue before was held a little longer
            start = cues[-1].end_s
        longest = start + max(MAX_CUE_S, spoken_end - start)
        end = spoken_end + HOLD_S
        end = max(end, start + MIN_CUE_S)
        if next_start is not None:
            if next_start - spoken_end < HOLD_S:
                end = next_start  # continuous speech: no flicker between cues
            end = min(end, next_start)
            if end - start < MIN_CUE_S:  # a short sentence said quickly: hold it, if the
                # next cue can start a little late and still last long enough
                held = start + MIN_CUE_S
                next_end = groups[i + 1][-1].end_s
                if held - next_start <= MAX_LAG_S and next_end + HOLD_S - held >= MIN_CUE_S:
                    end = held
        end = min(end, longest)
        if end_limit_s is not None:
            end = min(end, end_limit_s)
        end = max(end, start + 1e-3)
        texts = [w.text for w in group]
        lines = split_lines(texts) or [join_words(texts)]
        cues.append(Caption(start, end, join_words(texts), tuple(lines), tuple(group)))
    return cues


# -- files ---------------------------------------------------------------------------------


def _timestamp(seconds: float, separator: str) -> str:
    ms_total = max(0, round(seconds * 1000))
    hours, rest = divmod(ms_total, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{ms:03d}"


def to_srt(captions: Sequence[Caption]) -> str:
    """Captions as a SubRip (.srt) document (one or two lines per cue)."""
    blocks = [
        f"{i}\n{_timestamp(c.start_s, ',')} --> {_timestamp(c.end_s, ',')}\n"
        f"{chr(10).join(c.display_lines)}\n"
        for i, c in enumerate(captions, start=1)
    ]
    return "\n".join(blocks)


def to_vtt(captions: Sequence[Caption]) -> str:
    """Captions as a WebVTT (.vtt) document (one or two lines per cue)."""
    blocks = [
        f"{_timestamp(c.start_s, '.')} --> {_timestamp(c.end_s, '.')}\n"
        f"{chr(10).join(c.display_lines)}\n"
        for c in captions
    ]
    return "WEBVTT\n\n" + "\n".join(blocks)


def _ass_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("{", "(").replace("}", ")")


def to_ass(
    captions: Sequence[Caption],
    width_px: int,
    height_px: int,
    *,
    highlight_rgb: tuple[int, int, int] = (255, 214, 10),
    font_name: str = "DejaVu Sans",
) -> str:
    """Captions as an Advanced SubStation Alpha (.ass) document, written with pysubs2.

    Each cue is one event; each word carries a karaoke tag (``{\\kN}``, N in centiseconds)
    so players that render ASS (libass: mpv, VLC, FFmpeg's ``subtitles`` filter) turn the
    words from white to ``highlight_rgb`` as they are spoken. White bold text on a
    translucent dark box, bottom centre, 10 % margins; sized for a ``width_px`` ×
    ``height_px`` frame (``PlayResX``/``PlayResY``).
    """
    import pysubs2

    subs = pysubs2.SSAFile()
    subs.info["PlayResX"] = str(width_px)
    subs.info["PlayResY"] = str(height_px)
    subs.info["WrapStyle"] = "2"  # we break the lines ourselves
    short = min(width_px, height_px)
    r, g, b = highlight_rgb
    subs.styles["Default"] = pysubs2.SSAStyle(
        fontname=font_name,
        fontsize=round(short * 0.05),
        bold=True,
        primarycolor=pysubs2.Color(r, g, b, 0),
        secondarycolor=pysubs2.Color(255, 255, 255, 0),
        outlinecolor=pysubs2.Color(8, 10, 16, 64),
        backcolor=pysubs2.Color(8, 10, 16, 64),
        borderstyle=3,
        outline=round(short * 0.012),
        shadow=0,
        alignment=pysubs2.Alignment.BOTTOM_CENTER,
        marginl=round(width_px * 0.1),
        marginr=round(width_px * 0.1),
        marginv=round(height_px * (0.25 if height_px > width_px else 0.1)),
    )
    for cue in captions:
        subs.append(
            pysubs2.SSAEvent(
                start=round(cue.start_s * 1000),
                end=round(cue.end_s * 1000),
                text=_karaoke(cue),
            )
        )
    text: str = subs.to_string("ass")
    return text


def _karaoke(cue: Caption) -> str:
    """The cue's lines with a ``{\\kN}`` tag before each word (``\\N`` between lines)."""
    if not cue.words:
        return "\\N".join(_ass_escape(line) for line in cue.display_lines)
    words = cue.words
    t = cue.start_s
    tagged: list[str] = []
    for i, word in enumerate(words):
        until = words[i + 1].start_s if i + 1 < len(words) else word.end_s
        centiseconds = max(0, round((until - t) * 100))
        tagged.append(f"{{\\k{centiseconds}}}{_ass_escape(word.text)}")
        t += centiseconds / 100
    lines, i = [], 0
    for line in cue.display_lines:
        n = len(written_tokens(line))
        text = ""
        for k in range(i, min(i + n, len(words))):
            if k > i and needs_space(words[k - 1].text, words[k].text):
                text += " "
            text += tagged[k]
        lines.append(text)
        i += n
    return "\\N".join(lines)
