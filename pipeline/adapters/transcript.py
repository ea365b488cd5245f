"""Transcripts as input: ``.srt`` / ``.vtt`` subtitles → a storyboard; YouTube URLs → subtitles.

A talk's transcript has no headings, so the sections are found from the speech itself:

1. **Cues** are read with pysubs2 (SubRip and WebVTT). Markup (``<i>``, WebVTT word-timing
   tags ``<00:00:03.916>``, ``<c>`` spans) is removed; sound annotations (``[Music]``,
   ``(applause)``) are dropped and counted in a note; the rolling captions of YouTube's
   automatic subtitles (each cue repeats the previous cue's line, plus a 10 ms cue showing
   the finished line) are collapsed so every spoken word appears once.
2. **Sentences.** Human-made subtitles carry punctuation. Automatic ones do not: there, a
   sentence end is put after a cue followed by a pause of at least :data:`SENTENCE_PAUSE_S`,
   or after the cue that passes :data:`MAX_SENTENCE_WORDS` words (the condenser ranks
   sentences, so it needs some).
3. **Sections** (TextTiling, Hearst 1997, "TextTiling: Segmenting Text into Multi-paragraph
   Subtopic Passages", Computational Linguistics 23(1)): at every gap between cues, the
   lexical cohesion of the :data:`WINDOW_TOKENS` content words before and after it is the
   cosine similarity of their (stemmed, stop-word-free) word counts; a gap's *depth* is how
   far that similarity dips below the nearest peaks on both sides. Its boundary score is the
   depth plus a pause term, ``PAUSE_WEIGHT × min(gap / LONG_PAUSE_S, 1)``: speakers pause
   between topics. Boundaries are taken best first when their score passes the mean plus
   half a standard deviation of all scores (Hearst's cut-off is the mean minus half; we want
   fewer, longer sections for a video) and both sides stay at least :data:`MIN_SECTION_S`
   long; a section still longer than :data:`MAX_SECTION_S` is split at its best gap.
4. **Headings** are each section's key phrase: runs of one to three content words (RAKE's
   candidate rule, Rose et al. 2010, "Automatic keyword extraction from individual
   documents"), scored by their count in the section × ``log(1 + sections / sections with
   it)`` (TF-IDF over the talk's sections) × a bonus for longer phrases; a phrase of two or
   three words must occur at least twice.
5. **Storyboard**: an opening title scene, then per section ``title`` scenes (the heading as
   title, the section's first sentence as subtitle, its words as narration) of at most
   :data:`WORDS_PER_SCENE` words split at sentence ends, then an outro. Every spoken word of
   the transcript is in the narration, in order (sound annotations excepted); ``--duration``
   condenses it afterwards like any document (:mod:`pipeline.condense`).

A YouTube URL is fetched with ``youtube-transcript-api`` in the parent process (bounded by
:data:`FETCH_TIMEOUT_S`), saved as a ``.vtt`` file and then read like any transcript in the
limited parsing child (:func:`pipeline.adapters.read_document`).
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pipeline.adapters.blocks import clip, first_sentence
from pipeline.errors import InputError, StudioError
from pipeline.models import (
    MAX_NARRATION_TEXT,
    MAX_SCENES,
    OutroScene,
    SceneBase,
    TitleScene,
    VideoSpec,
)

TRANSCRIPT_SUFFIXES = (".srt", ".vtt")
"""File suffixes read as transcripts."""
MAX_TRANSCRIPT_BYTES = 5_000_000
"""Largest transcript file accepted (a 10-hour talk's subtitles are about 1 MB)."""

SENTENCE_PAUSE_S = 0.6
"""In unpunctuated transcripts, a pause at least this long after a cue ends a sentence."""
MAX_SENTENCE_WORDS = 28
"""In unpunctuated transcripts, a sentence ends at the first cue end past this many words."""
WINDOW_TOKENS = 60
"""Content words on each side of a gap compared for lexical cohesion (about 150 spoken words,
a minute of speech; Hearst's blocks are 6 × 20 tokens). Chosen with :data:`PAUSE_WEIGHT` and
:data:`LONG_PAUSE_S` on the two test talks (``tests/data/transcripts``): 8 of 11 true section
starts found within 8 s, none invented."""
LONG_PAUSE_S = 3.0
"""A pause this long or longer earns the full pause term of a boundary's score."""
PAUSE_WEIGHT = 0.3
"""Weight of the pause term against the cohesion depth (depths of real topic shifts in our
test talks are 0.2–0.6)."""
MIN_SECTION_S = 45.0
"""No section is shorter than this (seconds of the talk), except in a shorter transcript."""
MIN_SHORT_SECTION_S = 20.0
"""In a transcript shorter than 4½ minutes, sections are at least a sixth of it and at least
this long (seconds)."""
MAX_SECTION_S = 240.0
"""A section longer than this (seconds) is split again at its best gap."""
WORDS_PER_SCENE = 220
"""Most words of narration per scene (as for documents, :mod:`pipeline.adapters.scenes`)."""
TITLE_MAX = 80
"""Longest heading or title, characters."""
FETCH_TIMEOUT_S = 20.0
"""Longest a YouTube transcript fetch may take, seconds (then a clear error)."""

_TAG_RE = re.compile(r"<[^>]*>|\{\\[^}]*\}")
_ANNOTATION_RE = re.compile(r"\[[^\]]{1,40}\]|\((?:[a-z ]{1,30})\)|♪+[^♪]*♪+|♪")
_SPACE_RE = re.compile(r"\s+")
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_SENTENCE_END = (".", "?", "!", "…")

STOP_WORDS = frozenset(
    """a about above after again against all almost also although always am among an and
    another any anybody anyone anything are aren't around as at away back be because been
    before being below between both but by can can't cannot come comes could couldn't did
    didn't do does doesn't doing don't done down during each either else enough even ever
    every everybody everyone everything few first for from get gets getting give go goes going
    gone good got gotta great had hadn't has hasn't have haven't having he he's her here here's
    hers herself him himself his how however i i'd i'll i'm i've if in into is isn't it it's
    its itself just keep kind know last least less let let's like little look lot lots made
    make makes many may maybe me might mine more most much must my myself need never new next
    no nobody none nor not nothing now of off often oh ok okay on once one only onto or other
    others our ours ourselves out over own part pretty put quite rather really right said same
    say says second see seen several shall she she's should shouldn't show so some somebody
    someone something sometimes still such sure take talk tell than thank thanks that that's
    the their theirs them themselves then there there's these they they'd they'll they're
    they've thing things think this those though three through thus time times to today too
    took toward two uh um under until up upon us use used uses using very via want wants was
    wasn't way we we'd we'll we're we've well went were weren't what what's whatever when
    where whether which while who who's whole whom whose why will with within without won't
    would wouldn't yeah yes yet you you'd you'll you're you've your yours yourself actually
    basically literally gonna wanna stuff whatever able across almost already bit call called
    case different doing easy end ever example fact far find found fine hard help kind lot
    mean means nice okay probably real sort start started thing try trying usually whole
    word words work works year years zero four five six seven eight nine ten eleven twelve
    twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand thousands
    million millions billion half minute minutes hour hours second seconds percent""".split()
)
"""Words that carry no topic (function words and the fillers of spoken English)."""


@dataclass(frozen=True)
class Cue:
    """One subtitle cue: its text (markup removed) and when it is shown, seconds."""

    start_s: float
    end_s: float
    text: str


@dataclass(frozen=True)
class Section:
    """A stretch of the talk on one topic.

    Attributes:
        heading: the section's key phrase, title-cased.
        start_s / end_s: where it is in the talk, seconds.
        sentences: its text as sentences, in order (every spoken word once).
    """

    heading: str
    start_s: float
    end_s: float
    sentences: tuple[str, ...]

    @property
    def text(self) -> str:
        """The section's words as running text."""
        return " ".join(self.sentences)


@dataclass
class Transcript:
    """A transcript read and segmented: its cues, its sections and notes for the user."""

    cues: list[Cue]
    sections: list[Section] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        """From the first cue's start to the last cue's end, seconds."""
        return self.cues[-1].end_s - self.cues[0].start_s if self.cues else 0.0


# -- reading cues --------------------------------------------------------------------------


def read_cues(path: Path, *, notes: list[str] | None = None) -> list[Cue]:
    """The spoken cues of a ``.srt`` or ``.vtt`` file, in time order, markup removed, sound
    annotations dropped, YouTube's rolling duplicates collapsed.

    Raises:
        InputError: the file cannot be read as subtitles, or holds no spoken text.
    """
    import pysubs2

    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            "the transcript is not UTF-8 text",
            source=str(path),
            hint="save the subtitles as UTF-8 (.srt or .vtt)",
        ) from error
    except OSError as error:
        raise InputError(
            f"cannot read the transcript ({error.strerror})", source=str(path)
        ) from error
    fmt = "vtt" if path.suffix.lower() == ".vtt" or text.lstrip().startswith("WEBVTT") else "srt"
    try:
        subs = pysubs2.SSAFile.from_string(text, format_=fmt)
    except Exception as error:  # pysubs2 raises several types for malformed files
        raise InputError(
            f"the transcript is not valid {fmt.upper()} subtitles ({error})",
            source=str(path),
            hint="export the subtitles again as .srt or .vtt",
        ) from error
    raw: list[tuple[float, float, list[str]]] = []
    annotations = 0
    for event in sorted(subs.events, key=lambda e: (e.start, e.end)):
        if event.is_comment:
            continue
        lines = []
        for line in event.plaintext.splitlines():
            line = _TAG_RE.sub("", line)
            line, dropped = _ANNOTATION_RE.subn(" ", line)
            annotations += dropped
            line = re.sub(r"^\s*(?:>>+|-\s)", " ", line)  # speaker-change marks
            line = _SPACE_RE.sub(" ", line).strip()
            if line and _WORD_RE.search(line):
                lines.append(line)
        if lines:
            raw.append((event.start / 1000.0, event.end / 1000.0, lines))
    cues = _collapse_rolling(raw)
    if not cues:
        raise InputError(
            "the transcript has no spoken text (only empty or sound-annotation cues)",
            source=str(path),
            hint="check that the file holds the subtitles of speech",
        )
    if notes is not None and annotations:
        notes.append(
            f"{name}: left out {annotations} sound annotation{'s' if annotations > 1 else ''} "
            "such as [Music] or (applause)"
        )
    return cues


