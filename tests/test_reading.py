"""Reading panes: text revealed as the voice reads it, in pieces when a phrase is read for long."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.i18n.scripts import written_tokens
from pipeline.render import reading
from pipeline.render.geometry import Rect
from pipeline.render.palette import BAND_LUMA_STEP, contrast_ratio, luma_601
from pipeline.render.reading import HOLD_S, PIECE_S, ReadingPane, split_phrases
from pipeline.speech.base import WordTiming

FPS = 30
INK, PAPER = (20, 20, 20), (250, 250, 250)
CITATION = (
    "napari contributors (2019). napari: a multi-dimensional image viewer for python. "
    "doi:10.5281/zenodo.3555620 Note this DOI will resolve to all versions of napari."
)


def _timings(text: str, long_token: str = "", long_s: float = 8.0) -> list[WordTiming]:
    """0.35 s per word, ``long_token`` said for ``long_s`` (eSpeak reads a DOI digit by digit)."""
    words, t = [], 0.5
    for token in written_tokens(text):
        said = long_s if token == long_token else 0.35
        words.append(WordTiming(token, t, t + said))
        t += said + 0.05
    return words


def _pane(text: str, words: list[WordTiming], width_px: int = 1200) -> ReadingPane:
    end_s = words[-1].end_s + 0.3
    return ReadingPane(
        text, Rect(0, 0, width_px, 400), "DejaVuSans.ttf", 40, INK, PAPER, words, FPS, end_s=end_s
    )


def _frames(pane: ReadingPane, n_frames: int) -> tuple[list[object], list[np.ndarray]]:
    states, frames = [], []
    for f in range(n_frames):
        state = pane.state(f)
        frame = np.full((400, pane.rect.w, 3), PAPER, dtype=np.uint8)
        pane.draw(frame, state)
        states.append(state)
        frames.append(frame)
    return states, frames


def _longest_hold_s(states: list[object], first: int, last: int) -> float:
    longest = run = 1
    for f in range(first + 1, last):
        run = run + 1 if states[f] == states[f - 1] else 1
        longest = max(longest, run)
    return longest / FPS


def test_a_phrase_read_for_long_is_revealed_in_pieces_in_step(monkeypatch):
    words = _timings(CITATION, "doi:10.5281/zenodo.3555620")
    n_frames = int((words[-1].end_s + 1.0) * FPS)
    pane = _pane(CITATION, words)
    states, frames = _frames(pane, n_frames)
    first = pane.reveal_frames[0]
    end = int(words[-1].end_s * FPS)
    assert _longest_hold_s(states, first, end) <= 2 * PIECE_S + 0.5
    # Pieces appear while the voice reads them, never before: the DOI in several parts.
    doi = next(i for i, w in enumerate(words) if w.text.startswith("doi:"))
    cuts = [p[3] for p in pane.pieces if p[2] == doi and p[3] > 0]
    assert len(cuts) >= 2  # in three parts or more
    assert all(pane.tokens[doi][c - 1] in "/.:-_," for c in cuts)  # each after a separator
    # Ink only grows while the phrase is read, and ends as the whole text drawn at once.
    ink = [int((frame < 128).any(axis=2).sum()) for frame in frames[first:end]]
    assert all(b >= a for a, b in zip(ink, ink[1:], strict=False))
    monkeypatch.setattr(reading, "HOLD_S", 1e9)  # the same pane without pieces
    whole = _pane(CITATION, words)
    whole_states, whole_frames = _frames(whole, n_frames)
    assert len(whole.pieces) == len(whole.phrases) < len(pane.pieces)
    assert _longest_hold_s(whole_states, first, end) > 8.0  # what the test guards against
    assert np.array_equal(frames[-1], whole_frames[-1])  # nothing lost, nothing doubled


def test_pieces_cover_the_text_in_order():
    words = _timings(CITATION, "doi:10.5281/zenodo.3555620", long_s=12.0)
    pane = _pane(CITATION, words)
    rebuilt: list[str] = []
    for a, char_a, b, char_b in pane.pieces:
        for i in range(a, b + 1 if char_b else b):
            token = pane.tokens[i]
            part = token[(char_a if i == a else 0) : (char_b if i == b else len(token))]
            rebuilt.append(part if i > a or not char_a else "|" + part)
    assert "".join(t.lstrip("|") for t in rebuilt) == "".join(pane.tokens)
    assert pane.reveal_frames == sorted(pane.reveal_frames)
    gaps = np.diff(pane.reveal_frames) / FPS
    assert (gaps[gaps > 0] >= PIECE_S - 1 / FPS).all() or len(pane.phrases) > 1


def test_a_phrase_read_in_normal_time_stays_one_piece():
    text = "The backbone carries traffic between cities. Homes connect through the last mile."
    pane = _pane(text, _timings(text))
    assert len(pane.pieces) == len(pane.phrases) == len(split_phrases(pane.tokens))
    assert max(np.diff([w.start_s for w in _timings(text)])) < HOLD_S


@pytest.mark.parametrize(
    "text", ["שלום עולם גדול מאוד, זה טקסט ארוך.", "مرحبا بالعالم الكبير جدا."]
)
def test_right_to_left_text_is_drawn(text):
    words = _timings(text)
    pane = _pane(text, words)
    _, frames = _frames(pane, int((words[-1].end_s + 1.0) * FPS))
    drawn = (frames[-1] < 128).any(axis=2).sum()
    assert drawn > 200  # every phrase's rectangle covers its words (mirrored on the line)


def test_the_reading_band_follows_the_voice_and_leaves_with_it():
    text = "The backbone carries traffic between cities. Homes connect through the last mile."
    words = _timings(text)
    accent = (59, 130, 246)
    banded = ReadingPane(
        text, Rect(0, 0, 1200, 400), "DejaVuSans.ttf", 40, INK, PAPER, words, FPS,
        end_s=words[-1].end_s + 0.3, highlight=accent,
    )  # fmt: skip
    assert banded.band is not None
    assert abs(luma_601(banded.band) - luma_601(PAPER)) >= BAND_LUMA_STEP
    assert contrast_ratio(banded.band_text, banded.band) >= 4.5
    plain = _pane(text, words)
    n_frames = int((words[-1].end_s + 1.5) * FPS)
    _, frames = _frames(banded, n_frames)
    _, plain_frames = _frames(plain, n_frames)
    segments = banded.pages[0].segments

    def band_pixels(frame: np.ndarray, piece: int) -> int:
        return sum(
            int((frame[y0:y1, x0:x1] == banded.band).all(axis=2).sum())
            for x0, y0, x1, y1 in segments[piece]
        )

    second = banded.reveal_frames[1]
    reading_first = frames[second - 2]
    reading_second = frames[second + banded.fade_frames + 2]
    assert band_pixels(reading_first, 0) > 1000 and band_pixels(reading_first, 1) == 0
    assert band_pixels(reading_second, 1) > 1000 and band_pixels(reading_second, 0) == 0
    # Once the voice has finished, the band fades and the text is as it is without one.
    assert banded.band_end_frame + banded.out_frames < n_frames
    assert np.array_equal(frames[-1], plain_frames[-1])
    assert banded.state(n_frames - 1) == (0, len(banded.pieces), 0, 0)
