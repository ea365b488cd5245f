"""Text revealed as it is read: pages of phrases that fade in when the voice reaches them.

A :class:`ReadingPane` shows a paragraph (or several) that the narration speaks, in a
rectangle of the frame:

* the text is split into *phrases* — a sentence, or a clause of a long sentence, at most
  :data:`MAX_PHRASE_WORDS` words — and each phrase fades in (:data:`FADE_S`) when the voice
  says its first word (times from the scene's written word timings, matched to the text with
  :func:`pipeline.subtitles.align_words`; text the narration does not say is spread evenly);
* the text is wrapped at a fixed, readable size and split into *pages* that fit the
  rectangle, each ending at a sentence end when one is near, else at a phrase end; when the
  voice reaches the next page, the page fades out (:data:`PAGE_OUT_S`) and the next begins;
* nothing is ever cut with an ellipsis: text that does not fit goes to the next page;
* a phrase the voice takes longer than :data:`HOLD_S` to read (numbers, a DOI, a list of
  frequencies) is revealed in *pieces* as it is read — words, at least :data:`PIECE_S`
  apart, and a long written token (``doi:10.5281/zenodo.3555620``) a few characters at a
  time over the time it is spoken — so the text keeps pace with the voice and no frame
  stays unchanged for the whole phrase (issue 9: no still over 8 s);
* with a ``highlight`` colour, the piece being read sits on a *reading band* (the accent
  mixed into the surface until it stands :data:`~pipeline.render.palette.BAND_LUMA_STEP`
  luma levels off it, :func:`~pipeline.render.palette.reading_band`) that moves to the next
  piece as it fades in and fades out when the voice has finished the pane — a follow-along
  mark like a reading app's, and a change large enough to register (a new word alone on a
  1080p frame is below FFmpeg ``freezedetect``'s -60 dB).

It is an :class:`~pipeline.render.engine.Overlay`: its state per frame is
``(page, pieces shown, fade step, band)`` (a phrase is one piece unless it is read for
long), so frames between two reveals share one key and the encoder reuses them; drawing a
changed frame copies the shown pieces' pixels from a pre-drawn page (a few milliseconds,
only inside the pane's rectangle).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from pipeline.i18n.scripts import join_words, needs_space, starts_right_to_left, written_tokens
from pipeline.render.base import RGBFrame
from pipeline.render.fonts import FreeTypeFont, load_font
from pipeline.render.geometry import Rect
from pipeline.render.palette import RGB, ensure_contrast, reading_band
from pipeline.render.textlog import TextRecord, record
from pipeline.speech.base import WordTiming
from pipeline.subtitles import align_words, fold, is_clause_end, is_sentence_end

FADE_S = 0.35
"""Fade-in of a phrase, seconds."""
PAGE_OUT_S = 0.25
"""Fade-out of a page before the next one (and of the reading band), seconds."""
BAND_ROLE = "reading band"
"""The :class:`~pipeline.render.textlog.TextRecord` role of a pane's lines as drawn on the
reading band (recorded beside the plain lines, so contrast is checked on both)."""
BAND_PAD_EM = 0.12
"""The reading band reaches this far (em) past a piece's words, into the spaces."""
BAND_AFTER_S = 0.3
"""The reading band stays this long after the pane's last word is said, seconds."""
MAX_PHRASE_WORDS = 9
MIN_PHRASE_WORDS = 3
LEAD_S = 0.1
"""A phrase starts to appear this long before its first word is heard."""
HOLD_S = 5.0
"""A phrase read for longer than this, seconds, is revealed in pieces as it is read."""
PIECE_S = 1.5
"""Least time between two pieces of one phrase, seconds (a piece is at least a word or,
inside a long token, a few characters)."""
_WEAK = frozenset("a an the of to in on at by for with from and or but as that".split())

PaneState = tuple[int, int, int, int]
"""``(page, pieces fully shown on it, fade step of the next piece or -page-out step, band)``;
``band`` is 1 while the reading band marks the piece being read, ``-j`` while it fades out
(``j`` frames left), 0 without it."""