def _collapse_rolling(raw: Sequence[tuple[float, float, list[str]]]) -> list[Cue]:
    """Cues with YouTube's rolling repetition removed (when the file has it).

    In automatic captions each cue's first line repeats the previous cue's last line, and a
    10 ms cue shows the finished lines again. When at least 30 % of the cues start with the
    line the previous cue ended with, repeated lines are dropped; else the cues are kept
    as they are (an ordinary subtitle file never repeats a line on purpose that often).
    """
    if not raw:
        return []
    repeats = sum(1 for prev, cur in zip(raw, raw[1:], strict=False) if cur[2][0] == prev[2][-1])
    rolling = len(raw) > 2 and repeats >= 0.3 * (len(raw) - 1)
    cues: list[Cue] = []
    recent: list[str] = []  # the lines shown last (a 10 ms cue repeats both of them)
    for start_s, end_s, lines in raw:
        if rolling:
            while lines and lines[0] in recent:
                lines = lines[1:]
            if not lines:
                continue
        text = " ".join(lines)
        cues.append(Cue(start_s, max(end_s, start_s), text))
        recent = (recent + lines)[-2:]
    return cues


# -- sentences -----------------------------------------------------------------------------


def _is_punctuated(cues: Sequence[Cue]) -> bool:
    words = sum(len(cue.text.split()) for cue in cues)
    ends = sum(1 for cue in cues for token in cue.text.split() if token.endswith(_SENTENCE_END))
    return words > 0 and ends * 40 >= words  # at least one sentence end per 40 words


def _sentences(cues: Sequence[Cue], gaps_s: Sequence[float], punctuated: bool) -> list[list[int]]:
    """Cue indices grouped into sentences (a cue belongs to the sentence it ends in).

    Returned as, per sentence, the indices of the cues whose text it holds; the text itself is
    rebuilt by :func:`_sentence_texts`.
    """
    groups: list[list[int]] = [[]]
    count = 0
    for i, cue in enumerate(cues):
        groups[-1].append(i)
        count += len(cue.text.split())
        if punctuated:
            end = cue.text.rstrip().endswith(_SENTENCE_END)
        else:
            end = gaps_s[i] >= SENTENCE_PAUSE_S or count >= MAX_SENTENCE_WORDS
        if end and i < len(cues) - 1:
            groups.append([])
            count = 0
    return [g for g in groups if g]


def _as_sentence(text: str) -> str:
    """Capitalised, ending with a full stop (for unpunctuated automatic captions)."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith(_SENTENCE_END) else text + "."


def _split_sentences(text: str) -> list[str]:
    """Split running text at ``.?!…`` followed by a space (punctuated transcripts)."""
    parts = re.split(r"(?<=[.?!…])\s+", text.strip())
    return [p for p in parts if p]


# -- segmentation --------------------------------------------------------------------------


def _stem(word: str) -> str:
    """A light suffix-stripping stem (plural and verb endings), enough to match "profiler",
    "profilers"; "allocate", "allocates"; not a linguistic stemmer."""
    word = word.lower().strip("'’-")
    for suffix in ("ations", "ation", "ings", "ing", "ers", "er", "ies", "es", "ed", "ly", "s"):
        if len(word) - len(suffix) >= 4 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_tokens(text: str) -> list[str]:
    """The stems of the topic-bearing words of ``text`` (stop words and short words out)."""
    tokens = []
    for match in _WORD_RE.finditer(text):
        word = match.group(0).lower().strip("'’-")
        if len(word) < 3 or word in STOP_WORDS:
            continue
        tokens.append(_stem(word))
    return tokens


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(count * b.get(token, 0) for token, count in a.items())
    norm = math.sqrt(sum(c * c for c in a.values())) * math.sqrt(sum(c * c for c in b.values()))
    return dot / norm if norm else 0.0


def boundary_scores(cues: Sequence[Cue]) -> list[float]:
    """The boundary score of each gap between sentences-ending cues (``len(cues) - 1``
    values; gap ``i`` is between cue ``i`` and cue ``i + 1``): TextTiling depth of the
    lexical-cohesion dip plus the pause term (see the module docstring)."""
    n = len(cues)
    if n < 2:
        return []
    tokens = [content_tokens(cue.text) for cue in cues]
    flat: list[str] = []
    ends: list[int] = []  # ends[i] = number of tokens up to and including cue i
    for cue_tokens in tokens:
        flat.extend(cue_tokens)
        ends.append(len(flat))
    similarity = []
    for i in range(n - 1):
        at = ends[i]
        left = Counter(flat[max(0, at - WINDOW_TOKENS) : at])
        right = Counter(flat[at : at + WINDOW_TOKENS])
        similarity.append(_cosine(left, right))
    # smooth (Hearst: a moving average over neighbouring gaps)
    smooth = [
        sum(similarity[max(0, i - 1) : i + 2]) / len(similarity[max(0, i - 1) : i + 2])
        for i in range(len(similarity))
    ]
    scores = []
    for i, value in enumerate(smooth):
        left_peak = value
        for j in range(i - 1, -1, -1):
            if smooth[j] < left_peak:
                break
            left_peak = smooth[j]
        right_peak = value
        for j in range(i + 1, len(smooth)):
            if smooth[j] < right_peak:
                break
            right_peak = smooth[j]
        depth = (left_peak - value) + (right_peak - value)
        gap_s = max(0.0, cues[i + 1].start_s - cues[i].end_s)
        scores.append(depth + PAUSE_WEIGHT * min(gap_s / LONG_PAUSE_S, 1.0))
    return scores


def choose_boundaries(
    cues: Sequence[Cue],
    scores: Sequence[float],
    allowed: Sequence[bool],
    *,
    min_section_s: float = MIN_SECTION_S,
    max_section_s: float = MAX_SECTION_S,
) -> list[int]:
    """Gaps (indices into ``scores``) that start a new section, in order.

    Only gaps marked ``allowed`` (sentence ends) are considered. Best first, a gap is taken
    when its score passes the cut-off (mean + ½ standard deviation) and both neighbouring
    sections stay at least ``min_section_s`` long; then any section longer than
    ``max_section_s`` is split at its best allowed gap that keeps both parts long enough.
    """
    candidates = [i for i, ok in enumerate(allowed) if ok and i < len(scores)]
    if not candidates:
        return []
    values = [scores[i] for i in candidates]
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    cutoff = mean + 0.5 * std
    start_s = cues[0].start_s
    end_s = cues[-1].end_s

    def fits(chosen: list[int], gap: int) -> bool:
        edges = [start_s] + [cues[g + 1].start_s for g in sorted(chosen)] + [end_s]
        at = cues[gap + 1].start_s
        before = max(e for e in edges if e <= at)
        after = min(e for e in edges if e > at) if any(e > at for e in edges) else end_s
        return at - before >= min_section_s and after - at >= min_section_s

    chosen: list[int] = []
    for gap in sorted(candidates, key=lambda g: -scores[g]):
        if scores[gap] < cutoff:
            break
        if fits(chosen, gap):
            chosen.append(gap)
    changed = True
    while changed:
        changed = False
        edges = [-1, *sorted(chosen), len(cues) - 1]
        for a, b in zip(edges, edges[1:], strict=False):
            first, last = a + 1, b
            if cues[last].end_s - cues[first].start_s <= max_section_s:
                continue
            inside = [g for g in candidates if first <= g < last and fits(chosen, g)]
            if inside:
                chosen.append(max(inside, key=lambda g: scores[g]))
                changed = True
                break
    return sorted(chosen)


# -- headings ------------------------------------------------------------------------------


def _phrases(text: str) -> list[tuple[str, ...]]:
    """Candidate key phrases: runs of 1–3 content words between stop words and punctuation."""
    phrases: list[tuple[str, ...]] = []
    run: list[str] = []

    def flush() -> None:
        for n in (1, 2, 3):
            for k in range(len(run) - n + 1):
                phrases.append(tuple(run[k : k + n]))
        run.clear()

    for token in re.findall(r"[A-Za-z][A-Za-z'’-]*|[^\sA-Za-z]+", text):
        word = token.lower().strip("'’-")
        if not _WORD_RE.fullmatch(token) or len(word) < 3 or word in STOP_WORDS:
            flush()
        else:
            run.append(token.strip("'’-"))
    flush()
    return phrases


def key_phrases(sections: Sequence[str]) -> list[str]:
    """The key phrase of each section text (TF-IDF over the sections, see the module doc),
    title-cased; ``""`` when a section has no content word. Phrases are distinct."""
    counted: list[Counter[tuple[str, ...]]] = []
    surfaces: list[dict[tuple[str, ...], Counter[str]]] = []
    for text in sections:
        counts: Counter[tuple[str, ...]] = Counter()
        surface: dict[tuple[str, ...], Counter[str]] = {}
        for phrase in _phrases(text):
            key = tuple(_stem(w) for w in phrase)
            counts[key] += 1
            surface.setdefault(key, Counter())[" ".join(phrase)] += 1
        counted.append(counts)
        surfaces.append(surface)
    n = len(sections)
    df: Counter[tuple[str, ...]] = Counter()
    for counts in counted:
        df.update(counts.keys())
    headings: list[str] = []
    used: set[tuple[str, ...]] = set()
    for counts, surface in zip(counted, surfaces, strict=True):
        best: tuple[str, ...] | None = None
        best_score = 0.0
        for key, count in counts.items():
            if key in used or (len(key) > 1 and count < 2):
                continue
            score = count * math.log(1 + n / df[key]) * (1 + 0.6 * (len(key) - 1))
            if score > best_score or (score == best_score and best is not None and key < best):
                best, best_score = key, score
        if best is None:
            headings.append("")
            continue
        used.add(best)
        headings.append(_title_case(surface[best].most_common(1)[0][0]))
    return headings


def _title_case(phrase: str) -> str:
    """``"global interpreter lock"`` → ``"Global Interpreter Lock"``; words already spelled
    with capitals (``GIL``, ``NumPy``, ``PyO3``) are kept as they are."""
    return " ".join(
        w if any(c.isupper() for c in w) else w[:1].upper() + w[1:] for w in phrase.split()
    )


# -- the whole transcript ------------------------------------------------------------------


def read_transcript(path: Path) -> Transcript:
    """Read ``path`` (``.srt`` / ``.vtt``) and split it into titled sections.

    Raises:
        InputError: not readable as subtitles, or no spoken text.
    """
    notes: list[str] = []
    cues = read_cues(path, notes=notes)
    transcript = Transcript(cues=cues, notes=notes)
    gaps_s = [max(0.0, b.start_s - a.end_s) for a, b in zip(cues, cues[1:], strict=False)]
    gaps_s.append(0.0)
    punctuated = _is_punctuated(cues)
    groups = _sentences(cues, gaps_s, punctuated)
    sentence_end = [False] * len(cues)
    for group in groups:
        sentence_end[group[-1]] = True
    scores = boundary_scores(cues)
    allowed = sentence_end[:-1]
    min_section_s = min(MIN_SECTION_S, max(MIN_SHORT_SECTION_S, transcript.duration_s / 6))
    boundaries = set(choose_boundaries(cues, scores, allowed, min_section_s=min_section_s))
    # sections of sentences (a boundary is always at a sentence end)
    section_groups: list[list[list[int]]] = [[]]
    for group in groups:
        section_groups[-1].append(group)
        if group[-1] in boundaries:
            section_groups.append([])
    section_groups = [s for s in section_groups if s]
    texts: list[list[str]] = []
    for sentences in section_groups:
        parts: list[str] = []
        for group in sentences:
            text = " ".join(cues[i].text for i in group)
            if punctuated:
                parts.extend(_split_sentences(text))
            else:
                parts.append(_as_sentence(text))
        texts.append(parts)
    headings = key_phrases([" ".join(parts) for parts in texts])
    for k, (sentences, parts, heading) in enumerate(
        zip(section_groups, texts, headings, strict=True)
    ):
        first_cue, last_cue = cues[sentences[0][0]], cues[sentences[-1][-1]]
        transcript.sections.append(
            Section(
                heading=clip(heading, TITLE_MAX) or f"Part {k + 1}",
                start_s=first_cue.start_s,
                end_s=last_cue.end_s,
                sentences=tuple(parts),
            )
        )
    if not punctuated:
        transcript.notes.append(
            f"{path.name}: the subtitles have no punctuation (automatic captions); sentences "
            "were ended at pauses"
        )
    return transcript


def _title_from_name(stem: str) -> str:
    stem = re.sub(r"\.[a-z]{2}(?:-[A-Za-z]{2,4})?$", "", stem)  # talk.en.vtt → talk
    name = " ".join(stem.replace("_", " ").replace("-", " ").split()).strip()
    return name[:1].upper() + name[1:]


def _chunks(sentences: Sequence[str]) -> list[list[str]]:
    """Sentences grouped into runs of at most :data:`WORDS_PER_SCENE` words (a longer
    sentence is a run of its own, split at words)."""
    chunks: list[list[str]] = []
    count = 0
    for sentence in sentences:
        words = sentence.split()
        pieces = (
            [
                " ".join(words[k : k + WORDS_PER_SCENE])
                for k in range(0, len(words), WORDS_PER_SCENE)
            ]
            if len(words) > WORDS_PER_SCENE
            else [sentence]
        )
        for piece in pieces:
            n = len(piece.split())
            if chunks and count + n <= WORDS_PER_SCENE:
                chunks[-1].append(piece)
                count += n
            else:
                chunks.append([piece])
                count = n
    return chunks


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"


def transcript_spec(
    path: Path,
    *,
    title: str | None = None,
    source: str = "",
    skip_boilerplate: bool = True,
    notes: list[str] | None = None,
) -> VideoSpec:
    """The storyboard of a transcript (see the module docstring for the rules).

    Args:
        path: the ``.srt`` or ``.vtt`` file.
        title: the video's title; default: the file's name (``talk.en.vtt`` → "talk"), or for
            a fetched YouTube transcript the talk's first key phrase.
        source: file name for messages.
        skip_boilerplate: unused (transcripts have no boilerplate sections).
        notes: receives notes for the user (annotations dropped, sentences guessed, the
            storyboard condensed to the scene cap).

    Raises:
        InputError: the file is not subtitles or holds no speech.
    """
    del skip_boilerplate
    transcript = read_transcript(path)
    if notes is not None:
        notes.extend(transcript.notes)
    name = _title_from_name(path.stem)
    if title is None and (not name or _YOUTUBE_ID_RE.fullmatch(path.stem.split(".")[0])):
        whole = key_phrases([" ".join(s.text for s in transcript.sections), ""])[0]
        name = whole or "Transcript"
    video_title = clip(title or name or "Transcript", TITLE_MAX)
    parts = len(transcript.sections)
    scenes: list[SceneBase] = [
        TitleScene(
            title=video_title,
            subtitle=f"A {_clock(transcript.duration_s)} talk in {parts} part{'s' if parts > 1 else ''}",
            narration=f"{video_title}. A talk in {parts} part{'s' if parts > 1 else ''}.",
        )
    ]
    for section in transcript.sections:
        for chunk in _chunks(section.sentences):
            scenes.append(
                TitleScene(
                    title=section.heading,
                    subtitle=first_sentence(chunk[0], TITLE_MAX),
                    narration=clip(" ".join(chunk), MAX_NARRATION_TEXT),
                )
            )
    if len(scenes) > MAX_SCENES - 1:
        from pipeline.condense import condense_scenes

        total = len(scenes) + 1
        condensed = condense_scenes(scenes, max_scenes=MAX_SCENES - 1)
        scenes = list(condensed.scenes)
        if notes is not None:
            notes.append(
                f"{path.name}: the transcript makes {total} scenes, more than the "
                f"{MAX_SCENES}-scene limit; it was condensed to {MAX_SCENES} scenes; set a "
                "target duration to choose the length"
            )
    scenes.append(OutroScene(main_text="Thanks for watching", sub_text=video_title))
    return VideoSpec(title=video_title, scenes=scenes)


# -- YouTube ---------------------------------------------------------------------------------

_YOUTUBE_ID_RE = re.compile(r"[A-Za-z0-9_-]{11}")
_YOUTUBE_HOSTS = ("youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com")


class TranscriptFetchError(StudioError):
    """A transcript could not be fetched because of the network (exit status 1)."""


def source_url(value: str | Path) -> str | None:
    """``value`` as an ``http(s)`` URL, or ``None`` when it is a file path.

    Accepts the URL as typed and as a :class:`~pathlib.Path` made of it (which folds
    ``https://`` into ``https:/``).
    """
    text = str(value).strip()
    match = re.match(r"^(https?):/+(.*)$", text, re.IGNORECASE)
    if match is None:
        return None
    return f"{match.group(1).lower()}://{match.group(2)}"


def youtube_video_id(url: str) -> str | None:
    """The 11-character video id of a YouTube URL (``watch?v=``, ``youtu.be/``, ``/shorts/``,
    ``/live/``, ``/embed/``), or ``None`` when ``url`` is not one."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    candidate = ""
    if host == "youtu.be":
        candidate = parts.path.strip("/").split("/")[0]
    elif host in _YOUTUBE_HOSTS:
        if parts.path == "/watch":
            candidate = (parse_qs(parts.query).get("v") or [""])[0]
        else:
            segments = parts.path.strip("/").split("/")
            if len(segments) >= 2 and segments[0] in ("shorts", "live", "embed", "v"):
                candidate = segments[1]
    return candidate if _YOUTUBE_ID_RE.fullmatch(candidate) else None


def _to_vtt(snippets: Sequence[tuple[float, float, str]]) -> str:
    def stamp(t: float) -> str:
        ms = int(round(t * 1000))
        h, rest = divmod(ms, 3_600_000)
        m, rest = divmod(rest, 60_000)
        s, ms = divmod(rest, 1000)
        return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"

    lines = ["WEBVTT", ""]
    for start_s, duration_s, text in snippets:
        text = _SPACE_RE.sub(" ", text).strip()
        if not text:
            continue
        lines += [f"{stamp(start_s)} --> {stamp(start_s + max(duration_s, 0.01))}", text, ""]
    return "\n".join(lines)


def fetch_youtube_transcript(
    url: str,
    folder: Path,
    *,
    languages: Sequence[str] = ("en",),
    offline: bool = False,
    timeout_s: float = FETCH_TIMEOUT_S,
) -> Path:
    """Fetch the transcript of a YouTube video into ``folder/<video id>.vtt``.

    The fetch (``youtube-transcript-api``) runs in this process on a worker thread, with a
    per-request timeout and an overall bound of ``timeout_s``; nothing is written unless it
    succeeds.

    Args:
        url: the video's URL.
        folder: where the ``.vtt`` file goes.
        languages: preferred transcript languages, best first (English by default; a
            transcript in another language is taken when none of these exists).
        offline: the studio must not use the network: refuse at once.
        timeout_s: give up after this many seconds.

    Raises:
        InputError: not a YouTube video URL, the studio is offline, or the video has no
            transcript or is unavailable (exit status 2; the message names the URL).
        TranscriptFetchError: YouTube could not be reached or did not answer in time
            (exit status 1).
    """
    video_id = youtube_video_id(url)
    save_hint = (
        "save the video's subtitles as an .srt or .vtt file (for example with "
        "`yt-dlp --write-subs --write-auto-subs --skip-download URL`) and render that file"
    )
    if video_id is None:
        raise InputError(
            f"{url} is not a YouTube video URL",
            hint="give a YouTube video URL (https://www.youtube.com/watch?v=…), or an "
            ".srt/.vtt file, or a document",
        )
    if offline:
        raise InputError(
            f"cannot fetch the transcript of {url}: Video Studio is set to work offline",
            hint=f"run without --offline (or turn off Offline in Settings), or {save_hint}",
        )
    import requests
    import youtube_transcript_api as yt
    from requests.adapters import HTTPAdapter

    class _TimeoutAdapter(HTTPAdapter):
        def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            kwargs["timeout"] = kwargs.get("timeout") or (min(5.0, timeout_s), timeout_s)
            return super().send(request, **kwargs)

    session = requests.Session()
    session.mount("https://", _TimeoutAdapter())
    session.mount("http://", _TimeoutAdapter())
    result: dict[str, object] = {}

    def work() -> None:
        try:
            api = yt.YouTubeTranscriptApi(http_client=session)
            listing = api.list(video_id)
            try:
                found = listing.find_transcript(list(languages))
            except yt.NoTranscriptFound:
                found = next(iter(listing))
            fetched = found.fetch()
            result["snippets"] = [(s.start, s.duration, s.text) for s in fetched.snippets]
            result["language"] = found.language_code
        except BaseException as error:  # handed to the caller's thread
            result["error"] = error

    worker = threading.Thread(target=work, name="youtube-transcript", daemon=True)
    worker.start()
    worker.join(timeout_s)
    session.close()
    if worker.is_alive():
        raise TranscriptFetchError(
            f"YouTube did not answer within {timeout_s:.0f} s while fetching the transcript "
            f"of {url}",
            hint=f"check the internet connection and try again, or {save_hint}",
        )
    error = result.get("error")
    if isinstance(error, BaseException):
        if isinstance(error, requests.RequestException) or isinstance(
            error.__cause__ or error.__context__, requests.RequestException
        ):
            raise TranscriptFetchError(
                f"could not reach YouTube to fetch the transcript of {url} "
                f"({type(error).__name__}: no network?)",
                hint=f"connect to the internet and try again, or {save_hint}",
            ) from None
        if isinstance(error, yt.CouldNotRetrieveTranscript):
            reason = str(error.cause) if getattr(error, "cause", None) else type(error).__name__
            first = reason.strip().splitlines()[0] if reason.strip() else type(error).__name__
            raise InputError(
                f"YouTube has no usable transcript for {url} ({type(error).__name__}: {first})",
                hint=f"pick a video with subtitles, or {save_hint}",
            ) from None
        raise TranscriptFetchError(
            f"fetching the transcript of {url} failed ({type(error).__name__}: {error})",
            hint=save_hint,
        ) from None
    snippets = result.get("snippets")
    if not isinstance(snippets, list) or not snippets:
        raise InputError(f"the transcript of {url} is empty", hint=save_hint)
    from pipeline.fsutil import atomic_write_text

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{video_id}.vtt"
    atomic_write_text(target, _to_vtt(snippets))
    return target


__all__ = [
    "FETCH_TIMEOUT_S",
    "MAX_TRANSCRIPT_BYTES",
    "TRANSCRIPT_SUFFIXES",
    "Cue",
    "Section",
    "Transcript",
    "TranscriptFetchError",
    "boundary_scores",
    "choose_boundaries",
    "content_tokens",
    "fetch_youtube_transcript",
    "key_phrases",
    "read_cues",
    "read_transcript",
    "source_url",
    "transcript_spec",
    "youtube_video_id",
]