Piece = tuple[int, int, int, int]
"""``(token, character, token, character)``: a piece of text from the first position to the
second (excluded); ``(i, 0)`` is the start of token ``i``. A whole phrase of tokens
``[a, b)`` is ``(a, 0, b, 0)``."""


def split_phrases(tokens: Sequence[str]) -> list[tuple[int, int]]:
    """Token spans ``[start, end)`` of the phrases of ``tokens`` (see the module docstring)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for i, token in enumerate(tokens):
        n = i + 1 - start
        end_here = is_sentence_end(token)
        if not end_here and n >= MIN_PHRASE_WORDS and is_clause_end(token):
            rest = _words_to_sentence_end(tokens, i + 1)
            end_here = rest >= MIN_PHRASE_WORDS
        if not end_here and n >= MAX_PHRASE_WORDS and fold(token) not in _WEAK:
            rest = _words_to_sentence_end(tokens, i + 1)
            end_here = rest >= MIN_PHRASE_WORDS
        if end_here:
            spans.append((start, i + 1))
            start = i + 1
    if start < len(tokens):
        spans.append((start, len(tokens)))
    return spans


def _words_to_sentence_end(tokens: Sequence[str], start: int) -> int:
    for i in range(start, len(tokens)):
        if is_sentence_end(tokens[i]):
            return i + 1 - start
    return len(tokens) - start


def split_pieces(
    tokens: Sequence[str],
    phrases: Sequence[tuple[int, int]],
    starts_s: Sequence[float],
    ends_s: Sequence[float],
    phrase_s: Sequence[float],
    until_s: float,
) -> tuple[list[Piece], list[float]]:
    """The pieces in which the ``phrases`` of ``tokens`` are revealed (module docstring).

    Args:
        tokens: the written tokens; ``phrases``: their phrase spans (:func:`split_phrases`).
        starts_s, ends_s: per token, when the voice starts and ends saying it, seconds.
        phrase_s: per phrase, when it appears, seconds (non-decreasing).
        until_s: when the last phrase stops being read (the narration's end), seconds.

    Returns:
        The pieces in reading order and when each appears (seconds, non-decreasing; a
        phrase's first piece at the phrase's time); a phrase the voice reads in at most
        :data:`HOLD_S` is one piece. A long-read phrase is cut before each word said at least
        :data:`PIECE_S` after the piece began, and a printable-ASCII token said for over
        ``2 × PIECE_S`` is cut into parts of about ``PIECE_S`` of speech (at a character
        after ``/ . : - _ ,`` when one is within two characters of the even cut).
    """
    pieces: list[Piece] = []
    times: list[float] = []
    for k, (a, b) in enumerate(phrases):
        held_s = (phrase_s[k + 1] if k + 1 < len(phrases) else until_s) - phrase_s[k]
        piece_start, piece_s = (a, 0), phrase_s[k]
        if held_s > HOLD_S:
            for i in range(a, b):
                said_s = ends_s[i] - starts_s[i]
                cuts = [(0, starts_s[i])] if i > a else []
                token = tokens[i]
                if said_s > 2 * PIECE_S and len(token) >= 4 and _cuttable(token):
                    n_parts = min(len(token) // 2, int(said_s / PIECE_S))
                    for j in range(1, n_parts):
                        cut = _nudge_cut(token, round(len(token) * j / n_parts))
                        cuts.append((cut, starts_s[i] + said_s * cut / len(token)))
                for cut, cut_s in cuts:
                    at_s = cut_s - LEAD_S
                    if (i, cut) > piece_start and at_s - piece_s >= PIECE_S:
                        pieces.append((*piece_start, i, cut))
                        times.append(piece_s)
                        piece_start, piece_s = (i, cut), at_s
        pieces.append((*piece_start, b, 0))
        times.append(piece_s)
    return pieces, times


def _cuttable(token: str) -> bool:
    """Whether ``token`` may be revealed a few characters at a time (printable ASCII: a
    number, a URL, an identifier; shaped scripts and right-to-left text are not cut)."""
    return token.isascii() and token.isprintable()


def _nudge_cut(token: str, cut: int) -> int:
    """``cut`` moved (by up to two characters) to just after a separator, when one is near."""
    for delta in (0, 1, -1, 2, -2):
        c = cut + delta
        if 0 < c < len(token) and token[c - 1] in "/.:-_,":
            return c
    return cut


@dataclass(frozen=True)
class _Page:
    """One page: its lines of token spans and, per piece, the rectangles its text covers."""

    first_piece: int
    n_pieces: int
    lines: tuple[tuple[str, int], ...]  # (line text, x offset) per line
    segments: tuple[tuple[tuple[int, int, int, int], ...], ...]  # per piece: (x0, y0, x1, y1)


class ReadingPane:
    """A paragraph in ``rect``, revealed phrase by phrase (or piece by piece) as it is read
    (module docstring).

    Args:
        text: what to show (whitespace is normalised; newlines start new paragraphs).
        rect: where, in frame pixels.
        font_file: the face.
        size_px: preferred font size; lowered (not below ``min_px``) until a page holds at
            least three lines.
        color: text colour; ``background``: the colour under ``rect`` (for records and
            fades); ``base``: the pixels under ``rect`` (``(h, w, 3)`` uint8), default flat
            ``background``.
        until_s: when the pane disappears (its page of a list gives way to the next).
        highlight: the accent of the reading band on the piece being read (module
            docstring); ``None``: no band.
        in_thumbnail: whether thumbnails show it.
        words: the scene's written words with scene-relative times.
        fps: frame rate.
        min_px: the smallest size tried (default 75 % of ``size_px``).
        align: ``"left"`` or ``"center"``.
        line_spacing: baseline distance as a multiple of the size.
        max_rows: at most this many lines per page (a page of prose stays short).
        start_s: when the first phrase may appear at the earliest (scene-relative).
        end_s: when the narration ends (text the voice never says is spread up to here).
    """

    def __init__(
        self,
        text: str,
        rect: Rect,
        font_file: str,
        size_px: int,
        color: RGB,
        background: RGB,
        words: Sequence[WordTiming],
        fps: int,
        *,
        min_px: int | None = None,
        align: Literal["left", "center"] = "left",
        line_spacing: float = 1.4,
        max_rows: int | None = None,
        start_s: float = 0.0,
        end_s: float | None = None,
        base: npt.NDArray[np.uint8] | None = None,
        until_s: float | None = None,
        in_thumbnail: bool = True,
        highlight: RGB | None = None,
    ) -> None:
        self.rect = rect
        self.color = color
        self.background = background
        self.align = align
        self.fps = fps
        self.text = text
        self.tokens = written_tokens(text)  # Chinese, Japanese, Thai: phrases or characters
        self.phrases = split_phrases(self.tokens)
        size = size_px
        floor = max(1, min_px or round(size_px * 0.75))
        while True:
            font = load_font(font_file, size)
            ascent, descent = font.getmetrics()
            line_h = max(ascent + descent, math.ceil(size * line_spacing))
            rows = 0 if rect.h < ascent + descent else 1 + (rect.h - ascent - descent) // line_h
            if rows >= 3 or size <= floor:
                break
            size -= 1
        self.font: FreeTypeFont = font
        self.size_px = size  # the size chosen (at most the size_px asked for)
        self.line_h = line_h
        self.rows = max(1, rows if max_rows is None else min(rows, max_rows))
        # Each token's advance width, measured once: pagination wraps the same tokens again
        # for every phrase it tries to add to a page.
        self._widths = [font.getlength(token) for token in self.tokens]
        self.pieces, self.reveal_frames, read_s = self._pieces(words, start_s, end_s)
        """The pieces in reading order (:data:`Piece`) and the frame each appears at."""
        self.band = None if highlight is None else reading_band(background, highlight, color)
        """The reading band's fill, or ``None``."""
        self.band_text = color if self.band is None else ensure_contrast(color, self.band)
        self.band_end_frame = max(0, math.ceil((read_s + BAND_AFTER_S) * fps - 1e-6))
        """The first frame after the voice has finished the pane (the band then fades)."""
        self._phrase_pieces = self._pieces_per_phrase()
        self.pages = self._paginate()
        used_rows = max((len(page.lines) for page in self.pages), default=0)
        self.height_px = (used_rows - 1) * line_h + ascent + descent if used_rows else 0
        """Height of the tallest page, pixels (the pane never draws below it)."""
        self.page_start_frames = [self.reveal_frames[p.first_piece] for p in self.pages]
        self.until_frame = None if until_s is None else max(0, math.ceil(until_s * fps - 1e-6))
        self.in_thumbnail = in_thumbnail
        self.fade_frames = max(1, round(FADE_S * fps))
        self.out_frames = max(1, round(PAGE_OUT_S * fps))
        self._page_cache: dict[tuple[int, bool], npt.NDArray[np.uint8]] = {}
        self._base = (
            base
            if base is not None and base.shape == (rect.h, rect.w, 3)
            else np.full((rect.h, rect.w, 3), background, dtype=np.uint8)
        )
        surfaces = [(color, background, "text")]
        if self.band is not None:  # the same lines again, as they look on the band
            surfaces.append((self.band_text, self.band, BAND_ROLE))
        for page in self.pages:
            for line, _ in page.lines:
                for ink, surface, role in surfaces:
                    record(
                        TextRecord(
                            line,
                            int(font.size),
                            "Bold" in str(font.path),
                            ink,
                            surface,
                            (rect.x, rect.y, rect.right, rect.bottom),
                            role=role,
                        )
                    )

    # -- layout ------------------------------------------------------------------------
    def _wrap(self, first: int, last: int) -> list[list[int]]:
        """Token indices per line for phrases ``first .. last - 1`` from the top of a page."""
        lines: list[list[int]] = []
        width = 0.0
        space = self.font.getlength(" ")
        start = self.phrases[first][0]
        end = self.phrases[last - 1][1]
        widths = self._widths
        for i in range(start, end):
            w = widths[i]
            gap = space if i > 0 and needs_space(self.tokens[i - 1], self.tokens[i]) else 0.0
            if lines and width + gap + w <= self.rect.w - 2:
                lines[-1].append(i)
                width += gap + w
            else:
                lines.append([i])
                width = w
        return lines

    def _paginate(self) -> list[_Page]:
        pages: list[_Page] = []
        first = 0
        n = len(self.phrases)
        while first < n:
            last = first + 1
            best = last
            best_sentence: int | None = None
            while last <= n and len(self._wrap(first, last)) <= self.rows:
                best = last
                if is_sentence_end(self.tokens[self.phrases[last - 1][1] - 1]):
                    best_sentence = last
                last += 1
            end = best
            if (
                best_sentence is not None
                and best < n
                and len(self._wrap(first, best_sentence)) >= max(1, self.rows * 0.6)
            ):
                end = best_sentence
            pages.append(self._page(first, end))
            first = end
        return pages

    def _page(self, first: int, last: int) -> _Page:
        lines = self._wrap(first, last)
        space = self.font.getlength(" ")
        ascent, descent = self.font.getmetrics()
        line_of: dict[int, tuple[int, float]] = {}
        texts: list[tuple[str, int]] = []
        for row, indices in enumerate(lines):
            text = join_words(self.tokens[i] for i in indices)
            line_w = self.font.getlength(text)
            x0 = 0
            if self.align == "center":
                x0 = round((self.rect.w - line_w) / 2)
            texts.append((text, x0))
            rtl = starts_right_to_left(text)  # raqm draws it from the right: mirror the words
            x = float(x0)
            for k, i in enumerate(indices):
                if k and needs_space(self.tokens[indices[k - 1]], self.tokens[i]):
                    x += space
                w = self._widths[i]
                line_of[i] = (row, x0 + line_w - (x - x0) - w if rtl else x)
                x += w
        first_piece = self._phrase_pieces[first][0]
        end_piece = self._phrase_pieces[last - 1][1]
        # A piece's rectangles reach a little into the spaces around its words (the band's
        # margin): less than half a space (DejaVu's is 0.32 em), so never onto a neighbour.
        pad = round(BAND_PAD_EM * self.font.size)
        n = len(self.tokens)
        segments = []
        for a, char_a, b, char_b in self.pieces[first_piece:end_piece]:
            rects: dict[int, list[float]] = {}
            for i in range(a, b + 1 if char_b else b):
                row, x = line_of[i]
                token = self.tokens[i]
                lo = char_a if i == a else 0
                hi = char_b if i == b else len(token)
                spaced = (i == 0 or needs_space(self.tokens[i - 1], token)) and (
                    i == n - 1 or needs_space(token, self.tokens[i + 1])
                )
                left = x - max(2, pad if spaced else 0)
                if lo:  # cut inside the token: no margin into the characters before
                    left = x + self.font.getlength(token[:lo])
                right = x + self._widths[i] + max(3, pad if spaced else 0)
                if hi < len(token):
                    right = x + self.font.getlength(token[:hi])
                span = rects.setdefault(row, [left, right])  # right to left: min and max
                span[0], span[1] = min(span[0], left), max(span[1], right)
            segments.append(
                tuple(
                    (
                        max(0, math.floor(x0)),
                        row * self.line_h,
                        min(self.rect.w, math.ceil(x1)),
                        min(self.rect.h, row * self.line_h + max(self.line_h, ascent + descent)),
                    )
                    for row, (x0, x1) in sorted(rects.items())
                )
            )
        return _Page(first_piece, end_piece - first_piece, tuple(texts), tuple(segments))

    def _pieces(
        self, words: Sequence[WordTiming], start_s: float, end_s: float | None
    ) -> tuple[list[Piece], list[int], float]:
        """The pieces (:func:`split_pieces`), the frame each appears at, and when the voice
        finishes the text (seconds).

        A phrase appears :data:`LEAD_S` before its first word is heard (not before
        ``start_s``); with no word of the text matched in ``words``, the phrases are spread
        evenly from ``start_s`` to ``end_s``, and so are the words within each phrase.
        """
        timed = align_words(self.text, words) if words else []
        n = len(self.phrases)
        if timed:
            phrase_s = [max(start_s, timed[a].start_s - LEAD_S) for a, _ in self.phrases]
            starts = [w.start_s for w in timed]
            ends = [w.end_s for w in timed]
            until = max(end_s or 0.0, ends[-1])
        else:
            until = end_s if end_s is not None else start_s
            phrase_s = [start_s + (until - start_s) * k / max(1, n) for k in range(n)]
            starts = [0.0] * len(self.tokens)
            for k, (a, b) in enumerate(self.phrases):
                next_s = phrase_s[k + 1] if k + 1 < n else until
                for i in range(a, b):
                    starts[i] = phrase_s[k] + (next_s - phrase_s[k]) * (i - a) / (b - a)
            ends = [*starts[1:], until]
        pieces, times = split_pieces(self.tokens, self.phrases, starts, ends, phrase_s, until)
        frames: list[int] = []
        for t in times:
            f = max(0, math.ceil(max(start_s, t) * self.fps - 1e-6))
            frames.append(max(f, frames[-1]) if frames else f)
        return pieces, frames, ends[-1] if ends else until

    def _pieces_per_phrase(self) -> list[tuple[int, int]]:
        """Per phrase, the range ``[first, end)`` of its pieces."""
        spans: list[tuple[int, int]] = []
        k = 0
        for _, b in self.phrases:
            first = k
            while k < len(self.pieces) and (self.pieces[k][2], self.pieces[k][3]) <= (b, 0):
                k += 1
            spans.append((first, k))
        return spans

    # -- frames ------------------------------------------------------------------------
    def state(self, frame_index: int) -> Hashable:
        """``(page, pieces shown, fade step, band)`` at ``frame_index`` (:data:`PaneState`)."""
        f = frame_index
        if self.until_frame is not None and f >= self.until_frame:
            return None
        page = 0
        for k, start in enumerate(self.page_start_frames):
            if f >= start:
                page = k
        info = self.pages[page]
        band = 0
        if self.band is not None and f >= self.reveal_frames[0]:
            if f < self.band_end_frame:
                band = 1
            elif f < self.band_end_frame + self.out_frames:
                band = -(self.band_end_frame + self.out_frames - f)
        if page + 1 < len(self.pages):
            until = self.page_start_frames[page + 1] - f
            if 0 < until <= self.out_frames:
                return page, info.n_pieces, -until, band  # fading out
        shown = 0
        fade = 0
        for k in range(info.n_pieces):
            reveal = self.reveal_frames[info.first_piece + k]
            if f >= reveal + self.fade_frames - 1:
                shown = k + 1
            elif f >= reveal:
                fade = f - reveal + 1
                break
            else:
                break
        return page, shown, fade, band

    def full_state(self) -> Hashable:
        """The first page fully shown (for thumbnails), or ``None`` (hidden)."""
        if not self.in_thumbnail:
            return None
        return 0, self.pages[0].n_pieces if self.pages else 0, 0, 0

    def _page_pixels(self, page: int, banded: bool = False) -> npt.NDArray[np.uint8]:
        """The page's text drawn on the pane's pixels or, ``banded``, on the reading band."""
        cached = self._page_cache.get((page, banded))
        if cached is None:
            if banded and self.band is not None:
                image = Image.new("RGB", (self.rect.w, self.rect.h), self.band)
            else:
                image = Image.fromarray(self._base, "RGB")
            ink = self.band_text if banded else self.color
            draw = ImageDraw.Draw(image)
            for row, (text, x0) in enumerate(self.pages[page].lines):
                draw.text((x0, row * self.line_h), text, font=self.font, fill=ink)
            cached = np.asarray(image, dtype=np.uint8).copy()
            if len(self._page_cache) >= 4:
                self._page_cache.pop(next(iter(self._page_cache)))
            self._page_cache[(page, banded)] = cached
        return cached

    def draw(self, frame: RGBFrame, state: Hashable) -> None:
        """Draw the pane at ``state`` into ``frame`` (in place, inside :attr:`rect` only)."""
        if state is None or not self.pages:
            return
        assert isinstance(state, tuple), state  # a value of :meth:`state`
        page: int
        shown: int
        fade: int
        band: int
        page, shown, fade, band = state
        r = self.rect
        region = frame[r.y : r.bottom, r.x : r.right]
        pixels = self._page_pixels(page)
        banded = self._page_pixels(page, banded=True) if band else pixels
        info = self.pages[page]
        alpha_out = 1.0
        if fade < 0:  # page fading out: -fade frames left
            alpha_out = (-fade - 1) / self.out_frames
        fade_in = 0.0
        if fade > 0:
            fade_in = 1.0 - (1.0 - fade / self.fade_frames) ** 3
        band_alpha = 1.0 if band > 0 else (-band - 1) / self.out_frames if band < 0 else 0.0
        for k in range(min(info.n_pieces, shown + (1 if fade > 0 else 0))):
            alpha = fade_in if k == shown else alpha_out
            # The band is on the piece being read: the one fading in (the piece before
            # hands it over as it does), else the last piece shown.
            if fade > 0:
                on_band = band_alpha * (
                    1.0 if k == shown else (1.0 - fade_in) if k == shown - 1 else 0.0
                )
            else:
                on_band = band_alpha if k == shown - 1 else 0.0
            for x0, y0, x1, y1 in info.segments[k]:
                src = _blend(banded[y0:y1, x0:x1], pixels[y0:y1, x0:x1], on_band)
                region[y0:y1, x0:x1] = _blend(src, region[y0:y1, x0:x1], alpha)


def _blend(
    top: npt.NDArray[np.uint8], under: npt.NDArray[np.uint8], alpha: float
) -> npt.NDArray[np.uint8]:
    """``top`` over ``under`` at ``alpha`` (0–1, in steps of 1/256), as uint8."""
    if alpha >= 1.0:
        return top
    if alpha <= 0.0:
        return under
    weight = round(alpha * 256)
    mixed = (top.astype(np.uint16) * weight + under.astype(np.uint16) * (256 - weight)) >> 8
    return mixed.astype(np.uint8)


__all__ = ["ReadingPane", "split_phrases", "split_pieces"]
